/* A scratch directory per test: made with mkdtemp under /tmp, removed with what it holds (one
 * level of subdirectories; permissions a test took away are given back first). */
#ifndef LWM2M_TESTS_TEMP_DIR_H
#define LWM2M_TESTS_TEMP_DIR_H

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* "/tmp/NAME_XXXXXX" made into `dir`: 0, or -1. */
static inline int temp_dir_make(char *dir, size_t cap, const char *name)
{
    if ((size_t)snprintf(dir, cap, "/tmp/%s_XXXXXX", name) >= cap)
        return -1;
    return mkdtemp(dir) != NULL ? 0 : -1;
}

static inline void temp_dir_remove(const char *dir)
{
    DIR *d = opendir(dir);
    if (d != NULL) {
        struct dirent *de;
        char p[512];
        while ((de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
            chmod(p, 0600);
            if (remove(p) != 0)
                rmdir(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

#endif
