/* What the files of the client commands share: cli.c (the command table, options, dispatch),
 * cli_api.c (requests to the server's API and their failures), cli_dm.c (the commands of one
 * request: clients, show and device management), cli_stream.c (observe and events on the event
 * stream), cli_print.c (what they print). */
#ifndef LWM2M_APP_SERVER_CLI_INTERNAL_H
#define LWM2M_APP_SERVER_CLI_INTERNAL_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "http_client.h"
#include "lwm2m/path.h"

#define PROG             "lwm2m-server"
#define DEFAULT_API      "http://127.0.0.1:8081"
#define EXIT_FAILED      1
#define EXIT_USAGE       2
#define EXIT_UNREACHABLE 3
#define EP_MAX           256        /* endpoint names, as the registration directory keeps them */
#define INPUT_MAX        (1u << 20) /* a SenML document read from stdin or a file */
#define TIMEOUT_MAX_S    300L       /* --timeout: the server takes ?timeout=1..300 */
#define DURATION_MAX_S   31536000L  /* --duration: a year */
#define API_WAIT_S       10         /* listing, show, opening the event stream */
#define DM_WAIT_S        305        /* a DM request without --timeout: the server's longest */
#define DM_MARGIN_S      5          /* over ?timeout=S, so that the server's 504 comes first */
#define TARGET_MAX       2048

enum option_flag {
    OPT_JSON = 1u << 0,  /* --json: print the API's JSON */
    OPT_SENML = 1u << 1, /* --json SENML: the values to send */
    OPT_UPDATE = 1u << 2,
    OPT_FORMAT = 1u << 3,
    OPT_COUNT = 1u << 4,
    OPT_DURATION = 1u << 5,
    OPT_ENDPOINT = 1u << 6,
};

typedef struct cli {
    const char *api; /* as given, for messages */
    lwm2m_http_url url;
    int64_t timeout_s; /* 0: not given */
    bool json;
    const char *senml;
    char *senml_buf; /* owns --json - / @FILE input */
    bool update;
    const char *format;
    int64_t count;      /* -1: none */
    int64_t duration_s; /* -1: none */
    const char *endpoint;
    int cancel_fd;  /* the signalfd while observe and events run, else -1 */
    char what[400]; /* "read dev1 /3/0/0": how messages name the operation */
} cli;

/* "PROG: <what>: <message>" on stderr. */
void cli_fail(const cli *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- cli_api.c: talking to the API ---- */

typedef struct answer {
    lwm2m_http_response resp;
    cJSON *json; /* NULL when the body is empty */
    bool cancelled;
} answer;

/* One request; 0 with `a` holding a 2xx answer (JSON or empty), else the exit status with
 * the failure printed. `a` is to be freed either way. */
int cli_call(cli *o, const char *method, const char *target, const char *ctype, const char *body,
             bool dm, answer *a);
void cli_answer_free(answer *a);

/* How long a request may take: a DM request waits for the server's answer (--timeout + a
 * margin), others API_WAIT_S. */
int64_t cli_wait_ms(const cli *o, bool dm);

/* An HTTP-level failure: prints it, returns the exit status. */
int cli_transport_error(const cli *o, int rc, const char *err, int64_t waited_ms);

/* A non-2xx HTTP status: prints the API's error, returns the exit status. */
int cli_status_error(const cli *o, int status, const cJSON *j, const char *body, size_t len);

/* The LwM2M client's answer in a DM reply: 0 for 2.xx, else prints it and gives 1. */
int cli_dm_outcome(const cli *o, const cJSON *j);

/* 2.xx answers whose payload did not decode carry "error" (and "hex"): prints it, gives 1. */
int cli_undecodable(const cli *o, const cJSON *j);

/* Percent-encodes all but RFC 3986 unreserved characters. `out` holds 3 * strlen(s) + 1. */
void cli_pct_encode(const char *s, char *out);

/* "/api/clients/EP" + path + suffix + query into out[TARGET_MAX]. 0, or EXIT_USAGE when too
 * long. */
int cli_client_target(const cli *o, char *out, const char *ep, const char *path, const char *suffix,
                      const char *query);

/* The DM query: timeout=S when --timeout was given, then `extra`. */
void cli_dm_query(const cli *o, char *out, size_t cap, const char *extra);

/* ---- cli_print.c: output ---- */

const char *cli_json_str(const cJSON *obj, const char *key);
bool cli_json_num(const cJSON *obj, const char *key, double *out);
void cli_print_number(FILE *f, double d);
void cli_print_compact(FILE *f, const cJSON *v);
void cli_print_pretty(FILE *f, const cJSON *v, int depth);
void cli_print_raw(const char *body, size_t len);
void cli_print_content(const cJSON *j);
void cli_print_code(const cJSON *j);
void cli_print_links(const cJSON *j);
void cli_print_clients(const cJSON *list);

/* ---- cli_dm.c: commands of one request ---- */

typedef struct dm_target {
    const char *ep;
    lwm2m_path path;
    char path_str[LWM2M_PATH_STR_MAX];
} dm_target;

#define ANY_LEVEL (1u << 1 | 1u << 2 | 1u << 3 | 1u << 4)

/* An endpoint name as the directory keeps them. */
bool cli_parse_ep_arg(const char *ep);

/* EP and PATH arguments; `levels` is a bit mask of the allowed path depths (1 << len). */
int cli_dm_args(cli *o, const char *cmd, char **args, unsigned levels, dm_target *t);

/* The target of a DM request on t: "/api/clients/EP/PATH" + suffix + the DM query with
 * `extra`, into out[TARGET_MAX]. 0, or EXIT_USAGE when too long. */
int cli_dm_target(const cli *o, const dm_target *t, const char *suffix, const char *extra,
                  char *out);

/* Cancels the observation of t; `quiet`: only a failure is printed. */
int cli_send_cancel(cli *o, const dm_target *t, bool quiet);

int cli_cmd_clients(cli *o, char **args, int nargs);
int cli_cmd_show(cli *o, char **args, int nargs);
int cli_cmd_read(cli *o, char **args, int nargs);
int cli_cmd_discover(cli *o, char **args, int nargs);
int cli_cmd_write(cli *o, char **args, int nargs);
int cli_cmd_attributes(cli *o, char **args, int nargs);
int cli_cmd_exec(cli *o, char **args, int nargs);
int cli_cmd_create(cli *o, char **args, int nargs);
int cli_cmd_delete(cli *o, char **args, int nargs);
int cli_cmd_cancel(cli *o, char **args, int nargs);

/* ---- cli_stream.c: commands on the event stream ---- */

int cli_cmd_observe(cli *o, char **args, int nargs);
int cli_cmd_events(cli *o, char **args, int nargs);

#endif
