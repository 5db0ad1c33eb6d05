/* The programs' command lines (see app_options.h). */
#include "app_options.h"

int lwm2m_app_options(const char *prog, int argc, char **argv, const char *shortopts,
                      const struct option *longopts, void (*usage)(FILE *f),
                      lwm2m_app_option_fn take, void *ctx)
{
    int c;
    while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return 0;
        }
        if (c == '?' || c == ':') {
            usage(stderr);
            return 2;
        }
        int rc = take(ctx, c, optarg);
        if (rc != 0)
            return rc;
    }
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument '%s' (try --help)\n", prog, argv[optind]);
        return 2;
    }
    return LWM2M_APP_GO_ON;
}

bool lwm2m_app_listen_option(lwm2m_app_listen_opts *o, int opt, const char *arg)
{
    switch (opt) {
    case 'l':
        o->listen = arg;
        return true;
    case LWM2M_APP_OPT_NO_LISTEN:
        o->listen = NULL;
        return true;
    case 'd':
        o->dtls_listen = arg;
        return true;
    case 's':
        o->store_spec = arg;
        return true;
    case 'H':
        o->http = arg;
        return true;
    case LWM2M_APP_OPT_OBJECT_DIR:
        o->object_dir = arg;
        return true;
    case 'v':
        o->verbose = true;
        return true;
    case LWM2M_APP_OPT_CERT:
        o->cert = arg;
        return true;
    case LWM2M_APP_OPT_KEY:
        o->key = arg;
        return true;
    case LWM2M_APP_OPT_RPK_KEY:
        o->rpk_key = arg;
        return true;
    case LWM2M_APP_OPT_CA_FILE:
        /* One too many is remembered as a count past the array: listen_check refuses it. */
        if (o->ca_file_count < LWM2M_APP_CA_FILES_MAX)
            o->ca_files[o->ca_file_count] = arg;
        if (o->ca_file_count <= LWM2M_APP_CA_FILES_MAX)
            o->ca_file_count++;
        return true;
    case LWM2M_APP_OPT_CA_DIR:
        o->ca_dir = arg;
        return true;
    default:
        return false;
    }
}

int lwm2m_app_listen_check(const char *prog, const lwm2m_app_listen_opts *o)
{
    if (o->listen == NULL && o->dtls_listen == NULL) {
        fprintf(stderr, "%s: --no-listen needs --dtls-listen\n", prog);
        return 2;
    }
    const char *bad = NULL;
    if (o->ca_file_count > LWM2M_APP_CA_FILES_MAX)
        bad = "at most 16 --ca-file";
    else if ((o->cert != NULL) != (o->key != NULL))
        bad = "--cert and --key go together";
    else if (o->cert != NULL && o->rpk_key != NULL)
        bad = "--rpk-key replaces --cert/--key (one server credential per listener)";
    else if ((o->ca_file_count > 0 || o->ca_dir != NULL) && o->cert == NULL && o->rpk_key == NULL)
        bad = "--ca-file/--ca-dir need --cert/--key or --rpk-key";
    else if ((o->cert != NULL || o->rpk_key != NULL) && o->dtls_listen == NULL)
        bad = "--cert/--rpk-key need --dtls-listen";
    if (bad != NULL) {
        fprintf(stderr, "%s: %s\n", prog, bad);
        return 2;
    }
    return 0;
}

int lwm2m_app_command_expected(bool help, int argc, void (*usage)(FILE *f))
{
    if (help) {
        usage(stdout);
        return 0;
    }
    if (optind >= argc) {
        usage(stderr);
        return 2;
    }
    return LWM2M_APP_GO_ON;
}

void lwm2m_app_bad_option(const char *prog, const char *where, int c, char **argv)
{
    if (c == ':')
        fprintf(stderr, "%s: %s: option '%s' needs an argument\n", prog, where, argv[optind - 1]);
    else if (optopt != 0)
        fprintf(stderr, "%s: %s: unknown option '-%c'\n", prog, where, optopt);
    else
        fprintf(stderr, "%s: %s: unknown option '%s'\n", prog, where, argv[optind - 1]);
}
