/* The client side of the Device Management and Service Enablement interface as a sans-I/O
 * handler: the transport hands it each request of a registered LwM2M Server (identified by
 * its Short Server ID) and sends back the response it fills. Read, Discover, Write (replace
 * and partial update), Write-Attributes, Execute, Create and Delete, with the access rules of
 * the spec: the Security object is never accessible (4.01), and with Access Control
 * instances present a server only gets the rights its ACL entry (or ownership) grants.
 * Executes that concern the client itself (Bootstrap-Request Trigger /1/x/9,
 * Registration Update Trigger /1/x/8, Disable /1/x/4) are reported as events for the caller
 * to act on after the response is sent. */
#ifndef LWM2M_DM_CLIENT_H
#define LWM2M_DM_CLIENT_H

#include <stdint.h>

#include "lwm2m/bs_client.h"
#include "lwm2m/model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lwm2m_dm_event {
    LWM2M_DM_EVENT_NONE = 0,
    LWM2M_DM_EVENT_BOOTSTRAP_REQUEST,   /* /1/x/9 executed: start a client-initiated bootstrap */
    LWM2M_DM_EVENT_REGISTRATION_UPDATE, /* /1/x/8 executed: send an Update to that server */
    LWM2M_DM_EVENT_DISABLE,             /* /1/x/4 executed: de-register for Disable Timeout */
    /* A Create (2.01) made instance event_iid of the request's object: the response must carry
     * Location-Path "/o/event_iid" (lwm2m_dm_location formats it). */
    LWM2M_DM_EVENT_CREATED,
} lwm2m_dm_event;

/* Access rights bits of an ACL entry (/2/x/2/ssid). */
enum {
    LWM2M_ACL_READ = 1,
    LWM2M_ACL_WRITE = 2,
    LWM2M_ACL_EXECUTE = 4,
    LWM2M_ACL_DELETE = 8,
    LWM2M_ACL_CREATE = 16,
};

typedef struct lwm2m_dm_context {
    lwm2m_model *model;
    const char *lwm2m_version; /* "1.0", "1.1" or "1.2" */
    lwm2m_format read_format;  /* Read of more than one resource without Accept */
} lwm2m_dm_context;

/* Handles one request from the server with Short Server ID `ssid`. `*event` receives what the
 * caller must do once the response is sent; `*event_iid` the /1 instance concerned. */
void lwm2m_dm_handle(const lwm2m_dm_context *ctx, uint16_t ssid, const lwm2m_request *req,
                     lwm2m_response *resp, lwm2m_dm_event *event, uint16_t *event_iid);

/* The Location-Path of the instance a Create made ("/3/4") into buf, NUL-terminated; the length
 * written, 0 when `req` is not a Create on an object or buf is too small. */
size_t lwm2m_dm_location(const lwm2m_request *req, uint16_t iid, char *buf, size_t cap);

/* Access rights of `ssid` on object instance /obj/inst (inst 65535: Create on obj), from the
 * Access Control instances of `m`: all rights when the model has no /2 instance at all
 * (single-server operation) or `ssid` owns the instance's ACL. */
unsigned lwm2m_dm_access_rights(const lwm2m_model *m, uint16_t ssid, uint16_t obj, uint16_t inst);

#ifdef __cplusplus
}
#endif
#endif
