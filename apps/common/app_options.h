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

#define LWM2M_APP_CA_FILES_MAX 16

/* The options both servers take for their listeners, store, HTTP API and object definitions,
 * and the DTLS listener's certificate side: the server's certificate and key, or its raw
 * public key's key, and the trust store for clients' certificates. */
typedef struct lwm2m_app_listen_opts {
    const char *listen, *dtls_listen, *store_spec, *http, *object_dir;
    bool verbose;
    const char *cert, *key, *rpk_key, *ca_dir;
    const char *ca_files[LWM2M_APP_CA_FILES_MAX];
    size_t ca_file_count;
} lwm2m_app_listen_opts;

enum {
    LWM2M_APP_OPT_NO_LISTEN = 256,
    LWM2M_APP_OPT_OBJECT_DIR,
    LWM2M_APP_OPT_CERT,
    LWM2M_APP_OPT_KEY,
    LWM2M_APP_OPT_RPK_KEY,
    LWM2M_APP_OPT_CA_FILE,
    LWM2M_APP_OPT_CA_DIR,
    LWM2M_APP_OPT_FREE /* the first value left for a program's own long-only options */
};

/* Their entries in a struct option table; the short ones are l: d: s: H: v. */
#define LWM2M_APP_LISTEN_LONG_OPTIONS                                                              \
    {"listen", required_argument, NULL, 'l'},                                                      \
        {"no-listen", no_argument, NULL, LWM2M_APP_OPT_NO_LISTEN},                                 \
        {"dtls-listen", required_argument, NULL, 'd'}, {"store", required_argument, NULL, 's'},    \
        {"http", required_argument, NULL, 'H'},                                                    \
        {"object-dir", required_argument, NULL, LWM2M_APP_OPT_OBJECT_DIR},                         \
        {"cert", required_argument, NULL, LWM2M_APP_OPT_CERT},                                     \
        {"key", required_argument, NULL, LWM2M_APP_OPT_KEY},                                       \
        {"rpk-key", required_argument, NULL, LWM2M_APP_OPT_RPK_KEY},                               \
        {"ca-file", required_argument, NULL, LWM2M_APP_OPT_CA_FILE},                               \
        {"ca-dir", required_argument, NULL, LWM2M_APP_OPT_CA_DIR},                                 \
        {"verbose", no_argument, NULL, 'v'},                                                       \
    {                                                                                              \
        "help", no_argument, NULL, 'h'                                                             \
    }

/* The --help lines of the DTLS credential options (both servers print them). */
#define LWM2M_APP_DTLS_OPTIONS_HELP                                                                \
    "      --cert FILE              the server's X.509 certificate (DER or PEM) for the\n"         \
    "                               DTLS listener, with --key; without --cert or --rpk-key\n"      \
    "                               the listener is PSK only\n"                                    \
    "      --key FILE               its private key (PKCS#8 or SEC1 EC, DER or PEM)\n"             \
    "      --rpk-key FILE           present a raw public key instead of a certificate: this\n"     \
    "                               EC private key's (libcoap 4.3.1 presents one server\n"         \
    "                               credential; RPK and X.509 clients are accepted with\n"         \
    "                               either)\n"                                                     \
    "      --ca-file FILE           a trusted CA for client certificates (DER or PEM, a PEM\n"     \
    "                               file may hold several; repeatable, up to 16)\n"                \
    "      --ca-dir DIR             every *.pem, *.crt, *.cer, *.der file of DIR is trusted\n"

/* Takes `opt` when it is one of them: true, else false. */
bool lwm2m_app_listen_option(lwm2m_app_listen_opts *o, int opt, const char *arg);

/* After the options: a listener is left, the DTLS credential options fit together (a
 * certificate with its key, or a raw public key's key; a trust store only with one of them;
 * all of them only with --dtls-listen). 0, or 2 with the message printed. */
int lwm2m_app_listen_check(const char *prog, const lwm2m_app_listen_opts *o);

/* For the programs' COMMAND [...] entry points, after their own options: with --help, `usage`
 * on stdout (0); without a command, `usage` on stderr (2); else LWM2M_APP_GO_ON. */
int lwm2m_app_command_expected(bool help, int argc, void (*usage)(FILE *f));

/* For the commands that run getopt_long with opterr 0 and ':' first in the option string: the
 * message of option error `c` (':' a missing argument, else unknown), "PROG: WHERE: ...". */
void lwm2m_app_bad_option(const char *prog, const char *where, int c, char **argv);

#endif
