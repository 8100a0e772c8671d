/* Tests for the strict JSON reader (pipeline/json.c): valid and invalid documents,
 * escapes and surrogates, limits (depth bomb, truncation at every byte), numbers and the
 * accessors.  Inputs are parsed from exact-size heap copies, so an over-read shows up
 * under the sanitizer build. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/json.h"

static char errbuf[256];

/* Parse n bytes from a fresh heap copy holding exactly those bytes (no terminator). */
static cfs_status parse_n(cfs_json_doc *d, const char *s, size_t n)
{
    char *copy = malloc(n ? n : 1);
    cr_assert_not_null(copy);
    memcpy(copy, s, n);
    cfs_status st = cfs_json_parse(d, copy, n, errbuf, sizeof errbuf);
    /* The document must not point into the input: free it before anyone reads. */
    free(copy);
    return st;
}

static cfs_status parse_s(cfs_json_doc *d, const char *s) { return parse_n(d, s, strlen(s)); }

Test(json, scalars_and_whitespace)
{
    cfs_json_doc d = {0};
    double x;
    cr_assert_eq(parse_s(&d, " \t\r\n true \n"), CFS_OK);
    cr_assert_eq(cfs_json_bool(cfs_json_root(&d)), 1);
    cr_assert_eq(parse_s(&d, "false"), CFS_OK);
    cr_assert_eq(cfs_json_bool(cfs_json_root(&d)), 0);
    cr_assert_eq(parse_s(&d, "null"), CFS_OK);
    cr_assert_eq(cfs_json_root(&d)->type, CFS_JSON_NULL);
    cr_assert_eq(cfs_json_bool(cfs_json_root(&d)), -1);
    cr_assert_eq(parse_s(&d, "\"hi\""), CFS_OK);
    cr_assert_str_eq(cfs_json_str(cfs_json_root(&d)), "hi");
    cr_assert_eq(parse_s(&d, "42"), CFS_OK);
    cr_assert(cfs_json_num(cfs_json_root(&d), &x));
    cr_assert_eq(x, 42.0);
    cr_assert_eq(cfs_json_str(cfs_json_root(&d)), NULL, "a number is not a string");
    cfs_json_doc_free(&d);
}

Test(json, objects_arrays_and_accessors)
{
    cfs_json_doc d = {0};
    const char *doc = "{\"a\": {\"b\": {\"c\": [10, \"x\", {\"d\": true}, [], {}]}},"
                      " \"e\": [], \"f\": {}, \"g\": \"last\", \"a\": \"dup\"}";
    cr_assert_eq(parse_s(&d, doc), CFS_OK, "%s", errbuf);
    const cfs_json *root = cfs_json_root(&d);
    cr_assert_eq(root->type, CFS_JSON_OBJECT);
    cr_assert_eq(cfs_json_count(root), 5);
    /* Members in document order, each with its key. */
    const char *keys[] = {"a", "e", "f", "g", "a"};
    size_t k = 0;
    for (const cfs_json *m = cfs_json_first(root); m; m = cfs_json_next(m), k++) {
        cr_assert_lt(k, 5);
        cr_assert_eq(m->key_len, 1);
        cr_assert_eq(m->key[0], keys[k][0]);
    }
    cr_assert_eq(k, 5);
    /* First of duplicate keys wins. */
    cr_assert_eq(cfs_json_get(root, "a")->type, CFS_JSON_OBJECT);
    const cfs_json *c = cfs_json_path(root, "a.b.c");
    cr_assert_not_null(c);
    cr_assert_eq(c->type, CFS_JSON_ARRAY);
    cr_assert_eq(cfs_json_count(c), 5);
    double x = 0;
    cr_assert(cfs_json_num(cfs_json_at(c, 0), &x));
    cr_assert_eq(x, 10.0);
    cr_assert_str_eq(cfs_json_str(cfs_json_at(c, 1)), "x");
    cr_assert_eq(cfs_json_bool(cfs_json_path(root, "a.b.c.2.d")), 1);
    cr_assert_eq(cfs_json_count(cfs_json_at(c, 3)), 0);
    cr_assert_null(cfs_json_first(cfs_json_at(c, 3)));
    cr_assert_eq(cfs_json_at(c, 4)->type, CFS_JSON_OBJECT);
    cr_assert_null(cfs_json_at(c, 5));
    cr_assert_str_eq(cfs_json_str(cfs_json_get(root, "g")), "last");
    cr_assert_eq(cfs_json_count(cfs_json_get(root, "e")), 0);
    /* Missing keys, wrong types and NULL inputs all answer NULL. */
    cr_assert_null(cfs_json_get(root, "zz"));
    cr_assert_null(cfs_json_path(root, "a.b.c.x"));
    cr_assert_null(cfs_json_path(root, "a.b.c.9"));
    cr_assert_null(cfs_json_path(root, "g.h"));
    cr_assert_null(cfs_json_get(NULL, "a"));
    cr_assert_null(cfs_json_str(NULL));
    cr_assert_eq(cfs_json_count(NULL), 0);
    cr_assert_eq(cfs_json_bool(NULL), -1);
    cfs_json_doc_free(&d);
    cr_assert_null(cfs_json_root(&d));
}

Test(json, invalid_documents_are_refused)
{
    static const char *bad[] = {
        "",
        " ",
        "{",
        "}",
        "[",
        "]",
        "[1,]",
        "[,1]",
        "{\"a\":1,}",
        "{,}",
        "{\"a\" 1}",
        "{\"a\":}",
        "{a:1}",
        "{'a':1}",
        "[1 2]",
        "{\"a\":1 \"b\":2}",
        "tru",
        "truee",
        "nul",
        "True",
        "NULL",
        "\"abc",
        "\"a\tb\"",
        "\"a\nb\"",
        "\"\\x\"",
        "\"\\u12\"",
        "\"\\u12G4\"",
        "[1]x",
        "{} {}",
        "1 2",
        "[\"a\",]",
        "\x01",
        "/* c */ 1",
        "[1,,2]",
        "{\"a\":1}}",
        "[[]",
        "[]]",
        "\xef\xbb\xbf{}", /* a byte-order mark is not JSON text (RFC 8259 section 8.1) */
    };
    cfs_json_doc d = {0};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cfs_status st = parse_s(&d, bad[i]);
        cr_assert_eq(st, CFS_E_FORMAT, "accepted invalid document #%zu \"%s\"", i, bad[i]);
        cr_assert_null(cfs_json_root(&d), "a failed parse leaves no root");
        cr_assert(strstr(errbuf, " at offset ") != NULL, "error without offset: %s", errbuf);
    }
    cfs_json_doc_free(&d);
}

Test(json, error_messages_name_reason_and_offset)
{
    cfs_json_doc d = {0};
    /* offset of the '1' after "a" with no colon: {"a" 1} -> byte 5 */
    cr_assert_eq(parse_s(&d, "{\"a\" 1}"), CFS_E_FORMAT);
    cr_assert_str_eq(errbuf, "expected ':' at offset 5");
    cr_assert_eq(parse_s(&d, "[1, 2 3]"), CFS_E_FORMAT);
    cr_assert_str_eq(errbuf, "expected ',' or ']' at offset 6");
    cr_assert_eq(parse_s(&d, "{\"k\": [1, {\"z\": nul}]}"), CFS_E_FORMAT);
    cr_assert_str_eq(errbuf, "invalid literal at offset 16");
    cr_assert_eq(parse_s(&d, "[\"abc"), CFS_E_FORMAT);
    cr_assert_str_eq(errbuf, "unterminated string at offset 1");
    cr_assert_eq(parse_s(&d, "  "), CFS_E_FORMAT);
    cr_assert_str_eq(errbuf, "unexpected end of input at offset 2");
    cr_assert_eq(parse_s(&d, "{} ]"), CFS_E_FORMAT);
    cr_assert_str_eq(errbuf, "unexpected data after the JSON value at offset 3");
    cfs_json_doc_free(&d);
}

Test(json, escapes_unescape_to_utf8)
{
    cfs_json_doc d = {0};
    size_t n;
    const char *s;
    cr_assert_eq(parse_s(&d, "\"q\\\"b\\\\s\\/b\\bf\\fn\\nr\\rt\\t\""), CFS_OK, "%s", errbuf);
    s = cfs_json_strn(cfs_json_root(&d), &n);
    cr_assert_eq(n, 16);
    cr_assert(memcmp(s, "q\"b\\s/b\bf\fn\nr\rt\t", 16) == 0);
    /* U+00E9 -> C3 A9, U+20AC -> E2 82 AC, U+0041 -> 41 */
    cr_assert_eq(parse_s(&d, "\"\\u00e9\\u20AC\\u0041\""), CFS_OK);
    s = cfs_json_strn(cfs_json_root(&d), &n);
    cr_assert_eq(n, 6);
    cr_assert(memcmp(s,
                     "\xc3\xa9\xe2\x82\xac"
                     "A",
                     6) == 0);
    /* U+1F600 = D83D DE00 -> F0 9F 98 80 ; U+10FFFF = DBFF DFFF -> F4 8F BF BF */
    cr_assert_eq(parse_s(&d, "\"\\uD83D\\uDE00|\\udbff\\udfff\""), CFS_OK, "%s", errbuf);
    s = cfs_json_strn(cfs_json_root(&d), &n);
    cr_assert_eq(n, 9);
    cr_assert(memcmp(s, "\xf0\x9f\x98\x80|\xf4\x8f\xbf\xbf", 9) == 0);
    /* U+0000 is allowed and kept; the length says where the string ends. */
    cr_assert_eq(parse_s(&d, "\"a\\u0000b\""), CFS_OK);
    s = cfs_json_strn(cfs_json_root(&d), &n);
    cr_assert_eq(n, 3);
    cr_assert(memcmp(s, "a\0b", 3) == 0);
    /* Raw multi-byte UTF-8 passes through unchanged. */
    cr_assert_eq(parse_s(&d, "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\""), CFS_OK);
    cr_assert_str_eq(cfs_json_str(cfs_json_root(&d)), "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    /* Escaped keys compare by their unescaped bytes. */
    cr_assert_eq(parse_s(&d, "{\"\\u0041b\": 1}"), CFS_OK);
    cr_assert_not_null(cfs_json_get(cfs_json_root(&d), "Ab"));
    cfs_json_doc_free(&d);
}

Test(json, bad_surrogates_and_utf8_are_refused)
{
    static const char *bad[] = {
        "\"\\uD83D\"",          /* high surrogate alone */
        "\"\\uD83Dx\"",         /* high surrogate then a plain byte */
        "\"\\uD83D\\u0041\"",   /* high surrogate then a non-surrogate */
        "\"\\uD83D\\uD83D\"",   /* two high surrogates */
        "\"\\uDE00\"",          /* low surrogate alone */
        "\"\\uD83D\\",          /* cut inside the pair */
        "\"\xc0\x80\"",         /* overlong NUL */
        "\"\xe0\x80\xaf\"",     /* overlong '/' */
        "\"\xed\xa0\x80\"",     /* encoded surrogate U+D800 */
        "\"\xf4\x90\x80\x80\"", /* U+110000 */
        "\"\xf5\x80\x80\x80\"", /* lead byte above F4 */
        "\"\x80\"",             /* lone continuation byte */
        "\"\xc3\"",             /* lead byte without continuation */
        "\"\xe2\x82\"",         /* three-byte sequence cut short */
    };
    cfs_json_doc d = {0};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(parse_s(&d, bad[i]), CFS_E_FORMAT, "accepted bad string #%zu", i);
    cfs_json_doc_free(&d);
}

Test(json, numbers)
{
    static const struct {
        const char *s;
        double v;
    } good[] = {
        {"0", 0.0},
        {"-0", -0.0},
        {"7", 7.0},
        {"-12", -12.0},
        {"1.5", 1.5},
        {"-1.25e2", -125.0},
        {"1E+2", 100.0},
        {"25e-2", 0.25},
        {"1748208718574", 1748208718574.0},
        {"9007199254740993", 9007199254740992.0}, /* rounds to nearest double */
        {"1e-400", 0.0},                          /* underflow is kept as 0 */
        {"0.000", 0.0},
        {"1.0e0", 1.0},
    };
    /* clang-format off */
    static const char *bad[] = {
        "01", "-01", "1.", ".5", "+1", "-", "1e", "1e+", "1e-", "0x10", "NaN", "Infinity",
        "-Infinity", "1e400", "-1e400", "1.e3", "--1", "1.2.3", "0e", "- 1",
    };
    /* clang-format on */
    cfs_json_doc d = {0};
    double x;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        cr_assert_eq(parse_s(&d, good[i].s), CFS_OK, "refused %s: %s", good[i].s, errbuf);
        cr_assert(cfs_json_num(cfs_json_root(&d), &x));
        cr_assert_eq(x, good[i].v, "%s parsed as %.17g", good[i].s, x);
    }
    /* The sign of -0 survives. */
    cr_assert_eq(parse_s(&d, "-0"), CFS_OK);
    cfs_json_num(cfs_json_root(&d), &x);
    cr_assert(__builtin_signbit(x));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(parse_s(&d, bad[i]), CFS_E_FORMAT, "accepted %s", bad[i]);
    /* A number at the very end of an unterminated buffer stops at n: the bytes after
     * it in memory ("345") must not be read. */
    const char mem[] = "12345";
    cr_assert_eq(cfs_json_parse(&d, mem, 2, errbuf, sizeof errbuf), CFS_OK);
    cfs_json_num(cfs_json_root(&d), &x);
    cr_assert_eq(x, 12.0);
    /* Over-long literals are refused rather than truncated. */
    char big[CFS_JSON_MAX_NUMBER_CHARS + 2];
    /* "1.000...0": a long literal whose value is plain 1 */
    memset(big, '0', sizeof big);
    big[0] = '1';
    big[1] = '.';
    cr_assert_eq(parse_n(&d, big, sizeof big), CFS_E_FORMAT);
    cr_assert(strstr(errbuf, "number too long") != NULL);
    cr_assert_eq(parse_n(&d, big, CFS_JSON_MAX_NUMBER_CHARS), CFS_OK, "%s", errbuf);
    cfs_json_num(cfs_json_root(&d), &x);
    cr_assert_eq(x, 1.0);
    cfs_json_doc_free(&d);
}

Test(json, depth_bomb_is_refused_not_crashed)
{
    size_t n = 100000;
    char *bomb = malloc(n);
    cr_assert_not_null(bomb);
    memset(bomb, '[', n);
    cfs_json_doc d = {0};
    cr_assert_eq(cfs_json_parse(&d, bomb, n, errbuf, sizeof errbuf), CFS_E_FORMAT);
    /* The 65th '[' (offset 64) is the first one too deep. */
    cr_assert_str_eq(errbuf, "nesting deeper than 64 at offset 64");
    /* Same with objects. */
    for (size_t i = 0; i + 5 <= n; i += 5) memcpy(bomb + i, "{\"a\":", 5);
    cr_assert_eq(cfs_json_parse(&d, bomb, n, errbuf, sizeof errbuf), CFS_E_FORMAT);
    cr_assert(strstr(errbuf, "nesting deeper than 64") != NULL);
    free(bomb);

    /* Exactly 64 levels are fine. */
    char ok[128];
    memset(ok, '[', 64);
    memset(ok + 64, ']', 64);
    cr_assert_eq(parse_n(&d, ok, 128), CFS_OK, "%s", errbuf);
    const cfs_json *v = cfs_json_root(&d);
    int depth = 0;
    while (v && v->type == CFS_JSON_ARRAY) {
        depth++;
        v = cfs_json_first(v);
    }
    cr_assert_eq(depth, 64);
    cr_assert_eq(cfs_json_root(&d)->size, 64, "64 nested arrays are 64 nodes");
    cfs_json_doc_free(&d);
}

/* A document with every kind of value, escapes and nesting; its root is an object, so no
 * strict prefix of it is valid JSON. */
static const char sample_doc[] =
    "{\"ETag\": \"E2QWRUHEXAMPLE\", \"Distribution\": {\"Id\": \"EDFDVBD6EXAMPLE\","
    " \"InProgressInvalidationBatches\": 0, \"Ratio\": -1.5e-3, \"Enabled\": true,"
    " \"Off\": false, \"Nothing\": null, \"Esc\": \"a\\\"b\\\\c\\u00e9\\uD83D\\uDE00\","
    " \"Aliases\": {\"Quantity\": 2, \"Items\": [\"www.example.com\", \"*.example.org\"]},"
    " \"Empty\": [], \"EmptyObj\": {}, \"Deep\": [[[{\"x\": [1, [2, [3]]]}]]]}}";

Test(json, truncated_at_every_offset_never_crashes)
{
    size_t n = sizeof sample_doc - 1;
    cfs_json_doc d = {0};
    cr_assert_eq(parse_n(&d, sample_doc, n), CFS_OK, "%s", errbuf);
    cr_assert_str_eq(cfs_json_str(cfs_json_path(cfs_json_root(&d), "Distribution.Aliases.Items.1")),
                     "*.example.org");
    for (size_t k = 0; k < n; k++) {
        cfs_status st = parse_n(&d, sample_doc, k);
        cr_assert_eq(st, CFS_E_FORMAT, "prefix of %zu bytes accepted", k);
        cr_assert_null(cfs_json_root(&d));
    }
    cfs_json_doc_free(&d);
}

Test(json, truncated_real_waf_record)
{
    const char *path = CFS_SAMPLES_DIR "/otel-waf-cloudfront-record.json";
    FILE *f = fopen(path, "rb");
    if (!f) cr_skip_test("sample %s not present", path);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    cfs_json_doc d = {0};
    cr_assert_eq(parse_n(&d, buf, n), CFS_OK, "%s", errbuf);
    /* Trailing whitespace (the file's final newline) is not part of the value: every
     * prefix shorter than the closing brace must fail. */
    size_t end = n;
    while (end > 0 && (buf[end - 1] == '\n' || buf[end - 1] == '\r' || buf[end - 1] == ' ')) end--;
    for (size_t k = 0; k < end; k++)
        cr_assert_eq(parse_n(&d, buf, k), CFS_E_FORMAT, "prefix of %zu bytes accepted", k);
    cfs_json_doc_free(&d);
}

Test(json, random_mutations_never_crash)
{
    /* Fixed-seed xorshift so a failure reproduces; each mutant flips or replaces bytes. */
    uint64_t x = 0x9E3779B97F4A7C15ull;
    size_t n = sizeof sample_doc - 1;
    char *m = malloc(n);
    cr_assert_not_null(m);
    cfs_json_doc d = {0};
    static const char pool[] = "{}[]\":,\\u0123456789eE+-.tfn \x80\xc3\xed\xf4\x00\n";
    size_t accepted = 0;
    for (int round = 0; round < 20000; round++) {
        memcpy(m, sample_doc, n);
        int edits = 1 + round % 4;
        for (int e = 0; e < edits; e++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            m[(x >> 8) % n] = pool[(x >> 40) % (sizeof pool - 1)];
        }
        cfs_status st = cfs_json_parse(&d, m, n, errbuf, sizeof errbuf);
        cr_assert(st == CFS_OK || st == CFS_E_FORMAT);
        if (st == CFS_OK) {
            accepted++;
            cr_assert_not_null(cfs_json_root(&d));
            cr_assert_eq(cfs_json_root(&d)->size, d.n_nodes, "root subtree covers every node");
        }
    }
    /* Some mutants (e.g. a changed digit or letter inside a string) stay valid. */
    cr_assert_gt(accepted, 0);
    free(m);
    cfs_json_doc_free(&d);
}

Test(json, reuse_across_documents_of_different_sizes)
{
    cfs_json_doc d = {0};
    cr_assert_eq(parse_s(&d, sample_doc), CFS_OK);
    size_t nodes_big = d.n_nodes;
    cr_assert_eq(parse_s(&d, "[\"a\"]"), CFS_OK);
    cr_assert_eq(d.n_nodes, 2);
    cr_assert_lt(d.n_nodes, nodes_big);
    cr_assert_str_eq(cfs_json_str(cfs_json_at(cfs_json_root(&d), 0)), "a");
    cr_assert_eq(parse_s(&d, "[1,2"), CFS_E_FORMAT);
    cr_assert_null(cfs_json_root(&d));
    cr_assert_eq(parse_s(&d, sample_doc), CFS_OK);
    cr_assert_eq(d.n_nodes, nodes_big);
    cfs_json_doc_free(&d);
}
