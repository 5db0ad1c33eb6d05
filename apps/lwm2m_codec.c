/* lwm2m-codec: converts an LwM2M payload between content formats (stdin to stdout). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_options.h"
#include "app_util.h"
#include "lwm2m/codec.h"
#include "lwm2m/ddf.h"
#include "lwm2m/error.h"
#include "lwm2m/link.h"
#include "lwm2m/objdef.h"

#define PROG "lwm2m-codec"

static void usage(FILE *f)
{
    fprintf(f, "Usage: " PROG " --from FORMAT --to FORMAT [--path /o[/i[/r[/ri]]]]\n"
               "                   [--object-dir DIR] [--hex | --hex-in | --hex-out]\n"
               "\n"
               "Reads an LwM2M payload on stdin and writes it on stdout in another format.\n"
               "\n"
               "Formats: text, opaque, tlv, json (LwM2M JSON 11543), senml-json, senml-cbor,\n"
               "         cbor (LwM2M CBOR 11544), link (CoRE link format, to link only);\n"
               "         or the numeric Content-Format.\n"
               "\n"
               "  -f, --from FORMAT     format of the input\n"
               "  -t, --to FORMAT       format of the output\n"
               "  -p, --path PATH       request path the payload belongs to (default: \"/\" to\n"
               "                        read; to write, the records' common path down to the\n"
               "                        instance level)\n"
               "  -d, --object-dir DIR  load object definitions (OMA DDF XML) from DIR, in\n"
               "                        addition to the built-in objects 0-5\n"
               "  -x, --hex             binary formats (tlv, opaque, senml-cbor, cbor) are read\n"
               "                        and written as hex text\n"
               "      --hex-in          only the input is hex\n"
               "      --hex-out         only the output is hex\n"
               "  -h, --help            this help\n"
               "\n"
               "Exit status: 0 converted, 1 bad input (one line on stderr with the byte offset\n"
               "and the cause), 2 bad usage or I/O error.\n");
}

static int is_binary(lwm2m_format f)
{
    return f == LWM2M_FORMAT_TLV || f == LWM2M_FORMAT_OPAQUE || f == LWM2M_FORMAT_SENML_CBOR ||
           f == LWM2M_FORMAT_LWM2M_CBOR || f == LWM2M_FORMAT_CBOR;
}

static int read_all(FILE *in, uint8_t **out, size_t *len)
{
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    if (buf == NULL)
        return -1;
    for (;;) {
        if (n == cap) {
            uint8_t *grown = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
            if (grown == NULL) {
                free(buf);
                return -1;
            }
            buf = grown;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, in);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(in)) {
        free(buf);
        return -1;
    }
    *out = buf;
    *len = n;
    return 0;
}

/* Hex text (whitespace between bytes allowed) to bytes, in place. On error *bad_at is the
 * offset of the offending character. */
static int unhex(uint8_t *buf, size_t len, size_t *out_len, size_t *bad_at)
{
    size_t o = 0;
    int hi = -1;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = buf[i];
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
            if (hi >= 0) {
                *bad_at = i;
                return -1;
            }
            continue;
        }
        int v = lwm2m_app_hex_digit(c);
        if (v < 0) {
            *bad_at = i;
            return -1;
        }
        if (hi < 0) {
            hi = v;
        } else {
            buf[o++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    if (hi >= 0) {
        *bad_at = len;
        return -1;
    }
    *out_len = o;
    return 0;
}

static void write_hex(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        printf("%02x%s", p[i], i + 1 < n ? " " : "");
    printf("\n");
}

/* Default encode base: the records' common path, no deeper than the instance level. */
static lwm2m_path common_base(const lwm2m_record *recs, size_t n)
{
    if (n == 0)
        return lwm2m_path_root();
    lwm2m_path p = lwm2m_path_truncate(&recs[0].path, 2);
    for (size_t i = 1; i < n; i++) {
        uint8_t k = 0;
        while (k < p.len && k < recs[i].path.len && recs[i].path.id[k] == p.id[k])
            k++;
        p = lwm2m_path_truncate(&p, k);
    }
    return p;
}

/* Re-writes a link-format payload in canonical form. */
static int convert_links(const uint8_t *in, size_t len, lwm2m_arena *arena, lwm2m_buf *out,
                         lwm2m_codec_error *err)
{
    lwm2m_link_reader rd;
    lwm2m_link_reader_init(&rd, in, len, arena);
    lwm2m_link link;
    bool first = true;
    int rc;
    while ((rc = lwm2m_link_next(&rd, &link, err)) > 0) {
        rc = lwm2m_link_write_target(out, link.target, link.target_len, link.params,
                                     link.param_count, first);
        if (rc != LWM2M_OK)
            return rc;
        first = false;
    }
    return rc;
}

typedef struct options {
    const char *from_name, *to_name, *path_arg, *object_dir;
    bool hex_in, hex_out;
} options;

enum { OPT_HEX_IN = 256, OPT_HEX_OUT };

static int take_option(void *ctx, int opt, const char *arg)
{
    options *o = ctx;
    switch (opt) {
    case 'f':
        o->from_name = arg;
        return 0;
    case 't':
        o->to_name = arg;
        return 0;
    case 'p':
        o->path_arg = arg;
        return 0;
    case 'd':
        o->object_dir = arg;
        return 0;
    case 'x':
        o->hex_in = o->hex_out = true;
        return 0;
    case OPT_HEX_IN:
        o->hex_in = true;
        return 0;
    case OPT_HEX_OUT:
        o->hex_out = true;
        return 0;
    default:
        return 2;
    }
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"from", required_argument, NULL, 'f'},
        {"to", required_argument, NULL, 't'},
        {"path", required_argument, NULL, 'p'},
        {"object-dir", required_argument, NULL, 'd'},
        {"hex", no_argument, NULL, 'x'},
        {"hex-in", no_argument, NULL, OPT_HEX_IN},
        {"hex-out", no_argument, NULL, OPT_HEX_OUT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    options o = {NULL, NULL, NULL, NULL, false, false};
    int parsed = lwm2m_app_options(PROG, argc, argv, "f:t:p:d:xh", opts, usage, take_option, &o);
    if (parsed != LWM2M_APP_GO_ON)
        return parsed;
    const char *from_name = o.from_name, *to_name = o.to_name, *path_arg = o.path_arg;
    if (from_name == NULL || to_name == NULL) {
        fprintf(stderr, PROG ": --from and --to are required (try --help)\n");
        return 2;
    }
    lwm2m_format from, to;
    if (lwm2m_format_from_name(from_name, &from) != LWM2M_OK) {
        fprintf(stderr, PROG ": unknown format '%s' (try --help)\n", from_name);
        return 2;
    }
    if (lwm2m_format_from_name(to_name, &to) != LWM2M_OK) {
        fprintf(stderr, PROG ": unknown format '%s' (try --help)\n", to_name);
        return 2;
    }
    if ((from == LWM2M_FORMAT_LINK) != (to == LWM2M_FORMAT_LINK)) {
        fprintf(stderr, PROG ": the link format converts only to and from link\n");
        return 2;
    }
    lwm2m_path base = lwm2m_path_root();
    if (path_arg != NULL) {
        int rc = lwm2m_path_parse(path_arg, strlen(path_arg), &base);
        if (rc != LWM2M_OK) {
            fprintf(stderr, PROG ": bad --path '%s': %s\n", path_arg, lwm2m_strerror(rc));
            return 2;
        }
    }

    lwm2m_ddf_set ddf = {0};
    lwm2m_objdef_list extra = {NULL, 0};
    if (lwm2m_app_load_objects(PROG, NULL, o.object_dir, &ddf, &extra) != 0) {
        lwm2m_ddf_free(&ddf);
        return 2;
    }

    int status = 2;
    uint8_t *in = NULL, *recs_mem = NULL, *arena_mem = NULL, *out_mem = NULL;
    size_t len = 0;
    if (read_all(stdin, &in, &len) != 0) {
        fprintf(stderr, PROG ": cannot read stdin: %s\n", strerror(errno));
        goto done;
    }
    if (o.hex_in && is_binary(from)) {
        size_t bad_at = 0;
        if (unhex(in, len, &len, &bad_at) != 0) {
            fprintf(stderr, PROG ": hex input: byte %zu: not a hex digit pair\n", bad_at);
            status = 1;
            goto done;
        }
    }

    /* Every record takes at least one input byte, and no unescaping grows the data. */
    size_t max_recs = len + 1;
    lwm2m_record *recs = calloc(max_recs, sizeof *recs);
    recs_mem = (uint8_t *)recs;
    arena_mem = malloc(len + 64);
    if (recs == NULL || arena_mem == NULL) {
        fprintf(stderr, PROG ": out of memory\n");
        goto done;
    }
    lwm2m_arena arena = lwm2m_arena_init(arena_mem, len + 64);
    lwm2m_record_list list = lwm2m_record_list_init(recs, max_recs);
    lwm2m_types types = {lwm2m_objdef_type_of, &extra};
    lwm2m_codec_error err = {0, NULL};

    size_t out_cap = len * 8 + 1024;
    for (int attempt = 0; attempt < 2; attempt++) {
        free(out_mem);
        out_mem = malloc(out_cap);
        if (out_mem == NULL) {
            fprintf(stderr, PROG ": out of memory\n");
            goto done;
        }
        lwm2m_buf out = lwm2m_buf_init(out_mem, out_cap);
        int rc;
        if (from == LWM2M_FORMAT_LINK) {
            lwm2m_arena_reset(&arena);
            rc = convert_links(in, len, &arena, &out, &err);
            if (rc != LWM2M_OK && rc != LWM2M_ERR_OVERFLOW) {
                fprintf(stderr, PROG ": link: byte %zu: %s\n", err.offset,
                        err.reason ? err.reason : lwm2m_strerror(rc));
                status = 1;
                goto done;
            }
        } else {
            list.count = 0;
            lwm2m_arena_reset(&arena);
            rc = lwm2m_decode(from, &base, in, len, &types, &arena, &list, &err);
            if (rc != LWM2M_OK) {
                fprintf(stderr, PROG ": %s: byte %zu: %s\n", from_name, err.offset,
                        err.reason ? err.reason : lwm2m_strerror(rc));
                status = 1;
                goto done;
            }
            lwm2m_record_sort(list.items, list.count);
            lwm2m_path out_base = path_arg ? base : common_base(list.items, list.count);
            rc = lwm2m_encode(to, &out_base, list.items, list.count, &out, &err);
            if (rc != LWM2M_OK && rc != LWM2M_ERR_OVERFLOW) {
                char p[LWM2M_PATH_STR_MAX] = "?";
                if (err.offset < list.count)
                    lwm2m_path_format(&list.items[err.offset].path, p, sizeof p);
                fprintf(stderr, PROG ": %s: cannot encode record %s: %s\n", to_name, p,
                        err.reason ? err.reason : lwm2m_strerror(rc));
                status = 1;
                goto done;
            }
        }
        if (lwm2m_buf_overflowed(&out)) {
            out_cap = out.len;
            continue;
        }
        if (o.hex_out && is_binary(to))
            write_hex(out.data, out.len);
        else
            fwrite(out.data, 1, out.len, stdout);
        if (fflush(stdout) != 0) {
            fprintf(stderr, PROG ": cannot write stdout: %s\n", strerror(errno));
            goto done;
        }
        status = 0;
        goto done;
    }
    fprintf(stderr, PROG ": output does not fit\n");
done:
    free(in);
    free(recs_mem);
    free(arena_mem);
    free(out_mem);
    lwm2m_ddf_free(&ddf);
    return status;
}
