/* The LwM2M Server's registration directory. Each registration lives in one heap-allocated
 * entry that four structures point to:
 *   - a dense array (lwm2m_rd_at; swap-remove),
 *   - two chained hash tables, by endpoint and by id (intrusive links, so inserting never
 *     allocates; the bucket arrays double when the load passes 1, and a failed doubling only
 *     costs speed),
 *   - a binary min-heap on expires_ms with back-pointers, so that expiry, next_expiry and the
 *     re-keying of an Update are O(log n) or O(1).
 * Every allocation a request needs is made before anything changes, so a failure answers
 * 5.00 with the directory untouched. Hooks run with the directory consistent (a registration
 * going away is already out of it, a replacing one not yet in): they may read it and remove
 * registrations, but must not call lwm2m_rd_handle. */
#include "lwm2m/rd.h"

#include <inttypes.h>
#include <stdio.h> /* snprintf */
#include <stdlib.h>
#include <string.h>

#include "dm_server/rd_parse.h"
#include "lwm2m/coap_code.h"
#include "lwm2m/error.h"

/* 4.03 has no name in coap_code.h. */

#define ID_HEX    10 /* 40-bit ids */
#define ID_MASK   ((UINT64_C(1) << (4 * ID_HEX)) - 1)
#define BUCKETS_0 16

enum { KEY_EP, KEY_ID, KEY_COUNT };

typedef struct rd_entry {
    lwm2m_registration reg;
    struct rd_entry *next[KEY_COUNT]; /* hash chains */
    uint64_t hash[KEY_COUNT];
    size_t slot;    /* index in rd->items */
    size_t heap_at; /* index in rd->heap */
} rd_entry;

typedef struct rd_table {
    rd_entry **buckets;
    size_t n; /* a power of two */
} rd_table;

struct lwm2m_rd {
    lwm2m_rd_options opts;
    lwm2m_rd_hooks hooks;
    rd_entry **items; /* dense, `count` used */
    rd_entry **heap;  /* min-heap on reg.expires_ms, `count` used */
    size_t count, cap;
    rd_table tab[KEY_COUNT];
    uint64_t serial; /* ids issued so far: the input of the id permutation */
    uint64_t id_add, id_xor, id_mul1, id_mul2, hash_seed;
};

/* ---- Ids and hashing ------------------------------------------------------------------- */

static uint64_t xorshift64(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static void seed_keys(lwm2m_rd *rd, uint32_t seed)
{
    /* An odd multiplier keeps a non-zero seed non-zero; xorshift must not start at 0. */
    uint64_t s =
        seed ? (uint64_t)seed * UINT64_C(0x9E3779B97F4A7C15) : UINT64_C(0x2545F4914F6CDD1D);
    for (int i = 0; i < 8; i++)
        xorshift64(&s);
    rd->id_add = xorshift64(&s);
    rd->id_xor = xorshift64(&s);
    rd->id_mul1 = xorshift64(&s) | 1;
    rd->id_mul2 = xorshift64(&s) | 1;
    rd->hash_seed = xorshift64(&s);
}

/* A keyed bijection of [0, 2^40): every step (add, xor, x ^= x >> k, multiply by an odd
 * number, all mod 2^40) is invertible, so distinct serials give distinct ids and an id is
 * never issued twice in a process, while the ids do not look sequential. */
static uint64_t id_of_serial(const lwm2m_rd *rd, uint64_t n)
{
    uint64_t x = (n + rd->id_add) & ID_MASK;
    x ^= x >> 20;
    x = (x * rd->id_mul1) & ID_MASK;
    x ^= rd->id_xor & ID_MASK;
    x ^= x >> 17;
    x = (x * rd->id_mul2) & ID_MASK;
    x ^= x >> 21;
    return x;
}

/* Seeded FNV-1a with a final mix. Seeding makes colliding endpoint names depend on the
 * directory's seed; it is not a cryptographic defence against hash flooding. */
static uint64_t hash_key(uint64_t seed, const char *s, size_t n)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325) ^ seed;
    for (size_t i = 0; i < n; i++) {
        h ^= (uint8_t)s[i];
        h *= UINT64_C(0x100000001b3);
    }
    h ^= h >> 33;
    h *= UINT64_C(0xff51afd7ed558ccd);
    h ^= h >> 33;
    return h;
}

/* ---- Hash tables ----------------------------------------------------------------------- */

static const char *entry_key(const rd_entry *e, int k)
{
    return k == KEY_EP ? e->reg.endpoint : e->reg.id;
}

static rd_entry *table_find(const lwm2m_rd *rd, int k, const char *s, size_t n)
{
    uint64_t h = hash_key(rd->hash_seed, s, n);
    for (rd_entry *e = rd->tab[k].buckets[h & (rd->tab[k].n - 1)]; e; e = e->next[k]) {
        const char *key = entry_key(e, k);
        if (e->hash[k] == h && strlen(key) == n && memcmp(key, s, n) == 0)
            return e;
    }
    return NULL;
}

static void table_grow(rd_table *t, int k)
{
    if (t->n > SIZE_MAX / 2 / sizeof *t->buckets)
        return;
    size_t n = t->n * 2;
    rd_entry **b = calloc(n, sizeof *b);
    if (b == NULL)
        return; /* chains just get longer */
    for (size_t i = 0; i < t->n; i++) {
        rd_entry *e = t->buckets[i];
        while (e) {
            rd_entry *next = e->next[k];
            size_t j = e->hash[k] & (n - 1);
            e->next[k] = b[j];
            b[j] = e;
            e = next;
        }
    }
    free(t->buckets);
    t->buckets = b;
    t->n = n;
}

static void table_insert(lwm2m_rd *rd, int k, rd_entry *e)
{
    rd_table *t = &rd->tab[k];
    const char *key = entry_key(e, k);
    e->hash[k] = hash_key(rd->hash_seed, key, strlen(key));
    size_t j = e->hash[k] & (t->n - 1);
    e->next[k] = t->buckets[j];
    t->buckets[j] = e;
}

static void table_unlink(lwm2m_rd *rd, int k, rd_entry *e)
{
    rd_table *t = &rd->tab[k];
    rd_entry **pp = &t->buckets[e->hash[k] & (t->n - 1)];
    while (*pp && *pp != e)
        pp = &(*pp)->next[k];
    if (*pp)
        *pp = e->next[k];
    e->next[k] = NULL;
}

/* ---- Expiry heap ----------------------------------------------------------------------- */

static void heap_set(lwm2m_rd *rd, size_t i, rd_entry *e)
{
    rd->heap[i] = e;
    e->heap_at = i;
}

static void sift_up(lwm2m_rd *rd, size_t i)
{
    rd_entry *e = rd->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (rd->heap[parent]->reg.expires_ms <= e->reg.expires_ms)
            break;
        heap_set(rd, i, rd->heap[parent]);
        i = parent;
    }
    heap_set(rd, i, e);
}

static void sift_down(lwm2m_rd *rd, size_t i)
{
    rd_entry *e = rd->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= rd->count)
            break;
        if (c + 1 < rd->count && rd->heap[c + 1]->reg.expires_ms < rd->heap[c]->reg.expires_ms)
            c++;
        if (e->reg.expires_ms <= rd->heap[c]->reg.expires_ms)
            break;
        heap_set(rd, i, rd->heap[c]);
        i = c;
    }
    heap_set(rd, i, e);
}

/* After e's expires_ms changed. */
static void heap_fix(lwm2m_rd *rd, rd_entry *e)
{
    sift_up(rd, e->heap_at);
    sift_down(rd, e->heap_at);
}

/* ---- Entries --------------------------------------------------------------------------- */

static void entry_free(rd_entry *e)
{
    if (e) {
        free(e->reg.links);
        free(e->reg.objects);
        free(e);
    }
}

static int reserve(lwm2m_rd *rd, size_t need)
{
    if (need <= rd->cap)
        return LWM2M_OK;
    size_t cap = rd->cap ? rd->cap : 16;
    while (cap < need) {
        if (cap > SIZE_MAX / 2 / sizeof(rd_entry *))
            return LWM2M_ERR_NOMEM;
        cap *= 2;
    }
    rd_entry **items = realloc(rd->items, cap * sizeof *items);
    if (items == NULL)
        return LWM2M_ERR_NOMEM;
    rd->items = items;
    rd_entry **heap = realloc(rd->heap, cap * sizeof *heap);
    if (heap == NULL)
        return LWM2M_ERR_NOMEM; /* items is larger than needed: harmless */
    rd->heap = heap;
    rd->cap = cap;
    return LWM2M_OK;
}

/* Capacity must have been reserved. */
static void attach(lwm2m_rd *rd, rd_entry *e)
{
    size_t i = rd->count++;
    e->slot = i;
    rd->items[i] = e;
    rd->heap[i] = e;
    e->heap_at = i;
    sift_up(rd, i);
    for (int k = 0; k < KEY_COUNT; k++) {
        table_insert(rd, k, e);
        if (rd->count > rd->tab[k].n)
            table_grow(&rd->tab[k], k);
    }
}

static void detach(lwm2m_rd *rd, rd_entry *e)
{
    for (int k = 0; k < KEY_COUNT; k++)
        table_unlink(rd, k, e);
    size_t last = --rd->count;
    rd->items[e->slot] = rd->items[last];
    rd->items[e->slot]->slot = e->slot;
    size_t h = e->heap_at;
    if (h != last) {
        heap_set(rd, h, rd->heap[last]);
        heap_fix(rd, rd->heap[h]);
    }
}

static void emit(lwm2m_rd *rd, lwm2m_rd_event ev, const rd_entry *e)
{
    if (rd->hooks.on_event)
        rd->hooks.on_event(rd->hooks.ctx, ev, &e->reg);
}

/* Detached before the hook runs, so that the hook sees a consistent directory. */
static void drop(lwm2m_rd *rd, rd_entry *e, lwm2m_rd_event ev)
{
    detach(rd, e);
    emit(rd, ev, e);
    entry_free(e);
}

static int64_t add_sat(int64_t a, int64_t b)
{
    if (b > 0 && a > INT64_MAX - b)
        return INT64_MAX;
    if (b < 0 && a < INT64_MIN - b)
        return INT64_MIN;
    return a + b;
}

static int64_t expiry(const lwm2m_rd *rd, int64_t updated_ms, int64_t lifetime_s)
{
    return add_sat(add_sat(updated_ms, lifetime_s * 1000), rd->opts.grace_ms);
}

/* ---- Public: lifecycle and lookups ----------------------------------------------------- */

lwm2m_rd *lwm2m_rd_new(const lwm2m_rd_options *opts, const lwm2m_rd_hooks *hooks)
{
    lwm2m_rd *rd = calloc(1, sizeof *rd);
    if (rd == NULL)
        return NULL;
    if (opts)
        rd->opts = *opts;
    if (hooks)
        rd->hooks = *hooks;
    if (rd->opts.grace_ms < 0)
        rd->opts.grace_ms = 0;
    if (rd->opts.min_lifetime_s <= 0)
        rd->opts.min_lifetime_s = 1;
    seed_keys(rd, rd->opts.seed);
    for (int k = 0; k < KEY_COUNT; k++) {
        rd->tab[k].n = BUCKETS_0;
        rd->tab[k].buckets = calloc(BUCKETS_0, sizeof *rd->tab[k].buckets);
        if (rd->tab[k].buckets == NULL) {
            lwm2m_rd_free(rd);
            return NULL;
        }
    }
    return rd;
}

void lwm2m_rd_free(lwm2m_rd *rd)
{
    if (rd == NULL)
        return;
    for (size_t i = 0; i < rd->count; i++)
        entry_free(rd->items[i]);
    free(rd->items);
    free(rd->heap);
    for (int k = 0; k < KEY_COUNT; k++)
        free(rd->tab[k].buckets);
    free(rd);
}

const lwm2m_registration *lwm2m_rd_find(const lwm2m_rd *rd, const char *endpoint)
{
    if (rd == NULL || endpoint == NULL)
        return NULL;
    rd_entry *e = table_find(rd, KEY_EP, endpoint, strlen(endpoint));
    return e ? &e->reg : NULL;
}

const lwm2m_registration *lwm2m_rd_find_id(const lwm2m_rd *rd, const char *id)
{
    if (rd == NULL || id == NULL)
        return NULL;
    rd_entry *e = table_find(rd, KEY_ID, id, strlen(id));
    return e ? &e->reg : NULL;
}

size_t lwm2m_rd_count(const lwm2m_rd *rd)
{
    return rd ? rd->count : 0;
}

const lwm2m_registration *lwm2m_rd_at(const lwm2m_rd *rd, size_t i)
{
    return rd && i < rd->count ? &rd->items[i]->reg : NULL;
}

int lwm2m_rd_remove(lwm2m_rd *rd, const char *endpoint)
{
    rd_entry *e = rd && endpoint ? table_find(rd, KEY_EP, endpoint, strlen(endpoint)) : NULL;
    if (e == NULL)
        return LWM2M_ERR_NOT_FOUND;
    drop(rd, e, LWM2M_RD_DEREGISTERED);
    return LWM2M_OK;
}

size_t lwm2m_rd_expire(lwm2m_rd *rd, int64_t now_ms)
{
    size_t n = 0;
    while (rd && rd->count > 0 && rd->heap[0]->reg.expires_ms <= now_ms) {
        drop(rd, rd->heap[0], LWM2M_RD_EXPIRED);
        n++;
    }
    return n;
}

int64_t lwm2m_rd_next_expiry(const lwm2m_rd *rd)
{
    return rd && rd->count > 0 ? rd->heap[0]->reg.expires_ms : INT64_MAX;
}

bool lwm2m_rd_has_path(const lwm2m_registration *reg, const lwm2m_path *path)
{
    if (reg == NULL || path == NULL)
        return false;
    /* A resource is there when its instance is. */
    lwm2m_path want =
        path->len > LWM2M_PATH_INSTANCE ? lwm2m_path_truncate(path, LWM2M_PATH_INSTANCE) : *path;
    for (size_t i = 0; i < reg->object_count; i++)
        if (lwm2m_path_is_prefix(&want, &reg->objects[i]))
            return true;
    return false;
}

/* ---- Requests -------------------------------------------------------------------------- */

/* The text diagnostic, cut to the caller's buffer. */
static int reply_error(lwm2m_response *resp, unsigned code, const char *diag)
{
    size_t n = strlen(diag);
    size_t cap = resp->payload.data ? resp->payload.cap : 0;
    if (n > cap)
        n = cap;
    if (n > 0)
        memcpy(resp->payload.data, diag, n);
    resp->code = code;
    resp->payload.len = n;
    resp->format = n > 0 ? LWM2M_FORMAT_TEXT : LWM2M_FORMAT_NONE;
    return -1;
}

static int reply(lwm2m_response *resp, unsigned code, int event)
{
    resp->code = code;
    resp->format = LWM2M_FORMAT_NONE;
    resp->payload.len = 0;
    return event;
}

/* The transport logs refusals from the response; the core writes no logs of its own. */
static int out_of_memory(lwm2m_response *resp, const char *what)
{
    (void)what;
    return reply_error(resp, LWM2M_CODE_INTERNAL_ERROR, "out of memory");
}

static bool same_identity(const lwm2m_registration *reg, const lwm2m_rd_peer *peer)
{
    size_t n = peer->identity ? peer->identity_len : 0;
    return reg->secure == peer->secure && reg->identity_len == n &&
           (n == 0 || memcmp(reg->identity, peer->identity, n) == 0);
}

/* Checks the transport's view of the peer: it must fit the registration record. */
static unsigned check_peer(const lwm2m_rd_peer *peer, char *diag, size_t diaglen)
{
    const char *addr = peer->address ? peer->address : "";
    if (strlen(addr) >= sizeof((lwm2m_registration *)0)->address) {
        snprintf(diag, diaglen, "peer address too long");
        return LWM2M_CODE_INTERNAL_ERROR;
    }
    if (peer->identity && peer->identity_len > sizeof((lwm2m_registration *)0)->identity) {
        snprintf(diag, diaglen, "PSK identity longer than 128 bytes");
        return LWM2M_CODE_FORBIDDEN;
    }
    return 0;
}

static void set_peer(lwm2m_registration *reg, const lwm2m_rd_peer *peer)
{
    snprintf(reg->address, sizeof reg->address, "%s", peer->address ? peer->address : "");
    reg->secure = peer->secure;
    reg->identity_len = peer->identity ? peer->identity_len : 0;
    if (reg->identity_len)
        memcpy(reg->identity, peer->identity, reg->identity_len);
}

/* The payload of a Register or an Update: its format, links, and a NUL-terminated copy. */
static unsigned read_payload(const lwm2m_request *req, lwm2m_rd_links *links, char **copy,
                             char *diag, size_t diaglen)
{
    *copy = NULL;
    if (req->format != LWM2M_FORMAT_LINK && req->format != LWM2M_FORMAT_NONE) {
        snprintf(diag, diaglen, "payload Content-Format %u is not link format (40)",
                 (unsigned)req->format);
        return LWM2M_CODE_UNSUPPORTED_FORMAT;
    }
    unsigned code = lwm2m_rd_links_parse(req->payload, req->payload_len, links, diag, diaglen);
    if (code)
        return code;
    *copy = malloc(req->payload_len + 1);
    if (*copy == NULL) {
        free(links->objects);
        links->objects = NULL;
        snprintf(diag, diaglen, "out of memory");
        return LWM2M_CODE_INTERNAL_ERROR;
    }
    memcpy(*copy, req->payload, req->payload_len);
    (*copy)[req->payload_len] = '\0';
    return 0;
}

static void set_links(lwm2m_registration *reg, lwm2m_rd_links *links, char *copy, size_t len)
{
    free(reg->links);
    free(reg->objects);
    reg->links = copy;
    reg->links_len = len;
    reg->objects = links->objects;
    reg->object_count = links->object_count;
    memcpy(reg->root, links->root, sizeof reg->root);
    memcpy(reg->formats, links->formats, sizeof reg->formats);
    reg->format_count = links->format_count;
}

static void fill_registration(lwm2m_rd *rd, rd_entry *e, const lwm2m_rd_query *q,
                              const lwm2m_rd_peer *peer, int64_t now_ms)
{
    lwm2m_registration *reg = &e->reg;
    snprintf(reg->id, sizeof reg->id, "%0*" PRIx64, ID_HEX, id_of_serial(rd, rd->serial++));
    memcpy(reg->endpoint, q->ep, q->ep_len);
    reg->endpoint[q->ep_len] = '\0';
    snprintf(reg->version, sizeof reg->version, "%s", q->version);
    reg->lifetime_s = q->has_lt ? q->lt : LWM2M_RD_DEFAULT_LIFETIME_S;
    snprintf(reg->binding, sizeof reg->binding, "%s", q->has_binding ? q->binding : "U");
    reg->queue_mode = q->queue || q->binding_queue;
    memcpy(reg->sms, q->sms, sizeof reg->sms);
    memcpy(reg->extra, q->extra, sizeof reg->extra);
    set_peer(reg, peer);
    reg->registered_ms = reg->updated_ms = now_ms;
    reg->expires_ms = expiry(rd, now_ms, reg->lifetime_s);
}

static int do_register(lwm2m_rd *rd, const lwm2m_request *req, const lwm2m_rd_peer *peer,
                       int64_t now_ms, lwm2m_response *resp, char *location, size_t location_cap)
{
    char diag[LWM2M_RD_DIAG_MAX];
    lwm2m_rd_query q;
    lwm2m_rd_query_rules rules = {false, NULL, rd->opts.min_lifetime_s};
    unsigned code = lwm2m_rd_query_parse(req->query, req->query_len, &rules, &q, diag, sizeof diag);
    if (code)
        return reply_error(resp, code, diag);
    if (req->payload == NULL || req->payload_len == 0)
        return reply_error(resp, LWM2M_CODE_BAD_REQUEST, "missing object links (no payload)");
    if ((code = check_peer(peer, diag, sizeof diag)) != 0)
        return reply_error(resp, code, diag);
    if (location == NULL || location_cap < sizeof "rd/" + ID_HEX)
        return reply_error(resp, LWM2M_CODE_INTERNAL_ERROR, "location buffer too small");
    lwm2m_rd_links links;
    char *copy;
    if ((code = read_payload(req, &links, &copy, diag, sizeof diag)) != 0)
        return reply_error(resp, code, diag);

    char ep[LWM2M_RD_ENDPOINT_MAX + 1];
    memcpy(ep, q.ep, q.ep_len);
    ep[q.ep_len] = '\0';
    char why[128] = "";
    rd_entry *old = table_find(rd, KEY_EP, q.ep, q.ep_len);
    rd_entry *e = NULL;
    if (rd->hooks.authorize && rd->hooks.authorize(rd->hooks.ctx, ep, peer, why, sizeof why)) {
        /* `why` is for the hook's own log line; the client only learns "forbidden". */
        code = LWM2M_CODE_FORBIDDEN;
        snprintf(diag, sizeof diag, "forbidden");
    } else if (old == NULL && rd->opts.max_registrations > 0 &&
               rd->count >= rd->opts.max_registrations) {
        code = LWM2M_CODE_SERVICE_UNAVAILABLE;
        snprintf(diag, sizeof diag, "registration directory full (%zu clients)", rd->count);
    } else if (rd->serial > ID_MASK) {
        code = LWM2M_CODE_SERVICE_UNAVAILABLE;
        snprintf(diag, sizeof diag, "registration ids exhausted");
    } else if ((e = calloc(1, sizeof *e)) == NULL || reserve(rd, rd->count + 1) != LWM2M_OK) {
        free(e);
        free(copy);
        free(links.objects);
        return out_of_memory(resp, "Register");
    }
    if (code) {
        free(copy);
        free(links.objects);
        return reply_error(resp, code, diag);
    }

    fill_registration(rd, e, &q, peer, now_ms);
    set_links(&e->reg, &links, copy, req->payload_len);
    if (old)
        drop(rd, old, LWM2M_RD_DEREGISTERED);
    attach(rd, e); /* cannot fail: capacity reserved, the tables chain */
    snprintf(location, location_cap, "rd/%s", e->reg.id);
    emit(rd, LWM2M_RD_REGISTERED, e);
    return reply(resp, LWM2M_CODE_CREATED, LWM2M_RD_REGISTERED);
}

static int do_update(lwm2m_rd *rd, rd_entry *e, const lwm2m_request *req, const lwm2m_rd_peer *peer,
                     int64_t now_ms, lwm2m_response *resp)
{
    char diag[LWM2M_RD_DIAG_MAX];
    lwm2m_registration *reg = &e->reg;
    lwm2m_rd_query q;
    lwm2m_rd_query_rules rules = {true, reg->version, rd->opts.min_lifetime_s};
    unsigned code = lwm2m_rd_query_parse(req->query, req->query_len, &rules, &q, diag, sizeof diag);
    if (code)
        return reply_error(resp, code, diag);
    if ((code = check_peer(peer, diag, sizeof diag)) != 0)
        return reply_error(resp, code, diag);
    lwm2m_rd_links links;
    char *copy = NULL;
    bool has_payload = req->payload != NULL && req->payload_len > 0;
    if (has_payload && (code = read_payload(req, &links, &copy, diag, sizeof diag)) != 0)
        return reply_error(resp, code, diag);

    if (q.has_lt)
        reg->lifetime_s = q.lt;
    if (q.has_binding) {
        memcpy(reg->binding, q.binding, sizeof reg->binding);
        if (strcmp(reg->version, "1.0") == 0)
            reg->queue_mode = q.binding_queue; /* 1.0 says queue mode in the binding */
    }
    if (q.queue)
        reg->queue_mode = true;
    if (q.has_sms)
        memcpy(reg->sms, q.sms, sizeof reg->sms);
    if (has_payload)
        set_links(reg, &links, copy, req->payload_len);
    set_peer(reg, peer);
    reg->updated_ms = now_ms;
    reg->expires_ms = expiry(rd, now_ms, reg->lifetime_s);
    heap_fix(rd, e);
    emit(rd, LWM2M_RD_UPDATED, e);
    return reply(resp, LWM2M_CODE_CHANGED, LWM2M_RD_UPDATED);
}

int lwm2m_rd_handle(lwm2m_rd *rd, const lwm2m_request *req, const lwm2m_rd_peer *peer,
                    int64_t now_ms, lwm2m_response *resp, char *location, size_t location_cap)
{
    static const lwm2m_rd_peer nobody = {"", false, NULL, 0};
    if (resp == NULL)
        return -1;
    if (rd == NULL || req == NULL)
        return reply_error(resp, LWM2M_CODE_INTERNAL_ERROR, "no directory or request");
    if (peer == NULL)
        peer = &nobody;
    const char *p = req->uri_path ? req->uri_path : "";
    size_t n = req->uri_path ? req->uri_path_len : 0;
    if (n > 0 && p[0] == '/') {
        p++;
        n--;
    }
    if (n < 2 || memcmp(p, "rd", 2) != 0 || (n > 2 && p[2] != '/'))
        return reply_error(resp, LWM2M_CODE_NOT_FOUND, "not a registration path");
    if (n == 2) {
        if (req->method != LWM2M_METHOD_POST)
            return reply_error(resp, LWM2M_CODE_METHOD_NOT_ALLOWED,
                               "method not allowed on /rd (Register is POST)");
        return do_register(rd, req, peer, now_ms, resp, location, location_cap);
    }
    if (req->method != LWM2M_METHOD_POST && req->method != LWM2M_METHOD_DELETE)
        return reply_error(resp, LWM2M_CODE_METHOD_NOT_ALLOWED,
                           "method not allowed on a registration (POST Update, DELETE)");
    rd_entry *e = table_find(rd, KEY_ID, p + 3, n - 3);
    if (e == NULL) {
        char ex[40], diag[LWM2M_RD_DIAG_MAX];
        lwm2m_rd_excerpt(p + 3, n - 3, ex, sizeof ex);
        snprintf(diag, sizeof diag, "no registration '%s'", ex);
        return reply_error(resp, LWM2M_CODE_NOT_FOUND, diag);
    }
    if (!same_identity(&e->reg, peer))
        return reply_error(resp, LWM2M_CODE_FORBIDDEN, "identity differs from the registration's");
    if (req->method == LWM2M_METHOD_POST)
        return do_update(rd, e, req, peer, now_ms, resp);
    drop(rd, e, LWM2M_RD_DEREGISTERED);
    return reply(resp, LWM2M_CODE_DELETED, LWM2M_RD_DEREGISTERED);
}
