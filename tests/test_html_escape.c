/* Tests for pipeline/html.c, the escaping every HTML page relies on: markup characters,
 * controls and invalid UTF-8 from a log never reach a page as they are.  Expected strings
 * are written out by hand. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/html.h"

/* What cfs_html_esc writes for p[0..n), as a malloc'd string. */
static char *esc(const char *p, size_t n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_not_null(f);
    cfs_html_esc(f, p, n);
    fclose(f);
    return buf;
}

static void check(const char *in, size_t n, const char *want)
{
    char *got = esc(in, n);
    cr_expect_str_eq(got, want, "escaping %zu bytes", n);
    free(got);
}

Test(html_escape, markup_characters_become_references)
{
    const char *s = "\"><svg onload=alert(1)>&'";
    check(s, strlen(s), "&quot;&gt;&lt;svg onload=alert(1)&gt;&amp;&#39;");
    s = "/a<script>x</script>";
    check(s, strlen(s), "/a&lt;script&gt;x&lt;/script&gt;");
}

Test(html_escape, plain_text_and_utf8_pass_through)
{
    const char *s = "GET /caf\xc3\xa9 \xe2\x82\xac\tok\n";
    check(s, strlen(s), s);
}

Test(html_escape, controls_and_bad_utf8_become_replacement_characters)
{
    /* NUL, ESC, DEL, a C1 control (U+0085), a lone continuation byte, a truncated 3-byte
     * sequence at the end. */
    const char s[] = {'a',        0,          'b', 0x1b,       0x7f,      (char)0xc2,
                      (char)0x85, (char)0x80, 'c', (char)0xe2, (char)0x82};
    check(s, sizeof s, "a&#xFFFD;b&#xFFFD;&#xFFFD;&#xFFFD;&#xFFFD;&#xFFFD;c&#xFFFD;&#xFFFD;");
}

/* Bidirectional formatting characters (RLO U+202E, RLI U+2067, ALM U+061C, LRM U+200E)
 * would reorder the text after them, so a URI could show as another: written as \uXXXX
 * text; other characters of those blocks (U+2030, U+2060) pass. */
Test(html_escape, bidi_controls_are_shown_not_obeyed)
{
    const char *s = "/a\xe2\x80\xaegpj.exe \xe2\x81\xa7x \xd8\x9cy \xe2\x80\x8ez \xe2\x80\xb0 \xe2\x81\xa0";
    check(s, strlen(s), "/a\\u202Egpj.exe \\u2067x \\u061Cy \\u200Ez \xe2\x80\xb0 \xe2\x81\xa0");
}

Test(html_escape, puts_handles_null)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cfs_html_puts(f, NULL);
    cfs_html_puts(f, "a&b");
    fclose(f);
    cr_expect_str_eq(buf, "a&amp;b");
    free(buf);
}
