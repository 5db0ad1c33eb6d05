/* Requests to the server's API for the client commands, and what their failures print. */
#include <stdlib.h>
#include <string.h>

#include "cli_internal.h"

/* Percent-encodes all but RFC 3986 unreserved characters. `out` holds 3 * strlen(s) + 1. */
void cli_pct_encode(const char *s, char *out)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '.' || ch == '_' || ch == '~') {
            *out++ = (char)ch;
        } else {
            *out++ = '%';
            *out++ = hex[ch >> 4];
            *out++ = hex[ch & 15];
        }
    }
    *out = '\0';
}

void cli_answer_free(answer *a)
{
    cJSON_Delete(a->json);
    lwm2m_http_response_free(&a->resp);
    memset(a, 0, sizeof *a);
}

int64_t cli_wait_ms(const cli *o, bool dm)
{
    if (o->timeout_s > 0)
        return (o->timeout_s + (dm ? DM_MARGIN_S : 0)) * 1000;
    return (dm ? DM_WAIT_S : API_WAIT_S) * 1000;
}

/* An HTTP-level failure: prints it, returns the exit status. */
int cli_transport_error(const cli *o, int rc, const char *err, int64_t waited_ms)
{
    switch (rc) {
    case LWM2M_HTTP_ERR_CONNECT:
        cli_fail(o, "cannot reach the API at %s: %s", o->api, err);
        return EXIT_UNREACHABLE;
    case LWM2M_HTTP_ERR_TIMEOUT:
        cli_fail(o, "no answer from the API at %s within %lld s", o->api,
                 (long long)(waited_ms / 1000));
        return EXIT_FAILED;
    case LWM2M_HTTP_ERR_NOMEM:
        cli_fail(o, "out of memory");
        return EXIT_FAILED;
    case LWM2M_HTTP_CANCELLED:
        cli_fail(o, "interrupted");
        return EXIT_FAILED;
    default:
        cli_fail(o, "bad answer from the API at %s: %s", o->api, err);
        return EXIT_UNREACHABLE;
    }
}

/* A non-2xx HTTP status: prints the API's error, returns the exit status. */
int cli_status_error(const cli *o, int status, const cJSON *j, const char *body, size_t len)
{
    const char *error = cli_json_str(j, "error");
    const char *what = cli_json_str(j, "status");
    char snippet[201];
    if (error == NULL && j == NULL && len > 0) {
        /* Not JSON: the first line of whatever came. */
        size_t k = strcspn(body, "\r\n");
        if (k >= sizeof snippet)
            k = sizeof snippet - 1;
        memcpy(snippet, body, k);
        snippet[k] = '\0';
        error = snippet;
    }
    if (error == NULL) {
        cli_fail(o, "HTTP %d, no details", status);
        return status == 400 || status == 413 ? EXIT_USAGE : EXIT_FAILED;
    }
    if (status == 404) {
        cli_fail(o, "%s", error);
        return EXIT_FAILED;
    }
    if (status == 400 || status == 413) {
        cli_fail(o, "%s", error);
        return EXIT_USAGE;
    }
    if (what != NULL)
        cli_fail(o, "%s: %s", what, error);
    else
        cli_fail(o, "HTTP %d: %s", status, error);
    return EXIT_FAILED;
}

/* One request; 0 with `a` holding a 2xx answer (JSON or empty), else the exit status with
 * the failure printed. `a` is to be freed either way. */
int cli_call(cli *o, const char *method, const char *target, const char *ctype, const char *body,
             bool dm, answer *a)
{
    memset(a, 0, sizeof *a);
    char err[300];
    lwm2m_http_request req = {method,
                              target,
                              "application/json",
                              ctype,
                              body,
                              body ? strlen(body) : 0,
                              cli_wait_ms(o, dm),
                              o->cancel_fd};
    int rc = lwm2m_http_exchange(&o->url, &req, &a->resp, err, sizeof err);
    if (rc == LWM2M_HTTP_CANCELLED) {
        a->cancelled = true;
        return EXIT_FAILED;
    }
    if (rc != 0)
        return cli_transport_error(o, rc, err, req.timeout_ms);
    if (a->resp.body_len > 0) {
        a->json = cJSON_ParseWithLength(a->resp.body, a->resp.body_len);
        if (a->json == NULL && a->resp.status >= 200 && a->resp.status <= 299) {
            cli_fail(o, "bad answer from the API at %s: not JSON (HTTP %d)", o->api,
                     a->resp.status);
            return EXIT_UNREACHABLE;
        }
    }
    if (a->resp.status < 200 || a->resp.status > 299)
        return cli_status_error(o, a->resp.status, a->json, a->resp.body ? a->resp.body : "",
                                a->resp.body_len);
    return 0;
}

/* The LwM2M client's answer in a DM reply: 0 for 2.xx, else prints it and gives 1. */
int cli_dm_outcome(const cli *o, const cJSON *j)
{
    const char *code = cli_json_str(j, "code");
    const char *status = cli_json_str(j, "status");
    if (code == NULL) {
        cli_fail(o, "bad answer from the API at %s: no \"code\"", o->api);
        return EXIT_UNREACHABLE;
    }
    if (code[0] == '2' && code[1] == '.')
        return 0;
    const char *diag = cli_json_str(j, "diagnostic");
    if (diag == NULL)
        diag = cli_json_str(j, "error");
    if (diag != NULL && diag[0] != '\0')
        cli_fail(o, "%s %s: %s", code, status ? status : "", diag);
    else
        cli_fail(o, "%s %s", code, status ? status : "");
    return EXIT_FAILED;
}

/* 2.xx answers whose payload did not decode carry "error" (and "hex"). */
int cli_undecodable(const cli *o, const cJSON *j)
{
    const char *why = cli_json_str(j, "error");
    if (why == NULL)
        return 0;
    const char *hex = cli_json_str(j, "hex");
    cli_fail(o, "%s %s but its payload does not decode: %s%s%s", cli_json_str(j, "code"),
             cli_json_str(j, "status") ? cli_json_str(j, "status") : "", why,
             hex ? "; payload " : "", hex ? hex : "");
    return EXIT_FAILED;
}

/* "/api/clients/EP" + path + suffix + query. 0, or EXIT_USAGE when too long. */
int cli_client_target(const cli *o, char *out, const char *ep, const char *path, const char *suffix,
                      const char *query)
{
    char enc[3 * EP_MAX + 1];
    cli_pct_encode(ep, enc);
    int n = snprintf(out, TARGET_MAX, "/api/clients/%s%s%s%s%s", enc, path ? path : "",
                     suffix ? suffix : "", query && *query ? "?" : "", query ? query : "");
    if (n < 0 || n >= TARGET_MAX) {
        cli_fail(o, "request too long");
        return EXIT_USAGE;
    }
    return 0;
}

/* The DM query: timeout=S when --timeout was given, then `extra`. */
void cli_dm_query(const cli *o, char *out, size_t cap, const char *extra)
{
    char t[32] = "";
    if (o->timeout_s > 0)
        snprintf(t, sizeof t, "timeout=%lld", (long long)o->timeout_s);
    snprintf(out, cap, "%s%s%s", t, *t && extra && *extra ? "&" : "", extra ? extra : "");
}
