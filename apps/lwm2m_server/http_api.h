/* The LwM2M Server's HTTP JSON API (docs/server-api.md) on libmicrohttpd, driven by the
 * caller's single-threaded select loop: no thread of its own.
 *
 *   GET    /api/clients[/{ep}]                      registrations
 *   GET    /api/clients/{ep}/{path}[?format=F]      Read
 *   GET    /api/clients/{ep}/{path}/discover        Discover
 *   PUT    /api/clients/{ep}/{path}                 Write (replace)
 *   PATCH  /api/clients/{ep}/{path}                 Write (partial update)
 *   PUT    /api/clients/{ep}/{path}/attributes?Q    Write-Attributes
 *   POST   /api/clients/{ep}/{o}/{i}/{r}            Execute
 *   POST   /api/clients/{ep}/{o}                    Create
 *   DELETE /api/clients/{ep}/{o}/{i}                Delete
 *   POST   /api/clients/{ep}/{path}/observe         Observe
 *   DELETE /api/clients/{ep}/{path}/observe         cancel the observation
 *   GET    /api/observations                        active observations
 *   GET    /api/events[?endpoint=EP]                Server-Sent Events
 *   GET    /api/security[/{ep}], PUT|DELETE /api/security/{ep}   credentials
 *
 * A device management call suspends its connection until the runtime's answer (or the
 * request's ?timeout=S, 1..300, default the server's) and then answers 200 with the client's
 * answer, 504 without one. Bodies above 64 KiB get 413, other paths 404, other methods 405.
 * Every failed call is logged. */
#ifndef LWM2M_APP_SERVER_HTTP_API_H
#define LWM2M_APP_SERVER_HTTP_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/select.h>

#include "lwm2m/objdef.h"
#include "lwm2m/sec_store.h"
#include "net/server_net.h"

#define SRV_HTTP_TIMEOUT_MAX_S 300 /* the longest ?timeout= */

typedef struct srv_http_env {
    lwm2m_srv_runtime *runtime;
    lwm2m_sec_store *store;        /* credentials */
    const lwm2m_objdef_list *defs; /* extra object definitions, or NULL */
    int64_t request_timeout_ms;    /* default wait for a client's answer */
    bool verbose;                  /* log every call, not only the failed ones */
} srv_http_env;

typedef struct srv_http srv_http;

/* Listens on "HOST:PORT" ("[v6]:PORT"; PORT 0 picks a free one). `env` is copied; what it
 * points to must outlive the server. NULL with `err` on failure. */
srv_http *srv_http_start(const char *host_port, const srv_http_env *env, char *err, size_t errlen);

/* The bound port. */
uint16_t srv_http_port(const srv_http *h);

/* Adds the server's sockets to the sets and raises *max_fd. 0, or -1 on failure. */
int srv_http_fdset(srv_http *h, fd_set *r, fd_set *w, fd_set *e, int *max_fd);

/* Milliseconds until srv_http_run is due even without socket activity; -1 for none. */
int64_t srv_http_timeout_ms(srv_http *h);

/* Times out waiting calls, resumes due event streams, serves whatever is ready. Never
 * blocks. */
void srv_http_run(srv_http *h);

/* Answers every waiting call (503), ends every event stream, closes every connection and frees
 * the server. Call it before freeing the runtime. NULL is allowed. */
void srv_http_stop(srv_http *h);

/* The runtime's hooks, as events on the stream: registered, updated, deregistered, expired,
 * notification. NULL `h` is allowed. */
void srv_http_on_registration(srv_http *h, lwm2m_rd_event event, const lwm2m_registration *reg);
void srv_http_on_notify(srv_http *h, uint64_t obs_id, const char *endpoint, const lwm2m_path *path,
                        unsigned code, lwm2m_format format, const uint8_t *payload, size_t len);

/* One log line on stderr: "<ISO time> lwm2m-server: <text>". */
void srv_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
