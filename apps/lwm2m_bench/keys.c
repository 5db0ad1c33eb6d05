/* Key directories and their bundles (see keys.h). */
#include "keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lwm2m/der.h"
#include "lwm2m/error.h"

#define MAGIC          "LWBKEYS1"
#define MAGIC_LEN      8
#define SMALL_FILE_MAX 65536u
#define BUNDLE_MAX     0xFFFFFFF0u /* offsets are 32-bit */

const char *bench_pki_mode_name(bench_pki_mode mode)
{
    return mode == BENCH_PKI_RPK ? "rpk" : mode == BENCH_PKI_X509 ? "x509" : "";
}

int bench_pki_path(const char *dir, const char *file, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s/%s", dir, file);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int bench_keys_path(const char *dir, bench_pki_mode mode, char *out, size_t cap)
{
    char file[32];
    snprintf(file, sizeof file, "%s-endpoints.bin", bench_pki_mode_name(mode));
    return bench_pki_path(dir, file, out, cap);
}

uint8_t *bench_file_read(const char *path, size_t max, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (f == NULL || fstat(fileno(f), &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        if (f != NULL)
            fclose(f);
        return NULL;
    }
    if (st.st_size <= 0 || (uint64_t)st.st_size > max) {
        snprintf(err, errlen, "%s: %s", path, st.st_size <= 0 ? "empty" : "too large");
        fclose(f);
        return NULL;
    }
    size_t n = (size_t)st.st_size;
    uint8_t *data = malloc(n);
    if (data == NULL || fread(data, 1, n, f) != n) {
        snprintf(err, errlen, "%s: %s", path, data == NULL ? "out of memory" : "short read");
        free(data);
        data = NULL;
    }
    fclose(f);
    *len = n;
    return data;
}

/* PATH.tmp, created 0600: a stream, or NULL with `err`. */
static FILE *open_tmp(const char *path, char *tmp, size_t cap, char *err, size_t errlen)
{
    int n = snprintf(tmp, cap, "%s.tmp", path);
    int fd = n < 0 || (size_t)n >= cap ? -1 : open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", n < 0 || (size_t)n >= cap ? path : tmp,
                 n < 0 || (size_t)n >= cap ? "path too long" : strerror(errno));
        if (fd >= 0)
            close(fd);
    }
    return f;
}

/* Closes the temporary file and renames it to `path` (commit) or removes it. */
static int close_tmp(FILE *f, const char *tmp, const char *path, bool commit, char *err,
                     size_t errlen)
{
    bool ok = !ferror(f);
    ok = fclose(f) == 0 && ok;
    if (commit && ok && rename(tmp, path) == 0)
        return 0;
    if (commit)
        snprintf(err, errlen, "%s: %s", path, strerror(errno ? errno : EIO));
    unlink(tmp);
    return commit ? -1 : 0;
}

int bench_file_write(const char *path, const uint8_t *data, size_t len, char *err, size_t errlen)
{
    char tmp[BENCH_PATH_MAX];
    FILE *f = open_tmp(path, tmp, sizeof tmp, err, errlen);
    if (f == NULL)
        return -1;
    fwrite(data, 1, len, f);
    return close_tmp(f, tmp, path, true, err, errlen);
}

static void put_u16(FILE *f, size_t v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    fwrite(b, 1, sizeof b, f);
}

static void put_u32(FILE *f, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    fwrite(b, 1, sizeof b, f);
}

int bench_keys_begin(bench_keys_writer *w, const char *dir, bench_pki_mode mode, const char *prefix,
                     uint32_t count, char *err, size_t errlen)
{
    memset(w, 0, sizeof *w);
    size_t plen = strlen(prefix);
    if (bench_keys_path(dir, mode, w->path, sizeof w->path) != 0 || plen > BENCH_PREFIX_MAX) {
        snprintf(err, errlen, "%s: path or prefix too long", dir);
        return -1;
    }
    w->f = open_tmp(w->path, w->tmp, sizeof w->tmp, err, errlen);
    if (w->f == NULL)
        return -1;
    w->count = count;
    fwrite(MAGIC, 1, MAGIC_LEN, w->f);
    fputc((int)mode, w->f);
    fputc((int)plen, w->f);
    fwrite(prefix, 1, plen, w->f);
    put_u32(w->f, count);
    return 0;
}

int bench_keys_add(bench_keys_writer *w, const uint8_t *key, size_t key_len, const uint8_t *own,
                   size_t own_len, char *err, size_t errlen)
{
    if (w->added == w->count || key_len == 0 || key_len > UINT16_MAX || own_len == 0 ||
        own_len > UINT16_MAX) {
        snprintf(err, errlen, "%s: key %u does not fit the bundle", w->path, (unsigned)w->added);
        return -1;
    }
    put_u16(w->f, key_len);
    fwrite(key, 1, key_len, w->f);
    put_u16(w->f, own_len);
    fwrite(own, 1, own_len, w->f);
    w->added++;
    if (!ferror(w->f))
        return 0;
    snprintf(err, errlen, "%s: %s", w->tmp, strerror(errno ? errno : EIO));
    return -1;
}

int bench_keys_end(bench_keys_writer *w, bool commit, char *err, size_t errlen)
{
    if (w->f == NULL)
        return 0;
    bool complete = w->added == w->count;
    if (commit && !complete)
        snprintf(err, errlen, "%s: %u of %u keys written", w->path, (unsigned)w->added,
                 (unsigned)w->count);
    int rc = close_tmp(w->f, w->tmp, w->path, commit && complete, err, errlen);
    w->f = NULL;
    return commit && !complete ? -1 : rc;
}

/* ---- loading ----------------------------------------------------------------------------- */

/* A cursor over the bundle. */
typedef struct reader {
    const uint8_t *p;
    size_t left;
    size_t at; /* offset of p */
} reader;

static bool get(reader *r, size_t n, const uint8_t **out)
{
    if (n > r->left)
        return false;
    *out = r->p;
    r->p += n;
    r->left -= n;
    r->at += n;
    return true;
}

static bool get_u(reader *r, size_t bytes, uint32_t *v)
{
    const uint8_t *b;
    if (!get(r, bytes, &b))
        return false;
    *v = 0;
    for (size_t i = 0; i < bytes; i++)
        *v = *v << 8 | b[i];
    return true;
}

/* A length-prefixed element: its offset and length. */
static bool get_item(reader *r, uint32_t *off, uint16_t *len)
{
    uint32_t n = 0;
    const uint8_t *b;
    if (!get_u(r, 2, &n) || n == 0)
        return false;
    *off = (uint32_t)r->at;
    *len = (uint16_t)n;
    return get(r, n, &b);
}

/* The header: its mode, prefix and count checked against what the storm needs. */
static int read_header(reader *r, const char *path, bench_pki_mode mode, const char *prefix,
                       uint32_t endpoints, char *err, size_t errlen)
{
    const uint8_t *magic, *mb, *pl, *pb;
    uint32_t count = 0;
    if (!get(r, MAGIC_LEN, &magic) || memcmp(magic, MAGIC, MAGIC_LEN) != 0 || !get(r, 1, &mb) ||
        !get(r, 1, &pl) || !get(r, *pl, &pb) || !get_u(r, 4, &count)) {
        snprintf(err, errlen, "%s: not a key bundle of lwm2m-bench seed", path);
        return -1;
    }
    if (*mb != (uint8_t)mode) {
        const char *held = bench_pki_mode_name((bench_pki_mode)*mb);
        snprintf(err, errlen, "%s: holds %s keys, not %s ones", path, held[0] ? held : "unknown",
                 bench_pki_mode_name(mode));
        return -1;
    }
    if (*pl != strlen(prefix) || memcmp(pb, prefix, *pl) != 0 || count < endpoints) {
        snprintf(err, errlen,
                 "%s: holds the keys of %.*s0..%.*s%lld, not of %s0..%s%u (seed --%s with "
                 "--prefix %s --endpoints %u)",
                 path, (int)*pl, (const char *)pb, (int)*pl, (const char *)pb, (long long)count - 1,
                 prefix, prefix, (unsigned)endpoints - 1, bench_pki_mode_name(mode), prefix,
                 (unsigned)endpoints);
        return -1;
    }
    return 0;
}

/* Endpoint `index`'s key and public key or certificate: well formed, a pair, and (X.509) the
 * certificate names the endpoint. NULL, or what is wrong. */
static const char *check_entry(const bench_keys *k, uint32_t index, const char *name)
{
    size_t key_len, own_len;
    const uint8_t *key = bench_keys_key(k, index, &key_len);
    const uint8_t *own = bench_keys_own(k, index, &own_len);
    lwm2m_private_key priv;
    lwm2m_public_key pub;
    lwm2m_certificate cert;
    const char *why = NULL;
    if (lwm2m_der_private_key(key, key_len, &priv, &why) != LWM2M_OK)
        return why ? why : "private key does not parse";
    if (k->mode == BENCH_PKI_RPK) {
        if (lwm2m_der_public_key(own, own_len, &pub, &why) != LWM2M_OK)
            return why ? why : "public key does not parse";
    } else {
        if (lwm2m_der_certificate(own, own_len, &cert, &why) != LWM2M_OK)
            return why ? why : "certificate does not parse";
        if (cert.subject_cn.len != strlen(name) ||
            memcmp(cert.subject_cn.ptr, name, cert.subject_cn.len) != 0)
            return "the certificate's CN is not the endpoint name";
        pub = cert.public_key;
    }
    return lwm2m_der_key_mismatch(&priv, &pub);
}

static int index_bundle(bench_keys *k, reader *r, const char *path, const char *prefix,
                        uint32_t endpoints, char *err, size_t errlen)
{
    k->ref = calloc(endpoints, sizeof *k->ref);
    if (k->ref == NULL) {
        snprintf(err, errlen, "out of memory for %u keys", (unsigned)endpoints);
        return -1;
    }
    for (uint32_t i = 0; i < endpoints; i++) {
        bench_key_ref *ref = &k->ref[i];
        char name[BENCH_NAME_MAX];
        bench_endpoint_name(prefix, i, name);
        if (!get_item(r, &ref->key_off, &ref->key_len) ||
            !get_item(r, &ref->own_off, &ref->own_len)) {
            snprintf(err, errlen, "%s: cut short at the key of %s", path, name);
            return -1;
        }
        k->count = i + 1;
        const char *why = check_entry(k, i, name);
        if (why != NULL) {
            snprintf(err, errlen, "%s: the key of %s: %s", path, name, why);
            return -1;
        }
    }
    return 0;
}

/* DIR/FILE into *data, checked to be an SPKI (want_cert false) or a certificate. */
static int load_der(const char *dir, const char *file, bool want_cert, uint8_t **data, size_t *len,
                    char *err, size_t errlen)
{
    char path[BENCH_PATH_MAX];
    if (bench_pki_path(dir, file, path, sizeof path) != 0) {
        snprintf(err, errlen, "%s: path too long", dir);
        return -1;
    }
    *data = bench_file_read(path, SMALL_FILE_MAX, len, err, errlen);
    if (*data == NULL)
        return -1;
    lwm2m_public_key pub;
    lwm2m_certificate cert;
    const char *why = NULL;
    int rc = want_cert ? lwm2m_der_certificate(*data, *len, &cert, &why)
                       : lwm2m_der_public_key(*data, *len, &pub, &why);
    if (rc == LWM2M_OK)
        return 0;
    snprintf(err, errlen, "%s: not a %s: %s", path,
             want_cert ? "certificate (DER)" : "SubjectPublicKeyInfo (DER)", why ? why : "");
    return -1;
}

int bench_keys_load(const char *dir, bench_pki_mode mode, const char *prefix, uint32_t endpoints,
                    bench_keys *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->mode = mode;
    char path[BENCH_PATH_MAX];
    size_t len = 0;
    if (bench_keys_path(dir, mode, path, sizeof path) != 0) {
        snprintf(err, errlen, "%s: path too long", dir);
        return -1;
    }
    out->bundle = bench_file_read(path, BUNDLE_MAX, &len, err, errlen);
    if (out->bundle == NULL)
        return -1;
    reader r = {out->bundle, len, 0};
    int rc = read_header(&r, path, mode, prefix, endpoints, err, errlen);
    if (rc == 0)
        rc = index_bundle(out, &r, path, prefix, endpoints, err, errlen);
    if (rc == 0)
        rc = load_der(dir, BENCH_PKI_SRV_PUB, false, &out->server_pub, &out->server_pub_len, err,
                      errlen);
    if (rc == 0 && mode == BENCH_PKI_X509)
        rc = load_der(dir, BENCH_PKI_CA_CERT, true, &out->ca_cert, &out->ca_cert_len, err, errlen);
    if (rc != 0)
        bench_keys_free(out);
    return rc;
}

void bench_keys_free(bench_keys *k)
{
    free(k->bundle);
    free(k->ref);
    free(k->server_pub);
    free(k->ca_cert);
    memset(k, 0, sizeof *k);
}
