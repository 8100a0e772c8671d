/* The HTML report (`--format html`, a summary's report.html): one self-contained page made
 * from the same model as the text and JSON reports (report_model.h), so its numbers are the
 * JSON report's.  Charts are inline SVG drawn here; a short inline script only sorts and
 * filters tables, and the page reads the same without it.  Every string from a log, a
 * config or a file name goes through cfs_html_esc/cfs_html_puts into element text or a
 * double-quoted attribute value, never into a script, a style, a URL or an event handler;
 * data-* attributes hold numbers or names from cfscan's own tables.  A
 * Content-Security-Policy allows no request at all
 * and only this page's own script (by its hash). */
#include "pipeline/report.h"
#include "pipeline/html.h"
#include "pipeline/report_model.h"
#include "pipeline/xalloc.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- limits that keep the page small (the README says them) ------------------------- */
#define H_MAX_DETAIL 10    /* distributions drawn in full; the rest are rows of the overview */
#define H_MAX_OVERVIEW 500 /* rows of the distribution overview */
#define H_MAX_COLS 96      /* columns of a timeline (4 days of hours); more hours share a column */
#define H_MAX_HEAT_COLS 48 /* columns of a heat map; more hours share a column */
#define H_MAX_EDGES 20     /* heat-map rows: the edges with the most 403s */
#define H_MAX_NOTES 100    /* inputs with errors or warnings listed */
#define H_OPEN_CAUSES 3    /* causes shown open; the others are one click away */

/* The one script of the page: sortable and filterable tables.  It reads only the DOM (cell
 * text, numeric data-v) and writes no markup: rows are moved or hidden, never rebuilt.  The
 * Content-Security-Policy names its SHA-256 (base64); after any change to it, recompute with
 *   python3 -c 'import hashlib,base64,sys;print(base64.b64encode(hashlib.sha256(sys.stdin.buffer.read()).digest()).decode())'
 * over the exact bytes (tests/js/html_check.mjs checks the pair, and Chromium refuses a
 * script whose hash is not listed). */
static const char k_script[] =
    "(function(){'use strict';"
    "var each=function(l,f){Array.prototype.forEach.call(l,f);};"
    "each(document.querySelectorAll('table.sortable'),function(t){"
    "var hs=t.tHead?t.tHead.rows[0].cells:[];"
    "each(hs,function(th,i){th.tabIndex=0;th.classList.add('sk');"
    "var go=function(){var b=t.tBodies[0],rows=Array.prototype.slice.call(b.rows);"
    "var dir=th.getAttribute('aria-sort')==='descending'?1:-1;"
    "each(hs,function(h){h.removeAttribute('aria-sort');});"
    "th.setAttribute('aria-sort',dir<0?'descending':'ascending');"
    "rows.sort(function(a,c){var x=a.cells[i],y=c.cells[i];if(!x||!y)return 0;"
    "var p=x.getAttribute('data-v'),q=y.getAttribute('data-v');"
    "var r=(p!==null&&q!==null)?Number(p)-Number(q):x.textContent.localeCompare(y.textContent);"
    "return dir*r;});"
    "rows.forEach(function(r){b.appendChild(r);});};"
    "th.addEventListener('click',go);"
    "th.addEventListener('keydown',function(e){if(e.key==='Enter'||e.key===' '){e.preventDefault();go();}});});"
    "if(t.hasAttribute('data-filter')){var f=document.createElement('input');f.type='search';"
    "f.className='flt';f.placeholder='Filter rows';f.setAttribute('aria-label','Filter rows');"
    "t.parentNode.parentNode.insertBefore(f,t.parentNode);"
    "f.addEventListener('input',function(){var s=f.value.toLowerCase();"
    "each(t.tBodies[0].rows,function(r){r.hidden=s!==''&&r.textContent.toLowerCase().indexOf(s)<0;});});}"
    "});})();";
static const char k_script_sha256[] = "sha256-jQThpvFiQqgYe7jgEpuY9NJnhZgb9ltbCet+L79CkGc=";

static const char k_style[] =
    ":root{--fg:#1f2328;--mut:#59636e;--bd:#d1d9e0;--bg:#fff;--alt:#f6f8fa;--acc:#0969da}"
    "*{box-sizing:border-box}"
    "body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--fg);"
    "background:var(--bg)}"
    "main{max-width:1200px;margin:0 auto;padding:12px 16px 40px}"
    "h1{font-size:22px;margin:8px 0 2px}h2{font-size:19px;margin:0 0 6px;overflow-wrap:anywhere}"
    "h3{font-size:15px;margin:14px 0 6px}h4{font-size:13px;margin:10px 0 4px;color:var(--mut)}"
    "p{margin:4px 0}.mut{color:var(--mut)}.warn{color:#9a6700;font-weight:600}.err{color:#cf222e;"
    "font-weight:600}"
    "nav{margin:6px 0 10px;display:flex;flex-wrap:wrap;gap:4px 12px}nav a{color:var(--acc)}"
    ".kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:8px;margin:10px 0}"
    ".kpi{border:1px solid var(--bd);border-radius:6px;padding:6px 10px;background:var(--alt)}"
    ".kpi dt{font-size:12px;color:var(--mut)}.kpi dd{margin:0;font-size:20px;font-weight:600}"
    "section{border-top:2px solid var(--bd);margin-top:22px;padding-top:10px}"
    ".tw{overflow-x:auto;max-width:100%}"
    "table{border-collapse:collapse;margin:4px 0 8px;font-size:13px}"
    "th,td{border-bottom:1px solid var(--bd);padding:3px 8px;text-align:left;vertical-align:top}"
    "th{background:var(--alt);white-space:nowrap}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;"
    "white-space:nowrap}"
    "td.v{overflow-wrap:anywhere;word-break:break-word;min-width:12ch;max-width:60ch;font-family:ui-monospace,"
    "SFMono-Regular,Menlo,monospace;font-size:12px}"
    "th.sk{cursor:pointer}th.sk:after{content:' \\2195';color:var(--mut)}"
    "th[aria-sort=ascending]:after{content:' \\2191'}th[aria-sort=descending]:after{content:' \\2193'}"
    "input.flt{display:block;margin:6px 0;padding:4px 8px;font:inherit;width:min(320px,100%)}"
    ".sw{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px;vertical-align:0}"
    ".chart{overflow-x:auto;max-width:100%}"
    ".chart svg{display:block;width:100%;min-width:640px;max-width:1000px;height:auto}"
    "svg text{font:12px system-ui,sans-serif;fill:#444}td.cn{white-space:nowrap}"
    ".legend{display:flex;flex-wrap:wrap;gap:2px 14px;list-style:none;padding:0;margin:4px 0;font-size:12px}"
    ".evb{display:flex;width:140px;height:10px;border-radius:2px;overflow:hidden;background:#eee}"
    ".evb i{display:block;height:100%}"
    "svg.heatmap g.erow rect{height:15px;fill:#b4232a}svg.heatmap g.erow rect.bg{fill:#f3f4f6}"
    ".ev-c{background:#1a7f37}.ev-l{background:#7cc88a}.ev-p{background:#c9cdd2}"
    "details{border:1px solid var(--bd);border-radius:6px;margin:8px 0;padding:4px 10px}"
    "summary{cursor:pointer;font-weight:600;padding:4px 0}"
    ".cols{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:4px 20px}"
    ".next{background:var(--alt);border-left:3px solid var(--acc);padding:6px 10px;margin:6px 0}"
    "@media (max-width:600px){main{padding:8px 8px 30px}.kpi dd{font-size:17px}"
    ".cols{grid-template-columns:1fr}td.v{max-width:none}.evb{width:90px}}"
    "@media print{.chart svg{min-width:0}input.flt{display:none}}";

/* Colours of the causes, indexed by cfs_cause (CFS_CAUSE_NONE unused). */
static const char *const k_cause_color[CFS_CAUSE_COUNT] = {
    "#000",    "#9467bd", "#d62728", "#ff7f0e", "#f2c14e", "#e377c2", "#17becf",
    "#bcbd22", "#7f7f7f", "#1f77b4", "#98b9e0", "#8c564b", "#2ca02c", "#c7c7c7",
};

/* ---- small writers ---------------------------------------------------------------------- */
/* A count with thousands separators, for reading (data-v keeps the plain number). */
static void put_count(FILE *out, uint64_t n)
{
    char b[32];
    int l = snprintf(b, sizeof b, "%llu", (unsigned long long)n);
    for (int i = 0; i < l; i++) {
        if (i && (l - i) % 3 == 0) fputc(',', out);
        fputc(b[i], out);
    }
}

/* A numeric cell: <td class="n" data-v="N">N with separators</td>. */
static void td_count(FILE *out, uint64_t n)
{
    fprintf(out, "<td class=\"n\" data-v=\"%llu\">", (unsigned long long)n);
    put_count(out, n);
    fputs("</td>", out);
}

static double pct(uint64_t a, uint64_t b) { return b ? 100.0 * (double)a / (double)b : 0.0; }

static void td_pct(FILE *out, uint64_t a, uint64_t b)
{
    double p = pct(a, b);
    fprintf(out, "<td class=\"n\" data-v=\"%.4f\">%.1f%%</td>", p, p);
}

/* "2026-11-01 03:00" for hour h (epoch seconds); outside the accepted range its number. */
static void hour_label(int64_t h, char *buf, size_t n, const char *fmt)
{
    time_t t = (time_t)h;
    struct tm tm;
    if (!cfs_time_in_range(h) || !gmtime_r(&t, &tm) || !strftime(buf, n, fmt, &tm))
        snprintf(buf, n, "@%lld", (long long)h);
}

/* ---- the page's own per-hour tables ---------------------------------------------------------
 * The model holds hours as strings per cause and no edge x hour table; the charts walk the
 * traffic rows once more with the model's own condition (a cause other than none), so the
 * sums are the model's. */
typedef struct hc_row { /* (distribution, hour, cause) -> 403s */
    char dist[CFS_KEY_STR];
    int64_t hour;
    uint8_t cause;
    uint8_t pad[7];
    uint64_t n;
} hc_row;
typedef struct he_row { /* (distribution, edge, hour) -> 403s */
    char dist[CFS_KEY_STR];
    char edge[CFS_KEY_STR];
    int64_t hour;
    uint64_t n;
} he_row;

typedef struct hours_tab {
    cfs_kmap hc, he;
    /* after sorting: the rows in key order (the maps' index is then unusable) */
} hours_tab;

static int hc_cmp(const void *a, const void *b)
{
    const hc_row *x = a, *y = b;
    int c = memcmp(x->dist, y->dist, CFS_KEY_STR);
    if (c) return c;
    if (x->hour != y->hour) return x->hour < y->hour ? -1 : 1;
    return (int)x->cause - (int)y->cause;
}

static int he_cmp(const void *a, const void *b)
{
    const he_row *x = a, *y = b;
    int c = memcmp(x->dist, y->dist, CFS_KEY_STR);
    if (c) return c;
    c = memcmp(x->edge, y->edge, CFS_KEY_STR);
    if (c) return c;
    return x->hour < y->hour ? -1 : x->hour > y->hour;
}

/* The tables of the distributions drawn in full (detail[0..ndetail), at most
 * H_MAX_DETAIL): the others have no charts, and a run may hold thousands.  0 when
 * stopped by the stop flag (or out of memory, which the caller sees recorded). */
static int hours_build(hours_tab *t, const cfs_view *v, const dist_model *const *detail, size_t ndetail,
                       volatile sig_atomic_t *stop)
{
    cfs_kmap_init(&t->hc, offsetof(hc_row, n), sizeof(hc_row));
    cfs_kmap_init(&t->he, offsetof(he_row, n), sizeof(he_row));
    const cfs_agg *a = v->agg;
    const char *last = NULL; /* the previous row's distribution, and whether it is drawn */
    int drawn = 0;
    for (size_t i = 0; i < a->traffic.n; i++) {
        if (stop && (i & 4095) == 0 && *stop) return 0;
        const cfs_trow *r = cfs_kmap_row(&a->traffic, i);
        if (r->k.cause == CFS_CAUSE_NONE || r->k.cause >= CFS_CAUSE_COUNT) continue;
        if (!last || memcmp(last, r->k.dist, CFS_KEY_STR) != 0) {
            last = r->k.dist;
            drawn = 0;
            for (size_t d = 0; d < ndetail && !drawn; d++)
                drawn = strncmp(detail[d]->dist, last, CFS_KEY_STR) == 0;
        }
        if (!drawn) continue;
        hc_row kc;
        memset(&kc, 0, sizeof kc);
        memcpy(kc.dist, r->k.dist, CFS_KEY_STR);
        kc.hour = r->k.hour;
        kc.cause = r->k.cause;
        ((hc_row *)cfs_kmap_get(&t->hc, &kc, NULL))->n += r->requests;
        he_row ke;
        memset(&ke, 0, sizeof ke);
        memcpy(ke.dist, r->k.dist, CFS_KEY_STR);
        memcpy(ke.edge, r->k.edge, CFS_KEY_STR);
        ke.hour = r->k.hour;
        ((he_row *)cfs_kmap_get(&t->he, &ke, NULL))->n += r->requests;
    }
    if (t->hc.n > 1) qsort(t->hc.rows, t->hc.n, t->hc.row_size, hc_cmp);
    if (t->he.n > 1) qsort(t->he.rows, t->he.n, t->he.row_size, he_cmp);
    return 1;
}

static void hours_free(hours_tab *t)
{
    cfs_kmap_free(&t->hc);
    cfs_kmap_free(&t->he);
}

/* The rows of distribution dist in a sorted map: [*lo, *hi). */
static void dist_range(const cfs_kmap *m, const char *dist, size_t *lo, size_t *hi)
{
    char k[CFS_KEY_STR];
    memset(k, 0, sizeof k);
    memcpy(k, dist, strnlen(dist, CFS_KEY_STR - 1));
    size_t a = 0, b = m->n;
    while (a < b) { /* first row >= dist */
        size_t mid = a + (b - a) / 2;
        if (memcmp(cfs_kmap_row(m, mid), k, CFS_KEY_STR) < 0) a = mid + 1;
        else b = mid;
    }
    *lo = a;
    b = m->n;
    while (a < b) { /* first row > dist */
        size_t mid = a + (b - a) / 2;
        if (memcmp(cfs_kmap_row(m, mid), k, CFS_KEY_STR) <= 0) a = mid + 1;
        else b = mid;
    }
    *hi = a;
}

/* The time axis of a distribution's charts: hours h0..h1, k hours per column, ncol columns. */
typedef struct taxis {
    int64_t h0, h1;
    int64_t k;
    size_t ncol;
} taxis;

static void axis_of(const hours_tab *t, size_t lo, size_t hi, int64_t maxcols, taxis *ax)
{
    const hc_row *first = cfs_kmap_row(&t->hc, lo), *last = cfs_kmap_row(&t->hc, hi - 1);
    ax->h0 = first->hour;
    ax->h1 = last->hour;
    /* unsigned: hours from a hand-made state may lie anywhere in int64_t, and their span
     * must not overflow (hours of real logs lie in 1990..2100) */
    uint64_t nh = ((uint64_t)ax->h1 - (uint64_t)ax->h0) / 3600 + 1;
    uint64_t k = nh / (uint64_t)maxcols + (nh % (uint64_t)maxcols != 0);
    ax->k = (int64_t)k;
    ax->ncol = (size_t)(nh / k + (nh % k != 0));
}

static size_t col_of(const taxis *ax, int64_t hour)
{
    return (size_t)(((uint64_t)hour - (uint64_t)ax->h0) / 3600 / (uint64_t)ax->k);
}

/* The first hour of column c. */
static int64_t col_start(const taxis *ax, size_t c)
{
    return (int64_t)((uint64_t)ax->h0 + (uint64_t)c * (uint64_t)ax->k * 3600u);
}

/* Chart geometry (SVG user units; the SVG scales to the page's width). */
#define CW 760.0
#define PL 48.0 /* left margin: the y axis labels */
#define PR 12.0

/* x labels under a chart: up to 6 column starts. */
static void x_labels(FILE *out, const taxis *ax, double x0, double cw, double y)
{
    size_t step = ax->ncol <= 6 ? 1 : (ax->ncol + 5) / 6;
    for (size_t i = 0; i < ax->ncol; i += step) {
        char b[32];
        hour_label(col_start(ax, i), b, sizeof b, "%m-%d %H:00");
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"start\">%s</text>", x0 + (double)i * cw, y,
                b);
    }
}

/* ---- the 403 share over time, stacked by cause ------------------------------------------ */
static void chart_timeline(FILE *out, const dist_model *d, const hours_tab *t, size_t lo, size_t hi,
                           const taxis *ax, const int *order, int nc)
{
    size_t ncol = ax->ncol;
    uint64_t *cell = cfs_calloc(ncol * CFS_CAUSE_COUNT, sizeof *cell, "building the HTML report");
    uint64_t *tot = cfs_calloc(ncol, sizeof *tot, "building the HTML report");
    if (!cell || !tot) {
        free(cell);
        free(tot);
        return;
    }
    for (size_t i = lo; i < hi; i++) {
        const hc_row *r = cfs_kmap_row(&t->hc, i);
        size_t c = col_of(ax, r->hour);
        cell[c * CFS_CAUSE_COUNT + r->cause] += r->n;
        tot[c] += r->n;
    }
    size_t peak = 0;
    for (size_t c = 1; c < ncol; c++)
        if (tot[c] > tot[peak]) peak = c;
    uint64_t ymax = tot[peak] ? tot[peak] : 1;
    const double H = 230, PT = 26, PB = 30, ph = H - PT - PB, pw = CW - PL - PR;
    double cw = pw / (double)ncol, bw = cw > 3 ? cw * 0.82 : cw;
    char ps[40], pe[40];
    hour_label(col_start(ax, peak), ps, sizeof ps, "%Y-%m-%d %H:00Z");
    fprintf(out, "<h3>403s over time by cause</h3><p class=\"mut\">");
    if (ax->k == 1) fputs("One column per hour (UTC).", out);
    else
        fprintf(out, "One column per %lld hours (UTC): the window has more than %d hours.", (long long)ax->k,
                H_MAX_COLS);
    fprintf(out, " Peak: <b class=\"peak\" data-v=\"%llu\">", (unsigned long long)tot[peak]);
    put_count(out, tot[peak]);
    fprintf(out, "</b> 403s at %s, %.1f%% of the distribution's 403s.</p>", ps, pct(tot[peak], d->n403));
    fprintf(out,
            "<div class=\"chart\"><svg class=\"timeline\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
            "aria-label=\"403s per hour stacked by cause\" data-k=\"%lld\" data-h0=\"%lld\">",
            CW, H, (long long)ax->k, (long long)ax->h0);
    /* grid and y labels: 0, half, max */
    for (int g = 0; g <= 2; g++) {
        double y = PT + ph - ph * g / 2.0;
        fprintf(out, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e1e4e8\"/>", PL,
                CW - PR, y, y);
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%llu</text>", PL - 4, y + 4,
                (unsigned long long)(ymax * (uint64_t)g / 2));
    }
    for (size_t c = 0; c < ncol; c++) {
        if (!tot[c]) continue;
        char hs[40];
        int64_t h = col_start(ax, c);
        hour_label(h, hs, sizeof hs, "%Y-%m-%d %H:00Z");
        double x = PL + (double)c * cw, y = PT + ph;
        /* the column's x in its transform, each cause's fill from the page's style (rect[data-c]):
         * a 48-hour chart of 12 causes has hundreds of these, and they are most of its bytes */
        fprintf(
            out,
            "<g class=\"col\" data-t=\"%lld\" data-n=\"%llu\" transform=\"translate(%.1f 0)\"><title>%s: %llu 403s",
            (long long)h, (unsigned long long)tot[c], x, hs, (unsigned long long)tot[c]);
        for (int k = 0; k < nc; k++) {
            uint64_t n = cell[c * CFS_CAUSE_COUNT + order[k]];
            if (n) fprintf(out, "\n%s %llu", cfs_cause_name((cfs_cause)order[k]), (unsigned long long)n);
        }
        fputs("</title>", out);
        for (int k = 0; k < nc; k++) {
            uint64_t n = cell[c * CFS_CAUSE_COUNT + order[k]];
            if (!n) continue;
            double hh = ph * (double)n / (double)ymax;
            y -= hh;
            fprintf(out, "<rect y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" data-c=\"%d\" data-n=\"%llu\"/>", y,
                    bw, hh, order[k], (unsigned long long)n);
        }
        fputs("</g>", out);
    }
    /* the peak: a marker above its column, its label kept inside the chart */
    double px = PL + (double)peak * cw + bw / 2;
    fprintf(out, "<path d=\"M%.1f %.1f l-5 -8 h10 z\" fill=\"#cf222e\"/>", px, PT - 2);
    hour_label(col_start(ax, peak), pe, sizeof pe, "%m-%d %H:00");
    /* centred over the marker, but kept inside the chart (about 7 units a character) */
    char pl[96];
    int pn = snprintf(pl, sizeof pl, "peak %llu at %s", (unsigned long long)tot[peak], pe);
    double half = 3.6 * pn, lx = px;
    if (lx < PL + half) lx = PL + half;
    if (lx > CW - PR - half) lx = CW - PR - half;
    fprintf(
        out,
        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" style=\"font-weight:600;fill:#cf222e\">%s</text>",
        lx, PT - 12, pl);
    x_labels(out, ax, PL, cw, H - 10);
    fputs("</svg></div><ul class=\"legend\">", out);
    for (int k = 0; k < nc; k++)
        fprintf(out, "<li data-c=\"%d\"><span class=\"sw\" style=\"background:%s\"></span>%s</li>", order[k],
                k_cause_color[order[k]], cfs_cause_name((cfs_cause)order[k]));
    fputs("</ul>", out);
    free(cell);
    free(tot);
}

/* ---- edge location x hour heat map ---------------------------------------------------------- */
/* An edge's row label: whole up to 13 bytes (edge codes are at most 12), else cut at a character
 * boundary (12 bytes then), with an ellipsis when longer; the cells' tooltips give it whole. */
static void edge_label(FILE *out, const char *edge)
{
    size_t n = strnlen(edge, CFS_KEY_STR);
    if (n <= 13) {
        cfs_html_esc(out, edge, n);
        return;
    }
    size_t k = 12;
    while (k > 0 && ((unsigned char)edge[k] & 0xc0) == 0x80) k--; /* not inside a UTF-8 sequence */
    cfs_html_esc(out, edge, k);
    fputs("&#8230;", out);
}

typedef struct edge_tot {
    const char *edge;
    uint64_t n;
    size_t first; /* its first row in the sorted he map */
} edge_tot;

static int edge_tot_cmp(const void *a, const void *b)
{
    const edge_tot *x = a, *y = b;
    if (x->n != y->n) return x->n > y->n ? -1 : 1;
    return strcmp(x->edge, y->edge);
}

static void chart_heatmap(FILE *out, const dist_model *d, const hours_tab *t, const taxis *ax)
{
    size_t lo, hi;
    dist_range(&t->he, d->dist, &lo, &hi);
    if (lo == hi) return;
    /* edges and their totals: rows of one edge are adjacent (sorted by dist, edge, hour) */
    size_t ne = 0;
    for (size_t i = lo; i < hi; i++)
        if (i == lo || strcmp(((const he_row *)cfs_kmap_row(&t->he, i))->edge,
                              ((const he_row *)cfs_kmap_row(&t->he, i - 1))->edge))
            ne++; /* compared as the loop below groups them (a key read from a state may hold a NUL) */
    edge_tot *e = cfs_calloc(ne, sizeof *e, "building the HTML report");
    if (!e) return;
    size_t j = (size_t)-1;
    for (size_t i = lo; i < hi; i++) {
        const he_row *r = cfs_kmap_row(&t->he, i);
        if (j == (size_t)-1 || strcmp(e[j].edge, r->edge) != 0) {
            e[++j].edge = r->edge;
            e[j].first = i;
        }
        e[j].n += r->n;
    }
    qsort(e, ne, sizeof *e, edge_tot_cmp);
    size_t rows = ne < H_MAX_EDGES ? ne : H_MAX_EDGES;
    uint64_t shown = 0;
    uint64_t *cell = cfs_calloc(rows * ax->ncol, sizeof *cell, "building the HTML report");
    if (!cell) {
        free(e);
        return;
    }
    uint64_t cmax = 1;
    for (size_t r = 0; r < rows; r++) {
        shown += e[r].n;
        for (size_t i = e[r].first; i < hi; i++) {
            const he_row *x = cfs_kmap_row(&t->he, i);
            if (strcmp(x->edge, e[r].edge) != 0) break;
            uint64_t *c = &cell[r * ax->ncol + col_of(ax, x->hour)];
            *c += x->n;
            if (*c > cmax) cmax = *c;
        }
    }
    const double LW = 122, RH = 16, PT = 6, PB = 28, pw = CW - LW - PR;
    double H = PT + RH * (double)rows + PB, cw = pw / (double)ax->ncol;
    fprintf(out, "<h3>403s by edge location and hour</h3><p class=\"mut\">");
    if (rows < ne) {
        fprintf(
            out,
            "The %zu edge locations with the most 403s, of %zu; the other <b class=\"other\" data-v=\"%llu\">",
            rows, ne, (unsigned long long)(d->n403 - shown));
        put_count(out, d->n403 - shown);
        fputs("</b> 403s are not drawn.", out);
    } else {
        fprintf(out, "%s %zu edge location%s with 403s<b class=\"other\" data-v=\"0\"></b>.",
                ne == 1 ? "The" : "All", ne, ne == 1 ? "" : "s");
    }
    if (ax->k > 1) fprintf(out, " One column per %lld hours.", (long long)ax->k);
    fprintf(out, " Darker is more; the darkest cell holds %llu.</p>", (unsigned long long)cmax);
    fprintf(out,
            "<div class=\"chart\"><svg class=\"heatmap\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
            "aria-label=\"403s by edge location and hour\">",
            CW, H);
    for (size_t r = 0; r < rows; r++) {
        double y = PT + RH * (double)r;
        /* the row's y in its transform, the cells' height and colour from the page's style
         * (svg.heatmap rect): 20 edges x 48 hours x a few distributions add up */
        fprintf(
            out,
            "<g class=\"erow\" data-n=\"%llu\" transform=\"translate(0 %.1f)\"><text x=\"%.1f\" y=\"%.1f\" "
            "text-anchor=\"end\">",
            (unsigned long long)e[r].n, y, LW - 6, RH - 4);
        edge_label(out, e[r].edge);
        fprintf(out, "</text><rect class=\"bg\" x=\"%.1f\" width=\"%.1f\"/>", LW, pw);
        for (size_t c = 0; c < ax->ncol; c++) {
            uint64_t n = cell[r * ax->ncol + c];
            if (!n) continue;
            char hs[40];
            hour_label(col_start(ax, c), hs, sizeof hs, "%m-%d %H:00");
            fprintf(
                out,
                "<rect x=\"%.1f\" width=\"%.1f\" fill-opacity=\"%.2f\" data-n=\"%llu\"><title>%s: %llu</title></rect>",
                LW + (double)c * cw, cw, 0.12 + 0.88 * (double)n / (double)cmax, (unsigned long long)n, hs,
                (unsigned long long)n);
        }
        fputs("</g>", out);
    }
    x_labels(out, ax, LW, cw, H - 10);
    fputs("</svg></div>", out);
    free(cell);
    free(e);
}

/* ---- a cause's latency histogram with the origin reference ---------------------------------- */
/* Bin edges in ms: exact at the edge zone (<= 5 ms), then roughly log-spaced. */
static const uint32_t k_bins[] = {0,   1,   2,   3,   4,    5,    6,    8,    10,   12,    15,    20,
                                  25,  30,  40,  50,  60,   80,   100,  125,  150,  200,   250,   300,
                                  400, 500, 600, 800, 1000, 1500, 2000, 3000, 5000, 10000, 30000, 60000};
#define NBINS (sizeof k_bins / sizeof k_bins[0]) /* the last bin is open: >= 60000 */

static size_t bin_of(uint32_t ms)
{
    size_t b = 0;
    while (b + 1 < NBINS && ms >= k_bins[b + 1]) b++;
    return b;
}

static void chart_latency(FILE *out, const dist_model *d, const cause_model *c)
{
    const cfs_hist *h = c->g->ttfb.count ? &c->g->ttfb : &c->g->tt;
    const char *what = c->g->ttfb.count ? "time-to-first-byte" : "time-taken";
    if (!h->count) {
        fputs("<p class=\"mut\">No latency on these lines: no histogram.</p>", out);
        return;
    }
    uint64_t bins[NBINS] = {0};
    uint64_t n = 0;
    for (unsigned b = cfs_hist_next(h, 0, &n); b < CFS_HIST_BUCKETS; b = cfs_hist_next(h, b + 1, &n))
        bins[bin_of(cfs_hist_bucket_value(b))] += n;
    size_t last = 0;
    for (size_t b = 0; b < NBINS; b++)
        if (bins[b]) last = b;
    if (d->reference_ms && bin_of(d->reference_ms) > last) last = bin_of(d->reference_ms);
    if (last < bin_of(100)) last = bin_of(100);
    size_t nb = last + 1 < NBINS ? last + 2 : NBINS; /* one empty bin after the data */
    uint64_t bmax = 1;
    for (size_t b = 0; b < nb; b++)
        if (bins[b] > bmax) bmax = bins[b];
    const double H = 190, PT = 22, PB = 34, ph = H - PT - PB, pw = CW - PL - PR, bw = pw / (double)nb;
    fprintf(out, "<h4>Latency of these 403s (%s, ms) against the origin-fetch reference</h4>", what);
    fprintf(out,
            "<div class=\"chart\"><svg class=\"latency\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
            "aria-label=\"latency histogram\" data-count=\"%llu\">",
            CW, H, (unsigned long long)h->count);
    /* the zones the edge-versus-origin test uses: edge <= 5 ms, origin >= 20 ms */
    double x5 = PL + bw * (double)bin_of(6), x20 = PL + bw * (double)bin_of(20);
    fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#ddf4ff\"/>", PL, PT,
            x5 - PL, ph);
    fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fff1e5\"/>", x20, PT,
            PL + pw - x20, ph);
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%llu</text>", PL - 4, PT + 4,
            (unsigned long long)bmax);
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">0</text>", PL - 4, PT + ph + 4);
    for (size_t b = 0; b < nb; b++) {
        double x = PL + bw * (double)b;
        if (bins[b]) {
            double hh = ph * (double)bins[b] / (double)bmax;
            if (hh < 1) hh = 1;
            fprintf(out,
                    "<rect class=\"bin\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\" "
                    "data-n=\"%llu\"><title>",
                    x + 1, PT + ph - hh, bw - 2, hh, k_cause_color[c->cause], (unsigned long long)bins[b]);
            if (b + 1 < NBINS) fprintf(out, "%u-%u ms", k_bins[b], k_bins[b + 1] - 1);
            else fprintf(out, "&#8805; %u ms", k_bins[b]);
            fprintf(out, ": %llu</title></rect>", (unsigned long long)bins[b]);
        }
        /* tick labels at some bin starts */
        uint32_t v = k_bins[b];
        if (v == 0 || v == 5 || v == 20 || v == 50 || v == 100 || v == 300 || v == 1000 || v == 5000 ||
            v == 30000)
            fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%u</text>", x, PT + ph + 14, v);
    }
    fprintf(out, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#888\"/>", PL, PL + pw,
            PT + ph, PT + ph);
    if (d->reference_ms) {
        /* within its bin, by the value's place between the bin's edges */
        size_t b = bin_of(d->reference_ms);
        double f = b + 1 < NBINS ? (double)(d->reference_ms - k_bins[b]) / (double)(k_bins[b + 1] - k_bins[b])
                                 : 0;
        double x = PL + bw * ((double)b + f);
        fprintf(out,
                "<g class=\"ref\" data-ms=\"%u\"><line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
                "stroke=\"#24292f\" stroke-width=\"2\" stroke-dasharray=\"5 3\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" style=\"font-weight:600\">origin reference %u ms</text></g>",
                d->reference_ms, x, x, PT - 4, PT + ph, x + 4, PT - 8 + 0.0, d->reference_ms);
    }
    /* the zones' key under the axis, where no bar can hide it */
    fprintf(out,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"#b6e3ff\"/><text x=\"%.1f\" "
            "y=\"%.1f\">edge zone &#8804; 5 ms</text><rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" "
            "fill=\"#ffd8b5\"/><text x=\"%.1f\" y=\"%.1f\">origin zone &#8805; 20 ms</text><text x=\"%.1f\" "
            "y=\"%.1f\" text-anchor=\"end\">ms</text>",
            PL, H - 13, PL + 14, H - 4, PL + 150, H - 13, PL + 164, H - 4, PL + pw, H - 4);
    fputs("</svg></div>", out);
    if (!d->reference_ms)
        fputs("<p class=\"mut\">No origin reference for this distribution (too few 2xx/3xx Miss responses): "
              "the zones alone decide.</p>",
              out);
}

/* ---- tables -------------------------------------------------------------------------------- */
/* A top list (Space-Saving summary) with each count's bounds. */
static void table_topk(FILE *out, const char *title, const char *col, const char *cls, const cfs_topk *t,
                       int top)
{
    if (!t || !cfs_topk_size(t)) return;
    cfs_topk_item items[64];
    size_t n = cfs_topk_list(t, items, top < 64 ? (size_t)top : 64);
    uint64_t eb = cfs_topk_error_bound(t);
    fprintf(out, "<div><h4>%s</h4>", title);
    if (eb)
        fprintf(
            out,
            "<p class=\"mut\">Counts are upper bounds: more than 256 distinct values, so each may "
            "overstate by at most <b class=\"eb\" data-v=\"%llu\">%llu</b>; the true count lies in the range "
            "shown.</p>",
            (unsigned long long)eb, (unsigned long long)eb);
    fprintf(
        out,
        "<div class=\"tw\"><table class=\"sortable topk %s\"%s data-eb=\"%llu\" data-total=\"%llu\">"
        "<thead><tr><th>%s</th><th class=\"n\">403s</th><th class=\"n\">true count</th></tr></thead><tbody>",
        cls, n > 10 ? " data-filter" : "", (unsigned long long)eb, (unsigned long long)cfs_topk_total(t),
        col);
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "<tr data-count=\"%llu\" data-error=\"%llu\"><td class=\"v\">",
                (unsigned long long)items[i].count, (unsigned long long)items[i].error);
        cfs_html_esc(out, items[i].key, items[i].n);
        fputs("</td>", out);
        td_count(out, items[i].count);
        if (items[i].error)
            fprintf(out, "<td class=\"n\" data-v=\"%llu\">%llu&#8211;%llu</td></tr>",
                    (unsigned long long)(items[i].count - items[i].error),
                    (unsigned long long)(items[i].count - items[i].error),
                    (unsigned long long)items[i].count);
        else
            fprintf(out, "<td class=\"n\" data-v=\"%llu\">exact</td></tr>",
                    (unsigned long long)items[i].count);
    }
    fputs("</tbody></table></div></div>", out);
}

static void table_kv(FILE *out, const char *title, const char *col, const kvlist *l, size_t limit,
                     const char *cls)
{
    if (!l->n) return;
    fprintf(out,
            "<div><h4>%s</h4><div class=\"tw\"><table class=\"sortable %s\"><thead><tr><th>%s</th>"
            "<th class=\"n\">403s</th></tr></thead><tbody>",
            title, cls, col);
    for (size_t i = 0; i < l->n && i < limit; i++) {
        fprintf(out, "<tr data-n=\"%llu\"><td class=\"v\">", (unsigned long long)l->v[i].n);
        cfs_html_puts(out, l->v[i].key);
        fputs("</td>", out);
        td_count(out, l->v[i].n);
        fputs("</tr>", out);
    }
    fputs("</tbody></table></div></div>", out);
}

/* The evidence bar: confirmed, likely, possible as shares of the cause's 403s. */
static void ev_bar(FILE *out, const cause_model *c)
{
    static const char *const cls[] = {"", "ev-c", "ev-l", "ev-p"};
    static const char *const nm[] = {"", "confirmed", "likely", "possible"};
    fputs("<div class=\"evb\" role=\"img\" aria-label=\"evidence\">", out);
    for (int e = CFS_EV_CONFIRMED; e < CFS_EV_COUNT; e++)
        if (c->ev[e])
            fprintf(out, "<i class=\"%s\" style=\"width:%.2f%%\" title=\"%s %llu\"></i>", cls[e],
                    pct(c->ev[e], c->n), nm[e], (unsigned long long)c->ev[e]);
    fputs("</div>", out);
}

static void causes_table(FILE *out, size_t di, const dist_model *d, const int *order, int nc)
{
    fputs(
        "<h3>Causes</h3><p class=\"mut\">Evidence bar: <span class=\"sw ev-c\"></span>confirmed "
        "<span class=\"sw ev-l\"></span>likely <span class=\"sw ev-p\"></span>possible</p><div class=\"tw\"><table class=\"sortable causes\"><thead><tr><th>cause</th>"
        "<th class=\"n\">403s</th><th class=\"n\">share</th><th>evidence</th><th class=\"n\">confirmed</th>"
        "<th class=\"n\">likely</th><th class=\"n\">possible</th></tr></thead><tbody>",
        out);
    for (int k = 0; k < nc; k++) {
        const cause_model *c = d->causes[order[k]];
        /* share as the JSON prints it, so the two compare as strings */
        fprintf(
            out,
            "<tr class=\"cause\" data-c=\"%d\" data-n=\"%llu\" data-share=\"%.6f\" data-confirmed=\"%llu\" "
            "data-likely=\"%llu\" data-possible=\"%llu\"><td class=\"cn\"><span class=\"sw\" style=\"background:%s\"></span>"
            "<a href=\"#d%zu-c%d\">%s</a></td>",
            c->cause, (unsigned long long)c->n, (double)c->n / (double)d->n403,
            (unsigned long long)c->ev[CFS_EV_CONFIRMED], (unsigned long long)c->ev[CFS_EV_LIKELY],
            (unsigned long long)c->ev[CFS_EV_POSSIBLE], k_cause_color[c->cause], di, c->cause,
            cfs_cause_name((cfs_cause)c->cause));
        td_count(out, c->n);
        td_pct(out, c->n, d->n403);
        /* sorts by the confirmed share */
        fprintf(out, "<td data-v=\"%.4f\">", pct(c->ev[CFS_EV_CONFIRMED], c->n));
        ev_bar(out, c);
        fputs("</td>", out);
        for (int e = CFS_EV_CONFIRMED; e < CFS_EV_COUNT; e++) td_count(out, c->ev[e]);
        fputs("</tr>", out);
    }
    fputs("</tbody></table></div>", out);
}

/* One cause in full: its numbers, latency, top lists, edges, rules and next steps. */
static void cause_detail(FILE *out, size_t di, const dist_model *d, const cause_model *c, int rank, int top)
{
    fprintf(out, "<details class=\"cause-detail\" id=\"d%zu-c%d\" data-c=\"%d\"%s><summary>", di, c->cause,
            c->cause, rank < H_OPEN_CAUSES ? " open" : "");
    fprintf(out, "<span class=\"sw\" style=\"background:%s\"></span>%d. %s &#8212; ", k_cause_color[c->cause],
            rank + 1, cfs_cause_name((cfs_cause)c->cause));
    put_count(out, c->n);
    fprintf(out, " 403s (%.1f%%)</summary>", pct(c->n, d->n403));
    fprintf(out, "<p>Evidence: confirmed %llu, likely %llu, possible %llu.",
            (unsigned long long)c->ev[CFS_EV_CONFIRMED], (unsigned long long)c->ev[CFS_EV_LIKELY],
            (unsigned long long)c->ev[CFS_EV_POSSIBLE]);
    if (c->g) {
        fprintf(
            out,
            " Distinct clients: <b class=\"distinct\" data-v=\"%.0f\">~%.0f</b>. Time-taken p50/p90/p99: "
            "<span class=\"tt\" data-p50=\"%u\" data-p90=\"%u\" data-p99=\"%u\">%u / %u / %u ms</span>; "
            "time-to-first-byte <span class=\"ttfb\" data-p50=\"%u\" data-p90=\"%u\" data-p99=\"%u\">%u / %u / "
            "%u ms</span>.",
            cfs_hll_estimate(&c->g->clients), cfs_hll_estimate(&c->g->clients),
            cfs_hist_quantile(&c->g->tt, 0.5), cfs_hist_quantile(&c->g->tt, 0.9),
            cfs_hist_quantile(&c->g->tt, 0.99), cfs_hist_quantile(&c->g->tt, 0.5),
            cfs_hist_quantile(&c->g->tt, 0.9), cfs_hist_quantile(&c->g->tt, 0.99),
            cfs_hist_quantile(&c->g->ttfb, 0.5), cfs_hist_quantile(&c->g->ttfb, 0.9),
            cfs_hist_quantile(&c->g->ttfb, 0.99), cfs_hist_quantile(&c->g->ttfb, 0.5),
            cfs_hist_quantile(&c->g->ttfb, 0.9), cfs_hist_quantile(&c->g->ttfb, 0.99));
    }
    fputs("</p>", out);
    fputs("<div class=\"next\"><b>Next steps.</b> ", out);
    const uint64_t unconfirmed = cfs_rmodel_unconfirmed(c);
    if (unconfirmed)
        fprintf(out, "<i>" CFS_RMODEL_CAVEAT "</i> ", (unsigned long long)unconfirmed,
                (unsigned long long)c->n);
    cfs_html_puts(out, cfs_cause_advice((cfs_cause)c->cause));
    fputs("</div>", out);
    if (c->g) chart_latency(out, d, c);
    fputs("<div class=\"cols\">", out);
    if (c->h) {
        table_topk(out, "Top URIs", "URI", "uris", c->h->uris, top);
        table_topk(out, "Top clients", "client", "clients", c->h->ips, top);
    }
    table_kv(out, "Top edge locations", "edge", &c->edges, (size_t)top, "edges");
    table_kv(out, "Rules that decided", "rule", &c->rules, (size_t)-1, "rules");
    if (c->cands.n) table_kv(out, "Undecided: could be", "causes", &c->cands, (size_t)-1, "cands");
    fputs("</div></details>", out);
}

/* ---- page sections -------------------------------------------------------------------------- */
static void kpi(FILE *out, const char *id, const char *label, uint64_t n)
{
    fprintf(out, "<div class=\"kpi\"><dt>%s</dt><dd id=\"%s\" data-v=\"%llu\">", label, id,
            (unsigned long long)n);
    put_count(out, n);
    fputs("</dd></div>", out);
}

static void section_inputs(FILE *out, const model *m, const cfs_view *v, const cfs_report_opts *o,
                           uint64_t n403)
{
    const cfs_ledger *L = v->ledger;
    fputs("<dl class=\"kpis\">", out);
    kpi(out, "k-requests", "requests", m->tot.aggregated);
    kpi(out, "k-forbidden", "403 responses", n403);
    kpi(out, "k-files", "input files", v->nfiles);
    kpi(out, "k-failed", "inputs failed", m->failed);
    kpi(out, "k-lines", "lines read", m->tot.lines);
    kpi(out, "k-rejected", "lines rejected", cfs_stats_rejected(&m->tot));
    fputs("</dl>", out);
    fprintf(out,
            "<p class=\"mut\">Lines: %llu read = %llu requests + %llu filtered or outside the window + %llu "
            "rejected + %llu header/blank; %llu files skipped by name; %.1f MB read, %.1f MB decoded.</p>",
            (unsigned long long)m->tot.lines, (unsigned long long)m->tot.aggregated,
            (unsigned long long)m->tot.filtered, (unsigned long long)cfs_stats_rejected(&m->tot),
            (unsigned long long)(m->tot.header_lines + m->tot.blank_lines), (unsigned long long)L->pruned,
            m->tot.bytes_in / 1e6, m->tot.bytes_out / 1e6);
    if (o && o->nsel) {
        fputs("<p>Selection:", out);
        for (size_t i = 0; i < o->nsel; i++) {
            fputs(" <code>--", out);
            cfs_html_puts(out, o->sel_names[i]);
            fputc(' ', out);
            cfs_html_puts(out, o->sel_values[i]);
            fputs("</code>", out);
        }
        fputs("</p>", out);
    }
    if (o && cfs_sampling_stated(&o->sampling)) {
        fputs("<p class=\"warn\">Sampling: ", out); /* the sentence holds no markup or log text */
        cfs_sampling_sentence(out, &o->sampling);
        fputs(".</p>", out);
    }
    if (o && o->selected_nothing) {
        fputs(o->nsel ? "<p class=\"warn\">The window and filters selected nothing ("
                      : "<p class=\"warn\">The run selected nothing (",
              out);
        cfs_html_puts(out, o->nothing_why ? o->nothing_why : "no line passed");
        fputs(o->nsel ? "): this report is empty because of them, not because the logs are clean.</p>"
                      : "): this report is empty because of that, not because the logs are clean.</p>",
              out);
    }
    /* inputs with errors or warnings, as the ledger listed them */
    size_t shown = 0;
    if (L->nnotes || L->errors_unlisted || L->warnings_unlisted) {
        fprintf(
            out,
            "<h3 id=\"notes\">Inputs with errors or warnings</h3><div class=\"tw\"><table class=\"sortable "
            "notes\"%s><thead><tr><th>level</th><th>input</th><th>what</th><th class=\"n\">lines "
            "rejected</th></tr></thead><tbody>",
            L->nnotes > 10 ? " data-filter" : "");
        for (size_t i = 0; i < L->nnotes && shown < H_MAX_NOTES; i++) { /* in input order */
            const cfs_file_note *nt = &L->notes[i];
            const cfs_file_stats *f = &nt->st;
            int error = nt->unusable || f->status != CFS_OK;
            const char *w = nt->unusable ? NULL : cfs_stats_warning(f);
            fprintf(out, "<tr class=\"note\"><td class=\"%s\">%s</td><td class=\"v\">",
                    error ? "err" : "warn", error ? "ERROR" : "WARNING");
            cfs_html_puts(out, nt->path);
            fputs("</td><td>", out);
            if (error) {
                cfs_html_esc(out, f->error, strnlen(f->error, sizeof f->error));
                if (!nt->unusable)
                    fprintf(out, " (%s); %llu lines read before it", cfs_status_str(f->status),
                            (unsigned long long)f->lines);
            } else {
                cfs_html_puts(out, w ? w : "lines rejected");
            }
            fputs("</td>", out);
            td_count(out, nt->unusable ? 0 : cfs_stats_rejected(f));
            fputs("</tr>", out);
            shown++;
        }
        fputs("</tbody></table></div>", out);
        size_t more = L->nnotes - shown;
        if (more || L->errors_unlisted || L->warnings_unlisted)
            fprintf(out,
                    "<p class=\"mut\">Not listed here: %zu more inputs with errors or warnings (report.json "
                    "lists %zu; %zu errors and %zu warnings beyond those are only counted).</p>",
                    more + L->errors_unlisted + L->warnings_unlisted, L->nnotes, L->errors_unlisted,
                    L->warnings_unlisted);
    }
}

static void section_evidence(FILE *out, const cfs_report_opts *o)
{
    const cfs_evid_set *es = o ? o->evidence : NULL;
    if (!es || !es->n) return;
    fputs(
        "<section id=\"evidence\"><h2>Evidence inputs</h2><p class=\"mut\">What each <code>--config</code> and "
        "<code>--waf-logs</code> input covered of the scanned traffic.</p><div class=\"tw\"><table "
        "class=\"sortable evidence\"><thead><tr><th>option</th><th>path</th><th class=\"n\">files</th><th "
        "class=\"n\">records</th><th class=\"n\">distributions</th><th class=\"n\">covered requests</th><th "
        "class=\"n\">covered 403s</th><th>warning</th></tr></thead><tbody>",
        out);
    for (size_t i = 0; i < es->n; i++) {
        const cfs_evid_input *e = &es->v[i];
        fprintf(out, "<tr><td>%s</td><td class=\"v\">", cfs_evid_kind_option(e->kind));
        cfs_html_puts(out, e->path);
        fputs("</td>", out);
        td_count(out, e->files);
        td_count(out, e->records);
        td_count(out, e->ndists);
        td_count(out, e->requests);
        td_count(out, e->forbidden);
        fprintf(out, "<td class=\"%s\">", e->warning ? "warn" : "mut");
        if (e->warning) cfs_html_puts(out, e->warning);
        else if (!e->requests) fputs("covers none of the scanned requests", out);
        fputs("</td></tr>", out);
    }
    fputs("</tbody></table></div></section>", out);
}

static void dist_notes(FILE *out, const dist_model *d, const cfs_report_opts *o)
{
    fputs("<p class=\"mut\">", out);
    if (d->reference_ms)
        fprintf(out,
                "Origin-fetch reference: <b class=\"refms\" data-v=\"%u\">%u ms</b> from %llu 2xx/3xx Miss "
                "responses (%s).",
                d->reference_ms, d->reference_ms, (unsigned long long)d->fetches,
                cfs_attr_reference_measure(d->fetches, d->fetches_ttfb));
    else
        fprintf(out,
                "Origin-fetch reference: <b class=\"refms\" data-v=\"0\">none</b>: too few 2xx/3xx Miss "
                "responses (%llu); the zones alone decide.",
                (unsigned long long)d->fetches);
    if (d->hidden403) {
        char status[64];
        cfs_rmodel_hidden_status(d, status, sizeof status);
        fprintf(out,
                " %s%llu responses with %s are 403s remapped by CustomErrorResponses (not counted above%s).",
                d->hidden_upper ? "Up to " : "", (unsigned long long)d->hidden403, status,
                d->hidden_upper ? "; an origin's own error of that status is logged alike" : "");
    }
    if (d->older403)
        fprintf(out, " 403s older than the config: %llu (evidence lowered one level).",
                (unsigned long long)d->older403);
    if (o && o->with_waf && d->waf_notes[CFS_WAF_NOTE_OUTSIDE_COVERAGE])
        fprintf(out, " %llu 403s lie outside the WAF logs' coverage.",
                (unsigned long long)d->waf_notes[CFS_WAF_NOTE_OUTSIDE_COVERAGE]);
    if (d->waf_notes[CFS_WAF_NOTE_CHALLENGE_ON_403] || d->waf_notes[CFS_WAF_NOTE_CODE_NOT_403])
        fprintf(out,
                " WAF anomalies: %llu 403s joined to CAPTCHA/CHALLENGE records, %llu to BLOCK records with "
                "another response code (judged as if unjoined).",
                (unsigned long long)d->waf_notes[CFS_WAF_NOTE_CHALLENGE_ON_403],
                (unsigned long long)d->waf_notes[CFS_WAF_NOTE_CODE_NOT_403]);
    fputs("</p>", out);
    /* the fields its lines lacked and what that costs (presence.h), as the text report */
    const cfs_field_cost *f[64];
    int how[64];
    size_t n = cfs_rmodel_fields_absent(d, f, how, 64);
    if (n) {
        fputs("<ul class=\"absent\">", out);
        for (size_t i = 0; i < n; i++)
            fprintf(out,
                    "<li data-field=\"%s\" data-lines=\"%s\">Field absent from %s lines: <b>%s</b>: %s</li>",
                    cfs_field_name(f[i]->field), cfs_pres_word(how[i]), cfs_pres_word(how[i]),
                    cfs_field_name(f[i]->field), f[i]->cost);
        fputs("</ul>", out);
    }
}

static void dist_section(FILE *out, size_t di, const dist_model *d, const hours_tab *t,
                         const cfs_report_opts *o, int top)
{
    fprintf(out,
            "<section class=\"dist\" id=\"d%zu\" data-requests=\"%llu\" data-forbidden=\"%llu\" "
            "data-hidden=\"%llu\"><h2>Distribution <span class=\"did\">",
            di, (unsigned long long)d->requests, (unsigned long long)d->n403,
            (unsigned long long)d->hidden403);
    cfs_html_puts(out, d->dist);
    fputs("</span></h2><p>", out);
    put_count(out, d->n403);
    fputs(" of ", out);
    put_count(out, d->requests);
    fprintf(out, " requests were 403 (%.2f%%).</p>", pct(d->n403, d->requests));
    dist_notes(out, d, o);
    int order[CFS_CAUSE_COUNT];
    int nc = cfs_rmodel_ranked_causes(d, order);
    size_t lo, hi;
    dist_range(&t->hc, d->dist, &lo, &hi);
    if (nc && lo < hi) {
        taxis ax, hx;
        axis_of(t, lo, hi, H_MAX_COLS, &ax);
        axis_of(t, lo, hi, H_MAX_HEAT_COLS, &hx);
        chart_timeline(out, d, t, lo, hi, &ax, order, nc);
        causes_table(out, di, d, order, nc);
        chart_heatmap(out, d, t, &hx);
    }
    if (nc) {
        fputs("<h3>Each cause</h3>", out);
        for (int k = 0; k < nc; k++) cause_detail(out, di, d, d->causes[order[k]], k, top);
    }
    if (d->waf_rules.n) {
        fputs("<h3>WAF terminating rules (joined blocks)</h3>", out);
        table_kv(out, "", "rule", &d->waf_rules, (size_t)-1, "waf");
    }
    int any = 0;
    for (int h = 1; h < CFS_HINT_COUNT; h++) {
        if (!d->hints[h]) continue;
        if (!any) fputs("<h3>What would settle it</h3><ul class=\"settle\">", out);
        any = 1;
        fprintf(out, "<li data-n=\"%llu\">", (unsigned long long)d->hints[h]);
        put_count(out, d->hints[h]);
        fputs(" 403s ", out);
        cfs_html_puts(out, cfs_rmodel_settle_text(h));
        fputs("</li>", out);
    }
    if (any) fputs("</ul>", out);
    fputs("</section>", out);
}

/* The overview of every distribution with 403s (id, requests, 403s, share), linked to its
 * section when it has one. */
static void overview(FILE *out, const model *m, size_t ndetail)
{
    size_t n = 0;
    for (size_t i = 0; i < m->nd; i++) n += m->d[i]->n403 || m->d[i]->hidden403;
    fputs("<section id=\"overview\"><h2>Distributions with 403s</h2>", out);
    if (!n) {
        fprintf(out, "<p>%s</p></section>", cfs_rmodel_no_403(m));
        return;
    }
    if (n > ndetail)
        fprintf(out,
                "<p class=\"mut\">%zu distributions have 403s; the %zu with the most are drawn below%s.</p>",
                n, ndetail, n > H_MAX_OVERVIEW ? ", and this table lists the first 500" : "");
    fprintf(
        out,
        "<div class=\"tw\"><table class=\"sortable overview\"%s><thead><tr><th>distribution</th><th "
        "class=\"n\">requests</th><th class=\"n\">403s</th><th class=\"n\">403 share</th><th>top cause</th>"
        "</tr></thead><tbody>",
        n > 10 ? " data-filter" : "");
    size_t k = 0;
    for (size_t i = 0; i < m->nd && k < H_MAX_OVERVIEW; i++) {
        const dist_model *d = m->d[i];
        if (!d->n403 && !d->hidden403) continue;
        fputs("<tr><td class=\"v\">", out);
        if (k < ndetail) fprintf(out, "<a href=\"#d%zu\">", k);
        cfs_html_puts(out, d->dist);
        if (k < ndetail) fputs("</a>", out);
        fputs("</td>", out);
        td_count(out, d->requests);
        td_count(out, d->n403);
        td_pct(out, d->n403, d->requests);
        int order[CFS_CAUSE_COUNT];
        int nc = cfs_rmodel_ranked_causes(d, order);
        fprintf(out, "<td>%s</td></tr>", nc ? cfs_cause_name((cfs_cause)order[0]) : "-");
        k++;
    }
    fputs("</tbody></table></div></section>", out);
}

static const char LEGEND[] =
    "<section id=\"legend\"><h2>How to read this</h2><p>Evidence <b>confirmed</b>: a log field, a joined WAF "
    "record or the config proves the cause; <b>likely</b>: the line fits the cause and other explanations are "
    "rare; <b>possible</b>: another cause fits too. Rule names: <code>drt_</code>/<code>rt_</code> = "
    "x-edge-(detailed-)result-type says it, <code>latency_*</code> = judged by latency against the origin "
    "reference, <code>*_s3</code> = an S3 origin, <code>*_config_newer</code> = a line older than its config. "
    "<code>cfscan rules</code> lists every rule with the facts it rests on and the documentation it cites. Top "
    "lists are exact while a cause has at most 256 distinct values; above that each count may overstate by the "
    "bound shown. Distinct clients are estimated (0.81% standard error); latency percentiles are within 1%.</p>"
    "<p class=\"mut\">Made by cfscan " CFS_VERSION
    " from the same data as <code>--format json</code>; this page "
    "loads nothing and needs no script (the one inline script only sorts and filters tables).</p></section>";

void cfs_report_html(FILE *out, const cfs_view *v, const cfs_report_opts *o)
{
    model m;
    if (!cfs_rmodel_build(&m, v, o)) return;
    int top = o && o->top > 0 ? o->top : CFS_REPORT_TOP_DEFAULT;
    cfs_rmodel_sort_dists(&m);
    /* the distributions drawn in full: the first with 403s, in the model's order */
    const dist_model *detail[H_MAX_DETAIL];
    size_t ndetail = 0;
    for (size_t i = 0; i < m.nd; i++) {
        if (!m.d[i]->n403 && !m.d[i]->hidden403) continue;
        if (ndetail == H_MAX_DETAIL) break;
        detail[ndetail++] = m.d[i];
    }
    hours_tab t;
    memset(&t, 0, sizeof t);
    if (!hours_build(&t, v, detail, ndetail, o ? o->stop : NULL) || cfs_nomem_failed()) {
        hours_free(&t);
        cfs_rmodel_free(&m);
        return;
    }
    uint64_t n403 = 0;
    for (size_t i = 0; i < m.nd; i++) n403 += m.d[i]->n403;
    fprintf(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "script-src '%s'; base-uri 'none'; form-action 'none'\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta name=\"referrer\" content=\"no-referrer\">\n<title>cfscan report</title>\n<style>%s",
        k_script_sha256, k_style);
    for (int c = 1; c < CFS_CAUSE_COUNT; c++)
        fprintf(out, "rect[data-c=\"%d\"]{fill:%s}", c, k_cause_color[c]);
    fputs("</style></head>\n<body><main>\n<h1>cfscan report: why viewers got 403s</h1>", out);
    fprintf(out, "<p class=\"mut\">");
    put_count(out, n403);
    fprintf(out, " of ");
    put_count(out, m.tot.aggregated);
    fprintf(out, " requests were 403 (%.2f%%), in %zu distribution%s.</p>", pct(n403, m.tot.aggregated), m.nd,
            m.nd == 1 ? "" : "s");
    if (ndetail) {
        fputs("<nav aria-label=\"distributions\">", out);
        size_t k = 0;
        for (size_t i = 0; i < m.nd && k < ndetail; i++) {
            if (!m.d[i]->n403 && !m.d[i]->hidden403) continue;
            fprintf(out, "<a href=\"#d%zu\">", k++);
            cfs_html_puts(out, m.d[i]->dist);
            fputs("</a>", out);
        }
        fputs("<a href=\"#inputs\">inputs</a><a href=\"#legend\">how to read</a></nav>", out);
    }
    fputs("<section id=\"inputs\"><h2>Inputs</h2>", out);
    section_inputs(out, &m, v, o, n403);
    fputs("</section>", out);
    section_evidence(out, o);
    overview(out, &m, ndetail);
    for (size_t k = 0; k < ndetail; k++) {
        if (o && o->stop && *o->stop) break;
        dist_section(out, k, detail[k], &t, o, top);
    }
    fputs(LEGEND, out);
    fprintf(out, "\n</main><script>%s</script></body></html>\n", k_script);
    hours_free(&t);
    cfs_rmodel_free(&m);
}
