/* `lwm2m-server clients|show|read|...`: command-line clients of a running server's HTTP API
 * (docs/server-api.md). */
#ifndef LWM2M_APP_SERVER_CLI_H
#define LWM2M_APP_SERVER_CLI_H

#include <stdbool.h>
#include <stdio.h>

/* Whether `name` is one of the client commands (clients, show, read, discover, write,
 * attributes, exec, create, delete, observe, cancel, events). */
bool lwm2m_server_cli_is_command(const char *name);

/* Runs a client command; argv[0] is the command name. Exit status: 0 the LwM2M client answered
 * 2.xx (or the listing succeeded), 1 it answered an error, did not answer in time, or the
 * endpoint is not registered, 2 bad usage, 3 the API cannot be reached. */
int lwm2m_server_cli_run(int argc, char **argv);

/* The client commands' part of `lwm2m-server --help`. */
void lwm2m_server_cli_usage(FILE *f);

#endif
