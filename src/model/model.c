/* The object model: sorted arrays of objects, instances and resources, each value owning a
 * heap copy of its bytes. Every mutating operation builds the new instances aside ("drafts")
 * and swaps them in only when everything succeeded, so a failure never leaves half a write. */
#include "lwm2m/model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/numtext.h"
#include "lwm2m/error.h"

typedef struct mres_inst {
    uint16_t id;
    lwm2m_value value;
} mres_inst;

typedef struct mres {
    uint16_t id;
    bool multiple;
    lwm2m_value value; /* single resource; type NONE when multiple */
    mres_inst *insts;  /* multiple resource, sorted by id */
    size_t n_insts;
} mres;

typedef struct minst {
    uint16_t id;
    mres *res; /* sorted by id */
    size_t n_res;
} minst;

typedef struct mobj {
    uint16_t id;
    const lwm2m_object_def *def;
    lwm2m_object_handlers handlers;
    minst *insts; /* sorted by id */
    size_t n_insts;
    size_t cap_insts;
} mobj;

typedef struct mattr {
    uint16_t ssid;
    lwm2m_path path;
    double values[LWM2M_ATTR_COUNT_];
    uint8_t set; /* bit per lwm2m_attr */
} mattr;

struct lwm2m_model {
    mobj *objs; /* sorted by id */
    size_t n_objs;
    size_t cap_objs;
    mattr *attrs;
    size_t n_attrs;
};

/* ---- values ------------------------------------------------------------------------------ */

static bool has_bytes(lwm2m_type t)
{
    return t == LWM2M_TYPE_STRING || t == LWM2M_TYPE_OPAQUE || t == LWM2M_TYPE_CORELNK;
}

static int value_copy(lwm2m_value *dst, const lwm2m_value *src)
{
    *dst = *src;
    if (has_bytes(src->type)) {
        dst->v.bytes.ptr = NULL;
        if (src->v.bytes.len > 0) {
            uint8_t *p = malloc(src->v.bytes.len);
            if (p == NULL)
                return LWM2M_ERR_NOMEM;
            memcpy(p, src->v.bytes.ptr, src->v.bytes.len);
            dst->v.bytes.ptr = p;
        }
    }
    return LWM2M_OK;
}

static void value_free(lwm2m_value *v)
{
    if (has_bytes(v->type))
        free((void *)v->v.bytes.ptr);
    v->type = LWM2M_TYPE_NONE;
}

static void res_free(mres *r)
{
    value_free(&r->value);
    for (size_t i = 0; i < r->n_insts; i++)
        value_free(&r->insts[i].value);
    free(r->insts);
    r->insts = NULL;
    r->n_insts = 0;
}

static void inst_free(minst *in)
{
    for (size_t i = 0; i < in->n_res; i++)
        res_free(&in->res[i]);
    free(in->res);
    in->res = NULL;
    in->n_res = 0;
}

static int res_clone(mres *dst, const mres *src)
{
    *dst = *src;
    dst->insts = NULL;
    dst->n_insts = 0;
    dst->value.type = LWM2M_TYPE_NONE;
    if (value_copy(&dst->value, &src->value) != LWM2M_OK)
        return LWM2M_ERR_NOMEM;
    if (src->n_insts > 0) {
        dst->insts = calloc(src->n_insts, sizeof *dst->insts);
        if (dst->insts == NULL) {
            res_free(dst);
            return LWM2M_ERR_NOMEM;
        }
        for (size_t i = 0; i < src->n_insts; i++) {
            dst->insts[i].id = src->insts[i].id;
            if (value_copy(&dst->insts[i].value, &src->insts[i].value) != LWM2M_OK) {
                res_free(dst);
                return LWM2M_ERR_NOMEM;
            }
            dst->n_insts = i + 1;
        }
    }
    return LWM2M_OK;
}

static int inst_clone(minst *dst, const minst *src)
{
    dst->id = src->id;
    dst->res = NULL;
    dst->n_res = 0;
    if (src->n_res == 0)
        return LWM2M_OK;
    dst->res = calloc(src->n_res, sizeof *dst->res);
    if (dst->res == NULL)
        return LWM2M_ERR_NOMEM;
    for (size_t i = 0; i < src->n_res; i++) {
        if (res_clone(&dst->res[i], &src->res[i]) != LWM2M_OK) {
            inst_free(dst);
            return LWM2M_ERR_NOMEM;
        }
        dst->n_res = i + 1;
    }
    return LWM2M_OK;
}

/* ---- lookups ----------------------------------------------------------------------------- */

/* Binary search over any array of structs whose first member is a uint16_t id. Returns the
 * index of the id, or the insertion point with *found = false. */
static size_t bsearch_id(const void *base, size_t n, size_t size, uint16_t id, bool *found)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint16_t mid_id = *(const uint16_t *)((const uint8_t *)base + mid * size);
        if (mid_id == id) {
            *found = true;
            return mid;
        }
        if (mid_id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

static mobj *find_obj(const lwm2m_model *m, uint16_t id)
{
    bool found;
    size_t i = bsearch_id(m->objs, m->n_objs, sizeof *m->objs, id, &found);
    return found ? &m->objs[i] : NULL;
}

static minst *find_inst(const mobj *o, uint16_t id)
{
    bool found;
    size_t i = bsearch_id(o->insts, o->n_insts, sizeof *o->insts, id, &found);
    return found ? &o->insts[i] : NULL;
}

static mres *find_res(const minst *in, uint16_t id)
{
    bool found;
    size_t i = bsearch_id(in->res, in->n_res, sizeof *in->res, id, &found);
    return found ? &in->res[i] : NULL;
}

static mres_inst *find_res_inst(const mres *r, uint16_t id)
{
    bool found;
    size_t i = bsearch_id(r->insts, r->n_insts, sizeof *r->insts, id, &found);
    return found ? &r->insts[i] : NULL;
}

/* Finds or inserts resource `id` in an instance (empty, typed by `multiple`). */
static mres *get_res(minst *in, uint16_t id, bool multiple)
{
    bool found;
    size_t i = bsearch_id(in->res, in->n_res, sizeof *in->res, id, &found);
    if (found)
        return &in->res[i];
    mres *grown = realloc(in->res, (in->n_res + 1) * sizeof *in->res);
    if (grown == NULL)
        return NULL;
    in->res = grown;
    memmove(&in->res[i + 1], &in->res[i], (in->n_res - i) * sizeof *in->res);
    memset(&in->res[i], 0, sizeof in->res[i]);
    in->res[i].id = id;
    in->res[i].multiple = multiple;
    in->n_res++;
    return &in->res[i];
}

static void remove_res(minst *in, uint16_t id)
{
    bool found;
    size_t i = bsearch_id(in->res, in->n_res, sizeof *in->res, id, &found);
    if (!found)
        return;
    res_free(&in->res[i]);
    memmove(&in->res[i], &in->res[i + 1], (in->n_res - i - 1) * sizeof *in->res);
    in->n_res--;
}

/* Stores a copy of `v` as resource instance `id`, replacing any previous value. */
static int put_res_inst(mres *r, uint16_t id, const lwm2m_value *v)
{
    lwm2m_value copy;
    if (value_copy(&copy, v) != LWM2M_OK)
        return LWM2M_ERR_NOMEM;
    bool found;
    size_t i = bsearch_id(r->insts, r->n_insts, sizeof *r->insts, id, &found);
    if (found) {
        value_free(&r->insts[i].value);
        r->insts[i].value = copy;
        return LWM2M_OK;
    }
    mres_inst *grown = realloc(r->insts, (r->n_insts + 1) * sizeof *r->insts);
    if (grown == NULL) {
        value_free(&copy);
        return LWM2M_ERR_NOMEM;
    }
    r->insts = grown;
    memmove(&r->insts[i + 1], &r->insts[i], (r->n_insts - i) * sizeof *r->insts);
    r->insts[i].id = id;
    r->insts[i].value = copy;
    r->n_insts++;
    return LWM2M_OK;
}

static int put_single(mres *r, const lwm2m_value *v)
{
    lwm2m_value copy;
    if (value_copy(&copy, v) != LWM2M_OK)
        return LWM2M_ERR_NOMEM;
    value_free(&r->value);
    r->value = copy;
    return LWM2M_OK;
}

/* Makes room for one more instance so that a later insert cannot fail. */
static int reserve_insts(mobj *o, size_t extra)
{
    if (o->n_insts + extra <= o->cap_insts)
        return LWM2M_OK;
    size_t cap = o->cap_insts ? o->cap_insts * 2 : 4;
    while (cap < o->n_insts + extra)
        cap *= 2;
    minst *grown = realloc(o->insts, cap * sizeof *o->insts);
    if (grown == NULL)
        return LWM2M_ERR_NOMEM;
    o->insts = grown;
    o->cap_insts = cap;
    return LWM2M_OK;
}

/* Puts a finished instance into the object (capacity reserved), taking ownership. */
static void install_inst(mobj *o, minst *draft)
{
    bool found;
    size_t i = bsearch_id(o->insts, o->n_insts, sizeof *o->insts, draft->id, &found);
    if (found) {
        inst_free(&o->insts[i]);
    } else {
        memmove(&o->insts[i + 1], &o->insts[i], (o->n_insts - i) * sizeof *o->insts);
        o->n_insts++;
    }
    o->insts[i] = *draft;
}

static void remove_inst_at(mobj *o, size_t i)
{
    inst_free(&o->insts[i]);
    memmove(&o->insts[i], &o->insts[i + 1], (o->n_insts - i - 1) * sizeof *o->insts);
    o->n_insts--;
}

static void drop_attrs_under(lwm2m_model *m, const lwm2m_path *p)
{
    size_t w = 0;
    for (size_t r = 0; r < m->n_attrs; r++) {
        if (!lwm2m_path_is_prefix(p, &m->attrs[r].path))
            m->attrs[w++] = m->attrs[r];
    }
    m->n_attrs = w;
}

/* ---- life cycle -------------------------------------------------------------------------- */

lwm2m_model *lwm2m_model_new(void)
{
    return calloc(1, sizeof(lwm2m_model));
}

static void model_clear(lwm2m_model *m)
{
    for (size_t i = 0; i < m->n_objs; i++) {
        mobj *o = &m->objs[i];
        for (size_t j = 0; j < o->n_insts; j++)
            inst_free(&o->insts[j]);
        free(o->insts);
    }
    free(m->objs);
    free(m->attrs);
    memset(m, 0, sizeof *m);
}

void lwm2m_model_free(lwm2m_model *m)
{
    if (m == NULL)
        return;
    model_clear(m);
    free(m);
}

static int model_copy(lwm2m_model *dst, const lwm2m_model *src)
{
    memset(dst, 0, sizeof *dst);
    if (src->n_objs > 0) {
        dst->objs = calloc(src->n_objs, sizeof *dst->objs);
        if (dst->objs == NULL)
            return LWM2M_ERR_NOMEM;
        dst->cap_objs = src->n_objs;
    }
    for (size_t i = 0; i < src->n_objs; i++) {
        const mobj *so = &src->objs[i];
        mobj *d = &dst->objs[i];
        *d = *so;
        d->insts = NULL;
        d->n_insts = 0;
        d->cap_insts = 0;
        dst->n_objs = i + 1;
        if (reserve_insts(d, so->n_insts) != LWM2M_OK)
            goto fail;
        for (size_t j = 0; j < so->n_insts; j++) {
            if (inst_clone(&d->insts[j], &so->insts[j]) != LWM2M_OK)
                goto fail;
            d->n_insts = j + 1;
        }
    }
    if (src->n_attrs > 0) {
        dst->attrs = malloc(src->n_attrs * sizeof *dst->attrs);
        if (dst->attrs == NULL)
            goto fail;
        memcpy(dst->attrs, src->attrs, src->n_attrs * sizeof *dst->attrs);
        dst->n_attrs = src->n_attrs;
    }
    return LWM2M_OK;
fail:
    model_clear(dst);
    return LWM2M_ERR_NOMEM;
}

lwm2m_model *lwm2m_model_clone(const lwm2m_model *m)
{
    lwm2m_model *c = malloc(sizeof *c);
    if (c == NULL)
        return NULL;
    if (model_copy(c, m) != LWM2M_OK) {
        free(c);
        return NULL;
    }
    return c;
}

int lwm2m_model_assign(lwm2m_model *dst, const lwm2m_model *src)
{
    if (dst == src)
        return LWM2M_OK;
    lwm2m_model tmp;
    int rc = model_copy(&tmp, src);
    if (rc != LWM2M_OK)
        return rc;
    model_clear(dst);
    *dst = tmp;
    return LWM2M_OK;
}

int lwm2m_model_add_object(lwm2m_model *m, const lwm2m_object_def *def,
                           const lwm2m_object_handlers *handlers)
{
    if (def == NULL)
        return LWM2M_ERR_INVALID;
    bool found;
    size_t i = bsearch_id(m->objs, m->n_objs, sizeof *m->objs, def->id, &found);
    if (found)
        return LWM2M_ERR_EXISTS;
    if (m->n_objs == m->cap_objs) {
        size_t cap = m->cap_objs ? m->cap_objs * 2 : 8;
        mobj *grown = realloc(m->objs, cap * sizeof *m->objs);
        if (grown == NULL)
            return LWM2M_ERR_NOMEM;
        m->objs = grown;
        m->cap_objs = cap;
    }
    memmove(&m->objs[i + 1], &m->objs[i], (m->n_objs - i) * sizeof *m->objs);
    memset(&m->objs[i], 0, sizeof m->objs[i]);
    m->objs[i].id = def->id;
    m->objs[i].def = def;
    if (handlers != NULL)
        m->objs[i].handlers = *handlers;
    m->n_objs++;
    return LWM2M_OK;
}

const lwm2m_object_def *lwm2m_model_object_def(const lwm2m_model *m, uint16_t obj)
{
    const mobj *o = find_obj(m, obj);
    return o ? o->def : NULL;
}

bool lwm2m_model_has_object(const lwm2m_model *m, uint16_t obj)
{
    return find_obj(m, obj) != NULL;
}

bool lwm2m_model_has_instance(const lwm2m_model *m, uint16_t obj, uint16_t inst)
{
    const mobj *o = find_obj(m, obj);
    return o != NULL && find_inst(o, inst) != NULL;
}

size_t lwm2m_model_object_count(const lwm2m_model *m)
{
    return m->n_objs;
}

uint16_t lwm2m_model_object_id_at(const lwm2m_model *m, size_t i)
{
    return i < m->n_objs ? m->objs[i].id : LWM2M_ID_RESERVED;
}

size_t lwm2m_model_instance_count(const lwm2m_model *m, uint16_t obj)
{
    const mobj *o = find_obj(m, obj);
    return o ? o->n_insts : 0;
}

uint16_t lwm2m_model_instance_id_at(const lwm2m_model *m, uint16_t obj, size_t i)
{
    const mobj *o = find_obj(m, obj);
    return o != NULL && i < o->n_insts ? o->insts[i].id : LWM2M_ID_RESERVED;
}

static const mres *find_res_path(const lwm2m_model *m, const lwm2m_path *p)
{
    if (p->len != 3)
        return NULL;
    const mobj *o = find_obj(m, p->id[0]);
    const minst *in = o ? find_inst(o, p->id[1]) : NULL;
    return in ? find_res(in, p->id[2]) : NULL;
}

size_t lwm2m_model_resource_instance_count(const lwm2m_model *m, const lwm2m_path *res)
{
    const mres *r = find_res_path(m, res);
    return r != NULL && r->multiple ? r->n_insts : 0;
}

uint16_t lwm2m_model_resource_instance_id_at(const lwm2m_model *m, const lwm2m_path *res, size_t i)
{
    const mres *r = find_res_path(m, res);
    return r != NULL && r->multiple && i < r->n_insts ? r->insts[i].id : LWM2M_ID_RESERVED;
}

int lwm2m_model_free_instance_id(const lwm2m_model *m, uint16_t obj, uint16_t *out)
{
    const mobj *o = find_obj(m, obj);
    if (o == NULL)
        return LWM2M_ERR_NOT_FOUND;
    /* Instances are sorted: the first gap is the lowest free id. */
    uint32_t want = 0;
    for (size_t i = 0; i < o->n_insts && o->insts[i].id == want; i++)
        want++;
    if (want > LWM2M_ID_MAX)
        return LWM2M_ERR_NOMEM;
    *out = (uint16_t)want;
    return LWM2M_OK;
}

/* ---- write ------------------------------------------------------------------------------- */

typedef struct draft {
    minst inst;
    bool existed;
} draft;

typedef struct write_op {
    lwm2m_model *m;
    mobj *obj;
    const lwm2m_path *base;
    lwm2m_write_mode mode;
    draft *drafts;
    size_t n_drafts;
} write_op;

static void free_drafts(write_op *op)
{
    for (size_t i = 0; i < op->n_drafts; i++)
        inst_free(&op->drafts[i].inst);
    free(op->drafts);
    op->drafts = NULL;
    op->n_drafts = 0;
}

static bool is_dm_mode(lwm2m_write_mode mode)
{
    return mode != LWM2M_WRITE_BOOTSTRAP;
}

/* The draft of instance `iid`, started from the live instance as the mode requires. */
static int get_draft(write_op *op, uint16_t iid, draft **out)
{
    for (size_t i = 0; i < op->n_drafts; i++) {
        if (op->drafts[i].inst.id == iid) {
            *out = &op->drafts[i];
            return LWM2M_OK;
        }
    }
    const minst *live = find_inst(op->obj, iid);
    bool instance_level = op->base->len <= 2;
    if (live == NULL && (op->mode == LWM2M_WRITE_REPLACE || op->mode == LWM2M_WRITE_UPDATE))
        return LWM2M_ERR_NOT_FOUND;
    if (live != NULL && op->mode == LWM2M_WRITE_CREATE)
        return LWM2M_ERR_EXISTS;
    draft *grown = realloc(op->drafts, (op->n_drafts + 1) * sizeof *op->drafts);
    if (grown == NULL)
        return LWM2M_ERR_NOMEM;
    op->drafts = grown;
    draft *d = &op->drafts[op->n_drafts];
    memset(d, 0, sizeof *d);
    d->inst.id = iid;
    d->existed = live != NULL;
    bool start_empty = live == NULL || (op->mode == LWM2M_WRITE_BOOTSTRAP && instance_level);
    if (!start_empty) {
        int rc = inst_clone(&d->inst, live);
        if (rc != LWM2M_OK)
            return rc;
        if (op->mode == LWM2M_WRITE_REPLACE && instance_level) {
            /* Replace drops every writable resource the payload does not carry. */
            for (size_t r = d->inst.n_res; r-- > 0;) {
                const lwm2m_resource_def *rd =
                    lwm2m_objdef_resource(op->obj->def, d->inst.res[r].id);
                if (rd == NULL || (rd->ops & LWM2M_OP_WRITE))
                    remove_res(&d->inst, d->inst.res[r].id);
            }
        }
    }
    op->n_drafts++;
    *out = d;
    return LWM2M_OK;
}

/* True when an earlier record of this write already touched resource (iid, rid). */
static bool touched_before(const lwm2m_record *recs, size_t k, uint16_t iid, uint16_t rid)
{
    for (size_t j = 0; j < k; j++) {
        if (recs[j].path.len >= 3 && recs[j].path.id[1] == iid && recs[j].path.id[2] == rid)
            return true;
    }
    return false;
}

static int apply_record(write_op *op, const lwm2m_record *recs, size_t k)
{
    const lwm2m_record *rec = &recs[k];
    if (!lwm2m_path_is_prefix(op->base, &rec->path) || rec->path.len < 2)
        return LWM2M_ERR_INVALID;
    draft *d;
    int rc = get_draft(op, rec->path.id[1], &d);
    if (rc != LWM2M_OK)
        return rc;
    if (rec->path.len == 2) /* an empty instance: the draft alone creates it */
        return rec->value.type == LWM2M_TYPE_NONE ? LWM2M_OK : LWM2M_ERR_INVALID;

    uint16_t rid = rec->path.id[2];
    const lwm2m_resource_def *rd = lwm2m_objdef_resource(op->obj->def, rid);
    if (rd == NULL)
        return is_dm_mode(op->mode) ? LWM2M_ERR_INVALID : LWM2M_OK; /* bootstrap: ignore */
    if (rd->type == LWM2M_TYPE_NONE)                                /* executable: holds no value */
        return is_dm_mode(op->mode) ? LWM2M_ERR_NOT_ALLOWED : LWM2M_OK;
    if ((op->mode == LWM2M_WRITE_REPLACE || op->mode == LWM2M_WRITE_UPDATE) &&
        !(rd->ops & LWM2M_OP_WRITE))
        return LWM2M_ERR_NOT_ALLOWED;

    bool rec_multiple = rec->path.len == 4 || rec->value.type == LWM2M_TYPE_NONE;
    if (rec_multiple != rd->multiple)
        return LWM2M_ERR_INVALID;

    /* Replace semantics everywhere but in a partial update: the first record of a resource
     * clears what the resource held. */
    if (op->mode != LWM2M_WRITE_UPDATE && !touched_before(recs, k, rec->path.id[1], rid))
        remove_res(&d->inst, rid);
    mres *r = get_res(&d->inst, rid, rd->multiple);
    if (r == NULL)
        return LWM2M_ERR_NOMEM;
    if (rec->value.type == LWM2M_TYPE_NONE) /* empty multiple resource */
        return LWM2M_OK;

    lwm2m_value typed;
    rc = lwm2m_value_convert(&rec->value, (lwm2m_type)rd->type, &typed);
    if (rc != LWM2M_OK)
        return rc == LWM2M_ERR_RANGE ? LWM2M_ERR_TYPE : rc;
    return rd->multiple ? put_res_inst(r, rec->path.id[3], &typed) : put_single(r, &typed);
}

int lwm2m_model_write(lwm2m_model *m, const lwm2m_path *base, const lwm2m_record *recs, size_t n,
                      lwm2m_write_mode mode, lwm2m_path *bad)
{
    if (base->len < 1)
        return LWM2M_ERR_INVALID;
    mobj *obj = find_obj(m, base->id[0]);
    if (obj == NULL) {
        if (bad)
            *bad = *base;
        return LWM2M_ERR_NOT_FOUND;
    }
    write_op op = {m, obj, base, mode, NULL, 0};
    int rc = LWM2M_OK;
    for (size_t k = 0; k < n; k++) {
        rc = apply_record(&op, recs, k);
        if (rc != LWM2M_OK) {
            if (bad)
                *bad = recs[k].path;
            goto out;
        }
    }
    /* A write that names an instance but carries no record still creates or empties it. */
    if (n == 0 && base->len >= 2) {
        draft *d;
        rc = get_draft(&op, base->id[1], &d);
        if (rc != LWM2M_OK)
            goto out;
    }
    for (size_t i = 0; i < op.n_drafts; i++) {
        if (obj->handlers.write != NULL) {
            lwm2m_path ip = lwm2m_path_inst(obj->id, op.drafts[i].inst.id);
            rc = obj->handlers.write(obj->handlers.ctx, m, &ip, recs, n);
            if (rc != LWM2M_OK) {
                if (bad)
                    *bad = ip;
                goto out;
            }
        }
    }
    rc = reserve_insts(obj, op.n_drafts);
    if (rc != LWM2M_OK)
        goto out;
    for (size_t i = 0; i < op.n_drafts; i++)
        install_inst(obj, &op.drafts[i].inst);
    free(op.drafts);
    return LWM2M_OK;
out:
    free_drafts(&op);
    return rc;
}

int lwm2m_model_set(lwm2m_model *m, const lwm2m_path *path, const lwm2m_value *value)
{
    if (path->len != 3 && path->len != 4)
        return LWM2M_ERR_INVALID;
    mobj *obj = find_obj(m, path->id[0]);
    if (obj == NULL)
        return LWM2M_ERR_NOT_FOUND;
    const lwm2m_resource_def *rd = lwm2m_objdef_resource(obj->def, path->id[2]);
    bool multiple = rd ? rd->multiple : path->len == 4;
    if (multiple != (path->len == 4))
        return LWM2M_ERR_INVALID;
    lwm2m_value typed = *value;
    if (rd != NULL && rd->type != LWM2M_TYPE_NONE) {
        int rc = lwm2m_value_convert(value, (lwm2m_type)rd->type, &typed);
        if (rc != LWM2M_OK)
            return LWM2M_ERR_TYPE;
    }
    int rc = reserve_insts(obj, 1);
    if (rc != LWM2M_OK)
        return rc;
    minst *in = find_inst(obj, path->id[1]);
    if (in == NULL) {
        minst fresh = {path->id[1], NULL, 0};
        install_inst(obj, &fresh);
        in = find_inst(obj, path->id[1]);
    }
    mres *r = get_res(in, path->id[2], multiple);
    if (r == NULL)
        return LWM2M_ERR_NOMEM;
    return multiple ? put_res_inst(r, path->id[3], &typed) : put_single(r, &typed);
}

const lwm2m_value *lwm2m_model_get(const lwm2m_model *m, const lwm2m_path *path)
{
    if (path->len != 3 && path->len != 4)
        return NULL;
    const mobj *o = find_obj(m, path->id[0]);
    const minst *in = o ? find_inst(o, path->id[1]) : NULL;
    const mres *r = in ? find_res(in, path->id[2]) : NULL;
    if (r == NULL)
        return NULL;
    if (path->len == 3)
        return !r->multiple && r->value.type != LWM2M_TYPE_NONE ? &r->value : NULL;
    const mres_inst *ri = r->multiple ? find_res_inst(r, path->id[3]) : NULL;
    return ri ? &ri->value : NULL;
}

int lwm2m_model_get_int(const lwm2m_model *m, const lwm2m_path *path, int64_t *out)
{
    const lwm2m_value *v = lwm2m_model_get(m, path);
    if (v == NULL)
        return LWM2M_ERR_NOT_FOUND;
    lwm2m_value c;
    if (lwm2m_value_convert(v, LWM2M_TYPE_INTEGER, &c) != LWM2M_OK)
        return LWM2M_ERR_TYPE;
    *out = c.v.i;
    return LWM2M_OK;
}

int lwm2m_model_get_bool(const lwm2m_model *m, const lwm2m_path *path, bool *out)
{
    const lwm2m_value *v = lwm2m_model_get(m, path);
    if (v == NULL)
        return LWM2M_ERR_NOT_FOUND;
    if (v->type != LWM2M_TYPE_BOOLEAN)
        return LWM2M_ERR_TYPE;
    *out = v->v.b;
    return LWM2M_OK;
}

int lwm2m_model_get_bytes(const lwm2m_model *m, const lwm2m_path *path, lwm2m_bytes *out)
{
    const lwm2m_value *v = lwm2m_model_get(m, path);
    if (v == NULL)
        return LWM2M_ERR_NOT_FOUND;
    if (!has_bytes(v->type))
        return LWM2M_ERR_TYPE;
    *out = v->v.bytes;
    return LWM2M_OK;
}

/* ---- delete ------------------------------------------------------------------------------ */

bool lwm2m_model_is_bootstrap_account(const lwm2m_model *m, uint16_t inst)
{
    bool bs = false;
    lwm2m_path p = lwm2m_path_res(0, inst, 1);
    return lwm2m_model_get_bool(m, &p, &bs) == LWM2M_OK && bs;
}

static bool is_protected(const lwm2m_model *m, uint16_t obj, uint16_t inst)
{
    return (obj == 0 && lwm2m_model_is_bootstrap_account(m, inst)) || (obj == 3 && inst == 0);
}

static void delete_unprotected(lwm2m_model *m, mobj *o)
{
    for (size_t i = o->n_insts; i-- > 0;) {
        if (!is_protected(m, o->id, o->insts[i].id)) {
            lwm2m_path p = lwm2m_path_inst(o->id, o->insts[i].id);
            drop_attrs_under(m, &p);
            remove_inst_at(o, i);
        }
    }
}

int lwm2m_model_delete(lwm2m_model *m, const lwm2m_path *path, lwm2m_delete_mode mode)
{
    if (mode == LWM2M_DELETE_DM) {
        if (path->len != 2)
            return LWM2M_ERR_INVALID;
    } else if (path->len > 2) {
        return LWM2M_ERR_INVALID;
    }
    if (path->len == 0) {
        for (size_t i = 0; i < m->n_objs; i++)
            delete_unprotected(m, &m->objs[i]);
        return LWM2M_OK;
    }
    mobj *o = find_obj(m, path->id[0]);
    if (o == NULL)
        return LWM2M_ERR_NOT_FOUND;
    if (path->len == 1) {
        delete_unprotected(m, o);
        return LWM2M_OK;
    }
    bool found;
    size_t i = bsearch_id(o->insts, o->n_insts, sizeof *o->insts, path->id[1], &found);
    if (!found)
        return mode == LWM2M_DELETE_DM ? LWM2M_ERR_NOT_FOUND : LWM2M_OK;
    if (mode == LWM2M_DELETE_BOOTSTRAP && is_protected(m, o->id, path->id[1]))
        return LWM2M_OK;
    drop_attrs_under(m, path);
    remove_inst_at(o, i);
    return LWM2M_OK;
}

/* ---- read -------------------------------------------------------------------------------- */

static int emit(lwm2m_record_list *out, const lwm2m_path *p, const lwm2m_value *v)
{
    return lwm2m_record_list_add(out, p, v);
}

static int read_res(const mobj *o, const minst *in, const mres *r, const lwm2m_path *filter,
                    lwm2m_record_list *out)
{
    static const lwm2m_value none = {LWM2M_TYPE_NONE, {0}};
    lwm2m_path rp = lwm2m_path_res(o->id, in->id, r->id);
    if (!r->multiple) {
        if (r->value.type == LWM2M_TYPE_NONE)
            return LWM2M_OK;
        return emit(out, &rp, &r->value);
    }
    if (r->n_insts == 0)
        return filter->len <= 3 ? emit(out, &rp, &none) : LWM2M_OK;
    for (size_t i = 0; i < r->n_insts; i++) {
        lwm2m_path ri = lwm2m_path_rinst(o->id, in->id, r->id, r->insts[i].id);
        if (filter->len == 4 && filter->id[3] != ri.id[3])
            continue;
        int rc = emit(out, &ri, &r->insts[i].value);
        if (rc != LWM2M_OK)
            return rc;
    }
    return LWM2M_OK;
}

static int read_inst(const mobj *o, const minst *in, const lwm2m_path *filter,
                     lwm2m_record_list *out)
{
    static const lwm2m_value none = {LWM2M_TYPE_NONE, {0}};
    if (filter->len <= 2 && in->n_res == 0) {
        lwm2m_path ip = lwm2m_path_inst(o->id, in->id);
        return emit(out, &ip, &none);
    }
    for (size_t i = 0; i < in->n_res; i++) {
        if (filter->len >= 3 && filter->id[2] != in->res[i].id)
            continue;
        int rc = read_res(o, in, &in->res[i], filter, out);
        if (rc != LWM2M_OK)
            return rc;
    }
    return LWM2M_OK;
}

static int check_exists(const lwm2m_model *m, const lwm2m_path *p)
{
    if (p->len == 0)
        return LWM2M_OK;
    const mobj *o = find_obj(m, p->id[0]);
    if (o == NULL)
        return LWM2M_ERR_NOT_FOUND;
    if (p->len == 1)
        return LWM2M_OK;
    const minst *in = find_inst(o, p->id[1]);
    if (in == NULL)
        return LWM2M_ERR_NOT_FOUND;
    if (p->len == 2)
        return LWM2M_OK;
    const mres *r = find_res(in, p->id[2]);
    if (r == NULL || (!r->multiple && r->value.type == LWM2M_TYPE_NONE))
        return LWM2M_ERR_NOT_FOUND;
    if (p->len == 3)
        return LWM2M_OK;
    return r->multiple && find_res_inst(r, p->id[3]) ? LWM2M_OK : LWM2M_ERR_NOT_FOUND;
}

/* Read hooks may change the model (lwm2m_model_set), so they all run before any value is
 * borrowed. Instance ids are collected first because a hook may add instances. */
static int run_read_hooks(lwm2m_model *m, const lwm2m_path *path)
{
    for (size_t i = 0; i < m->n_objs; i++) {
        uint16_t oid = m->objs[i].id;
        if (path->len >= 1 && path->id[0] != oid)
            continue;
        if (m->objs[i].handlers.read == NULL)
            continue;
        size_t n = m->objs[i].n_insts;
        uint16_t *ids = malloc((n ? n : 1) * sizeof *ids);
        if (ids == NULL)
            return LWM2M_ERR_NOMEM;
        for (size_t j = 0; j < n; j++)
            ids[j] = m->objs[i].insts[j].id;
        int rc = LWM2M_OK;
        for (size_t j = 0; j < n && rc == LWM2M_OK; j++) {
            if (path->len >= 2 && path->id[1] != ids[j])
                continue;
            mobj *o = find_obj(m, oid);
            lwm2m_path ip = path->len >= 2 ? *path : lwm2m_path_inst(oid, ids[j]);
            rc = o->handlers.read(o->handlers.ctx, m, &ip);
        }
        free(ids);
        if (rc != LWM2M_OK)
            return rc;
    }
    return LWM2M_OK;
}

int lwm2m_model_read(lwm2m_model *m, const lwm2m_path *path, lwm2m_record_list *out)
{
    int rc = check_exists(m, path);
    if (rc != LWM2M_OK)
        return rc;
    rc = run_read_hooks(m, path);
    if (rc != LWM2M_OK)
        return rc;
    rc = check_exists(m, path); /* a hook may have removed it */
    if (rc != LWM2M_OK)
        return rc;
    size_t start = out->count;
    for (size_t i = 0; i < m->n_objs; i++) {
        const mobj *o = &m->objs[i];
        if (path->len >= 1 && path->id[0] != o->id)
            continue;
        for (size_t j = 0; j < o->n_insts; j++) {
            if (path->len >= 2 && path->id[1] != o->insts[j].id)
                continue;
            rc = read_inst(o, &o->insts[j], path, out);
            if (rc != LWM2M_OK) {
                out->count = start;
                return rc;
            }
        }
    }
    return LWM2M_OK;
}

/* ---- execute ----------------------------------------------------------------------------- */

int lwm2m_model_execute(lwm2m_model *m, const lwm2m_path *path, const uint8_t *args, size_t len)
{
    if (path->len != 3)
        return LWM2M_ERR_NOT_ALLOWED;
    mobj *o = find_obj(m, path->id[0]);
    if (o == NULL || find_inst(o, path->id[1]) == NULL)
        return LWM2M_ERR_NOT_FOUND;
    const lwm2m_resource_def *rd = lwm2m_objdef_resource(o->def, path->id[2]);
    if (rd == NULL)
        return LWM2M_ERR_NOT_FOUND;
    if (!(rd->ops & LWM2M_OP_EXECUTE) || o->handlers.execute == NULL)
        return LWM2M_ERR_NOT_ALLOWED;
    return o->handlers.execute(o->handlers.ctx, m, path, args, len);
}

/* ---- attributes -------------------------------------------------------------------------- */

static const char *const attr_names[LWM2M_ATTR_COUNT_] = {"pmin", "pmax",  "gt",   "lt",
                                                          "st",   "epmin", "epmax"};

const char *lwm2m_attr_name(lwm2m_attr a)
{
    return (unsigned)a < LWM2M_ATTR_COUNT_ ? attr_names[a] : "?";
}

int lwm2m_attr_from_name(const char *name, size_t len)
{
    for (int i = 0; i < LWM2M_ATTR_COUNT_; i++)
        if (strlen(attr_names[i]) == len && memcmp(attr_names[i], name, len) == 0)
            return i;
    return -1;
}

static mattr *find_attr(const lwm2m_model *m, uint16_t ssid, const lwm2m_path *p)
{
    for (size_t i = 0; i < m->n_attrs; i++)
        if (m->attrs[i].ssid == ssid && lwm2m_path_equal(&m->attrs[i].path, p))
            return &m->attrs[i];
    return NULL;
}

int lwm2m_model_set_attr(lwm2m_model *m, uint16_t ssid, const lwm2m_path *path, lwm2m_attr a,
                         double value, bool clear)
{
    if ((unsigned)a >= LWM2M_ATTR_COUNT_ || path->len < 1)
        return LWM2M_ERR_INVALID;
    if (!clear && !isfinite(value))
        return LWM2M_ERR_RANGE;
    int rc = check_exists(m, path);
    if (rc != LWM2M_OK)
        return rc;
    mattr *at = find_attr(m, ssid, path);
    if (at == NULL) {
        if (clear)
            return LWM2M_OK;
        mattr *grown = realloc(m->attrs, (m->n_attrs + 1) * sizeof *m->attrs);
        if (grown == NULL)
            return LWM2M_ERR_NOMEM;
        m->attrs = grown;
        at = &m->attrs[m->n_attrs++];
        memset(at, 0, sizeof *at);
        at->ssid = ssid;
        at->path = *path;
    }
    if (clear) {
        at->set &= (uint8_t) ~(1u << a);
    } else {
        at->values[a] = value;
        at->set |= (uint8_t)(1u << a);
    }
    return LWM2M_OK;
}

int lwm2m_model_get_attr(const lwm2m_model *m, uint16_t ssid, const lwm2m_path *path, lwm2m_attr a,
                         double *out)
{
    const mattr *at = (unsigned)a < LWM2M_ATTR_COUNT_ ? find_attr(m, ssid, path) : NULL;
    if (at == NULL || !(at->set & (1u << a)))
        return LWM2M_ERR_NOT_FOUND;
    *out = at->values[a];
    return LWM2M_OK;
}

/* ---- discover ---------------------------------------------------------------------------- */

static void put_link(lwm2m_buf *out, bool *first, const lwm2m_path *p)
{
    char s[LWM2M_PATH_STR_MAX];
    lwm2m_path_format(p, s, sizeof s);
    if (!*first)
        lwm2m_buf_putc(out, ',');
    *first = false;
    lwm2m_buf_putc(out, '<');
    lwm2m_buf_puts(out, s);
    lwm2m_buf_putc(out, '>');
}

static void put_attrs(const lwm2m_model *m, uint16_t ssid, const lwm2m_path *p, lwm2m_buf *out)
{
    const mattr *at = find_attr(m, ssid, p);
    if (at == NULL)
        return;
    for (int a = 0; a < LWM2M_ATTR_COUNT_; a++) {
        if (!(at->set & (1u << a)))
            continue;
        char num[LWM2M_DOUBLE_STR_MAX];
        lwm2m_fmt_double(at->values[a], num, sizeof num);
        lwm2m_buf_printf(out, ";%s=%s", attr_names[a], num);
    }
}

static void put_version(const mobj *o, lwm2m_buf *out)
{
    if (o->def->version != NULL && strcmp(o->def->version, "1.0") != 0)
        lwm2m_buf_printf(out, ";ver=%s", o->def->version);
}

/* Appends ;ssid= and ;uri= of a Security or Server instance, as Bootstrap-Discover shows. */
static void put_account_attrs(const lwm2m_model *m, const mobj *o, uint16_t iid, lwm2m_buf *out)
{
    int64_t ssid;
    if (o->id == 0) {
        if (lwm2m_model_is_bootstrap_account(m, iid))
            return; /* no ssid: this is how a Bootstrap Server finds its own account */
        lwm2m_path sp = lwm2m_path_res(0, iid, 10);
        if (lwm2m_model_get_int(m, &sp, &ssid) == LWM2M_OK)
            lwm2m_buf_printf(out, ";ssid=%lld", (long long)ssid);
        lwm2m_bytes uri;
        lwm2m_path up = lwm2m_path_res(0, iid, 0);
        if (lwm2m_model_get_bytes(m, &up, &uri) == LWM2M_OK) {
            lwm2m_buf_puts(out, ";uri=\"");
            for (size_t i = 0; i < uri.len; i++) {
                if (uri.ptr[i] == '"' || uri.ptr[i] == '\\')
                    lwm2m_buf_putc(out, '\\');
                lwm2m_buf_putc(out, uri.ptr[i]);
            }
            lwm2m_buf_putc(out, '"');
        }
    } else if (o->id == 1) {
        lwm2m_path sp = lwm2m_path_res(1, iid, 0);
        if (lwm2m_model_get_int(m, &sp, &ssid) == LWM2M_OK)
            lwm2m_buf_printf(out, ";ssid=%lld", (long long)ssid);
    }
}

static void discover_object_list(const lwm2m_model *m, const lwm2m_path *path,
                                 lwm2m_discover_mode mode, lwm2m_buf *out, bool *first)
{
    for (size_t i = 0; i < m->n_objs; i++) {
        const mobj *o = &m->objs[i];
        if (path->len >= 1 && path->id[0] != o->id)
            continue;
        /* Security (and OSCORE) never appear in a registration. */
        if (mode == LWM2M_DISCOVER_REGISTER && (o->id == 0 || o->id == 21))
            continue;
        bool versioned = o->def->version != NULL && strcmp(o->def->version, "1.0") != 0;
        if (o->n_insts == 0 || versioned) {
            lwm2m_path op = lwm2m_path_obj(o->id);
            put_link(out, first, &op);
            put_version(o, out);
        }
        for (size_t j = 0; j < o->n_insts; j++) {
            lwm2m_path ip = lwm2m_path_inst(o->id, o->insts[j].id);
            put_link(out, first, &ip);
            if (mode == LWM2M_DISCOVER_BOOTSTRAP)
                put_account_attrs(m, o, o->insts[j].id, out);
        }
    }
}

static void discover_dm(const lwm2m_model *m, const mobj *o, const lwm2m_path *path, uint16_t ssid,
                        lwm2m_buf *out, bool *first)
{
    if (path->len == 1) {
        put_link(out, first, path);
        put_version(o, out);
        put_attrs(m, ssid, path, out);
    }
    for (size_t j = 0; j < o->n_insts; j++) {
        const minst *in = &o->insts[j];
        if (path->len >= 2 && path->id[1] != in->id)
            continue;
        lwm2m_path ip = lwm2m_path_inst(o->id, in->id);
        if (path->len <= 2) {
            put_link(out, first, &ip);
            put_attrs(m, ssid, &ip, out);
        }
        for (size_t k = 0; k < in->n_res; k++) {
            const mres *r = &in->res[k];
            if (path->len >= 3 && path->id[2] != r->id)
                continue;
            lwm2m_path rp = lwm2m_path_res(o->id, in->id, r->id);
            put_link(out, first, &rp);
            if (r->multiple)
                lwm2m_buf_printf(out, ";dim=%zu", r->n_insts);
            put_attrs(m, ssid, &rp, out);
        }
    }
}

int lwm2m_model_discover(lwm2m_model *m, const lwm2m_path *path, lwm2m_discover_mode mode,
                         const char *lwm2m_version, uint16_t ssid, lwm2m_buf *out)
{
    bool first = true;
    int rc = check_exists(m, path);
    if (rc != LWM2M_OK)
        return rc;
    switch (mode) {
    case LWM2M_DISCOVER_BOOTSTRAP:
        if (path->len > 1)
            return LWM2M_ERR_INVALID;
        lwm2m_buf_printf(out, "</>;lwm2m=%s", lwm2m_version ? lwm2m_version : "1.1");
        first = false;
        discover_object_list(m, path, mode, out, &first);
        break;
    case LWM2M_DISCOVER_REGISTER:
        if (path->len != 0)
            return LWM2M_ERR_INVALID;
        discover_object_list(m, path, mode, out, &first);
        break;
    case LWM2M_DISCOVER_DM:
        if (path->len < 1 || path->len > 3)
            return LWM2M_ERR_INVALID;
        discover_dm(m, find_obj(m, path->id[0]), path, ssid, out, &first);
        break;
    }
    return lwm2m_buf_overflowed(out) ? LWM2M_ERR_OVERFLOW : LWM2M_OK;
}
