/* The programs' waiting (see app_loop.h). */
#include "app_loop.h"

#include <errno.h>
#include <stddef.h>
#include <sys/signalfd.h>
#include <unistd.h>

int lwm2m_app_signals_open(sigset_t *old)
{
    sigset_t mask, prev;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &mask, &prev) != 0)
        return -1;
    int fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0) {
        int saved = errno;
        sigprocmask(SIG_SETMASK, &prev, NULL);
        errno = saved;
        return -1;
    }
    if (old != NULL)
        *old = prev;
    return fd;
}

int lwm2m_app_signal_caught(int fd)
{
    struct signalfd_siginfo si;
    if (read(fd, &si, sizeof si) != (ssize_t)sizeof si)
        return 0;
    return (int)si.ssi_signo;
}

void lwm2m_app_signals_close(int fd, const sigset_t *old)
{
    if (fd < 0)
        return;
    /* Signals that ended a wait are consumed, not delivered once unblocked. */
    while (lwm2m_app_signal_caught(fd) != 0)
        continue;
    close(fd);
    if (old != NULL)
        sigprocmask(SIG_SETMASK, old, NULL);
}

void lwm2m_app_fdsets_init(lwm2m_app_fdsets *s, int fd)
{
    FD_ZERO(&s->r);
    FD_ZERO(&s->w);
    FD_ZERO(&s->e);
    FD_SET(fd, &s->r);
    s->max_fd = fd;
}

uint32_t lwm2m_app_wait_ms(uint32_t max_ms, int64_t due_ms)
{
    return due_ms >= 0 && due_ms < max_ms ? (uint32_t)due_ms : max_ms;
}
