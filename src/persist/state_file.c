/* Atomic state file: the model as SenML JSON (see include/lwm2m/state_file.h). */
#include "lwm2m/state_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lwm2m/codec.h"
#include "lwm2m/error.h"

static int say(char *err, size_t errlen, int rc, const char *fmt, ...)
{
    if (err != NULL && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

/* Reads the model's records; grows the list until everything fits. */
static int read_all_records(lwm2m_model *m, lwm2m_record **out, size_t *n)
{
    size_t cap = 64;
    for (;;) {
        lwm2m_record *items = malloc(cap * sizeof *items);
        if (items == NULL)
            return LWM2M_ERR_NOMEM;
        lwm2m_record_list l = lwm2m_record_list_init(items, cap);
        lwm2m_path root = lwm2m_path_root();
        int rc = lwm2m_model_read(m, &root, &l);
        if (rc == LWM2M_OK) {
            *out = items;
            *n = l.count;
            return LWM2M_OK;
        }
        free(items);
        if (rc != LWM2M_ERR_NOMEM || cap > SIZE_MAX / 4 / sizeof *items)
            return rc;
        cap *= 4;
    }
}

static int write_fully(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* fsync of the directory holding `path`, so that the rename itself is durable. */
static int sync_dir_of(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        snprintf(dir, sizeof dir, ".");
    } else {
        size_t len = (size_t)(slash - path);
        if (len == 0)
            len = 1;
        if (len >= sizeof dir)
            return -1;
        memcpy(dir, path, len);
        dir[len] = '\0';
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int lwm2m_state_save(lwm2m_model *m, const char *path, char *err, size_t errlen)
{
    lwm2m_record *recs = NULL;
    size_t n = 0;
    int rc = read_all_records(m, &recs, &n);
    if (rc != LWM2M_OK)
        return say(err, errlen, rc, "cannot read the model: %s", lwm2m_strerror(rc));
    lwm2m_path root = lwm2m_path_root();
    lwm2m_buf probe = lwm2m_buf_init(NULL, 0);
    rc = lwm2m_senml_json_encode(&root, recs, n, &probe, NULL);
    uint8_t *data = rc == LWM2M_ERR_OVERFLOW || rc == LWM2M_OK ? malloc(probe.len + 1) : NULL;
    if (data == NULL) {
        free(recs);
        return say(err, errlen, rc == LWM2M_OK || rc == LWM2M_ERR_OVERFLOW ? LWM2M_ERR_NOMEM : rc,
                   "cannot encode the model: %s", lwm2m_strerror(rc));
    }
    lwm2m_buf out = lwm2m_buf_init(data, probe.len + 1);
    rc = lwm2m_senml_json_encode(&root, recs, n, &out, NULL);
    free(recs);
    if (rc != LWM2M_OK) {
        free(data);
        return say(err, errlen, rc, "cannot encode the model: %s", lwm2m_strerror(rc));
    }
    lwm2m_buf_putc(&out, '\n');

    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (tmp == NULL) {
        free(data);
        return say(err, errlen, LWM2M_ERR_NOMEM, "out of memory");
    }
    snprintf(tmp, plen + 16, "%s.tmpXXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        rc = say(err, errlen, LWM2M_ERR_NOT_FOUND, "%s: cannot create a temporary file: %s", path,
                 strerror(errno));
        goto out;
    }
    if (write_fully(fd, data, out.len) != 0 || fsync(fd) != 0) {
        rc = say(err, errlen, LWM2M_ERR_INVALID, "%s: cannot write: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        goto out;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        rc = say(err, errlen, LWM2M_ERR_INVALID, "%s: cannot replace: %s", path, strerror(errno));
        unlink(tmp);
        goto out;
    }
    if (sync_dir_of(path) != 0) {
        rc = say(err, errlen, LWM2M_ERR_INVALID, "%s: cannot sync its directory: %s", path,
                 strerror(errno));
        goto out;
    }
    rc = LWM2M_OK;
out:
    free(tmp);
    free(data);
    return rc;
}

/* Types come from the definitions the model was built with (their versions). */
static lwm2m_type model_type_of(void *ctx, const lwm2m_path *res)
{
    const lwm2m_object_def *def = lwm2m_model_object_def(ctx, res->id[0]);
    const lwm2m_resource_def *rd = def ? lwm2m_objdef_resource(def, res->id[2]) : NULL;
    return rd ? (lwm2m_type)rd->type : LWM2M_TYPE_NONE;
}

static int read_file(const char *path, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return errno == ENOENT ? LWM2M_ERR_NOT_FOUND : LWM2M_ERR_INVALID;
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf != NULL) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
        if (n == cap) {
            uint8_t *grown = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
            if (grown == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
            cap *= 2;
        }
    }
    int failed = ferror(f);
    fclose(f);
    if (buf == NULL)
        return LWM2M_ERR_NOMEM;
    if (failed) {
        free(buf);
        return LWM2M_ERR_INVALID;
    }
    *out = buf;
    *len = n;
    return LWM2M_OK;
}

int lwm2m_state_load(lwm2m_model *m, const char *path, char *err, size_t errlen)
{
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = read_file(path, &data, &len);
    if (rc != LWM2M_OK)
        return say(err, errlen, rc, "%s: %s", path,
                   rc == LWM2M_ERR_NOT_FOUND ? "no such file" : "cannot read");
    while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
        len--;
    lwm2m_record *recs = calloc(len + 1, sizeof *recs);
    void *arena_mem = malloc(len + 64);
    lwm2m_model *work = NULL;
    if (recs == NULL || arena_mem == NULL) {
        rc = say(err, errlen, LWM2M_ERR_NOMEM, "out of memory");
        goto out;
    }
    lwm2m_arena arena = lwm2m_arena_init(arena_mem, len + 64);
    lwm2m_record_list list = lwm2m_record_list_init(recs, len + 1);
    lwm2m_types types = {model_type_of, m};
    lwm2m_codec_error cerr = {0, NULL};
    lwm2m_path root = lwm2m_path_root();
    rc = lwm2m_senml_json_decode(&root, data, len, &types, &arena, &list, &cerr);
    if (rc != LWM2M_OK) {
        rc = say(err, errlen, LWM2M_ERR_INVALID, "%s: byte %zu: %s", path, cerr.offset,
                 cerr.reason ? cerr.reason : lwm2m_strerror(rc));
        goto out;
    }
    lwm2m_record_sort(list.items, list.count);
    /* Everything goes into a copy first: the caller's model changes only if all is valid. */
    work = lwm2m_model_clone(m);
    if (work == NULL) {
        rc = say(err, errlen, LWM2M_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < list.count;) {
        size_t j = i;
        while (j < list.count && list.items[j].path.id[0] == list.items[i].path.id[0])
            j++;
        lwm2m_path obj = lwm2m_path_obj(list.items[i].path.id[0]), bad = obj;
        rc = lwm2m_model_write(work, &obj, &list.items[i], j - i, LWM2M_WRITE_BOOTSTRAP, &bad);
        if (rc != LWM2M_OK) {
            char p[LWM2M_PATH_STR_MAX];
            lwm2m_path_format(&bad, p, sizeof p);
            rc = say(err, errlen, LWM2M_ERR_INVALID, "%s: %s: %s", path, p, lwm2m_strerror(rc));
            goto out;
        }
        i = j;
    }
    rc = lwm2m_model_assign(m, work);
    if (rc != LWM2M_OK)
        say(err, errlen, rc, "out of memory");
out:
    lwm2m_model_free(work);
    free(recs);
    free(arena_mem);
    free(data);
    return rc;
}
