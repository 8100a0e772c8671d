/* HTML escaping for every page cfscan writes: see html.h for the contexts it is for. */
#include "pipeline/html.h"
#include "pipeline/types.h"

#include <string.h>

void cfs_html_esc(FILE *out, const char *p, size_t n)
{
    const unsigned char *u = (const unsigned char *)p;
    for (size_t i = 0; i < n;) {
        unsigned char c = u[i];
        const char *ref = NULL;
        switch (c) {
        case '&': ref = "&amp;"; break;
        case '<': ref = "&lt;"; break;
        case '>': ref = "&gt;"; break;
        case '"': ref = "&quot;"; break;
        case '\'': ref = "&#39;"; break;
        default: break;
        }
        if (ref) {
            fputs(ref, out);
            i++;
            continue;
        }
        if ((c >= 0x20 && c < 0x7f) || c == '\t' || c == '\n') {
            fputc(c, out);
            i++;
            continue;
        }
        size_t l = c >= 0x80 ? cfs_utf8_len(u + i, n - i) : 0;
        if (l == 2 && c == 0xc2 && u[i + 1] < 0xa0) l = 0; /* C1 controls: replaced, as bad bytes */
        if (l && cfs_utf8_deceptive(u + i, l)) {
            /* a bidi control would reorder the page's text after it: shown, not obeyed */
            fprintf(out, "\\u%04X", (unsigned)cfs_utf8_cp23(u + i, l));
            i += l;
        } else if (l) {
            fwrite(u + i, 1, l, out);
            i += l;
        } else {
            fputs("&#xFFFD;", out);
            i++;
        }
    }
}

void cfs_html_puts(FILE *out, const char *s)
{
    if (s) cfs_html_esc(out, s, strlen(s));
}
