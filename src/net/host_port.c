/* "HOST:PORT" text to a socket address and back. */
#include "net/host_port.h"

#include <stdbool.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int lwm2m_net_parse_addr(const char *s, lwm2m_net_addr *out)
{
    char host[INET6_ADDRSTRLEN + 2];
    const char *colon = strrchr(s, ':');
    if (colon == NULL || (size_t)(colon - s) >= sizeof host)
        return -1;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    char *end = NULL;
    long port = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || *end != '\0' || port < 0 || port > 65535)
        return -1;
    memset(out, 0, sizeof *out);
    size_t hl = strlen(host);
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        host[hl - 1] = '\0';
        out->v6.sin6_family = AF_INET6;
        out->v6.sin6_port = htons((uint16_t)port);
        return inet_pton(AF_INET6, host + 1, &out->v6.sin6_addr) == 1 ? 0 : -1;
    }
    out->v4.sin_family = AF_INET;
    out->v4.sin_port = htons((uint16_t)port);
    return inet_pton(AF_INET, host, &out->v4.sin_addr) == 1 ? 0 : -1;
}

socklen_t lwm2m_net_addr_len(const lwm2m_net_addr *a)
{
    return a->sa.sa_family == AF_INET6 ? sizeof a->v6 : sizeof a->v4;
}

void lwm2m_net_format_addr(const struct sockaddr *a, char *buf, size_t cap)
{
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (a != NULL && a->sa_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)(const void *)a;
        inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host);
        port = ntohs(v4->sin_port);
    } else if (a != NULL && a->sa_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)(const void *)a;
        inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host);
        port = ntohs(v6->sin6_port);
    }
    snprintf(buf, cap, "%s:%u", host, port);
}

int lwm2m_net_fix_port(const char *host_port, char *out, size_t cap, char *err, size_t errlen)
{
    lwm2m_net_addr a;
    if (lwm2m_net_parse_addr(host_port, &a) != 0) {
        snprintf(err, errlen, "bad address (HOST:PORT)");
        return -1;
    }
    bool v6 = a.sa.sa_family == AF_INET6;
    if ((v6 ? a.v6.sin6_port : a.v4.sin_port) != 0) {
        if ((size_t)snprintf(out, cap, "%s", host_port) >= cap) {
            snprintf(err, errlen, "address too long");
            return -1;
        }
        return 0;
    }
    int fd = socket(a.sa.sa_family, SOCK_DGRAM, 0);
    socklen_t len = lwm2m_net_addr_len(&a);
    if (fd < 0 || bind(fd, &a.sa, len) != 0 || getsockname(fd, &a.sa, &len) != 0) {
        snprintf(err, errlen, "no free port");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    const char *colon = strrchr(host_port, ':');
    unsigned port = ntohs(v6 ? a.v6.sin6_port : a.v4.sin_port);
    if ((size_t)snprintf(out, cap, "%.*s:%u", (int)(colon - host_port), host_port, port) >= cap) {
        snprintf(err, errlen, "address too long");
        return -1;
    }
    return 0;
}
