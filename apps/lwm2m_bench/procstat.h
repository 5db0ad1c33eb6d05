/* What a run measures of processes: a server's CPU time and memory from /proc/PID, the
 * generator's own from getrusage, and the descriptor limit a storm needs. */
#ifndef LWM2M_BENCH_PROCSTAT_H
#define LWM2M_BENCH_PROCSTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct bench_proc {
    bool ok;
    double cpu_s; /* utime + stime */
    long hwm_kb;  /* VmHWM: peak resident set */
    long rss_kb;  /* VmRSS */
} bench_proc;

/* Samples /proc/PID/stat and /proc/PID/status: 0, or -1 (out->ok false) when unreadable. */
int bench_proc_sample(pid_t pid, bench_proc *out);

typedef struct bench_self {
    double user_s, sys_s;
    long maxrss_kb;
} bench_self;

void bench_self_sample(bench_self *out);

/* Raises the soft limit of open descriptors to the hard one; returns the limit now in force
 * (-1 when unknown). */
long bench_raise_nofile(void);

#endif
