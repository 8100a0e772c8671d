/* HTML output primitives shared by every page cfscan writes (the HTML report, `cfscan
 * diff --format html`): the one place where a string from a log is made safe for a page.
 * A page never puts such a string inside <script>, <style>, a URL attribute or an event
 * handler; only in element text or a double-quoted attribute value, which this escapes. */
#ifndef CFSCAN_PIPELINE_HTML_H
#define CFSCAN_PIPELINE_HTML_H

#include <stddef.h>
#include <stdio.h>

/* Write p[0..n) as HTML text or as the inside of a double- or single-quoted attribute
 * value: & < > " ' become character references, control characters (C0 but tab and
 * newline, DEL, and the C1 range) and bytes that are not valid UTF-8 become U+FFFD, so
 * no log byte can end the element or attribute it is in, or start markup. */
void cfs_html_esc(FILE *out, const char *p, size_t n);
/* The same for a NUL-terminated string; NULL writes nothing. */
void cfs_html_puts(FILE *out, const char *s);

#endif
