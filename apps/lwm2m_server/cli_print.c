/* What the client commands print: values, links, codes, the registrations' table, JSON. */
#include <stdlib.h>
#include <string.h>

#include "cli_internal.h"
#include "core/numtext.h"

const char *cli_json_str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

bool cli_json_num(const cJSON *obj, const char *key, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(v))
        return false;
    *out = v->valuedouble;
    return true;
}

/* Integers as integers (cJSON keeps doubles), others in their shortest exact form. */
void cli_print_number(FILE *f, double d)
{
    if (d > -9.2e18 && d < 9.2e18 && (double)(long long)d == d) {
        fprintf(f, "%lld", (long long)d);
        return;
    }
    char buf[LWM2M_DOUBLE_STR_MAX];
    if (lwm2m_fmt_double(d, buf, sizeof buf) == 0)
        fputs("null", f);
    else
        fputs(buf, f);
}

void cli_print_compact(FILE *f, const cJSON *v)
{
    char *s = cJSON_PrintUnformatted(v);
    fputs(s ? s : "?", f);
    free(s);
}

/* Indented by two spaces per level, as `python3 -m json.tool` would (cJSON_Print uses tabs
 * and "key":<tab>value). */
void cli_print_pretty(FILE *f, const cJSON *v, int depth)
{
    bool object = cJSON_IsObject(v);
    if ((!object && !cJSON_IsArray(v)) || v->child == NULL) {
        if (object || cJSON_IsArray(v))
            fputs(object ? "{}" : "[]", f);
        else if (cJSON_IsNumber(v))
            cli_print_number(f, v->valuedouble);
        else
            cli_print_compact(f, v);
        return;
    }
    fputc(object ? '{' : '[', f);
    for (const cJSON *e = v->child; e != NULL; e = e->next) {
        fprintf(f, "\n%*s", 2 * (depth + 1), "");
        if (object) {
            cJSON key = {0};
            key.type = cJSON_String;
            key.valuestring = e->string;
            cli_print_compact(f, &key);
            fputs(": ", f);
        }
        cli_print_pretty(f, e, depth + 1);
        if (e->next != NULL)
            fputc(',', f);
    }
    fprintf(f, "\n%*s%c", 2 * depth, "", object ? '}' : ']');
}

/* A raw body on its own line(s). */
void cli_print_raw(const char *body, size_t len)
{
    fwrite(body, 1, len, stdout);
    if (len == 0 || body[len - 1] != '\n')
        fputc('\n', stdout);
}

static void print_value(FILE *f, const cJSON *item)
{
    const char *type = cli_json_str(item, "type");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, "value");
    if (cJSON_IsString(v) && type != NULL && strcmp(type, "opaque") == 0)
        fprintf(f, "0x%s", v->valuestring);
    else if (cJSON_IsString(v) && type != NULL && strcmp(type, "objlnk") == 0)
        fputs(v->valuestring, f);
    else if (cJSON_IsNumber(v))
        cli_print_number(f, v->valuedouble);
    else if (v == NULL || cJSON_IsNull(v))
        fputs("(no value)", f);
    else
        cli_print_compact(f, v); /* strings quoted and escaped, booleans, anything else as JSON */
}

/* `/3/0/0 = "lwm2m-bootstrap"` for each element of "content". */
void cli_print_content(const cJSON *j)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(j, "content"))
    {
        const char *path = cli_json_str(item, "path");
        fprintf(stdout, "%s = ", path ? path : "?");
        print_value(stdout, item);
        fputc('\n', stdout);
    }
    fflush(stdout);
}

/* "2.04 CHANGED" (and the location of a created instance). */
void cli_print_code(const cJSON *j)
{
    const char *location = cli_json_str(j, "location");
    printf("%s %s%s%s\n", cli_json_str(j, "code"),
           cli_json_str(j, "status") ? cli_json_str(j, "status") : "", location ? " " : "",
           location ? location : "");
}

enum { COLS = 7, CELL_MAX = 272 };

static void client_cells(const cJSON *reg, char cells[COLS][CELL_MAX])
{
    static const char *const keys[] = {"endpoint", "id", "version", "binding", "address"};
    for (size_t k = 0; k < 5; k++) {
        const char *s = cli_json_str(reg, keys[k]);
        snprintf(cells[k], CELL_MAX, "%s", s && *s ? s : "-");
    }
    /* 1.1 queue mode is a flag of its own; show it the 1.0 way, in the binding. */
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(reg, "queueMode")) &&
        strchr(cells[3], 'Q') == NULL && strlen(cells[3]) + 1 < CELL_MAX)
        strcat(cells[3], "Q");
    double d;
    if (cli_json_num(reg, "lifetime", &d))
        snprintf(cells[5], CELL_MAX, "%llds", (long long)d);
    else
        strcpy(cells[5], "-");
    if (cli_json_num(reg, "expiresInMs", &d))
        snprintf(cells[6], CELL_MAX, "%llds", (long long)(d / 1000));
    else
        strcpy(cells[6], "-");
}

void cli_print_clients(const cJSON *list)
{
    static const char *const head[COLS] = {"ENDPOINT", "ID",       "VERSION",   "BINDING",
                                           "ADDRESS",  "LIFETIME", "EXPIRES IN"};
    char cells[COLS][CELL_MAX];
    size_t width[COLS];
    for (size_t k = 0; k < COLS; k++)
        width[k] = strlen(head[k]);
    const cJSON *reg;
    cJSON_ArrayForEach(reg, list)
    {
        client_cells(reg, cells);
        for (size_t k = 0; k < COLS; k++) {
            size_t w = strlen(cells[k]);
            width[k] = w > width[k] ? w : width[k];
        }
    }
    for (size_t k = 0; k + 1 < COLS; k++)
        printf("%-*s  ", (int)width[k], head[k]);
    printf("%s\n", head[COLS - 1]);
    cJSON_ArrayForEach(reg, list)
    {
        client_cells(reg, cells);
        for (size_t k = 0; k + 1 < COLS; k++)
            printf("%-*s  ", (int)width[k], cells[k]);
        printf("%s\n", cells[COLS - 1]);
    }
}

void cli_print_links(const cJSON *j)
{
    const cJSON *link;
    cJSON_ArrayForEach(link, cJSON_GetObjectItemCaseSensitive(j, "links"))
    {
        const char *path = cli_json_str(link, "path");
        printf("<%s>", path ? path : "?");
        const cJSON *attr;
        cJSON_ArrayForEach(attr, cJSON_GetObjectItemCaseSensitive(link, "attributes"))
        {
            printf(";%s", attr->string);
            if (cJSON_IsString(attr) && attr->valuestring[0] != '\0')
                printf("=%s", attr->valuestring);
            else if (cJSON_IsNumber(attr)) {
                fputc('=', stdout);
                cli_print_number(stdout, attr->valuedouble);
            }
        }
        fputc('\n', stdout);
    }
}
