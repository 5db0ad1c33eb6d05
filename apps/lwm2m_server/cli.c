/* `lwm2m-server clients|show|read|...`: thin clients of the server's HTTP API
 * (docs/server-api.md), one HTTP request per operation (an event stream for observe and
 * events). This file: the command table, the options, the dispatch (see cli_internal.h for the
 * others). */
#include "cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "app_util.h"
#include "cli_internal.h"

typedef struct command {
    const char *name;
    const char *args;
    unsigned opts;
    bool dm; /* sends a request to the LwM2M client (--timeout goes to the server) */
    int min_args, max_args;
    const char *summary;
    const char *help;
    int (*run)(cli *o, char **args, int nargs);
} command;

void cli_fail(const cli *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, PROG ": %s: ", o->what);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static const char *const formats[] = {"tlv",  "senml-json", "senml-cbor", "json",
                                      "cbor", "text",       "opaque"};

static bool format_known(const char *f)
{
    for (size_t k = 0; k < sizeof formats / sizeof formats[0]; k++) {
        if (strcmp(f, formats[k]) == 0)
            return true;
    }
    return false;
}

static const command commands[] = {
    {"clients", "", OPT_JSON, false, 0, 0, "list the registered clients",
     "Lists the registered clients as a table: endpoint, registration id, LwM2M version,\n"
     "binding (Q for queue mode), address, lifetime and the time until the registration\n"
     "expires, sorted by endpoint. --json prints the API's JSON array instead.",
     cli_cmd_clients},
    {"show", "EP", 0, false, 1, 1, "print one registration as JSON",
     "Prints the registration of endpoint EP as indented JSON.", cli_cmd_show},
    {"read", "EP PATH", OPT_JSON | OPT_FORMAT, true, 2, 2, "Read: print the values",
     "Reads PATH on client EP and prints one line per value:\n"
     "  /3/0/0 = \"lwm2m-bootstrap\"\n"
     "(strings quoted as in JSON, opaque values as 0x and hex, object links as O:I).\n"
     "--format F asks the client for one content format (tlv, senml-json, senml-cbor, json,\n"
     "cbor, text, opaque) instead of the negotiated one; --json prints the API's answer.",
     cli_cmd_read},
    {"discover", "EP PATH", OPT_JSON, true, 2, 2, "Discover: print the links",
     "Discovers PATH on client EP and prints one CoRE link per line with its attributes:\n"
     "  </3/0/7>;dim=2;pmin=10\n"
     "--json prints the API's answer.",
     cli_cmd_discover},
    {"write", "EP PATH VALUE", OPT_SENML | OPT_UPDATE, true, 2, 3,
     "Write (--update: partial update)",
     "Writes VALUE to resource PATH (Write-Replace, sent as text/plain in the LwM2M text\n"
     "format: numbers, true/false, base64 for opaque, O:I for object links). With\n"
     "--json SENML instead of VALUE, writes a SenML JSON array (names absolute or relative\n"
     "to PATH; SENML may be '-' for stdin or @FILE). --update sends a partial update\n"
     "(PATCH) instead of a replace. Prints the client's code: 2.04 CHANGED. A VALUE that\n"
     "begins with '-' goes after '--'.",
     cli_cmd_write},
    {"attributes", "EP PATH ATTR...", OPT_JSON, true, 3, 64, "Write-Attributes: pmin=1 pmax=5 ...",
     "Writes the notification attributes of PATH. Each ATTR is NAME=VALUE (pmin, pmax,\n"
     "epmin, epmax: whole seconds; gt, lt, st: numbers) or NAME alone to remove it:\n"
     "  attributes dev1 /3/0/13 pmin=1 pmax=5",
     cli_cmd_attributes},
    {"exec", "EP PATH [ARGS]", OPT_JSON, true, 2, 3, "Execute",
     "Executes resource PATH (/O/I/R) with the argument list ARGS (e.g. 0='a',1).\n"
     "/1/x/8 is the Registration Update Trigger, /1/x/9 the Bootstrap-Request Trigger.",
     cli_cmd_exec},
    {"create", "EP /OBJ --json SENML", OPT_SENML, true, 2, 2, "Create an instance",
     "Creates an instance of object /OBJ with the values of --json SENML (a SenML JSON\n"
     "array; '-' reads it from stdin, @FILE from a file). Prints the client's code:\n"
     "2.01 CREATED.",
     cli_cmd_create},
    {"delete", "EP PATH", OPT_JSON, true, 2, 2, "Delete an instance",
     "Deletes instance PATH (/O/I).", cli_cmd_delete},
    {"observe", "EP PATH", OPT_JSON | OPT_COUNT | OPT_DURATION, true, 2, 2,
     "Observe: print the value, then each notification",
     "Observes PATH on client EP: prints its value, then each notification as it arrives\n"
     "(the lines of read), until --count N notifications, --duration S seconds, Ctrl-C or\n"
     "SIGTERM, and then cancels the observation. Follows /api/events?endpoint=EP, opened\n"
     "before the Observe so that no notification is missed. --json prints the API's answer\n"
     "and each notification event's JSON, one per line. An error notification, or the end\n"
     "or renewal of the endpoint's registration, ends it with status 1.",
     cli_cmd_observe},
    {"cancel", "EP PATH", OPT_JSON, true, 2, 2, "cancel an observation",
     "Cancels the observation of PATH on client EP (an Observe with the Observe option 1).",
     cli_cmd_cancel},
    {"events", "", OPT_COUNT | OPT_DURATION | OPT_ENDPOINT, false, 0, 0,
     "print the server's events as they come",
     "Prints the server's events as they arrive, one per line: the event (registered,\n"
     "updated, deregistered, expired, notification), the endpoint and the event's JSON:\n"
     "  registered dev1 {\"endpoint\":\"dev1\",\"registration\":{...}}\n"
     "until --count N events, --duration S seconds, Ctrl-C or SIGTERM. --endpoint EP\n"
     "keeps only that endpoint's events.",
     cli_cmd_events},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const command *find_command(const char *name)
{
    for (size_t k = 0; name != NULL && k < N_COMMANDS; k++) {
        if (strcmp(commands[k].name, name) == 0)
            return &commands[k];
    }
    return NULL;
}

bool lwm2m_server_cli_is_command(const char *name)
{
    return find_command(name) != NULL;
}

void lwm2m_server_cli_usage(FILE *f)
{
    fprintf(f, "Client commands (talk to a running server's HTTP API, --api URL, default\n"
               "$LWM2M_SERVER_API or " DEFAULT_API "; PATH is /O[/I[/R[/RI]]]):\n");
    for (size_t k = 0; k < N_COMMANDS; k++) {
        char synopsis[48];
        snprintf(synopsis, sizeof synopsis, "%s %s", commands[k].name, commands[k].args);
        fprintf(f, "  %-30s %s\n", synopsis, commands[k].summary);
    }
    fprintf(f, "`" PROG " COMMAND --help` tells a command's options. Exit status: 0 the client\n"
               "answered 2.xx (or the listing worked), 1 it answered an error or did not answer,\n"
               "or the endpoint is not registered, 2 usage error, 3 the API cannot be reached.\n");
}

static void command_usage(FILE *f, const command *c)
{
    fprintf(f, "Usage: " PROG " %s [OPTIONS]%s%s\n\n%s\n\nOptions:\n", c->name,
            c->args[0] ? " " : "", c->args, c->help);
    if (c->opts & OPT_JSON)
        fprintf(f, "      --json             print the API's JSON answer as it came\n");
    if (c->opts & OPT_SENML)
        fprintf(f, "      --json SENML       the values, a SenML JSON array ('-': stdin, @FILE)\n");
    if (c->opts & OPT_UPDATE)
        fprintf(f, "      --update           partial update (PATCH) instead of replace\n");
    if (c->opts & OPT_FORMAT)
        fprintf(f,
                "      --format F         tlv, senml-json, senml-cbor, json, cbor, text, opaque\n");
    if (c->opts & OPT_COUNT)
        fprintf(f, "      --count N          stop after N %s\n",
                c->opts & OPT_ENDPOINT ? "events" : "notifications");
    if (c->opts & OPT_DURATION)
        fprintf(f, "      --duration S       stop after S seconds\n");
    if (c->opts & OPT_ENDPOINT)
        fprintf(f, "      --endpoint EP      only the events of endpoint EP\n");
    fprintf(f, "      --api URL          the server's HTTP API (default $LWM2M_SERVER_API, else\n"
               "                         " DEFAULT_API ")\n");
    if (c->dm)
        fprintf(f,
                "      --timeout S        the server waits S seconds for the client's answer\n"
                "                         (default: its --request-timeout), this command\n"
                "                         S+%d for the server's (default %d)\n",
                DM_MARGIN_S, DM_WAIT_S);
    else
        fprintf(f, "      --timeout S        wait S seconds for the API (default %d)\n",
                API_WAIT_S);
    fprintf(f, "  -h, --help             this help\n\nExit status: %s\n",
            c->dm         ? "0 the client answered 2.xx; 1 it answered an error, did not answer\n"
                            "in time, or EP is not registered; 2 usage error; 3 the API cannot be reached."
            : c->min_args ? "0 done; 1 EP is not registered; 2 usage error; 3 the API cannot be\n"
                            "reached."
                          : "0 done; 1 no answer in time; 2 usage error; 3 the API cannot be\n"
                            "reached.");
}

enum {
    LOPT_API = 256,
    LOPT_TIMEOUT,
    LOPT_JSON,
    LOPT_UPDATE,
    LOPT_FORMAT,
    LOPT_COUNT,
    LOPT_DURATION,
    LOPT_ENDPOINT
};

/* The long options of command `c` only, so that getopt_long refuses the others. */
static void build_options(const command *c, struct option *opts)
{
    size_t n = 0;
    opts[n++] = (struct option){"api", required_argument, NULL, LOPT_API};
    opts[n++] = (struct option){"timeout", required_argument, NULL, LOPT_TIMEOUT};
    opts[n++] = (struct option){"help", no_argument, NULL, 'h'};
    if (c->opts & (OPT_JSON | OPT_SENML))
        opts[n++] = (struct option){"json", c->opts & OPT_SENML ? required_argument : no_argument,
                                    NULL, LOPT_JSON};
    if (c->opts & OPT_UPDATE)
        opts[n++] = (struct option){"update", no_argument, NULL, LOPT_UPDATE};
    if (c->opts & OPT_FORMAT)
        opts[n++] = (struct option){"format", required_argument, NULL, LOPT_FORMAT};
    if (c->opts & OPT_COUNT)
        opts[n++] = (struct option){"count", required_argument, NULL, LOPT_COUNT};
    if (c->opts & OPT_DURATION)
        opts[n++] = (struct option){"duration", required_argument, NULL, LOPT_DURATION};
    if (c->opts & OPT_ENDPOINT)
        opts[n++] = (struct option){"endpoint", required_argument, NULL, LOPT_ENDPOINT};
    opts[n] = (struct option){NULL, 0, NULL, 0};
}

/* One option's value into `o`: 0, or EXIT_USAGE with the message printed. */
static int take_option(const command *c, int opt, const char *arg, cli *o, bool *help)
{
    switch (opt) {
    case 'h':
        *help = true;
        return 0;
    case LOPT_API:
        o->api = arg;
        return 0;
    case LOPT_TIMEOUT:
        if (lwm2m_app_parse_int(arg, 1, TIMEOUT_MAX_S, &o->timeout_s))
            return 0;
        fprintf(stderr, PROG ": %s: bad --timeout '%s' (1..%ld seconds)\n", c->name, arg,
                TIMEOUT_MAX_S);
        return EXIT_USAGE;
    case LOPT_JSON:
        if (c->opts & OPT_SENML)
            o->senml = arg;
        else
            o->json = true;
        return 0;
    case LOPT_UPDATE:
        o->update = true;
        return 0;
    case LOPT_FORMAT:
        if (format_known(arg)) {
            o->format = arg;
            return 0;
        }
        fprintf(stderr,
                PROG ": %s: bad --format '%s' (tlv, senml-json, senml-cbor, json, cbor, text, "
                     "opaque)\n",
                c->name, arg);
        return EXIT_USAGE;
    case LOPT_COUNT:
        /* observe --count 0: the value alone, then the cancel. */
        if (lwm2m_app_parse_int(arg, c->opts & OPT_ENDPOINT ? 1 : 0, 1000000000L, &o->count))
            return 0;
        fprintf(stderr, PROG ": %s: bad --count '%s'\n", c->name, arg);
        return EXIT_USAGE;
    case LOPT_DURATION:
        if (lwm2m_app_parse_int(arg, 1, DURATION_MAX_S, &o->duration_s))
            return 0;
        fprintf(stderr, PROG ": %s: bad --duration '%s' (1..%ld seconds)\n", c->name, arg,
                DURATION_MAX_S);
        return EXIT_USAGE;
    case LOPT_ENDPOINT:
        o->endpoint = arg;
        return 0;
    default:
        return EXIT_USAGE;
    }
}

static int parse_options(const command *c, int argc, char **argv, cli *o, bool *help)
{
    struct option opts[12];
    build_options(c, opts);
    optind = 0; /* GNU: start afresh, whatever parsed argv before */
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        if (opt == '?' || opt == ':') {
            const char *bad = optopt != 0 && optopt < 256 ? NULL : argv[optind - 1];
            if (bad != NULL)
                fprintf(stderr, PROG ": %s: %s option '%s' (try %s --help)\n", c->name,
                        opt == ':' ? "missing argument of" : "unknown", bad, c->name);
            else
                fprintf(stderr, PROG ": %s: %s option '-%c' (try %s --help)\n", c->name,
                        opt == ':' ? "missing argument of" : "unknown", optopt, c->name);
            return EXIT_USAGE;
        }
        int rc = take_option(c, opt, optarg, o, help);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int lwm2m_server_cli_run(int argc, char **argv)
{
    const command *c = argc > 0 ? find_command(argv[0]) : NULL;
    if (c == NULL) {
        fprintf(stderr, PROG ": unknown command '%s'\n", argc > 0 ? argv[0] : "");
        return EXIT_USAGE;
    }
    cli o;
    memset(&o, 0, sizeof o);
    o.count = -1;
    o.duration_s = -1;
    o.cancel_fd = -1;
    snprintf(o.what, sizeof o.what, "%s", c->name);
    bool help = false;
    int rc = parse_options(c, argc, argv, &o, &help);
    if (rc != 0)
        return rc;
    if (help) {
        command_usage(stdout, c);
        return 0;
    }
    int nargs = argc - optind;
    if (nargs < c->min_args || nargs > c->max_args) {
        if (c->max_args == 0)
            fprintf(stderr, PROG ": %s: takes no arguments (try %s --help)\n", c->name, c->name);
        else
            fprintf(stderr, PROG ": %s: expects %s (try %s --help)\n", c->name, c->args, c->name);
        return EXIT_USAGE;
    }
    const char *env = getenv("LWM2M_SERVER_API");
    const char *source = o.api ? "--api" : env && *env ? "LWM2M_SERVER_API" : NULL;
    if (o.api == NULL)
        o.api = env && *env ? env : DEFAULT_API;
    char err[200];
    if (lwm2m_http_url_parse(o.api, &o.url, err, sizeof err) != 0) {
        fprintf(stderr, PROG ": %s: bad %s '%s': %s (http://HOST:PORT)\n", c->name,
                source ? source : "API URL", o.api, err);
        return EXIT_USAGE;
    }
    rc = c->run(&o, argv + optind, nargs);
    fflush(stdout);
    free(o.senml_buf);
    return rc;
}
