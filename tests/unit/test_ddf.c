/* Tests of the OMA DDF XML reader (src/model/ddf_xml.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lwm2m/ddf.h"
#include "lwm2m/error.h"
#include "lwm2m/objdef.h"

#ifndef LWM2M_REGISTRY_DIR
#define LWM2M_REGISTRY_DIR "registry"
#endif

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(1 << 20);
    assert_non_null(buf);
    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

static char *registry_file(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", LWM2M_REGISTRY_DIR, name);
    return read_file(path, len);
}

static const lwm2m_resource_def *res_of(const lwm2m_object_def *d, uint16_t id)
{
    for (size_t i = 0; i < d->resource_count; i++)
        if (d->resources[i].id == id)
            return &d->resources[i];
    return NULL;
}

static void check_sorted(const lwm2m_object_def *d)
{
    for (size_t i = 1; i < d->resource_count; i++)
        assert_true(d->resources[i - 1].id < d->resources[i].id);
}

static void test_registry_files(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        uint16_t id;
        const char *version, *lwm2m_version, *name;
        size_t resources;
        bool multiple, mandatory;
    } want[] = {
        {"0-1_0.xml", 0, "1.0", "1.0", "LWM2M Security", 13, true, true},
        {"0-1_1.xml", 0, "1.1", "1.1", "LWM2M Security", 18, true, true},
        {"0.xml", 0, "1.2", "1.1", "LWM2M Security", 31, true, true},
        {"1-1_0.xml", 1, "1.0", "1.0", "LwM2M Server", 9, true, true},
        {"1-1_1.xml", 1, "1.1", "1.1", "LwM2M Server", 24, true, true},
        {"1.xml", 1, "1.2", "1.2", "LwM2M Server", 28, true, true},
        {"2-1_0.xml", 2, "1.0", "1.0", "LwM2M Access Control", 4, true, false},
        {"2.xml", 2, "1.1", "1.0", "LwM2M Access Control", 4, true, false},
        {"3-1_0.xml", 3, "1.0", "1.0", "Device", 23, false, true},
        {"3-1_1.xml", 3, "1.1", "1.1", "Device", 23, false, true},
        {"3.xml", 3, "1.2", "1.1", "Device", 23, false, true},
        {"4.xml", 4, "1.3", "1.1", "Connectivity Monitoring", 14, false, false},
        {"5.xml", 5, "1.2", "1.1", "Firmware Update", 14, false, false},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        size_t len;
        char *xml = registry_file(want[i].file, &len);
        lwm2m_ddf_set set = {0};
        lwm2m_ddf_error err = {0, 0, NULL};
        int rc = lwm2m_ddf_parse(xml, len, &set, &err);
        if (rc != 0)
            fail_msg("%s:%zu: %s", want[i].file, err.line, err.reason);
        lwm2m_objdef_list l = lwm2m_ddf_list(&set);
        assert_int_equal(l.count, 1);
        const lwm2m_object_def *d = l.defs[0];
        assert_int_equal(d->id, want[i].id);
        assert_string_equal(d->version, want[i].version);
        assert_string_equal(d->lwm2m_version, want[i].lwm2m_version);
        assert_string_equal(d->name, want[i].name);
        assert_int_equal(d->resource_count, want[i].resources);
        assert_int_equal(d->multiple, want[i].multiple);
        assert_int_equal(d->mandatory, want[i].mandatory);
        check_sorted(d);
        lwm2m_ddf_free(&set);
        assert_int_equal(set.count, 0);
        assert_null(set.defs);
        free(xml);
    }
}

static void test_registry_details(void **state)
{
    (void)state;
    size_t len;
    char *xml = registry_file("0.xml", &len);
    lwm2m_ddf_set set = {0};
    assert_int_equal(lwm2m_ddf_parse(xml, len, &set, NULL), 0);
    const lwm2m_object_def *sec = set.defs[0];
    const lwm2m_resource_def *r = res_of(sec, 0);
    assert_non_null(r);
    assert_string_equal(r->name, "LWM2M  Server URI");
    assert_int_equal(r->type, LWM2M_TYPE_STRING);
    assert_int_equal(r->ops, LWM2M_OP_NONE); /* Security has no Operations */
    assert_true(r->mandatory);
    assert_false(r->multiple);
    r = res_of(sec, 16);
    assert_non_null(r);
    assert_int_equal(r->type, LWM2M_TYPE_UNSIGNED);
    assert_true(r->multiple);
    assert_false(r->mandatory);
    free(xml);

    xml = registry_file("3.xml", &len);
    assert_int_equal(lwm2m_ddf_parse(xml, len, &set, NULL), 0);
    assert_int_equal(set.count, 2);
    const lwm2m_object_def *dev = set.defs[1];
    r = res_of(dev, 4); /* Reboot */
    assert_non_null(r);
    assert_int_equal(r->ops, LWM2M_OP_EXECUTE);
    assert_int_equal(r->type, LWM2M_TYPE_NONE);
    r = res_of(dev, 13); /* Current Time */
    assert_int_equal(r->type, LWM2M_TYPE_TIME);
    assert_int_equal(r->ops, LWM2M_OP_READ | LWM2M_OP_WRITE);
    r = res_of(dev, 11); /* Error Code */
    assert_int_equal(r->type, LWM2M_TYPE_INTEGER);
    assert_true(r->multiple);
    assert_true(r->mandatory);
    free(xml);

    /* The same object version again is a conflict and leaves the set unchanged. */
    xml = registry_file("3.xml", &len);
    lwm2m_ddf_error err;
    assert_int_equal(lwm2m_ddf_parse(xml, len, &set, &err), LWM2M_ERR_EXISTS);
    assert_string_equal(err.reason, "duplicate object definition");
    assert_true(err.line > 1);
    assert_int_equal(set.count, 2);
    free(xml);
    lwm2m_ddf_free(&set);
    lwm2m_ddf_free(&set); /* idempotent */
    lwm2m_ddf_free(NULL);
}

static const char small_doc[] =
    "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<!-- a comment with <tags> & ampersands -->\n"
    "<LWM2M xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance'>\n"
    "  <?some-pi data?>\n"
    "  <Object ObjectType=\"MODefinition\">\n"
    "    <Name><![CDATA[Test <&> ]]>&amp; &#65;&#x42;&lt;&gt;&quot;&apos;</Name>\n"
    "    <Description1>free text &amp; <b>markup</b> is ignored</Description1>\n"
    "    <ObjectID> 32769 </ObjectID>\n"
    "    <MultipleInstances>Single</MultipleInstances>\n"
    "    <Mandatory>Optional</Mandatory>\n"
    "    <Resources>\n"
    "      <Item ID=\"7\"><Name>Seven</Name><Operations>W</Operations>\n"
    "        <MultipleInstances>Multiple</MultipleInstances><Mandatory>Mandatory</Mandatory>\n"
    "        <Type>Float</Type></Item>\n"
    "      <Item ID = ' 2 '><Name>Two</Name><Operations/><MultipleInstances>Single"
    "</MultipleInstances><Mandatory>Optional</Mandatory><Type>Unsigned Integer</Type></Item>\n"
    "      <Item ID=\"3\"><Name>Exec</Name><Operations>E</Operations><MultipleInstances>Single"
    "</MultipleInstances><Mandatory>Optional</Mandatory><Type>String</Type></Item>\n"
    "    </Resources>\n"
    "  </Object>\n"
    "  <Object><Name>Second</Name><ObjectID>32770</ObjectID><ObjectVersion>2.10</ObjectVersion>"
    "<LWM2MVersion>1.2</LWM2MVersion><MultipleInstances>Multiple</MultipleInstances>"
    "<Mandatory>Mandatory</Mandatory></Object>\n"
    "</LWM2M>\n"
    "<!-- trailing comment -->\n";

static void test_small_doc(void **state)
{
    (void)state;
    lwm2m_ddf_set set = {0};
    lwm2m_ddf_error err = {0, 0, NULL};
    int rc = lwm2m_ddf_parse(small_doc, sizeof small_doc - 1, &set, &err);
    if (rc != 0)
        fail_msg("line %zu: %s", err.line, err.reason);
    assert_int_equal(set.count, 2);
    const lwm2m_object_def *d = set.defs[0];
    assert_int_equal(d->id, 32769);
    assert_string_equal(d->name, "Test <&> & AB<>\"'");
    assert_string_equal(d->version, "1.0");
    assert_string_equal(d->lwm2m_version, "1.0");
    assert_false(d->multiple);
    assert_false(d->mandatory);
    assert_int_equal(d->resource_count, 3);
    assert_int_equal(d->resources[0].id, 2);
    assert_string_equal(d->resources[0].name, "Two");
    assert_int_equal(d->resources[0].type, LWM2M_TYPE_UNSIGNED);
    assert_int_equal(d->resources[0].ops, LWM2M_OP_NONE);
    assert_int_equal(d->resources[1].id, 3);
    assert_int_equal(d->resources[1].type, LWM2M_TYPE_NONE); /* executable */
    assert_int_equal(d->resources[1].ops, LWM2M_OP_EXECUTE);
    assert_int_equal(d->resources[2].id, 7);
    assert_int_equal(d->resources[2].type, LWM2M_TYPE_FLOAT);
    assert_int_equal(d->resources[2].ops, LWM2M_OP_WRITE);
    assert_true(d->resources[2].multiple);
    assert_true(d->resources[2].mandatory);
    d = set.defs[1];
    assert_int_equal(d->id, 32770);
    assert_string_equal(d->version, "2.10");
    assert_string_equal(d->lwm2m_version, "1.2");
    assert_int_equal(d->resource_count, 0);
    assert_null(d->resources);
    lwm2m_objdef_list l = lwm2m_ddf_list(&set);
    assert_int_equal(l.count, 2);
    assert_ptr_equal(l.defs[1], d);
    lwm2m_ddf_free(&set);
    l = lwm2m_ddf_list(&set);
    assert_int_equal(l.count, 0);
}

/* Every prefix that stops before the end of the root element must fail, with a line number
 * and an offset inside the prefix, and leave the set unchanged. */
static void check_prefixes(const char *xml, size_t len)
{
    const char *end_tag = NULL;
    for (const char *s = xml; (s = strstr(s, "</LWM2M>")) != NULL; s++)
        end_tag = s;
    assert_non_null(end_tag);
    size_t complete = (size_t)(end_tag - xml) + strlen("</LWM2M>");
    lwm2m_ddf_set set = {0};
    for (size_t n = 0; n <= len; n++) {
        lwm2m_ddf_error err = {0, 0, NULL};
        /* A copy of exactly n bytes so that ASan catches any read past the prefix. */
        char *copy = malloc(n ? n : 1);
        assert_non_null(copy);
        memcpy(copy, xml, n);
        int rc = lwm2m_ddf_parse(copy, n, &set, &err);
        free(copy);
        if (n < complete) {
            if (rc != LWM2M_ERR_INVALID)
                fail_msg("prefix %zu of %zu accepted (rc %d)", n, len, rc);
            assert_non_null(err.reason);
            assert_true(err.line >= 1);
            assert_true(err.offset <= n);
            assert_int_equal(set.count, 0);
        } else if (n == complete || n == len) {
            assert_int_equal(rc, 0);
        } else if (rc != 0) { /* cut inside a trailing comment */
            assert_int_equal(set.count, 0);
        }
        lwm2m_ddf_free(&set);
    }
    lwm2m_ddf_free(&set);
}

static void test_truncated_small(void **state)
{
    (void)state;
    check_prefixes(small_doc, sizeof small_doc - 1);
}

static void test_truncated_registry(void **state)
{
    (void)state;
    size_t len;
    char *xml = registry_file("2.xml", &len);
    check_prefixes(xml, len);
    free(xml);
}

/* A minimal valid object around `items` (resources XML) with `obj` extra object children. */
static void make_doc(char *buf, size_t cap, const char *obj, const char *items)
{
    snprintf(buf, cap,
             "<LWM2M>\n<Object>\n<Name>X</Name>\n%s<MultipleInstances>Single</MultipleInstances>\n"
             "<Mandatory>Optional</Mandatory>\n<Resources>\n%s</Resources>\n</Object>\n</LWM2M>\n",
             obj, items);
}

#define ITEM(id, extra)                                                                            \
    "<Item ID=\"" id "\"><Name>N</Name><Operations>R</Operations>"                                 \
    "<MultipleInstances>Single</MultipleInstances><Mandatory>Optional</Mandatory>"                 \
    "<Type>Integer</Type>" extra "</Item>\n"

static void expect_error(const char *xml, int code, size_t line, const char *reason)
{
    lwm2m_ddf_set set = {0};
    lwm2m_ddf_error err = {0, 0, NULL};
    int rc = lwm2m_ddf_parse(xml, strlen(xml), &set, &err);
    if (rc != code || err.reason == NULL || strcmp(err.reason, reason) != 0 || err.line != line)
        fail_msg("got rc %d line %zu '%s', want rc %d line %zu '%s' for:\n%s", rc, err.line,
                 err.reason ? err.reason : "(null)", code, line, reason, xml);
    assert_int_equal(set.count, 0);
    lwm2m_ddf_free(&set);
}

static void test_valid_minimal(void **state)
{
    (void)state;
    char buf[2048];
    make_doc(buf, sizeof buf, "<ObjectID>9</ObjectID>\n", ITEM("1", "") ITEM("0", ""));
    lwm2m_ddf_set set = {0};
    assert_int_equal(lwm2m_ddf_parse(buf, strlen(buf), &set, NULL), 0);
    assert_int_equal(set.defs[0]->resource_count, 2);
    assert_int_equal(set.defs[0]->resources[0].id, 0);
    lwm2m_ddf_free(&set);
}

static void test_malformed_xml(void **state)
{
    (void)state;
    expect_error("", LWM2M_ERR_INVALID, 1, "no root element");
    expect_error("  \n<!-- c -->\n", LWM2M_ERR_INVALID, 3, "no root element");
    expect_error("<LWM2M>\n<Object>\n</LWM2M>", LWM2M_ERR_INVALID, 3, "mismatched end tag");
    expect_error("<LWM2M>\n<Object>\n", LWM2M_ERR_INVALID, 2, "element not closed");
    expect_error("<LWM2M>\n<Object", LWM2M_ERR_INVALID, 2, "unterminated tag");
    expect_error("<LWM2M>\n<Object a=\"1>", LWM2M_ERR_INVALID, 2, "unterminated attribute value");
    expect_error("<LWM2M>\n<Object a=1>", LWM2M_ERR_INVALID, 2, "expected quoted attribute value");
    expect_error("<LWM2M>\n<Object a>", LWM2M_ERR_INVALID, 2, "expected '='");
    expect_error("<LWM2M>\n<Object a=\"1\"b=\"2\">", LWM2M_ERR_INVALID, 2,
                 "expected space before attribute");
    expect_error("<LWM2M>\n<Object a=\"1\" a=\"2\">", LWM2M_ERR_INVALID, 2, "duplicate attribute");
    expect_error("<LWM2M>\n<Object a=\"<\">", LWM2M_ERR_INVALID, 2, "'<' in attribute value");
    expect_error("<LWM2M>\n<Object/ >", LWM2M_ERR_INVALID, 2, "expected '>'");
    expect_error("<LWM2M>\n< Object>", LWM2M_ERR_INVALID, 2, "bad name");
    expect_error("<LWM2M>\n<1Object>", LWM2M_ERR_INVALID, 2, "bad name");
    expect_error("<LWM2M>\n</Object>", LWM2M_ERR_INVALID, 2, "mismatched end tag");
    expect_error("<LWM2M/>\n</LWM2M>", LWM2M_ERR_INVALID, 1, "no <Object> in the document");
    expect_error("</LWM2M>", LWM2M_ERR_INVALID, 1, "end tag without start tag");
    expect_error("<LWM2M>\n</LWM2M x>", LWM2M_ERR_INVALID, 2, "expected '>'");
    expect_error("<Other></Other>", LWM2M_ERR_INVALID, 1, "root element is not <LWM2M>");
    expect_error("x<LWM2M></LWM2M>", LWM2M_ERR_INVALID, 1, "text outside the root element");
    expect_error("\n\n<?xml version=\"1.0\"?><LWM2M/>", LWM2M_ERR_INVALID, 3,
                 "XML declaration not at the start");
    expect_error("<!DOCTYPE LWM2M [<!ENTITY x \"y\">]><LWM2M/>", LWM2M_ERR_INVALID, 1,
                 "DOCTYPE and declarations are not supported");
    expect_error("<!-- a -- b --><LWM2M/>", LWM2M_ERR_INVALID, 1, "'--' in comment");
    expect_error("<!-- a ", LWM2M_ERR_INVALID, 1, "unterminated comment");
    expect_error("<?pi ", LWM2M_ERR_INVALID, 1, "unterminated processing instruction");
    expect_error("<![CDATA[x]]><LWM2M/>", LWM2M_ERR_INVALID, 1, "CDATA outside the root element");
    expect_error("<LWM2M>\n<![CDATA[x", LWM2M_ERR_INVALID, 2, "unterminated CDATA section");
    expect_error("<LWM2M>\n<![CDATA[x]]>", LWM2M_ERR_INVALID, 2, "unexpected text");
    expect_error("<LWM2M>\nhello", LWM2M_ERR_INVALID, 2, "unexpected text");
    expect_error("<LWM2M><D>\n]]></D></LWM2M>", LWM2M_ERR_INVALID, 2, "']]>' in text");
    expect_error("<LWM2M>\n&amp</LWM2M>", LWM2M_ERR_INVALID, 2, "bad entity reference");
    expect_error("<LWM2M><D>\n&foo;</D></LWM2M>", LWM2M_ERR_INVALID, 2, "bad entity reference");
    expect_error("<LWM2M><D>\n& x</D></LWM2M>", LWM2M_ERR_INVALID, 2, "bad entity reference");
    expect_error("<LWM2M><D>\n&#;</D></LWM2M>", LWM2M_ERR_INVALID, 2, "bad character reference");
    expect_error("<LWM2M><D>\n&#0;</D></LWM2M>", LWM2M_ERR_INVALID, 2, "bad character reference");
    expect_error("<LWM2M><D>\n&#xD800;</D></LWM2M>", LWM2M_ERR_INVALID, 2,
                 "bad character reference");
    expect_error("<LWM2M><D>\n&#x110000;</D></LWM2M>", LWM2M_ERR_INVALID, 2,
                 "bad character reference");
    expect_error("<LWM2M><D>\n&#x1g;</D></LWM2M>", LWM2M_ERR_INVALID, 2, "bad character reference");
    expect_error("<LWM2M><D a='&bad;'>\n</D></LWM2M>", LWM2M_ERR_INVALID, 1,
                 "bad entity reference");
    expect_error("<LWM2M>\n\x01</LWM2M>", LWM2M_ERR_INVALID, 2, "character not allowed in XML");
    expect_error("<LWM2M>\n\xC3</LWM2M>", LWM2M_ERR_INVALID, 2, "invalid UTF-8");
    expect_error("<LWM2M>\n\xC0\x80</LWM2M>", LWM2M_ERR_INVALID, 2, "invalid UTF-8");
    expect_error("<LWM2M>\n\xED\xA0\x80</LWM2M>", LWM2M_ERR_INVALID, 2, "invalid UTF-8");
    expect_error("<LWM2M>\n\xF4\x90\x80\x80</LWM2M>", LWM2M_ERR_INVALID, 2, "invalid UTF-8");
    expect_error("<LWM2M>\n\xEF\xBF\xBF</LWM2M>", LWM2M_ERR_INVALID, 2,
                 "character not allowed in XML");

    char deep[1024] = "<LWM2M>\n";
    for (int i = 0; i < 40; i++)
        strcat(deep, "<a>");
    expect_error(deep, LWM2M_ERR_INVALID, 2, "elements nested too deep");
}

static void test_malformed_definitions(void **state)
{
    (void)state;
    char buf[4096];
    make_doc(buf, sizeof buf, "", ITEM("0", ""));
    expect_error(buf, LWM2M_ERR_INVALID, 2, "<Object> without <ObjectID>");
    expect_error("<LWM2M>\n<Object><ObjectID>1</ObjectID><MultipleInstances>Single"
                 "</MultipleInstances><Mandatory>Optional</Mandatory></Object></LWM2M>",
                 LWM2M_ERR_INVALID, 2, "<Object> without <Name>");
    expect_error("<LWM2M>\n<Object><ObjectID>1</ObjectID><Name>a</Name>"
                 "<Mandatory>Optional</Mandatory></Object></LWM2M>",
                 LWM2M_ERR_INVALID, 2, "<Object> without <MultipleInstances>");
    expect_error("<LWM2M>\n<Object><ObjectID>1</ObjectID><Name>a</Name><MultipleInstances>Single"
                 "</MultipleInstances></Object></LWM2M>",
                 LWM2M_ERR_INVALID, 2, "<Object> without <Mandatory>");

    make_doc(buf, sizeof buf, "<ObjectID>1</ObjectID>\n",
             ITEM("0", "") ITEM("5", "") ITEM("0", ""));
    expect_error(buf, LWM2M_ERR_INVALID, 10, "duplicate resource ID");
    make_doc(buf, sizeof buf, "<ObjectID>1</ObjectID>\n", ITEM("3", "") ITEM("03", ""));
    expect_error(buf, LWM2M_ERR_INVALID, 9, "duplicate resource ID");

    make_doc(buf, sizeof buf, "<ObjectID>x</ObjectID>\n", "");
    expect_error(buf, LWM2M_ERR_INVALID, 4, "bad <ObjectID>");
    make_doc(buf, sizeof buf, "<ObjectID></ObjectID>\n", "");
    expect_error(buf, LWM2M_ERR_INVALID, 4, "bad <ObjectID>");
    make_doc(buf, sizeof buf, "<ObjectID>65535</ObjectID>\n", "");
    expect_error(buf, LWM2M_ERR_INVALID, 4, "ObjectID out of range");
    make_doc(buf, sizeof buf, "<ObjectID>1</ObjectID><ObjectID>2</ObjectID>\n", "");
    expect_error(buf, LWM2M_ERR_INVALID, 4, "duplicate element in <Object>");
    make_doc(buf, sizeof buf, "<ObjectID>1</ObjectID><ObjectVersion>1</ObjectVersion>\n", "");
    expect_error(buf, LWM2M_ERR_INVALID, 4, "bad <ObjectVersion>");
    make_doc(buf, sizeof buf, "<ObjectID>1</ObjectID><LWM2MVersion>1.x</LWM2MVersion>\n", "");
    expect_error(buf, LWM2M_ERR_INVALID, 4, "bad <LWM2MVersion>");
    make_doc(buf, sizeof buf, "<ObjectID>1<b/></ObjectID>\n", "");
    expect_error(buf, LWM2M_ERR_INVALID, 4, "element inside a value");
    make_doc(buf, sizeof buf, "<ObjectID>1</ObjectID><Resources/>\n", "");
    expect_error(buf, LWM2M_ERR_INVALID, 7, "duplicate <Resources>");

    make_doc(buf, sizeof buf, "<ObjectID>1</ObjectID>\n", ITEM("65535", ""));
    expect_error(buf, LWM2M_ERR_INVALID, 8, "Item ID out of range");
    make_doc(buf, sizeof buf, "<ObjectID>1</ObjectID>\n", ITEM("123456789012345678901", ""));
    expect_error(buf, LWM2M_ERR_INVALID, 8, "bad Item ID");
    make_doc(buf, sizeof buf, "<ObjectID>1</ObjectID>\n", ITEM("-1", ""));
    expect_error(buf, LWM2M_ERR_INVALID, 8, "bad Item ID");
    make_doc(buf, sizeof buf, "<ObjectID>1</ObjectID>\n", "<Item><Name>a</Name></Item>");
    expect_error(buf, LWM2M_ERR_INVALID, 8, "<Item> without ID attribute");
    make_doc(buf, sizeof buf, "<ObjectID>1</ObjectID>\n",
             "<Item ID=\"1\">\n<MultipleInstances>Single</MultipleInstances>"
             "<Mandatory>Optional</Mandatory></Item>");
    expect_error(buf, LWM2M_ERR_INVALID, 8, "<Item> without <Name>");
    make_doc(buf, sizeof buf, "<ObjectID>1</ObjectID>\n",
             "<Item ID=\"1\">\n<Name>a</Name><Mandatory>Optional</Mandatory></Item>");
    expect_error(buf, LWM2M_ERR_INVALID, 8, "<Item> without <MultipleInstances>");
    make_doc(buf, sizeof buf, "<ObjectID>1</ObjectID>\n",
             "<Item ID=\"1\">\n<Name>a</Name><MultipleInstances>Single</MultipleInstances></Item>");
    expect_error(buf, LWM2M_ERR_INVALID, 8, "<Item> without <Mandatory>");
    make_doc(buf, sizeof buf, "<ObjectID>1</ObjectID>\n", ITEM("1", "\n<Name>b</Name>"));
    expect_error(buf, LWM2M_ERR_INVALID, 9, "duplicate element in <Item>");
    make_doc(buf, sizeof buf, "<ObjectID>1</ObjectID>\n",
             ITEM("1", "") "<Item ID=\"2\"><Name>a</Name><Operations>RX</Operations>");
    expect_error(buf, LWM2M_ERR_INVALID, 9, "bad <Operations>");
    make_doc(buf, sizeof buf, "<ObjectID>1</ObjectID>\n",
             "<Item ID=\"2\"><Name>a</Name><Type>Integer64</Type>");
    expect_error(buf, LWM2M_ERR_INVALID, 8, "unknown <Type>");
    make_doc(buf, sizeof buf, "<ObjectID>1</ObjectID>\n",
             "<Item ID=\"2\"><Name>a</Name><MultipleInstances>single</MultipleInstances>");
    expect_error(buf, LWM2M_ERR_INVALID, 8, "bad <MultipleInstances>");
    make_doc(buf, sizeof buf, "<ObjectID>1</ObjectID>\n",
             "<Item ID=\"2\"><Name>a</Name><Mandatory>Yes</Mandatory>");
    expect_error(buf, LWM2M_ERR_INVALID, 8, "bad <Mandatory>");
    make_doc(buf, sizeof buf, "<ObjectID>1</ObjectID>\n", "<Item ID=\"2\"><Name> </Name>");
    expect_error(buf, LWM2M_ERR_INVALID, 8, "empty <Name>");

    char big[4096];
    char name[1100];
    memset(name, 'a', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    snprintf(big, sizeof big, "<LWM2M>\n<Object>\n<Name>%s</Name></Object></LWM2M>", name);
    expect_error(big, LWM2M_ERR_INVALID, 3, "value too long");

    /* Two objects with the same id and version in one document. */
    expect_error("<LWM2M><Object><Name>a</Name><ObjectID>1</ObjectID><MultipleInstances>Single"
                 "</MultipleInstances><Mandatory>Optional</Mandatory></Object>\n"
                 "<Object><Name>a</Name><ObjectID>1</ObjectID><ObjectVersion>1.00</ObjectVersion>"
                 "<MultipleInstances>Single</MultipleInstances><Mandatory>Optional</Mandatory>"
                 "</Object></LWM2M>",
                 LWM2M_ERR_EXISTS, 2, "duplicate object definition");
}

static void test_error_keeps_set(void **state)
{
    (void)state;
    lwm2m_ddf_set set = {0};
    assert_int_equal(lwm2m_ddf_parse(small_doc, sizeof small_doc - 1, &set, NULL), 0);
    assert_int_equal(set.count, 2);
    /* The first object of this document is fine, the second is not: nothing is kept. */
    const char *bad = "<LWM2M><Object><Name>a</Name><ObjectID>1</ObjectID><MultipleInstances>"
                      "Single</MultipleInstances><Mandatory>Optional</Mandatory></Object>"
                      "<Object></Object></LWM2M>";
    lwm2m_ddf_error err;
    assert_int_equal(lwm2m_ddf_parse(bad, strlen(bad), &set, &err), LWM2M_ERR_INVALID);
    assert_string_equal(err.reason, "<Object> without <ObjectID>");
    assert_int_equal(set.count, 2);
    assert_int_equal(lwm2m_ddf_parse(NULL, 0, &set, &err), LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_ddf_parse(NULL, 5, &set, &err), LWM2M_ERR_INVALID);
    assert_int_equal(lwm2m_ddf_parse("x", 1, NULL, &err), LWM2M_ERR_INVALID);
    assert_int_equal(set.count, 2);
    lwm2m_ddf_free(&set);
}

static void test_load_file_and_dir(void **state)
{
    (void)state;
    lwm2m_ddf_set set = {0};
    char err[512] = "";
    assert_int_equal(lwm2m_ddf_load_dir(LWM2M_REGISTRY_DIR, &set, err, sizeof err), 0);
    assert_int_equal(set.count, 13);
    /* Name order: 0-1_0.xml first. */
    assert_int_equal(set.defs[0]->id, 0);
    assert_string_equal(set.defs[0]->version, "1.0");

    assert_int_equal(lwm2m_ddf_load_file("/nonexistent/x.xml", &set, err, sizeof err),
                     LWM2M_ERR_NOT_FOUND);
    assert_non_null(strstr(err, "/nonexistent/x.xml: cannot open"));
    assert_int_equal(lwm2m_ddf_load_dir("/nonexistent", &set, err, sizeof err),
                     LWM2M_ERR_NOT_FOUND);
    assert_non_null(strstr(err, "/nonexistent: cannot open directory"));
    assert_int_equal(set.count, 13);
    lwm2m_ddf_free(&set);

    /* A directory with one good and one bad file: all or nothing, the error names the file. */
    char dir[] = "/tmp/test_ddf_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], path2[256], path3[256];
    snprintf(path, sizeof path, "%s/a.xml", dir);
    snprintf(path2, sizeof path2, "%s/b.xml", dir);
    snprintf(path3, sizeof path3, "%s/ignored.txt", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(small_doc, f);
    fclose(f);
    f = fopen(path3, "w");
    assert_non_null(f);
    fputs("not xml", f);
    fclose(f);
    assert_int_equal(lwm2m_ddf_load_dir(dir, &set, err, sizeof err), 0);
    assert_int_equal(set.count, 2);
    lwm2m_ddf_free(&set);

    f = fopen(path2, "w");
    assert_non_null(f);
    fputs("<LWM2M>\n<Object>\n<Name>a</Name>\n", f);
    fclose(f);
    assert_int_equal(lwm2m_ddf_load_dir(dir, &set, err, sizeof err), LWM2M_ERR_INVALID);
    char want[300];
    snprintf(want, sizeof want, "%s:2: element not closed", path2);
    assert_string_equal(err, want);
    assert_int_equal(set.count, 0);
    assert_int_equal(lwm2m_ddf_load_file(path2, &set, NULL, 0), LWM2M_ERR_INVALID);
    /* A tiny error buffer is truncated, not overrun. */
    char tiny[8];
    assert_int_equal(lwm2m_ddf_load_file(path2, &set, tiny, sizeof tiny), LWM2M_ERR_INVALID);
    assert_int_equal(strlen(tiny), sizeof tiny - 1);

    /* The same definitions in two files conflict. */
    f = fopen(path2, "w");
    assert_non_null(f);
    fputs(small_doc, f);
    fclose(f);
    assert_int_equal(lwm2m_ddf_load_dir(dir, &set, err, sizeof err), LWM2M_ERR_EXISTS);
    assert_non_null(strstr(err, "b.xml:5: duplicate object definition"));
    assert_int_equal(set.count, 0);
    remove(path);
    remove(path2);
    remove(path3);
    rmdir(dir);
    lwm2m_ddf_free(&set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_files),     cmocka_unit_test(test_registry_details),
        cmocka_unit_test(test_small_doc),          cmocka_unit_test(test_truncated_small),
        cmocka_unit_test(test_truncated_registry), cmocka_unit_test(test_valid_minimal),
        cmocka_unit_test(test_malformed_xml),      cmocka_unit_test(test_malformed_definitions),
        cmocka_unit_test(test_error_keeps_set),    cmocka_unit_test(test_load_file_and_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
