/* The Bootstrap Server's HTTP JSON API (libmicrohttpd), run from the caller's single-threaded
 * select loop: no thread of its own. Routes (every body JSON, Content-Type application/json;
 * errors are {"error": "..."}; {name} segments are percent-decoded):
 *
 *   GET    /api/bootstrap             200 ["ep1", ...] (one name per line)
 *   GET    /api/bootstrap/{ep}        200 the stored document | 404
 *   PUT    /api/bootstrap/{ep}        (or POST) store the body: 201 created, 200 replaced, with
 *                                     the stored document; 400 invalid, inconsistent, or
 *                                     "endpoint" differing from {ep} (absent: {ep} is used);
 *                                     409 PSK identity already bound to another endpoint
 *   DELETE /api/bootstrap/{ep}        204 | 404
 *   GET, PUT/POST, DELETE /api/templates[/{name}]   the same for templates ("template" is
 *                                     the name; list: [{"name": .., "match": ..}, ...])
 *   GET    /api/resolve/{ep}          200 the configuration the endpoint gets | 404 | 409 when
 *                                     it cannot be expanded or fails validation
 *   POST   /api/validate              200 {"valid": true} | 400 {"valid": false, "error": ..}
 *   POST   /api/import[?format=leshan] 200 {"imported": N} | 400 (nothing stored)
 *   GET    /api/export                200 [every template, then every endpoint document]
 *   GET    /api/stats                 200 hooks->stats_json
 *   POST   /api/trigger               {"endpoint": .., "address": "HOST:PORT"}: 202 | 400
 *
 * Other paths 404, other methods 405, bodies above 1 MiB 413. */
#ifndef LWM2M_APP_HTTP_API_H
#define LWM2M_APP_HTTP_API_H

#include <stddef.h>
#include <stdint.h>
#include <sys/select.h>

#include "bs_admin.h"

typedef struct bs_http_hooks {
    void *ctx;
    char *(*stats_json)(void *ctx); /* malloc'ed JSON: outcome counters and sessions */
    int (*trigger)(void *ctx, const char *endpoint, const char *address, char *err, size_t errlen);
} bs_http_hooks;

typedef struct bs_http bs_http;

/* Listens on "HOST:PORT" ("[v6]:PORT"; an empty HOST is 127.0.0.1; PORT 0 picks a free
 * one) and only there. `admin` and the hooks' ctx must outlive the server; `hooks` is
 * copied and may be NULL (then /api/stats and /api/trigger answer 501). NULL with `err` on
 * failure. */
bs_http *bs_http_start(const char *host_port, bs_admin *admin, const bs_http_hooks *hooks,
                       char *err, size_t errlen);

/* The bound port. */
uint16_t bs_http_port(const bs_http *h);

/* Adds the server's sockets to the sets and raises *max_fd. 0, or -1 on failure. */
int bs_http_fdset(bs_http *h, fd_set *r, fd_set *w, fd_set *e, int *max_fd);

/* Milliseconds until bs_http_run is due even without socket activity; -1 for none. */
int64_t bs_http_timeout_ms(bs_http *h);

/* Serves whatever is ready; never blocks. */
void bs_http_run(bs_http *h);

/* Closes every connection and frees the server. NULL is allowed. */
void bs_http_stop(bs_http *h);

#endif
