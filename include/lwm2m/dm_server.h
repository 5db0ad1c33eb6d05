/* The LwM2M Server's side of the Device Management and Information Reporting interfaces,
 * sans-I/O: the CoAP request for each operation on a registered client (content format
 * negotiated from what the client announced), and the JSON the server's API shows for the
 * client's answer or notification. */
#ifndef LWM2M_DM_SERVER_H
#define LWM2M_DM_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwm2m/buf.h"
#include "lwm2m/codec.h"
#include "lwm2m/objdef.h"
#include "lwm2m/path.h"
#include "lwm2m/rd.h"
#include "lwm2m/record.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lwm2m_dm_op {
    LWM2M_DM_READ,             /* GET, Accept: the negotiated format */
    LWM2M_DM_DISCOVER,         /* GET, Accept: 40 */
    LWM2M_DM_WRITE,            /* PUT: replace */
    LWM2M_DM_WRITE_UPDATE,     /* POST: partial update */
    LWM2M_DM_WRITE_ATTRIBUTES, /* PUT with only Uri-Query (pmin=10&pmax=60), no payload */
    LWM2M_DM_EXECUTE,          /* POST on a resource, optional text arguments (0='a',1) */
    LWM2M_DM_CREATE,           /* POST on an object */
    LWM2M_DM_DELETE,           /* DELETE on an instance */
    LWM2M_DM_OBSERVE,          /* GET with Observe 0 */
    LWM2M_DM_OBSERVE_CANCEL,   /* GET with Observe 1 (the transport reuses the token) */
} lwm2m_dm_op;

/* "read", "discover", "write", "write-update", "write-attributes", "execute", "create",
 * "delete", "observe", "observe-cancel"; NULL for others. */
const char *lwm2m_dm_op_name(lwm2m_dm_op op);
/* The inverse: 0 or LWM2M_ERR_INVALID. */
int lwm2m_dm_op_from_name(const char *name, lwm2m_dm_op *out);

/* One operation towards a client, as the API asked for it. */
typedef struct lwm2m_dm_args {
    lwm2m_dm_op op;
    lwm2m_path path;
    /* WRITE, WRITE_UPDATE, CREATE: the values, absolute paths below (or at) `path`. */
    const lwm2m_record *records;
    size_t record_count;
    /* EXECUTE: the arguments; WRITE_ATTRIBUTES: the query ("pmin=10&pmax=60&gt=5", "pmin"
     * alone removes it). NULL when none. */
    const char *text;
    /* Content format to use instead of the negotiated one; LWM2M_FORMAT_NONE to negotiate. */
    lwm2m_format format;
} lwm2m_dm_args;

/* The CoAP request for an operation. */
typedef struct lwm2m_dm_wire {
    unsigned method;     /* LWM2M_METHOD_* */
    char path[128];      /* Uri-Path under the client's root path: "/3/0", "/lwm2m/3/0" */
    char query[256];     /* Uri-Query joined with '&', "" when none */
    lwm2m_format format; /* Content-Format of the payload, LWM2M_FORMAT_NONE when none */
    lwm2m_format accept; /* LWM2M_FORMAT_NONE when none */
    unsigned observe;    /* lwm2m_observe_option */
} lwm2m_dm_wire;

/* The format the server uses with `reg` to read and write several values: the first that the
 * client announced (ct= on its root link) of LwM2M CBOR (1.2 only), SenML CBOR, SenML JSON,
 * TLV, LwM2M JSON; with no announcement TLV for 1.0 and SenML CBOR for 1.1 and 1.2 (SenML JSON
 * when `prefer_text`). */
lwm2m_format lwm2m_dm_pick_format(const lwm2m_registration *reg, bool prefer_text);

/* Builds the request for `args` towards `reg` and encodes its payload into `payload`.
 * LWM2M_ERR_INVALID with `err` for an operation that does not fit its path (Execute needs a
 * resource, Create an object, Delete an instance, Write needs records below the path, an
 * attribute query that is not pmin/pmax/gt/lt/st/epmin/epmax with a number), LWM2M_ERR_OVERFLOW
 * when the payload does not fit (payload->len tells the size needed),
 * LWM2M_ERR_UNSUPPORTED when the format cannot carry the records. */
int lwm2m_dm_build(const lwm2m_registration *reg, const lwm2m_dm_args *args, lwm2m_dm_wire *out,
                   lwm2m_buf *payload, char *err, size_t errlen);

/* The values of an API request body for a Write or Create on `path`: `content_type`
 * "text/plain" is the LwM2M text format of one resource (types from the object definitions),
 * "application/senml+json" or "application/json" a SenML JSON array with names relative to
 * `path` or absolute. Strings and opaque values are copied into `arena`. 0, or
 * LWM2M_ERR_INVALID / LWM2M_ERR_TYPE / LWM2M_ERR_NOMEM / LWM2M_ERR_UNSUPPORTED with `err`. */
int lwm2m_dm_body_records(const lwm2m_objdef_list *defs, const lwm2m_path *path,
                          const char *content_type, const uint8_t *body, size_t len,
                          lwm2m_arena *arena, lwm2m_record_list *out, char *err, size_t errlen);

/* The JSON the API answers for the client's response (or a notification) to `op` on `path`,
 * malloc'ed, NULL when out of memory:
 *   {"code":"2.05","status":"CONTENT","format":"senml-cbor",
 *    "content":[{"path":"/3/0/0","type":"string","value":"lwm2m-bootstrap"}, ...]}
 * Values: numbers for integers, unsigned and floats, true/false, strings for strings; opaque
 * values are hex strings with "type":"opaque", time the integer seconds, object links "3:0".
 * Discover answers carry "links":[{"path":"/3/0","attributes":{"pmin":"10"}}]; error codes carry
 * "diagnostic":"<the payload text>"; a payload that does not decode gives
 * "error":"<why>" and the payload as "hex". `code` 0 means no answer (timeout):
 * {"code":null,"status":"TIMEOUT"}. */
char *lwm2m_dm_response_json(const lwm2m_objdef_list *defs, lwm2m_dm_op op, const lwm2m_path *path,
                             unsigned code, lwm2m_format format, const uint8_t *payload,
                             size_t len);

/* The API's JSON of one registration (malloc'ed, NULL when out of memory):
 * {"endpoint":..,"id":..,"version":..,"lifetime":..,"binding":..,"queueMode":..,"sms":..,
 *  "address":..,"secure":..,"identity":..,"rootPath":..,"objectLinks":"..","objects":["/1/1",..],
 *  "formats":[110,...],"registeredAgoMs":..,"updatedAgoMs":..,"expiresInMs":..} */
char *lwm2m_dm_registration_json(const lwm2m_registration *reg, int64_t now_ms);

/* The CoAP code as "2.05" and its name ("CONTENT", "NOT_FOUND", ...; "UNKNOWN" for others). */
void lwm2m_dm_code_text(unsigned code, char out[8]);
const char *lwm2m_dm_code_name(unsigned code);

#ifdef __cplusplus
}
#endif
#endif
