/* Internal: what a Bootstrap-Discover answer says about the client, which plan of a
 * configuration fits it, and the auto-ID renumbering of Security (/0) instances. */
#ifndef LWM2M_BS_PLAN_SELECT_H
#define LWM2M_BS_PLAN_SELECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwm2m/bs_config.h"
#include "lwm2m/record.h"

/* A /0 or /1 instance the client listed with an ssid (an existing Server Account half). */
typedef struct lwm2m_bs_listed_account {
    uint16_t obj;
    uint16_t inst;
    uint16_t ssid;
} lwm2m_bs_listed_account;

typedef struct lwm2m_bs_client_info {
    char lwm2m_version[16]; /* from </>;lwm2m=, "" when absent */
    uint16_t *objects;      /* ascending, unique: every object of a listed path */
    size_t object_count;
    bool has_bs_account;
    uint16_t bs_account; /* the first /0 instance listed without ssid */
    lwm2m_bs_listed_account *accounts;
    size_t account_count;
} lwm2m_bs_client_info;

/* Parses a Bootstrap-Discover answer (link format). Links whose target is not an LwM2M path
 * are ignored. Returns 0, LWM2M_ERR_INVALID (bad syntax, `diag` says where) or
 * LWM2M_ERR_NOMEM. On error `out` holds nothing to free. */
int lwm2m_bs_client_info_parse(const uint8_t *in, size_t len, lwm2m_bs_client_info *out, char *diag,
                               size_t diaglen);
void lwm2m_bs_client_info_free(lwm2m_bs_client_info *ci);

/* Objects 0 and 1 are always assumed present: every client has them. */
bool lwm2m_bs_client_info_has_object(const lwm2m_bs_client_info *ci, uint16_t obj);

/* Whether the client described by `ci` can hold `plan`; `ci` NULL (no Discover) means yes.
 * On false, `why` gets one line naming the reason. */
bool lwm2m_bs_plan_fits(const lwm2m_bs_plan *plan, const lwm2m_bs_client_info *ci, char *why,
                        size_t whylen);

/* The first plan of `cfg` from index `from` on that fits; cfg->plan_count when none (`why`
 * then names the reason for the last plan checked, prefixed with its index). */
size_t lwm2m_bs_plan_select(const lwm2m_bs_config *cfg, size_t from, const lwm2m_bs_client_info *ci,
                            char *why, size_t whylen);

/* Renumbers in place the /0 instance ids of `recs` (a copy of a plan's records) around the
 * client's Bootstrap-Server account `client_bs`: the plan's own Bootstrap-Server account (the
 * first /0 instance with resource 1 = true) moves onto `client_bs`; any other /0 instance
 * that would land on `client_bs` moves to the lowest id used neither by the plan's
 * (renumbered) /0 instances nor by `client_bs`. Records may need sorting afterwards.
 * Returns 0, LWM2M_ERR_NOMEM or LWM2M_ERR_RANGE (no free id). */
int lwm2m_bs_auto_id(lwm2m_record *recs, size_t n, uint16_t client_bs);

#endif
