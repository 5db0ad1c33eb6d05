/* /proc and getrusage sampling (see procstat.h). */
#include "procstat.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* utime and stime, fields 14 and 15 of /proc/PID/stat, counted after the ")" that ends the
 * command name (which may hold spaces and parentheses). */
static int read_cpu(pid_t pid, double *cpu_s)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');
    unsigned long long utime = 0, stime = 0;
    /* After ")": state (field 3) ... utime is field 14, i.e. the 12th after the state. */
    if (p == NULL || sscanf(p + 1, " %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu %llu", &utime,
                            &stime) != 2)
        return -1;
    long hz = sysconf(_SC_CLK_TCK);
    *cpu_s = (double)(utime + stime) / (double)(hz > 0 ? hz : 100);
    return 0;
}

static int read_mem(pid_t pid, long *hwm_kb, long *rss_kb)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    int found = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        found += sscanf(line, "VmHWM: %ld kB", hwm_kb) == 1;
        found += sscanf(line, "VmRSS: %ld kB", rss_kb) == 1;
    }
    fclose(f);
    return found == 2 ? 0 : -1;
}

int bench_proc_sample(pid_t pid, bench_proc *out)
{
    memset(out, 0, sizeof *out);
    if (read_cpu(pid, &out->cpu_s) != 0 || read_mem(pid, &out->hwm_kb, &out->rss_kb) != 0)
        return -1;
    out->ok = true;
    return 0;
}

void bench_self_sample(bench_self *out)
{
    struct rusage ru;
    memset(out, 0, sizeof *out);
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return;
    out->user_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
    out->sys_s = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    out->maxrss_kb = ru.ru_maxrss;
}

long bench_raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -1;
    if (rl.rlim_cur != rl.rlim_max) {
        rlim_t old = rl.rlim_cur;
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            rl.rlim_cur = old;
    }
    return rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1000000 ? 1000000 : (long)rl.rlim_cur;
}
