/* The programs' command lines: the getopt_long loop they all run, the listener options both
 * servers take, and the message of a bad option in the commands that print their own. */
#ifndef LWM2M_APP_OPTIONS_H
#define LWM2M_APP_OPTIONS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

/* lwm2m_app_options: the options are read, the program goes on. */
#define LWM2M_APP_GO_ON (-1)

/* Takes one option (`arg` is optarg): 0, or the exit status with the message printed. */
typedef int (*lwm2m_app_option_fn)(void *ctx, int opt, const char *arg);

/* getopt_long over argv with `take` for every option but -h/--help (`usage` on stdout, exit
 * status 0) and those getopt refuses (its message, `usage` on stderr, 2); then no operand may
 * follow ("PROG: unexpected argument 'X' (try --help)", 2). LWM2M_APP_GO_ON, or the exit
 * status. */
int lwm2m_app_options(const char *prog, int argc, char **argv, const char *shortopts,
                      const struct option *longopts, void (*usage)(FILE *f),
                      lwm2m_app_option_fn take, void *ctx);

/* The options both servers take for their listeners, store, HTTP API and object definitions. */
typedef struct lwm2m_app_listen_opts {
    const char *listen, *dtls_listen, *store_spec, *http, *object_dir;
    bool verbose;
} lwm2m_app_listen_opts;

enum {
    LWM2M_APP_OPT_NO_LISTEN = 256,
    LWM2M_APP_OPT_OBJECT_DIR,
    LWM2M_APP_OPT_FREE /* the first value left for a program's own long-only options */
};

/* Their entries in a struct option table; the short ones are l: d: s: H: v. */
#define LWM2M_APP_LISTEN_LONG_OPTIONS                                                              \
    {"listen", required_argument, NULL, 'l'},                                                      \
        {"no-listen", no_argument, NULL, LWM2M_APP_OPT_NO_LISTEN},                                 \
        {"dtls-listen", required_argument, NULL, 'd'}, {"store", required_argument, NULL, 's'},    \
        {"http", required_argument, NULL, 'H'},                                                    \
        {"object-dir", required_argument, NULL, LWM2M_APP_OPT_OBJECT_DIR},                         \
        {"verbose", no_argument, NULL, 'v'},                                                       \
    {                                                                                              \
        "help", no_argument, NULL, 'h'                                                             \
    }

/* Takes `opt` when it is one of them: true, else false. */
bool lwm2m_app_listen_option(lwm2m_app_listen_opts *o, int opt, const char *arg);

/* After the options: a listener is left. 0, or 2 with the message printed. */
int lwm2m_app_listen_check(const char *prog, const lwm2m_app_listen_opts *o);

/* For the programs' COMMAND [...] entry points, after their own options: with --help, `usage`
 * on stdout (0); without a command, `usage` on stderr (2); else LWM2M_APP_GO_ON. */
int lwm2m_app_command_expected(bool help, int argc, void (*usage)(FILE *f));

/* For the commands that run getopt_long with opterr 0 and ':' first in the option string: the
 * message of option error `c` (':' a missing argument, else unknown), "PROG: WHERE: ...". */
void lwm2m_app_bad_option(const char *prog, const char *where, int c, char **argv);

#endif
