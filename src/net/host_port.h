/* Internal: "HOST:PORT" text to a socket address and back, without libcoap (the libcoap
 * runtimes wrap it in net_util.h, our UDP endpoint uses it directly). */
#ifndef LWM2M_NET_HOST_PORT_H
#define LWM2M_NET_HOST_PORT_H

#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

typedef union lwm2m_net_addr {
    struct sockaddr sa;
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
} lwm2m_net_addr;

/* "HOST:PORT" (an IPv4 literal, or [IPv6]:PORT) into *out. 0, or -1 when it does not parse. */
int lwm2m_net_parse_addr(const char *s, lwm2m_net_addr *out);

/* The length of the address for bind/sendto. */
socklen_t lwm2m_net_addr_len(const lwm2m_net_addr *a);

/* "HOST:PORT" of an IPv4 or IPv6 address ("?:0" for another family). */
void lwm2m_net_format_addr(const struct sockaddr *a, char *buf, size_t cap);

/* "HOST:0" as "HOST:P" with P a UDP port free right now (what several processes binding the
 * same port with SO_REUSEPORT must agree on); other ports are copied. 0, or -1 with `err`. */
int lwm2m_net_fix_port(const char *host_port, char *out, size_t cap, char *err, size_t errlen);

#endif
