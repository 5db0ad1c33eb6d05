/* The server's Server-Sent Events streams (GET /api/events): each stream has its own bounded
 * queue of events, filled by srv_events_publish from the runtime's hooks and drained by
 * libmicrohttpd through a content reader. An idle stream is suspended (no busy loop in the
 * select loop) and resumed when an event arrives, when its keep-alive comment is due, or when
 * its client went away. Single-threaded, like the rest of the server. */
#ifndef LWM2M_APP_SERVER_EVENTS_H
#define LWM2M_APP_SERVER_EVENTS_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SRV_EVENTS_QUEUE_MAX    1000  /* events a stream holds; older ones are dropped */
#define SRV_EVENTS_KEEPALIVE_MS 15000 /* a ": keep-alive" comment after this much silence */

typedef struct srv_events srv_events;

/* NULL when out of memory. `queue_max` 0 means SRV_EVENTS_QUEUE_MAX. */
srv_events *srv_events_new(size_t queue_max);

/* Frees the set; every stream must be gone (srv_events_close_all, then MHD_stop_daemon).
 * NULL is allowed. */
void srv_events_free(srv_events *ev);

/* Answers GET /api/events on `con` with a stream of the events of `endpoint` (NULL or "": of
 * every endpoint). MHD_NO when out of memory. */
enum MHD_Result srv_events_open(srv_events *ev, struct MHD_Connection *con, const char *endpoint);

/* Queues "event: NAME\ndata: JSON\n\n" on every stream that wants `endpoint`'s events. A
 * stream whose queue is full drops its oldest event (the drops are reported on the stream as
 * a comment). */
void srv_events_publish(srv_events *ev, const char *name, const char *endpoint, const char *json);

/* Resumes the streams whose keep-alive is due and those whose client closed its end (checked
 * every second). Returns the milliseconds until the next call is due. */
int64_t srv_events_tick(srv_events *ev);

/* Ends every stream (before the daemon stops): each is resumed and ends at its next read. */
void srv_events_close_all(srv_events *ev);

/* Number of open streams. */
size_t srv_events_count(const srv_events *ev);

/* Milliseconds of CLOCK_MONOTONIC. */
int64_t srv_now_ms(void);

/* True when the peer of a suspended connection has closed its end or reset it (a suspended
 * connection is not watched by libmicrohttpd). */
bool srv_connection_gone(struct MHD_Connection *con);

#endif
