/* The programs' waiting: SIGINT and SIGTERM on a descriptor (no handler, no global flag), and one
 * turn of a select loop over that descriptor and the HTTP API's sockets. */
#ifndef LWM2M_APP_LOOP_H
#define LWM2M_APP_LOOP_H

#include <signal.h>
#include <stdint.h>
#include <sys/select.h>

/* Blocks SIGINT and SIGTERM and returns a non-blocking descriptor they arrive on (no handler,
 * no global flag), the previous mask in *old (may be NULL). -1 with errno, the mask restored,
 * on failure. */
int lwm2m_app_signals_open(sigset_t *old);

/* The number of a signal that arrived on `fd`, 0 for none. Never blocks. */
int lwm2m_app_signal_caught(int fd);

/* Consumes the signals that arrived, closes `fd` and restores *old (NULL: the signals stay
 * blocked). A negative fd is allowed. */
void lwm2m_app_signals_close(int fd, const sigset_t *old);

/* The descriptor sets of one turn of a select loop. */
typedef struct lwm2m_app_fdsets {
    fd_set r, w, e;
    int max_fd;
} lwm2m_app_fdsets;

/* Empty sets but for `fd` in the read set (the signal descriptor). */
void lwm2m_app_fdsets_init(lwm2m_app_fdsets *s, int fd);

/* The wait of a turn: `max_ms`, or less when something is due in `due_ms` (negative: nothing
 * due). */
uint32_t lwm2m_app_wait_ms(uint32_t max_ms, int64_t due_ms);

#endif
