/* Runs the pipeline under OpenMP.  The whole flow, per input:
 *
 *   reader = cfs_reader_open(input)                         decode (gzip/zstd/plain)
 *   for each piece of decompressed bytes:
 *       line ends, TAB map = kernel->scan(window)            structural scan
 *       for each line:  #Fields: -> cfs_layout_parse          layout
 *                       else cfs_record_parse -> cfs_attribute_line -> cfs_agg_add
 *
 * Inputs come in batches (CFS_SCAN_BATCH, from a streamed walk or one list), each
 * scheduled largest first with dynamic scheduling; a large input is cut at line
 * boundaries into blocks that run as tasks on any thread.  Each thread adds into its own
 * counter and 403 accumulator (cfs_thread_agg); they are merged once at the end.  The
 * only order-dependent state (top-k summaries, held-back 403s, `requests` rows) is kept
 * per work unit and folded in input order (fold_pending: each summary's merges, and the
 * rest of the units, one at a time in that order, on any thread), so the result is
 * identical for any thread count.
 * After each batch its per-input counts go to the ledger and to o->on_input, and are
 * dropped: memory does not grow with the number of inputs. */
#include "pipeline/scan.h"
#include "pipeline/redact.h"
#include "pipeline/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <omp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <arpa/inet.h>

#include "kernels/kernels.h"
#include "pipeline/fields.h"
#include "pipeline/parquet_read.h"
#include "pipeline/presence.h"
#include "pipeline/v2json.h"

#define WINDOW (CFS_MAX_LINE + 1) /* a longest legal line plus its LF fits a window */
#define BLOCK ((size_t)8 << 20)   /* unit of work inside a large input */
/* Capacity of a block's copy buffer (produce_blocks).  Pieces are appended until the
 * buffer holds an LF at or past BLOCK bytes, or a longest line (WINDOW) past BLOCK without
 * one, so it ends up with at most BLOCK + WINDOW bytes plus one piece; the streaming
 * decoders hand out at most CFS_DECODE_PIECE bytes and pipes are read 1 MiB at a time
 * (decode.c), so BLOCK + WINDOW + 1 MiB lets the buffer be allocated once per block and
 * never grown.  A larger piece (a whole gzip member decoded at once by --gzip-decoder
 * libdeflate) gets a buffer of its own size. */
#define ACC_CAP (BLOCK + WINDOW + ((size_t)1 << 20))
/* Streamed bytes are copied into a block's buffer at most this many at a time
 * (produce_blocks), within ACC_CAP's headroom. */
#define FEED ((size_t)1 << 20)
_Static_assert(CFS_DECODE_PIECE <= ((size_t)1 << 20), "ACC_CAP's headroom holds one piece");
/* A thread's kernel output for one window, in one allocation (thread_pos): the LF
 * positions (an even count of slots, so the TAB map after them is 8-byte aligned), then
 * the TAB map. */
#define LF_SLOTS ((WINDOW + CFS_SCAN_POS_SLACK + 1) & ~(size_t)1)
#define SCAN_BUF_BYTES (LF_SLOTS * sizeof(uint32_t) + CFS_SCAN_WORDS(WINDOW) * sizeof(uint64_t))

/* ---- work units (order-dependent state) ------------------------------------------------ */
typedef struct unit {
    cfs_agg heavy; /* only .heavy is used */
    int heavy_init;
    int fold_fast;     /* the fold's chain took its summaries: its held-back 403s follow */
    cfs_req_row *rows; /* matching rows after the spilled ones */
    size_t nrows, cap;
    size_t row_bytes; /* row_cost of rows[] */
    FILE *spill;      /* the unit's first nspilled rows (unit_spill) */
    uint64_t nspilled;
    int spill_failed;
    char why[160];
} unit;

/* The fold's queues.  Folding a unit into the result is three kinds of work, each done
 * one piece at a time where order matters, and apart where it does not:
 *   - the chain (fold_chain): units taken in input order; each of a unit's top-k groups
 *     finds or makes its row of the result, a row new to the result taking the unit's
 *     summaries whole (cfs_agg_fold_heavy_split); the rest goes to the queues;
 *   - merges of a unit's summary into the result's summary of the same row: queue
 *     which % FOLD_QUEUES, so the merges into one summary run in input order, one at a
 *     time, and those into different summaries run on any threads at once;
 *   - the remainder of a unit (its held-back 403s, facts and `requests` rows, fold_unit):
 *     queue FOLD_QUEUES, in input order.
 * Before, one thread at a time did all of it: a chain of about 8% of a one-thread run on
 * the benchmark sets (the ordered merges 55% of that, the held-back 403s 40%), which
 * bounded the pass at about 12 threads whatever their number.  The result is the same:
 * every summary sees the same merges in the same order.  Each queue, like the chain, is
 * held by one thread at a time; a thread that stores a unit helps with whatever is free
 * (fold_pending), and the end of a batch waits for all of it. */
#define FOLD_QUEUES 32
#define FOLD_TAKE 64 /* pieces taken from a queue, or units from the chain, at a time */
typedef struct fold_job {
    cfs_topk *dst, *src; /* a merge, src owned; or */
    unit *u;             /* a unit's remainder */
} fold_job;
typedef struct fold_queue {
    fold_job *v; /* a ring of cap entries: n of them from head on */
    size_t head, n, cap;
    int busy; /* a thread is running this queue's jobs */
} fold_queue;

typedef struct file_slot {
    unit **units;    /* by block index; NULL entries for blocks with nothing */
    uint8_t *stored; /* by block index: the block has finished */
    size_t nunits;   /* entries in units/stored */
    size_t folded;   /* blocks [0, folded) are folded into the result */
    int done;
    cfs_reader *reader; /* kept open while zero-copy blocks still read it */
    int pending;        /* producer hold + blocks in flight */
    /* Parquet (produce_parquet): each unit's error, reported in unit order once all ran */
    struct pq_fail *pq_fail;
    size_t pq_units;
} file_slot;

typedef struct pq_fail {
    cfs_status st;
    char err[200];
} pq_fail;

typedef struct shared {
    const cfs_inputs *in;  /* the batch being scanned */
    cfs_file_stats *files; /* its per-input counts, by index in the batch */
    const cfs_scan_opts *o;
    cfs_scan_result *res;
    file_slot *slots;
    size_t fold_next;
    const cfs_kernel *kernel;
    unsigned parse_need;         /* cfs_record_parse's CFS_PARSE_* for this scan */
    cfs_thread_agg *thread_aggs; /* per thread: exact counter and 403 accumulator */
    cfs_kmap *thread_tl;         /* per thread: the 403 timeline (opts.timeline_s), else NULL */
    int line_extra;              /* filters, a timeline or rows: handle_line calls line_extra */
    unsigned plain_lane;         /* how common lines may be counted without a record: 0, or
                                  * CFS_PARSE_PLAIN and CFS_PARSE_PLAIN_MISS (fields.h) */
    uint32_t **thread_pos;
    cfs_kmap *tparts; /* the traffic rows by partition, from merge_threads until judged */
    size_t ntparts;
    cfs_pqr **thread_pq;            /* per thread: its Parquet cursor, reused from unit to unit */
    int folding;                    /* a thread holds the fold's chain (fold_pending) */
    fold_queue fq[FOLD_QUEUES + 1]; /* the fold's queues (fold_pending) */
    int fold_hold;                  /* test hook CFS_FOLD_HOLD: queues run at a batch's end only */
    /* blocks spawned and not finished (backpressure): bounds both copied memory and how
     * far the producer reads ahead of the parsers in a mapped file */
    int inflight;
    int max_inflight;
    double t0, last_progress;
    uint64_t progress_bytes;
    size_t progress_files;
    int progress_drawn;  /* the progress line is on the terminal (progress_clear) */
    uint64_t rows_bytes; /* cost of res->rows held now (row_cost) */
    uint64_t rows_mem;   /* spill above this (opts.rows_mem) */
} shared;

/* Per parse sequence (a small file, or one block of a large one). */
typedef struct pstate {
    shared *sh;
    size_t file;
    cfs_file_stats st; /* local counts, added to the file's under a lock */
    cfs_layout layout;
    char delim; /* the delimiter a #Fields: line is read with (--delimiter; TAB for Parquet) */
    cfs_record rec;
    unit *u;
    const cfs_input *input;
    cfs_span file_dist; /* distribution id from the file name, or {NULL,0} */
    int skipping;       /* inside a line already counted as too long: drop bytes to its LF */
    uint32_t block;     /* the block of the file this sequence parses (0 for a whole file) */
    cfs_v2json json;    /* v2 JSON lines: the shape learned, the strict parser's buffers */
    /* Fields the lines had (presence.h): the layout's mask (made when the layout changes)
     * and, with a distribution id in the file name, that field's bit; the distribution
     * and mask last noted, so that a line like the one before costs two compares. */
    uint64_t lmask, fmask, pmask;
    unsigned text_need; /* the parse_need of TAB lines: with CFS_PARSE_PLAIN where a common
                         * line can be counted without its record, and CFS_PARSE_PLAIN_DIST
                         * where the file name does not give its distribution */
    const char *pdp;    /* the span noted when it is the file name's id (the same span every
                      * line), else NULL */
    uint32_t pdn;       /* length of pd, UINT32_MAX when nothing is noted */
    char pd[CFS_KEY_STR];
    /* The last common line's distribution as an id of the counter of plain_agg, the
     * thread table it was counted in (NULL: none yet; ids are stable for the pass), and
     * that distribution as plain_dp (the file name's span) or its text (plain_dn bytes of
     * plain_d; UINT32_MAX when too long to keep), as note_if_new compares them. */
    const cfs_thread_agg *plain_agg;
    uint32_t plain_did;
    const char *plain_dp;
    uint32_t plain_dn;
    char plain_d[CFS_KEY_STR];
} pstate;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Out of memory (recorded, xalloc.h) the caller gets this thread's sink unit, which is
 * never stored or folded: every allocation fails from then on, so nothing grows in it,
 * and the scan stops at its next check. */
static _Thread_local unit t_unit_sink;

static unit *unit_get(pstate *ps)
{
    if (!ps->u) {
        unit *u = cfs_calloc(1, sizeof *u, "starting the tables of a block of input");
        if (!u) return &t_unit_sink;
        ps->u = u;
    }
    return ps->u;
}

static cfs_agg *unit_heavy(pstate *ps)
{
    unit *u = unit_get(ps);
    if (!u->heavy_init) {
        cfs_agg_init(&u->heavy);
        u->heavy_init = 1;
    }
    return &u->heavy;
}

static void unit_free(unit *u)
{
    if (!u) return;
    if (u->heavy_init) cfs_agg_free(&u->heavy);
    for (size_t i = 0; i < u->nrows; i++) free(u->rows[i].text);
    free(u->rows);
    if (u->spill) fclose(u->spill);
    free(u);
}

/* ---- requests rows beyond memory -------------------------------------------------------
 * Units fold in input order, so the rows reach res in their final order: no sorting is
 * needed, only room.  Past opts.rows_mem bytes the rows held so far are appended to an
 * unlinked temporary file in $TMPDIR (glibc's tmpfile() ignores TMPDIR) and freed;
 * the reader streams the file back first, then the rows still in memory.  Rows are
 * settled against the merged origin reference, which is known only at the end, so the
 * spilled ones are settled (and filtered by --cause) as they are read back. */
typedef struct spill_rec {
    char dist[CFS_KEY_STR];
    cfs_attribution at;
    uint32_t time_taken_ms;
    uint32_t len;
    uint32_t clen, cth;
    uint64_t evkey;
    int64_t ts;
    char label[CFS_KEY_STR];
    uint64_t order_file, order_line;
    uint32_t waf;
} spill_rec;

typedef struct cfs_row_spill {
    FILE *f;
    int failed; /* a write failed: the scan reports it */
    char why[256];
    uint64_t nrows;  /* rows in the file */
    uint64_t read;   /* rows read back so far (the position in keys) */
    size_t mem_rows; /* position in res->rows once the file is read */
    cfs_req_row cur; /* the row last handed out from the file */
    size_t cur_cap;
    int cause;              /* --cause filter (-1 = any), applied on reading back */
    struct spill_key *keys; /* the rows' sort keys and offsets, sorted (cfs_scan_rows_begin) */
    uint64_t nkeys;
    cfs_kmap refs; /* dist -> origin reference ms (ref_row) */
    const cfs_agg *agg;
    cfs_attr_ctx ctx; /* the scan's evidence, for cfs_fast_settle */
} cfs_row_spill;

typedef struct ref_row {
    char dist[CFS_KEY_STR];
    uint32_t ms;
    uint32_t known;
} ref_row;

/* What a held row costs: its text and its slot, plus malloc's overhead for the text. */
static size_t row_cost(const cfs_req_row *r) { return sizeof *r + r->len + 1 + 16; }

/* The rows' temporary file (cfs_temp_file); NULL with why set when it cannot be made. */
static FILE *spill_open(char *why, size_t whylen)
{
    return cfs_temp_file("requests", "the matching rows", why, whylen);
}

/* Append rows[0..n) to f (unless *failed) and free their texts. */
static void spill_write(FILE *f, cfs_req_row *rows, size_t n, int *failed, char *why, size_t whylen)
{
    for (size_t i = 0; i < n; i++) {
        cfs_req_row *r = &rows[i];
        if (!*failed) {
            spill_rec h;
            memset(&h, 0, sizeof h);
            memcpy(h.dist, r->dist, CFS_KEY_STR);
            h.at = r->at;
            h.time_taken_ms = r->time_taken_ms;
            h.len = r->len;
            h.clen = r->clen;
            h.cth = r->cth;
            h.evkey = r->evkey;
            h.ts = r->ts;
            memcpy(h.label, r->label, CFS_KEY_STR);
            h.order_file = r->order_file;
            h.order_line = r->order_line;
            h.waf = r->waf;
            if (fwrite(&h, sizeof h, 1, f) != 1 || fwrite(r->text, 1, r->len, f) != r->len) {
                *failed = 1;
                snprintf(why, whylen, "writing matching rows to a temporary file failed: %s",
                         strerror(errno ? errno : EIO));
            }
        }
        free(r->text);
    }
}

/* A unit (one file, or one block of a large one) holds its rows until it is folded in
 * input order, and blocks finish out of order (up to 4 x threads + 4 are in flight): past
 * 1/32 of opts.rows_mem (1 MiB by default) a unit moves its rows to a temporary file of
 * its own, which the fold appends to the result's. */
#define UNIT_ROWS_SHARE 32

static void unit_spill(unit *u)
{
    if (!u->spill && !u->spill_failed && !(u->spill = spill_open(u->why, sizeof u->why))) u->spill_failed = 1;
    spill_write(u->spill, u->rows, u->nrows, &u->spill_failed, u->why, sizeof u->why);
    u->nspilled += u->nrows;
    u->nrows = 0;
    u->row_bytes = 0;
}

/* ---- requests rows in time order -------------------------------------------------------- */
static int key_cmp(int64_t ta, uint64_t fa, uint64_t la, int64_t tb, uint64_t fb, uint64_t lb)
{
    if (ta != tb) return ta < tb ? -1 : 1;
    if (fa != fb) return fa < fb ? -1 : 1;
    return la < lb ? -1 : la > lb;
}

static int row_cmp(const void *a, const void *b)
{
    const cfs_req_row *x = a, *y = b;
    return key_cmp(x->ts, x->order_file, x->order_line, y->ts, y->order_file, y->order_line);
}

/* A spilled row's key and where its record starts in the file. */
typedef struct spill_key {
    int64_t ts;
    uint64_t order_file, order_line;
    off_t off;
} spill_key;

static int spill_key_cmp(const void *a, const void *b)
{
    const spill_key *x = a, *y = b;
    return key_cmp(x->ts, x->order_file, x->order_line, y->ts, y->order_file, y->order_line);
}

const char *cfs_req_row_waf_rule(const cfs_req_row *row, const cfs_waf_index *w)
{
    /* waf - 1 past the rule names is one of the notes (waf.h), no blocking rule */
    if (!w || !row->waf || row->waf - 1 >= cfs_waf_rule_count(w)) return NULL;
    return cfs_waf_name(w, row->waf - 1);
}

/* ---- requests filter --------------------------------------------------------------------- */
static int row_matches_cause(const cfs_req_row *row, const cfs_req_filter *f)
{
    return cfs_filter_cause(f->sel, row->at, 1);
}

/* A row's value of field f: the line's own, or for date and time, when the line has none
 * (real-time logs, v2 with timestamp(ms) alone), the request's time they would show (its
 * timestamp's, so a row always says when); buf holds that text. */
static cfs_span row_value(const cfs_record *r, cfs_field f, char buf[16])
{
    if (f == CFS_F_UNKNOWN) return r->dist;
    cfs_span s = r->f[f];
    if (s.n || (f != CFS_F_DATE && f != CFS_F_TIME)) return s;
    time_t t = (time_t)r->ts; /* in range: the line was accepted (types.h) */
    struct tm tm;
    size_t n = gmtime_r(&t, &tm) ? strftime(buf, 16, f == CFS_F_DATE ? "%Y-%m-%d" : "%H:%M:%S", &tm) : 0;
    return (cfs_span){buf, (uint32_t)n};
}

/* --dist: the line's distribution key is the one named, or it is keyed by its Host (no
 * distribution id in the file name or the line: a renamed or concatenated file, stdin)
 * and the config that Host finds has that id; the report keeps the Host as the key, and
 * the line is of that config's distribution (README "Evidence"). */
static int dist_selected(const pstate *ps, const cfs_filter *f, const cfs_record *r)
{
    if (cfs_filter_dist(f, r->dist)) return 1;
    const cfs_dist_config *d = cfs_attr_config_of(r, ps->sh->o->attr.config, NULL);
    return d && d->id && cfs_ascii_ieq(d->id, strlen(d->id), f->dist, f->dist_n);
}

static void maybe_collect(pstate *ps, const cfs_record *r, cfs_attr_line al)
{
    const cfs_req_filter *f = ps->sh->o->filter;
    if (!f) return;
    cfs_attribution at = al.at;
    /* A provisional cause may still settle into the wanted one: keep it for now.  --dist
     * was decided by line_extra, the only caller (o->lines holds it in `requests`), so its
     * config lookup for a Host-keyed line is not made twice. */
    if (!cfs_filter_record(f->sel, r) || !cfs_filter_cause(f->sel, at, 0)) return;
    /* --redact-clients: the filter above saw the full address; the row gets the prefix
     * (c-ip, and each address of x-forwarded-for). */
    int redact = ps->sh->o->attr.redact_clients;
    size_t len = 0;
    char when[2][16]; /* date and time made from the timestamp (row_value) */
    for (size_t i = 0; i < f->nout; i++) {
        cfs_span s = row_value(r, f->out[i], when[f->out[i] == CFS_F_TIME]);
        if (redact && f->out[i] == CFS_F_C_IP) len += CFS_REDACT_MAX + 1;
        else if (redact && f->out[i] == CFS_F_FORWARDED_FOR) len += cfs_redact_list_cap(s.p, s.n) + 1;
        else len += (s.n ? s.n : 1) + 1;
    }
    char *text = cfs_malloc(len + 1, "keeping a matching request");
    if (!text) return; /* out of memory (recorded): the run stops at its next check */
    size_t o = 0;
    for (size_t i = 0; i < f->nout; i++) {
        cfs_span s = row_value(r, f->out[i], when[f->out[i] == CFS_F_TIME]);
        if (i) text[o++] = '\t';
        if (redact && f->out[i] == CFS_F_C_IP) {
            o += cfs_redact_ip(s.p ? s.p : "", s.n, text + o);
        } else if (redact && f->out[i] == CFS_F_FORWARDED_FOR) {
            o += cfs_redact_ip_list(s.p ? s.p : "", s.n, text + o);
        } else if (s.n) {
            memcpy(text + o, s.p, s.n);
            o += s.n;
        } else {
            text[o++] = '-';
        }
    }
    text[o] = 0;
    unit *u = unit_get(ps);
    if (u->nrows == u->cap) {
        size_t cap = u->cap ? u->cap * 2 : 16;
        cfs_req_row *v = cfs_realloc(u->rows, cap * sizeof *u->rows, "keeping a matching request");
        if (!v) {
            free(text);
            return;
        }
        u->rows = v;
        u->cap = cap;
    }
    cfs_req_row *row = &u->rows[u->nrows++];
    memset(row, 0, sizeof *row);
    row->text = text;
    row->len = (uint32_t)o;
    cfs_key_str(row->dist, r->dist.p, r->dist.n);
    row->at = at;
    row->waf = al.waf;
    row->ts = r->ts;
    row->order_file = ps->input->seq;
    row->order_line = (uint64_t)ps->block << 32 | (uint32_t)ps->st.lines;
    row->time_taken_ms = cfs_attr_decision_ms(r);
    if (cfs_attr_deferred(at, row->time_taken_ms)) {
        row->clen = cfs_fast_clen(r);
        row->cth = cfs_fast_cth(r);
        row->evkey = cfs_fast_evkey(row->dist, r, row->cth, row->clen);
        cfs_origin_label(r, &ps->sh->o->attr, row->label);
    }
    u->row_bytes += row_cost(row);
    if (u->row_bytes > ps->sh->rows_mem / UNIT_ROWS_SHARE) unit_spill(u);
}

/* ---- one line ------------------------------------------------------------------------------ */
static int has_control(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f) return 1;
    }
    return 0;
}

static void reject(pstate *ps, int reason) { ps->st.rejected[reason]++; }

/* Whether a line that no reader took is a JSON object behind a UTF-8 byte order mark or
 * blanks: CloudFront writes neither, and the JSON reader takes only lines that start with
 * '{', but such a line is one a tool or an editor changed, so it is bad_json, not the
 * no_header or too_few_fields that the TAB reader would call it. */
static int json_behind_blanks(const char *p, size_t n)
{
    size_t i = 0;
    if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) i = 3;
    while (i < n && (p[i] == ' ' || p[i] == '\t')) i++;
    return i > 0 && i < n && p[i] == '{';
}

/* A line of spaces and TABs alone (n > 0). */
static int only_blanks(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t') return 0;
    return 1;
}

/* ---- lines longer than CFS_MAX_LINE ---------------------------------------------------------
 * One path for them, whichever way the input is read.  A line is too long when more than
 * CFS_MAX_LINE bytes come before its LF; it is counted once, when that is first known
 * (count_long_line), and its bytes up to and including its LF are dropped unparsed
 * (past_long_line), across as many pieces as it spans.  It is found where bytes are cut
 * into lines: by parse_buffer when a whole WINDOW holds no LF (so handle_line never sees
 * one), and by produce_blocks when a whole BLOCK does, since a block must end at an LF.
 * The bytes dropped still count as decoded. */
static void count_long_line(cfs_file_stats *st)
{
    st->lines++;
    st->rejected[CFS_REJ_LINE_TOO_LONG]++;
}

/* Offset just past the LF that ends a long line in p[0..n), or 0 when p holds no LF: the
 * whole piece belongs to the line. */
static size_t past_long_line(const char *p, size_t n)
{
    const char *nl = memchr(p, '\n', n);
    return nl ? (size_t)(nl - p) + 1 : 0;
}

/* A 403 into this thread's timeline (--resolution finer than the hour). */
static __attribute__((noinline)) void timeline_add(pstate *ps, const cfs_record *r)
{
    int s = ps->sh->o->timeline_s;
    cfs_tl_row k;
    memset(&k, 0, sizeof k);
    cfs_key_str(k.dist, r->dist.p, r->dist.n);
    k.bucket = r->ts - (r->ts % s + s) % s; /* floor, also before 1970 */
    cfs_tl_row *row = cfs_kmap_get(&ps->sh->thread_tl[omp_get_thread_num()], &k, NULL);
    row->n++;
}

/* --dist, --edge, ... (o->lines): a line they exclude is counted as filtered (0).  One
 * of the selected distributions still teaches its origin-fetch reference, so the verdicts
 * on the lines kept are those of the unfiltered run.  A line kept (1) is counted in the
 * sub-hour timeline (o->timeline_s) when it is a 403 with a cause, and offered to
 * `requests` (maybe_collect). */
static __attribute__((noinline)) int line_extra(pstate *ps, cfs_thread_agg *agg, const cfs_record *r,
                                                cfs_attr_line *al)
{
    const cfs_scan_opts *o = ps->sh->o;
    cfs_attribution at = al->at;
    const cfs_filter *f = o->lines;
    if (f && !dist_selected(ps, f, r)) {
        ps->st.filtered++;
        return 0;
    }
    if (f && !(cfs_filter_record(f, r) && cfs_filter_cause(f, at, 0))) {
        cfs_agg_add_origin(agg, r, &o->attr);
        /* no 403 is kept under --status N (N not 403): nothing is judged to teach */
        if (f->status < 0 || f->status == 403) cfs_agg_learn403(agg, r, at, &o->attr);
        ps->st.filtered++;
        return 0;
    }
    int counted = at.cause != CFS_CAUSE_NONE; /* in the sub-hour timeline */
    if (f && f->cause >= 0 && cfs_attr_may_settle(at)) {
        /* Kept under --cause until it settles: counted in the timeline and the WAF join's
         * notes (a CAPTCHA, a line outside the logs' coverage) by the cause it settles
         * into.  One held back when it is judged (waf_held; cfs_fast_resolve_parts); one
         * without a latency (not held back: its traffic row settles) now, since without a
         * latency its settled verdict depends on the rule alone (cfs_attr_settle, no
         * reference). */
        if (cfs_attr_deferred(at, cfs_attr_decision_ms(r))) {
            al->waf_held = al->waf;
            counted = 0;
        } else {
            counted = cfs_attr_settle(at, CFS_NO_MILLIS, 0).cause == f->cause;
        }
        if (!counted) al->waf = 0;
    }
    if (o->timeline_s && counted) timeline_add(ps, r);
    maybe_collect(ps, r, *al);
    return 1;
}

/* A line whose distribution or fields differ from the line before's: into the thread's
 * presence table (an OR and an AND, so the thread and the order do not matter). */
static __attribute__((noinline)) void note_fields(pstate *ps, cfs_thread_agg *agg, cfs_span dist, uint64_t m)
{
    char key[CFS_KEY_STR];
    cfs_key_str(key, dist.p, dist.n);
    cfs_pres_note(&agg->acc.present, key, m);
    ps->pmask = m;
    /* The span's address stands for its text only when it is the file name's id, the same
     * span every line.  A span in a piece of text or in a Parquet page or dictionary may be
     * at the same address as the noted one with other bytes (the buffers are reused), so
     * then the text itself is compared. */
    ps->pdp = dist.p == ps->file_dist.p ? dist.p : NULL;
    /* a longer id is truncated in the key: compared again each line, it is noted each line */
    ps->pdn = dist.n < CFS_KEY_STR ? dist.n : UINT32_MAX;
    memcpy(ps->pd, key, CFS_KEY_STR);
}

static void count_record(pstate *ps, cfs_thread_agg *agg, cfs_record *r, uint64_t m);

/* Outside --since/--until: counted as filtered. */
static inline int outside_window(pstate *ps, int64_t ts)
{
    const cfs_scan_opts *o = ps->sh->o;
    if ((o->since == CFS_NO_TIME || ts >= o->since) && (o->until == CFS_NO_TIME || ts < o->until)) return 0;
    ps->st.filtered++;
    return 1;
}

/* The fields a line of distribution dist had (mask m), into its distribution's row when
 * not as the line before's. */
static inline void note_if_new(pstate *ps, cfs_thread_agg *agg, cfs_span dist, uint64_t m)
{
    if (__builtin_expect(m != ps->pmask || (dist.p != ps->pdp &&
                                            (dist.n != ps->pdn || !cfs_short_eq(dist.p, ps->pd, dist.n))),
                         0))
        note_fields(ps, agg, dist, m);
}

/* The distribution a record is counted under: the file name's, else the line's
 * distribution id, else its Host (standard logs: the distribution's domain name). */
static inline cfs_span line_dist(const pstate *ps, const cfs_record *r)
{
    if (ps->file_dist.n) return ps->file_dist;
    if (r->f[CFS_F_DISTRIBUTION_ID].n) return r->f[CFS_F_DISTRIBUTION_ID];
    if (r->f[CFS_F_CS_HOST].n) return r->f[CFS_F_CS_HOST];
    return (cfs_span){"-", 1};
}

/* Whether an accepted record is counted as a common line (count_plain): what
 * cfs_attribute_line calls the common line (no 403, and not an Error a config's 403 remap
 * may have come from), in a scan that takes the plain lane, and not a Miss whose origin
 * sample gets an origin label (a config's behaviors or v2's pattern: aggregate.c,
 * add_origin_sample).  The lane's cfs_agg_add_plain then counts exactly what cfs_agg_add
 * would. */
static inline int record_is_common(const pstate *ps, const cfs_record *r)
{
    const cfs_config_set *cfg = ps->sh->o->attr.config;
    return ps->sh->plain_lane && r->status != 403 &&
           (r->result != CFS_R_ERROR || cfg == NULL || !cfg->any_403_remap) &&
           (r->result != CFS_R_MISS || (cfg == NULL && r->f[CFS_F_CACHE_BEHAVIOR_PATH_PATTERN].p == NULL));
}

/* The counter id of distribution dist, looked up again only when it is not the last
 * common line's. */
static __attribute__((noinline)) uint32_t plain_dist_slow(pstate *ps, cfs_thread_agg *agg, cfs_span dist)
{
    ps->plain_did = cfs_counter_dist(&agg->counter, dist.p, dist.n);
    /* out of memory the id is none: asked again next line, as before */
    ps->plain_agg = ps->plain_did != CFS_COUNTER_NO_ID ? agg : NULL;
    ps->plain_dp = ps->file_dist.n && dist.p == ps->file_dist.p ? dist.p : NULL;
    ps->plain_dn = dist.n < CFS_KEY_STR ? dist.n : UINT32_MAX;
    if (dist.n < CFS_KEY_STR) memcpy(ps->plain_d, dist.p, dist.n);
    return ps->plain_did;
}

static inline uint32_t plain_dist(pstate *ps, cfs_thread_agg *agg, cfs_span dist)
{
    if (__builtin_expect(ps->plain_agg == agg &&
                             (dist.p == ps->plain_dp ||
                              (dist.n == ps->plain_dn && cfs_short_eq(dist.p, ps->plain_d, dist.n))),
                         1))
        return ps->plain_did;
    return plain_dist_slow(ps, agg, dist);
}

/* A common line (fields.h, CFS_RECORD_PLAIN, or a record as record_is_common says) whose
 * line held the fields of mask m: what count_record does for it, whose attribution is
 * always none.  Out of line: count_plain_file below takes the usual line. */
static __attribute__((noinline)) void count_plain(pstate *ps, cfs_thread_agg *agg, const cfs_record *r,
                                                  uint64_t m)
{
    if (outside_window(ps, r->ts)) return;
    const cfs_span dist = line_dist(ps, r);
    note_if_new(ps, agg, dist, m);
    cfs_agg_add_plain(agg, plain_dist(ps, agg, dist), r);
    ps->st.aggregated++;
}

/* count_plain for a TAB line of a file whose name gives the distribution (then every
 * line's): the usual line of an archive, so it compares no text (about 25 instructions a
 * line less, callgrind). */
static inline void count_plain_file(pstate *ps, cfs_thread_agg *agg, const cfs_record *r)
{
    if (outside_window(ps, r->ts)) return;
    note_if_new(ps, agg, ps->file_dist, ps->lmask);
    const uint32_t did = __builtin_expect(ps->plain_agg == agg, 1) ? ps->plain_did
                                                                   : plain_dist_slow(ps, agg, ps->file_dist);
    cfs_agg_add_plain(agg, did, r);
    ps->st.aggregated++;
}

static void handle_line(pstate *ps, cfs_thread_agg *agg, const char *base, uint32_t ls, uint32_t le,
                        const uint64_t *tabs)
{
    ps->st.lines++;
    /* le - ls <= CFS_MAX_LINE: longer lines never get here (see count_long_line) */
    unsigned cr = 0; /* tolerated, and counted so, when the line is read as a request */
    if (le > ls && base[le - 1] == '\r') {
        le--;
        cr = 1;
    }
    if (le == ls) {
        ps->st.blank_lines++;
        return;
    }
    if (base[ls] == '#') {
        if (le - ls >= 8 && memcmp(base + ls, "#Fields:", 8) == 0) {
            if (cfs_layout_parse_delim(&ps->layout, base + ls, le - ls, ps->delim) == CFS_OK) {
                cfs_record_reset(&ps->rec);
                ps->lmask = cfs_pres_layout_mask(&ps->layout) | ps->fmask;
                ps->st.layouts++;
                ps->st.header_lines++;
            } else {
                /* ps->layout is now the bad layout: the lines under it are bad_header */
                reject(ps, CFS_REJ_BAD_HEADER);
            }
        } else if (has_control(base + ls, le - ls)) {
            reject(ps, CFS_REJ_BINARY);
        } else {
            ps->st.header_lines++; /* #Version: and other directives */
        }
        return;
    }
    unsigned tol = 0;
    cfs_record *r = &ps->rec;
    int rc;
    if (base[ls] == '{') {
        /* A v2 JSON line: CloudFront percent-encodes '{' (reference §1.3), so no TAB or
         * delimited line starts with one.  Each line carries its own field names. */
        int learned;
        rc = cfs_v2json_line(&ps->json, base + ls, le - ls, r, ps->sh->parse_need, &learned);
        ps->st.layouts += (uint64_t)learned;
    } else if (__builtin_expect(ps->layout.delim != '\t' && ps->layout.delim != 0, 0)) {
        rc = cfs_record_parse_delim(&ps->layout, base + ls, le - ls, r, &tol, ps->sh->parse_need);
    } else {
        /* a common line is counted from what the parse gives it (and its distribution from
         * the file name, else from the line: CFS_PARSE_PLAIN_DIST) */
        rc = cfs_record_parse(&ps->layout, base, ls, le, tabs, ps->sh->kernel, r, &tol, ps->text_need);
        if (rc == CFS_RECORD_PLAIN) {
            ps->st.crlf += cr;
            if (ps->file_dist.n) count_plain_file(ps, agg, r);
            else count_plain(ps, agg, r, ps->lmask);
            return;
        }
    }
    if (__builtin_expect(ps->layout.realtime, 0) && rc == CFS_RECORD_OK && base[ls] != '{') {
        /* A real-time cs-uri-stem is the whole URL path with its query string (S2
         * real-time-logs.md); the query has a column of its own, as in standard logs.
         * Where the config did not log that column, the stem's is the query (a parse of
         * the whole line: the lean one never reads the query, and would leave it set). */
        cfs_span *u = &r->f[CFS_F_CS_URI_STEM];
        const char *q = u->n ? memchr(u->p, '?', u->n) : NULL;
        if (r->spans_all && u->p && ps->layout.col_of[CFS_F_CS_URI_QUERY] < 0)
            r->f[CFS_F_CS_URI_QUERY] = q ? (cfs_span){q + 1, (uint32_t)(u->p + u->n - q - 1)}
                                         : (cfs_span){"-", 1};
        if (q) u->n = (uint32_t)(q - u->p);
    }
    if (rc != CFS_RECORD_OK) {
        /* Spaces and TABs alone where no layout applies (a JSON lines file, which has no
         * #Fields:, or a headerless one): a blank line, as an empty one is, not a missing
         * header.  Under a layout such a line is too short for it, as before. */
        if (rc == CFS_REJ_NO_HEADER && only_blanks(base + ls, le - ls)) {
            ps->st.blank_lines++;
            return;
        }
        /* Garbage is classified as binary whatever else is wrong with it. */
        reject(ps, has_control(base + ls, le - ls)          ? CFS_REJ_BINARY
                   : json_behind_blanks(base + ls, le - ls) ? CFS_REJ_BAD_JSON
                                                            : rc);
        return;
    }
    if (tol & CFS_TOL_SHORT) ps->st.short_lines++;
    if (tol & CFS_TOL_TRAILING_TAB) ps->st.trailing_tab++;
    ps->st.crlf += cr;
    const uint64_t m = base[ls] == '{' ? ps->json.line_mask | ps->fmask : ps->lmask;
    if (record_is_common(ps, r)) count_plain(ps, agg, r, m);
    else count_record(ps, agg, r, m);
}

/* An accepted record, whose line held the fields of mask m (presence.h): the time window,
 * its distribution, the fields it had, attribution, the filters, and the aggregates. */
static void count_record(pstate *ps, cfs_thread_agg *agg, cfs_record *r, uint64_t m)
{
    const cfs_scan_opts *o = ps->sh->o;
    if (outside_window(ps, r->ts)) return;
    r->dist = line_dist(ps, r);
    /* the fields it had, into its distribution's row when not as the line before's (here,
     * before the attribution, so that nothing the attribution returns waits in registers) */
    note_if_new(ps, agg, r->dist, m);
    cfs_attr_line al = cfs_attribute_line(r, &o->attr);
    /* Filters, a sub-hour timeline, `requests` rows: one predictable branch per line
     * without them. */
    if (__builtin_expect(ps->sh->line_extra, 0) && !line_extra(ps, agg, r, &al)) return;
    cfs_agg_add(agg, al.at.cause != CFS_CAUSE_NONE ? unit_heavy(ps) : NULL, r, al, &o->attr);
    ps->st.aggregated++;
}

/* Parse every complete line of p[0..n).  Returns the offset of the first byte not
 * consumed (the start of an incomplete last line, at most CFS_MAX_LINE bytes); with
 * `final` the tail is a line too.  A too-long line whose LF is not in p is counted and
 * leaves ps->skipping set, so the next call (the next piece) drops bytes up to its LF. */
static size_t parse_buffer(pstate *ps, const char *p, size_t n, int final)
{
    int tid = omp_get_thread_num();
    cfs_thread_agg *agg = &ps->sh->thread_aggs[tid];
    uint32_t *lf = ps->sh->thread_pos[tid];
    uint64_t *tabs = (uint64_t *)(void *)(lf + LF_SLOTS);
    cfs_scan_fn scan = ps->sh->kernel->scan;
    size_t off = 0;
    if (ps->skipping) {
        off = past_long_line(p, n);
        if (!off) return n;
        ps->skipping = 0;
    }
    while (off < n) {
        /* Over the memory budget: the run is abandoned (scan_end), so the rest is only
         * skipped.  Checked once per window, never per line. */
        if (cfs_mem_over()) return n;
        size_t wlen = n - off < WINDOW ? n - off : WINDOW;
        const char *w = p + off;
        /* The kernel hands out the window's line ends and its TAB map; each line finds
         * the columns it needs in the map (cfs_record_parse). */
        size_t nlf = scan((const uint8_t *)w, wlen, tabs, lf);
        uint32_t ls = 0;
        for (size_t i = 0; i < nlf; i++) {
            uint32_t q = lf[i];
            handle_line(ps, agg, w, ls, q, tabs);
            ls = q + 1;
            /* every 1024 lines: a window of distinct keys can hold tens of MB */
            if ((ps->st.lines & 1023) == 0 && cfs_mem_over()) return n;
        }
        if (ls == 0 && wlen == WINDOW) {
            /* A full window without LF: the line is longer than CFS_MAX_LINE. */
            count_long_line(&ps->st);
            size_t end = past_long_line(w + wlen, n - off - wlen);
            if (!end) {
                ps->skipping = !final; /* its LF, if any, is in a later piece */
                return n;
            }
            off += wlen + end;
            continue;
        }
        if (off + wlen == n) {
            if (ls < wlen) {
                if (!final) return off + ls;
                handle_line(ps, agg, w, ls, (uint32_t)wlen, tabs);
            }
            return n;
        }
        off += ls;
    }
    return n;
}

/* ---- per-file accounting and the ordered fold -------------------------------------------- */

static cfs_row_spill *res_spill(cfs_scan_result *res)
{
    if (!res->spill) {
        cfs_row_spill *sp = res->spill = cfs_calloc(1, sizeof *sp, "spilling matching requests");
        if (!sp) return NULL; /* out of memory (recorded): the rows stay in memory */
        sp->cause = -1;
        if (!(sp->f = spill_open(sp->why, sizeof sp->why))) sp->failed = 1;
    }
    return res->spill;
}

/* Move the rows held in res to its temporary file. */
static void spill_rows(shared *sh, cfs_scan_result *res)
{
    cfs_row_spill *sp = res_spill(res);
    if (!sp) return;
    spill_write(sp->f, res->rows, res->nrows, &sp->failed, sp->why, sizeof sp->why);
    sp->nrows += res->nrows;
    res->nrows = 0;
    sh->rows_bytes = 0;
}

/* Append a unit's spilled rows to res's file, after the rows res holds. */
static void fold_unit_spill(shared *sh, cfs_scan_result *res, unit *u)
{
    spill_rows(sh, res);
    cfs_row_spill *sp = res->spill;
    if (!sp) return; /* out of memory (recorded) */
    if (u->spill_failed && !sp->failed) {
        sp->failed = 1;
        snprintf(sp->why, sizeof sp->why, "%s", u->why);
    }
    if (!sp->failed) {
        char buf[65536];
        size_t n;
        if (fflush(u->spill) != 0 || fseek(u->spill, 0, SEEK_SET) != 0) n = 0, sp->failed = 1;
        while (!sp->failed && (n = fread(buf, 1, sizeof buf, u->spill)) > 0)
            if (fwrite(buf, 1, n, sp->f) != n) sp->failed = 1;
        if (!sp->failed && ferror(u->spill)) sp->failed = 1;
        if (sp->failed)
            snprintf(sp->why, sizeof sp->why, "copying matching rows between temporary files failed: %s",
                     strerror(errno ? errno : EIO));
    }
    sp->nrows += u->nspilled;
}

/* The remainder of a unit after the chain (queue FOLD_QUEUES): its held-back 403s and
 * facts, then its `requests` rows, then the unit is freed. */
static void fold_unit(shared *sh, cfs_scan_result *res, unit *u)
{
    if (!u) return;
    if (u->fold_fast) cfs_fast_fold(&res->agg, &u->heavy);
    if (u->nspilled || u->spill_failed) fold_unit_spill(sh, res, u);
    if (u->nrows) {
        if (res->nrows + u->nrows > res->rows_cap) { /* geometric growth */
            size_t cap = res->rows_cap ? res->rows_cap : 64;
            while (cap < res->nrows + u->nrows) cap *= 2;
            cfs_req_row *v = cfs_realloc(res->rows, cap * sizeof *res->rows, "keeping matching requests");
            if (!v) { /* out of memory (recorded): unit_free drops them */
                unit_free(u);
                return;
            }
            res->rows = v;
            res->rows_cap = cap;
        }
        memcpy(res->rows + res->nrows, u->rows, u->nrows * sizeof *u->rows);
        for (size_t i = 0; i < u->nrows; i++) sh->rows_bytes += row_cost(&u->rows[i]);
        res->nrows += u->nrows;
        u->nrows = 0;
        if (sh->rows_bytes > sh->rows_mem) spill_rows(sh, res);
    }
    unit_free(u);
}

/* Take, in input order, up to `max` units whose predecessors are all taken: the blocks
 * of the file at the fold front as they finish, and whole files once complete.  Keeps
 * the buffered units to the blocks finished out of order.  Caller holds cfs_fold. */
static size_t take_ready(shared *sh, unit **out, size_t max)
{
    size_t n = 0;
    while (sh->fold_next < sh->in->n && n < max) {
        file_slot *f = &sh->slots[sh->fold_next];
        while (f->folded < f->nunits && f->stored[f->folded] && n < max) {
            out[n++] = f->units[f->folded]; /* NULL for a block with nothing to fold */
            f->units[f->folded] = NULL;
            f->folded++;
        }
        if (!f->done || f->folded < f->nunits) break;
        free(f->units);
        free(f->stored);
        f->units = NULL;
        f->stored = NULL;
        sh->fold_next++;
    }
    return n;
}

/* Appends j to queue q; caller holds cfs_fold.  Out of memory (recorded: the run stops
 * with it) the job is dropped, its summary or unit freed. */
static void fold_push(shared *sh, size_t q, fold_job j)
{
    fold_queue *f = &sh->fq[q];
    if (f->n == f->cap) {
        size_t nc = f->cap ? 2 * f->cap : 64;
        fold_job *nv = cfs_malloc(nc * sizeof *nv, "queueing the fold of the top-k summaries");
        if (!nv) {
            if (j.u) unit_free(j.u);
            else cfs_agg_topk_release(j.src);
            return;
        }
        for (size_t i = 0; i < f->n; i++) nv[i] = f->v[(f->head + i) % f->cap];
        free(f->v);
        f->v = nv;
        f->head = 0;
        f->cap = nc;
    }
    f->v[(f->head + f->n) % f->cap] = j;
    f->n++;
}

/* A unit's merges as the chain finds them, queued together under one lock (fold_chain). */
typedef struct fold_list {
    fold_job *v;
    size_t *q;
    size_t n, cap;
} fold_list;

static void list_merge(void *ctx, size_t which, cfs_topk *dst, cfs_topk *src)
{
    fold_list *l = ctx;
    if (l->n == l->cap) {
        size_t nc = l->cap ? 2 * l->cap : 64;
        fold_job *nv = cfs_realloc(l->v, nc * sizeof *nv, "queueing the fold of the top-k summaries");
        if (nv) l->v = nv;
        size_t *nq = nv ? cfs_realloc(l->q, nc * sizeof *nq, "queueing the fold of the top-k summaries")
                        : NULL;
        if (nq) l->q = nq;
        if (!nq) { /* out of memory (recorded): dropped */
            cfs_agg_topk_release(src);
            return;
        }
        l->cap = nc;
    }
    l->v[l->n] = (fold_job){dst, src, NULL};
    l->q[l->n++] = which % FOLD_QUEUES;
}

/* The chain's part of folding units, in input order (the holder of sh->folding). */
static void fold_chain(shared *sh, unit **units, size_t n)
{
    fold_list l = {NULL, NULL, 0, 0};
    for (size_t i = 0; i < n; i++) {
        unit *u = units[i];
        l.n = 0;
        /* over the memory budget the result is dropped anyway: do not grow it */
        if (u && u->heavy_init && !cfs_mem_over()) {
            cfs_agg_fold_heavy_split(&sh->res->agg, &u->heavy, list_merge, &l);
            u->fold_fast = 1;
        }
#pragma omp critical(cfs_fold)
        {
            for (size_t k = 0; k < l.n; k++) fold_push(sh, l.q[k], l.v[k]);
            if (u) fold_push(sh, FOLD_QUEUES, (fold_job){NULL, NULL, u});
        }
    }
    free(l.v);
    free(l.q);
}

static void fold_run(shared *sh, const fold_job *j)
{
    if (j->u) {
        fold_unit(sh, sh->res, j->u);
        return;
    }
    if (!cfs_mem_over()) cfs_topk_merge(j->dst, j->src);
    cfs_agg_topk_release(j->src);
}

/* Does what fold work is free: the chain when no thread holds it and units are ready,
 * else (with queues) a queue with jobs that no thread holds; until neither is left.  A
 * holder gives its chain or queue up and then looks again, so work added while it held
 * it is never left behind: the last thread to let go of anything finds what came after. */
static void fold_work(shared *sh, int queues)
{
    for (;;) {
        unit *batch[FOLD_TAKE];
        fold_job jobs[FOLD_TAKE];
        size_t n = 0, nj = 0, q = 0;
#pragma omp critical(cfs_fold)
        {
            if (!sh->folding && (n = take_ready(sh, batch, FOLD_TAKE)) > 0) sh->folding = 1;
            for (size_t k = 0; n == 0 && queues && k <= FOLD_QUEUES; k++) {
                fold_queue *f = &sh->fq[k];
                if (f->busy || f->n == 0) continue;
                f->busy = 1;
                q = k;
                for (; nj < FOLD_TAKE && f->n; nj++, f->n--, f->head = (f->head + 1) % f->cap)
                    jobs[nj] = f->v[f->head];
                break;
            }
        }
        if (n) {
            fold_chain(sh, batch, n);
#pragma omp critical(cfs_fold)
            sh->folding = 0;
        } else if (nj) {
            for (size_t k = 0; k < nj; k++) fold_run(sh, &jobs[k]);
#pragma omp critical(cfs_fold)
            sh->fq[q].busy = 0;
        } else {
            return;
        }
    }
}

/* The fold's work during the pass. */
static void fold_pending(shared *sh) { fold_work(sh, !sh->fold_hold); }

static void store_unit(shared *sh, size_t file, size_t block, pstate *ps)
{
    file_slot *fs = &sh->slots[file];
    cfs_v2json_free(&ps->json); /* the sequence is over */
#pragma omp critical(cfs_fold)
    {
        cfs_stats_add(&sh->files[file], &ps->st);
        if (block >= fs->nunits) {
            /* exactly block + 1 slots: blocks are numbered 0.. without gaps, and each stores
             * once, so a complete file has every slot stored */
            size_t nn = block + 1;
            unit **nu = cfs_realloc(fs->units, nn * sizeof *fs->units, "ordering the blocks of an input");
            if (nu) fs->units = nu;
            uint8_t *ns = nu ? cfs_realloc(fs->stored, nn, "ordering the blocks of an input") : NULL;
            if (ns) {
                fs->stored = ns;
                for (size_t i = fs->nunits; i < nn; i++) {
                    fs->units[i] = NULL;
                    fs->stored[i] = 0;
                }
                fs->nunits = nn;
            }
        }
        /* Out of memory (recorded) a block past the slots is dropped: so is every later
         * one (allocations fail from then on), so the fold never waits on a gap. */
        if (block < fs->nunits) {
            fs->units[block] = ps->u;
            fs->stored[block] = 1;
        } else {
            unit_free(ps->u);
        }
        ps->u = NULL;
    }
    fold_pending(sh);
}

static void progress(shared *sh)
{
    if (!sh->o->progress) return;
    double t = now_s();
    if (t - sh->last_progress < 0.25) return;
    sh->last_progress = t;
    double el = t - sh->t0;
    fprintf(stderr, "\rcfscan: %zu files, %.1f MB, %.0f MB/s   ", sh->progress_files,
            sh->progress_bytes / 1e6, el > 0 ? sh->progress_bytes / 1e6 / el : 0.0);
    sh->progress_drawn = 1;
}

/* The progress line taken off the terminal before a message about an input is printed
 * (o->on_input), which would go on after it; the next progress() draws it again. */
static void progress_clear(shared *sh)
{
    if (!sh->progress_drawn) return;
    fprintf(stderr, "\r%*s\r", 60, "");
    sh->progress_drawn = 0;
}

static void file_error(shared *sh, size_t file, cfs_status st, const char *msg);

/* Called by whoever finishes the last piece of work of a file. */
static void file_complete(shared *sh, size_t file)
{
    file_slot *fs = &sh->slots[file];
    /* Every block of the file has been parsed: only now can a change of the file while it
     * was read be known (mapped bytes are read by the blocks).  It overrides any other
     * error, which the change may have caused (zeros where data was). */
    char err[200];
    /* Parquet units run in any order: the first damaged one in file order is reported,
     * whichever failed first (read under the lock each unit stored its result under) */
    pq_fail first = {CFS_OK, ""};
#pragma omp critical(cfs_fold)
    for (size_t u = 0; u < fs->pq_units; u++)
        if (fs->pq_fail[u].st != CFS_OK) {
            first = fs->pq_fail[u];
            break;
        }
    if (first.st != CFS_OK) file_error(sh, file, first.st, first.err);
    free(fs->pq_fail);
    fs->pq_fail = NULL;
    fs->pq_units = 0;
    if (cfs_reader_check(fs->reader, err, sizeof err) != CFS_OK) {
#pragma omp critical(cfs_fold)
        {
            sh->files[file].status = CFS_E_IO;
            snprintf(sh->files[file].error, sizeof sh->files[file].error, "%s", err);
        }
    }
    cfs_reader_close(fs->reader);
    fs->reader = NULL;
#pragma omp critical(cfs_fold)
    {
        fs->done = 1;
        sh->progress_files++;
        sh->progress_bytes += sh->files[file].bytes_out;
        progress(sh);
    }
    fold_pending(sh);
}

static void release(shared *sh, size_t file)
{
    int left;
#pragma omp atomic capture
    left = --sh->slots[file].pending;
    if (left == 0) file_complete(sh, file);
}

static void pstate_init(pstate *ps, shared *sh, size_t file, const cfs_layout *layout)
{
    memset(ps, 0, sizeof *ps);
    ps->sh = sh;
    ps->file = file;
    ps->delim = sh->o->delim;
    ps->input = &sh->in->v[file];
    if (ps->input->dist[0]) ps->file_dist = (cfs_span){ps->input->dist, (uint32_t)strlen(ps->input->dist)};
    if (layout) ps->layout = *layout;
    else if (sh->o->start_layout) ps->layout = *sh->o->start_layout; /* headerless: --log-fields */
    ps->fmask = ps->file_dist.n ? CFS_PRES_BIT(CFS_F_DISTRIBUTION_ID) : 0;
    ps->lmask = cfs_pres_layout_mask(&ps->layout) | ps->fmask;
    ps->pdn = UINT32_MAX;
    /* without the file name's distribution, a common line also gives the spans it is
     * found by (line_dist) */
    ps->text_need = sh->parse_need | sh->plain_lane |
                    (sh->plain_lane && !ps->file_dist.n ? CFS_PARSE_PLAIN_DIST : 0);
    ps->plain_dn = UINT32_MAX;
}

/* Backpressure, so the producer never reads far ahead of the parsers (bounded memory for
 * copies, mapped pages and buffered units), for every kind of work unit (a block, a
 * Parquet unit): work_queued counts one more unit of file in flight and returns how many
 * are; the producer runs the unit itself (work_inline) with one thread, where tasks would
 * only be deferred (and hold up the in-order fold), or when too many are in flight; far too
 * many (the tasks are not being picked up), it also waits for its tasks. */
static int work_queued(shared *sh, size_t file)
{
#pragma omp atomic
    sh->slots[file].pending++;
    int busy;
#pragma omp atomic capture
    busy = ++sh->inflight;
    return busy;
}

static int work_inline(const shared *sh, int busy)
{
    return busy > sh->max_inflight || omp_get_num_threads() == 1;
}

static void work_wait_if_flooded(const shared *sh, int busy)
{
    if (busy > 2 * sh->max_inflight) {
#pragma omp taskwait
    }
}

/* Follow #Fields: lines in p[0..n) (only lines starting with '#'), so the next block
 * starts with the right layout.  '#' never occurs raw inside CloudFront values (it is
 * percent-encoded, reference §1.3), so memchr finds only directive lines and garbage. */
static void track_layout(cfs_layout *l, const char *p, size_t n, char delim)
{
    const char *q = p, *end = p + n;
    while ((q = memchr(q, '#', (size_t)(end - q))) != NULL) {
        if (q == p || q[-1] == '\n') {
            const char *e = memchr(q, '\n', (size_t)(end - q));
            size_t len = e ? (size_t)(e - q) : (size_t)(end - q);
            /* the length the parse measures, CR included (parse_buffer): a longer header
             * is a rejected line there, so it sets no layout here either */
            const int fits = len <= CFS_MAX_LINE;
            if (len && q[len - 1] == '\r') len--;
            if (len >= 8 && memcmp(q, "#Fields:", 8) == 0 && fits) {
                (void)cfs_layout_parse_delim(l, q, len, delim); /* an unusable one: the bad layout */
            }
        }
        q++;
    }
}

typedef struct block_job {
    shared *sh;
    size_t file, index;
    const char *p;
    size_t n;
    char *owned; /* copied bytes to free, or NULL for zero-copy */
    int final;
    cfs_layout layout;
} block_job;

static void run_block(block_job *j)
{
    pstate ps;
    pstate_init(&ps, j->sh, j->file, &j->layout);
    ps.st.bytes_out = j->n;
    ps.block = (uint32_t)j->index;
    parse_buffer(&ps, j->p, j->n, j->final);
    if (!j->owned) {
        /* A zero-copy block of a large mapped file: drop its pages from this process
         * once parsed (they stay in the page cache), so resident memory stays bounded
         * whatever the file size.  Only whole pages inside the block are released. */
        uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
        uintptr_t a = ((uintptr_t)j->p + pg - 1) & ~(pg - 1);
        uintptr_t b = ((uintptr_t)j->p + j->n) & ~(pg - 1);
        if (b > a) madvise((void *)a, b - a, MADV_DONTNEED);
    }
    store_unit(j->sh, j->file, j->index, &ps);
    free(j->owned);
#pragma omp atomic
    j->sh->inflight--;
    shared *sh = j->sh;
    size_t file = j->file;
    free(j);
    release(sh, file);
}

static void spawn_block(shared *sh, size_t file, size_t index, const char *p, size_t n, char *owned,
                        int final, const cfs_layout *l)
{
    block_job *j = cfs_malloc(sizeof *j, "queueing a block of input");
    if (!j) { /* out of memory (recorded): the block is dropped, the scan stops */
        free(owned);
        return;
    }
    *j = (block_job){sh, file, index, p, n, owned, final, *l};
    const int busy = work_queued(sh, file);
    if (work_inline(sh, busy)) {
        run_block(j);
        work_wait_if_flooded(sh, busy);
        return;
    }
#pragma omp task firstprivate(j)
    run_block(j);
}

static void file_error(shared *sh, size_t file, cfs_status st, const char *msg)
{
#pragma omp critical(cfs_fold)
    {
        cfs_file_stats *fs = &sh->files[file];
        if (fs->status == CFS_OK) {
            fs->status = st;
            /* some statuses come without a message (out of memory in the decoder) */
            snprintf(fs->error, sizeof fs->error, "%s", msg[0] ? msg : cfs_status_str(st));
        }
    }
}

/* Where a block that starts at p ends, of the n >= BLOCK bytes there (all of the input's
 * rest when `all`, else more may follow): after the first LF in the WINDOW bytes from
 * BLOCK on; when none is there, after the last LF before BLOCK, so that the block ends
 * before a line too long to parse that runs past BLOCK (0 when that line starts the
 * block: the caller drops it); BLOCK_MORE when the bytes that decide have not all come
 * yet.  The mapped path, which has every byte at hand, and the streamed one, which gets
 * them piece by piece, cut where this says, so the blocks, and with them the per-unit
 * top-k summaries folded into the result, depend only on the bytes: not on whether they
 * were mapped, piped or decompressed, nor on how the pieces fell. */
#define BLOCK_MORE SIZE_MAX
static size_t block_cut(const char *p, size_t n, int all)
{
    const size_t look = n - BLOCK < WINDOW ? n - BLOCK : WINDOW;
    const char *nl = memchr(p + BLOCK, '\n', look);
    if (nl) return (size_t)(nl - p) + 1;
    if (look < WINDOW) return all ? n : BLOCK_MORE; /* all: the rest is the last block */
    size_t last = BLOCK;
    while (last && p[last - 1] != '\n') last--;
    return last;
}

/* A large input: cut into line-aligned blocks that run as tasks. */
static void produce_blocks(shared *sh, size_t file, cfs_reader *r)
{
    cfs_layout layout;
    memset(&layout, 0, sizeof layout);
    if (sh->o->start_layout) layout = *sh->o->start_layout; /* headerless: --log-fields */
    size_t index = 0;
    char *acc = NULL; /* copy buffer for streamed pieces */
    size_t acc_len = 0, acc_cap = 0;
    pstate skip; /* a line longer than a block, counted, while its bytes are dropped */
    memset(&skip, 0, sizeof skip);
    size_t skip_index = 0; /* the block index its counts are stored under */
    char err[200] = "";
    for (;;) {
        if (sh->o->stop && *sh->o->stop) {
            file_error(sh, file, CFS_E_INTERRUPTED, "interrupted");
            break;
        }
        if (cfs_mem_over()) break;
        const char *p;
        size_t n;
        cfs_status st = cfs_reader_next(r, &p, &n, err, sizeof err);
        if (st != CFS_OK) {
            file_error(sh, file, st, err);
            /* Lines complete before the damage still count; a cut-off last line is
             * rejected as truncated. */
            size_t last = acc_len;
            while (last && acc[last - 1] != '\n') last--;
            int cut = acc_len > last;
            size_t cut_bytes = acc_len - last;
            if (last) {
                cfs_layout at = layout;
                spawn_block(sh, file, index++, acc, last, acc, 0, &at);
            } else {
                free(acc);
            }
            acc = NULL;
            acc_len = 0;
            if (cut) {
                pstate ps;
                pstate_init(&ps, sh, file, NULL);
                /* its bytes were decoded: bytes_decoded counts them, as on the one-piece path */
                ps.st.bytes_out = cut_bytes;
                /* A cut-off line already too long is that, as the one-piece path, whose
                 * parse_buffer counts it once a WINDOW holds no LF (count_long_line). */
                if (cut_bytes >= WINDOW) {
                    count_long_line(&ps.st);
                } else {
                    ps.st.lines++;
                    reject(&ps, CFS_REJ_TRUNCATED);
                }
                store_unit(sh, file, index++, &ps);
            }
            break;
        }
        if (n == 0) break;
        if (!skip.skipping && cfs_reader_format(r) == CFS_FMT_PLAIN && acc_len == 0 && acc == NULL &&
            sh->in->v[file].regular && n > BLOCK / 2 && index == 0 && p) {
            /* Memory-mapped plain file handed out whole: zero-copy blocks. */
            size_t off = 0;
            while (off < n) {
                size_t end = n - off > BLOCK ? off + block_cut(p + off, n - off, 1) : n;
                if (end == off) {
                    /* A line longer than a block and a WINDOW starts the block: it alone
                     * is the block, which parse_buffer counts as too long (count_long_line)
                     * and drops, as the streamed path's skip does. */
                    const char *nl = memchr(p + off, '\n', n - off);
                    end = nl ? (size_t)(nl - p) + 1 : n;
                }
                cfs_layout at = layout;
                track_layout(&layout, p + off, end - off, sh->o->delim);
                spawn_block(sh, file, index++, p + off, end - off, NULL, end == n, &at);
                off = end;
            }
            continue;
        }
        /* Streamed bytes, FEED at a time: a piece can be a whole input (stdin redirected
         * from a file is mapped) or a gzip member, and each block cut from the copy buffer
         * copies what follows it, so feeding a large piece whole copied its remainder once
         * per block (quadratic: 171 s for 1 GB on stdin). */
        while (n > 0) {
            const char *q = p;
            size_t qn = n < FEED ? n : FEED;
            p += qn;
            n -= qn;
            if (skip.skipping) {
                size_t end = past_long_line(q, qn);
                skip.st.bytes_out += end ? end : qn;
                if (!end) continue;
                skip.skipping = 0;
                store_unit(sh, file, skip_index, &skip);
                qn -= end;
                q += end;
                if (qn == 0) continue;
            }
            if (acc_len + qn > acc_cap) {
                size_t cap = acc_len + qn > ACC_CAP ? acc_len + qn : ACC_CAP;
                char *na = cfs_realloc(acc, cap, "copying streamed input");
                if (!na) continue; /* out of memory (recorded): the loop stops at its check */
                acc = na;
                acc_cap = cap;
            }
            memcpy(acc + acc_len, q, qn);
            acc_len += qn;
            /* Cut blocks where the mapped path cuts them (block_cut), so block boundaries,
             * and with them the per-unit top-k summaries folded into the result, depend
             * only on the bytes: never on how a pipe's reads or a decoder's pieces fell. */
            while (acc_len >= BLOCK) {
                const size_t last = block_cut(acc, acc_len, 0);
                if (last == BLOCK_MORE) break; /* the LF may come in the next piece */
                if (last == 0) {
                    /* The block starts with a line longer than BLOCK + WINDOW.  Count it
                     * once, here, and drop its bytes up to its LF (the mapped path makes it
                     * a block of its own, which parse_buffer counts and drops the same
                     * way); when its LF has not come yet, its counts and the bytes dropped
                     * are stored when the skip ends. */
                    pstate_init(&skip, sh, file, NULL);
                    count_long_line(&skip.st);
                    skip_index = index++;
                    const char *nl = memchr(acc, '\n', acc_len);
                    if (nl) {
                        const size_t past = (size_t)(nl - acc) + 1;
                        skip.st.bytes_out = past;
                        store_unit(sh, file, skip_index, &skip);
                        memmove(acc, acc + past, acc_len - past);
                        acc_len -= past;
                        continue;
                    }
                    skip.st.bytes_out = acc_len;
                    skip.skipping = 1;
                    acc_len = 0;
                    break;
                }
                char *rest = NULL;
                size_t rest_len = acc_len - last;
                if (rest_len) {
                    rest = cfs_malloc(ACC_CAP > rest_len ? ACC_CAP : rest_len, "copying streamed input");
                    if (rest) memcpy(rest, acc + last, rest_len);
                    else rest_len = 0; /* out of memory (recorded): the scan stops */
                }
                cfs_layout at = layout;
                track_layout(&layout, acc, last, sh->o->delim);
                spawn_block(sh, file, index++, acc, last, acc, 0, &at);
                acc = rest;
                acc_len = rest_len;
                acc_cap = rest ? (ACC_CAP > rest_len ? ACC_CAP : rest_len) : 0;
            }
        }
    }
    if (skip.skipping) store_unit(sh, file, skip_index, &skip); /* the input ended inside it */
    if (acc && acc_len) {
        cfs_layout at = layout;
        spawn_block(sh, file, index++, acc, acc_len, acc, 1, &at);
    } else {
        free(acc);
    }
}

/* Whether a loop reading an input goes on: not once the run is interrupted (then *st and
 * err say so) or over its memory budget (the run is abandoned: scan_end). */
static int read_on(const shared *sh, cfs_status *st, char *err, size_t errlen)
{
    if (sh->o->stop && *sh->o->stop) {
        *st = CFS_E_INTERRUPTED;
        snprintf(err, errlen, "interrupted");
        return 0;
    }
    return !cfs_mem_over();
}

/* ---- Parquet: ranges of row groups as work units -----------------------------------------
 * A Parquet file is cut into units of whole row groups, each at least pq_unit_bytes()
 * of column chunks (decided by the footer and --split-above alone, so the same for any
 * thread count; a file within that is one unit, as a small text file is); each unit reads its row
 * groups through a cursor of its own (cfs_pqr_range), and is folded in file order like the
 * blocks of a large plain input.  The first unit parses the header too; the others start
 * from the layout it gives.  Rows reach the record stage as values (parse_rows), a row
 * whose text would be more than its values as its one line of text; only the columns the
 * analysis reads are decoded, the others are "-" (presence.h, cfs_pres_analysed), and
 * bytes_decoded counts the rows' text so. */
/* BLOCK compressed bytes (about 4 times as much text: a unit parses longer than a text
 * block, and DuckDB's row groups of 122,880 rows take about 14 MB), or less with a lower
 * --split-above (tests use that to cut small files). */
static uint64_t pq_unit_bytes(const shared *sh)
{
    uint64_t big = sh->o->big_file ? sh->o->big_file : CFS_BIG_FILE;
    return big < BLOCK ? big : BLOCK;
}

/* Whether rows of ncol values go to the record stage as values under ps's layout: a TAB
 * layout of as many columns, as the header gives (a bad header leaves them to the text
 * path; no row changes the layout: parse_rows). */
static int rows_as_values(const pstate *ps, uint32_t ncol)
{
    const cfs_layout *l = &ps->layout;
    return l->ncols == ncol && ncol && (l->delim == '\t' || l->delim == 0) && !l->realtime;
}

/* One window of a unit's rows, in order: as values where the row and the layout allow
 * (cfs_record_from_cols gives the record cfs_record_parse would give the row's text),
 * else as text through parse_buffer, exactly as a text log's line. */
static cfs_status parse_rows(pstate *ps, cfs_pqr *cur, const cfs_pqr_rows *b, char *err, size_t errlen)
{
    cfs_thread_agg *agg = &ps->sh->thread_aggs[omp_get_thread_num()];
    const unsigned need = ps->sh->parse_need;
    int values = rows_as_values(ps, b->ncol);
    for (uint32_t k = 0; k < b->n; k++) {
        if (!values || (b->as_text && b->as_text[k])) {
            const char *p;
            size_t n;
            cfs_status st = cfs_pqr_row_text(cur, k, &p, &n, err, errlen);
            if (st != CFS_OK) return st;
            if (n <= 1 || p[0] == '#') {
                /* A row is a request, never a directive nor a blank line, which would be
                 * counted as read and left out without a warning.  The schema names a
                 * Parquet file's columns: a "#Fields:" row cannot rename them either (taken
                 * as a layout, it would rename them for the rows after it in its unit
                 * only, so the counts would depend on how the file is cut, README).  Rows
                 * under a schema without a usable layout are bad_header, as a text log's
                 * lines under such a #Fields: line; the text of a row of no column is its
                 * LF alone. */
                ps->st.lines++;
                reject(ps, ps->layout.ncols == 0 ? (ps->layout.bad ? CFS_REJ_BAD_HEADER : CFS_REJ_NO_HEADER)
                                                 : CFS_REJ_BAD_VALUE);
                continue;
            }
            parse_buffer(ps, p, n, 1);
            continue;
        }
        ps->st.lines++;
        cfs_record *r = &ps->rec;
        int rc = cfs_record_from_cols(&ps->layout, b->col, k, r, need);
        if (rc != CFS_RECORD_OK) reject(ps, rc); /* the row holds no control byte (as_text) */
        else if (record_is_common(ps, r)) count_plain(ps, agg, r, ps->lmask);
        else count_record(ps, agg, r, ps->lmask);
    }
    return CFS_OK;
}

typedef struct pq_job {
    shared *sh;
    size_t file, index;
    uint32_t from, to; /* row groups */
    cfs_layout layout; /* for units after the first */
} pq_job;

static void run_pq_unit(pq_job *j)
{
    shared *sh = j->sh;
    size_t file = j->file;
    cfs_reader *rd = sh->slots[file].reader;
    cfs_pqr *pq = cfs_reader_parquet(rd);
    pstate ps;
    pstate_init(&ps, sh, file, j->index ? &j->layout : NULL);
    ps.delim = '\t'; /* the header names the columns with spaces, the rows' text has TABs */
    ps.block = (uint32_t)j->index;
    if (j->index == 0) {
        const char *h;
        size_t hn;
        cfs_pqr_header(pq, &h, &hn);
        ps.st.bytes_out += hn;
        parse_buffer(&ps, h, hn, 1);
    }
    char err[200] = "";
    /* no task scheduling point inside a unit: the thread's cursor is this unit's alone */
    cfs_pqr **slot = &sh->thread_pq[omp_get_thread_num()];
    /* the columns the scan reads (presence.h), or all when the rows are asked for whole */
    const int whole = (sh->parse_need & CFS_PARSE_ALL) != 0;
    const uint64_t decode = whole ? UINT64_MAX : cfs_pres_analysed(sh->o->attr.waf != NULL);
    cfs_status st = cfs_pqr_range(slot, pq, j->from, j->to, decode, err, sizeof err);
    cfs_pqr *cur = *slot;
    while (st == CFS_OK && read_on(sh, &st, err, sizeof err)) {
        cfs_pqr_rows b;
        st = cfs_pqr_next_rows(cur, &b, err, sizeof err);
        if (st != CFS_OK || b.n == 0) break;
        st = parse_rows(&ps, cur, &b, err, sizeof err);
    }
    if (cur) ps.st.bytes_out += cfs_pqr_text_bytes(cur);
    if (st != CFS_OK) {
        /* its own entry: store_unit's lock publishes it to file_complete, which reads
         * every entry under that lock once all units have finished */
        pq_fail *f = &sh->slots[file].pq_fail[j->index];
        f->st = st;
        snprintf(f->err, sizeof f->err, "%s", err[0] ? err : cfs_status_str(st));
    }
    store_unit(sh, file, j->index, &ps);
#pragma omp atomic
    sh->inflight--;
    free(j);
    release(sh, file);
}

static void produce_parquet(shared *sh, size_t file, cfs_reader *r)
{
    cfs_pqr *pq = cfs_reader_parquet(r);
    file_slot *fs = &sh->slots[file];
    uint32_t nrg = cfs_pqr_row_groups(pq);
    /* how many units: consecutive row groups, a unit ending once it holds unit_bytes
     * (the last takes the rest); cut the same way below */
    const uint64_t unit_bytes = pq_unit_bytes(sh);
    size_t nunits = 0;
    uint64_t bytes = 0;
    for (uint32_t g = 0; g < nrg; g++) {
        bytes += cfs_pqr_group_bytes(pq, g);
        if (bytes >= unit_bytes || g + 1 == nrg) {
            nunits++;
            bytes = 0;
        }
    }
    if (nunits == 0) nunits = 1; /* no rows: the header still counts */
    fs->pq_fail = cfs_calloc(nunits, sizeof *fs->pq_fail, "reading the row groups of a Parquet file");
    if (!fs->pq_fail) return; /* out of memory (recorded): the scan stops */
    fs->pq_units = nunits;
    cfs_layout layout;
    memset(&layout, 0, sizeof layout);
    if (sh->o->start_layout) layout = *sh->o->start_layout;
    const char *h;
    size_t hn;
    cfs_pqr_header(pq, &h, &hn);
    track_layout(&layout, h, hn, '\t'); /* as run_pq_unit reads it */
    uint32_t from = 0;
    for (size_t u = 0; u < nunits; u++) {
        uint32_t to = from;
        bytes = 0;
        while (to < nrg) {
            bytes += cfs_pqr_group_bytes(pq, to++);
            if (bytes >= unit_bytes) break;
        }
        if (u + 1 == nunits) to = nrg;
        if (sh->o->stop && *sh->o->stop) {
            file_error(sh, file, CFS_E_INTERRUPTED, "interrupted");
            break;
        }
        if (cfs_mem_over()) break;
        pq_job *j = cfs_malloc(sizeof *j, "queueing a row group of a Parquet file");
        if (!j) break; /* out of memory (recorded): the scan stops */
        *j = (pq_job){sh, file, u, from, to, layout};
        from = to;
        const int busy = work_queued(sh, file);
        if (work_inline(sh, busy)) {
            run_pq_unit(j);
            work_wait_if_flooded(sh, busy);
            continue;
        }
#pragma omp task firstprivate(j)
        run_pq_unit(j);
    }
}

/* A small input: parse pieces in place on this thread, carrying partial lines. */
static void parse_sequential(shared *sh, size_t file, cfs_reader *r)
{
    pstate ps;
    pstate_init(&ps, sh, file, NULL);
    char *carry = NULL; /* a partial line between pieces: less than a WINDOW */
    size_t carry_len = 0, carry_cap = 0;
    char err[200] = "";
    cfs_status st = CFS_OK;
    while (read_on(sh, &st, err, sizeof err)) {
        const char *p;
        size_t n;
        st = cfs_reader_next(r, &p, &n, err, sizeof err);
        if (st != CFS_OK || n == 0) break;
        ps.st.bytes_out += n;
        if (carry_len) {
            /* Complete the carried line: up to its LF, or until it fills a window, which
             * makes it too long (parse_buffer counts it and drops the rest of it). */
            size_t room = WINDOW - carry_len, look = n < room ? n : room;
            const char *nl = memchr(p, '\n', look);
            size_t take = nl ? (size_t)(nl - p) + 1 : look;
            if (carry_len + take > carry_cap) {
                size_t cap = carry_len + take > WINDOW / 2 ? WINDOW : (carry_len + take) * 2;
                char *nc = cfs_realloc(carry, cap, "carrying a line between pieces of input");
                if (!nc) break; /* out of memory (recorded) */
                carry = nc;
                carry_cap = cap;
            }
            memcpy(carry + carry_len, p, take);
            carry_len += take;
            p += take;
            n -= take;
            if (!nl && carry_len < WINDOW) continue; /* the piece ended inside the line */
            parse_buffer(&ps, carry, carry_len, 0);
            carry_len = 0;
        }
        size_t used = parse_buffer(&ps, p, n, 0);
        size_t tail = n - used;
        if (tail) {
            if (tail > carry_cap) {
                size_t cap = tail * 2 < WINDOW ? tail * 2 : WINDOW;
                char *nc = cfs_realloc(carry, cap, "carrying a line between pieces of input");
                if (!nc) break; /* out of memory (recorded) */
                carry = nc;
                carry_cap = cap;
            }
            memcpy(carry, p + used, tail);
            carry_len = tail;
        }
    }
    if (carry_len) {
        if (st != CFS_OK) {
            ps.st.lines++;
            reject(&ps, CFS_REJ_TRUNCATED);
        } else {
            parse_buffer(&ps, carry, carry_len, 1);
        }
    }
    free(carry);
    if (st != CFS_OK) file_error(sh, file, st, err);
    store_unit(sh, file, 0, &ps);
}

static void process_file(shared *sh, size_t file)
{
    const cfs_input *in = &sh->in->v[file];
    cfs_file_stats *fs = &sh->files[file];
    file_slot *slot = &sh->slots[file];
    slot->pending = 1; /* the producer's own hold */
    char err[200] = "";
    cfs_reader *r = NULL;
    /* Asked to stop: no input is opened any more (an S3 object's open is its first
     * request), and the run ends interrupted. */
    if (sh->o->stop && *sh->o->stop) {
        file_error(sh, file, CFS_E_INTERRUPTED, "interrupted");
        release(sh, file);
        return;
    }
    /* Exactly the inputs cut into blocks are mapped (decode.c says why the others are not). */
    uint64_t big = sh->o->big_file ? sh->o->big_file : CFS_BIG_FILE;
    cfs_status st = cfs_reader_open_map(&r, in, sh->o->gz, big, err, sizeof err);
    if (st != CFS_OK) {
        file_error(sh, file, st, err);
        release(sh, file);
        return;
    }
    fs->fmt = cfs_reader_format(r);
    slot->reader = r;
    if (cfs_reader_parquet(r)) produce_parquet(sh, file, r);
    else if (!in->regular || in->size > big) produce_blocks(sh, file, r);
    else parse_sequential(sh, file, r);
    uint64_t in_bytes = cfs_reader_in_bytes(r);
/* under the lock that block results are added with (cfs_stats_add touches every
     * counter of the file, bytes_in included) */
#pragma omp critical(cfs_fold)
    fs->bytes_in = in_bytes;
    release(sh, file);
}

/* ---- driver: begin, batches, end ---------------------------------------------------------- */
static cfs_status scan_begin(shared *sh, const cfs_scan_opts *o, cfs_scan_result *res, int *threads)
{
    memset(res, 0, sizeof *res);
    memset(sh, 0, sizeof *sh);
    cfs_fields_init();
    char kerr[160];
    const cfs_kernel *k = cfs_kernel_select(kerr, sizeof kerr);
    if (!k) {
        fprintf(stderr, "cfscan: %s\n", kerr);
        return CFS_E_USAGE;
    }
    res->kernel = k->name;
    *threads = o->threads > 0 ? o->threads : omp_get_max_threads();
    cfs_topk_pool_threads(*threads);
    sh->o = o;
    sh->rows_mem = o->rows_mem ? o->rows_mem : CFS_ROWS_MEM_DEFAULT;
    sh->res = res;
    sh->kernel = k;
    /* --uri-prefix, --ip and --request-id read fields that plain lines leave unparsed */
    int all_fields = o->filter ||
                     (o->lines && (o->lines->uri || o->lines->ip_family || o->lines->request_id));
    sh->parse_need = (all_fields ? CFS_PARSE_ALL : 0) |
                     (o->attr.config && o->attr.config->any_403_remap ? CFS_PARSE_ERROR_WHOLE : 0);
    sh->max_inflight = 2 * *threads + 2;
    sh->line_extra = o->lines != NULL || o->timeline_s > 0 || o->filter != NULL;
    /* test hook: 1 leaves the fold's queues to the end of each batch, so that they grow
     * long and a merge run out of order would show in the report */
    const char *fh = getenv("CFS_FOLD_HOLD");
    sh->fold_hold = fh && strcmp(fh, "1") == 0;
    /* Filters and rows look at fields a common line leaves unparsed.  The time window
     * does not (count_plain applies it), nor does the sub-hour timeline (403 causes only:
     * line_extra), nor a config's 403 remap (its Error lines are not common:
     * CFS_PARSE_ERROR_WHOLE).  A config's behaviors label a Miss's origin sample by its
     * URI and Host, which a common line leaves unparsed: with a config, Misses are not
     * common. */
    const char *pl = getenv("CFS_PLAIN_LANE"); /* test hook: 0 counts every line from its record */
    if (o->lines == NULL && o->filter == NULL && !(sh->parse_need & CFS_PARSE_ALL) &&
        !(pl && strcmp(pl, "0") == 0))
        sh->plain_lane = CFS_PARSE_PLAIN | (o->attr.config ? 0 : CFS_PARSE_PLAIN_MISS);
    sh->t0 = sh->last_progress = now_s();
    cfs_agg_init(&res->agg);
    /* One events filter for the scan (edgefast.c), at most an eighth of the memory budget. */
    if (cfs_fast_events_new(&res->agg, cfs_mem_limit() / 8) != CFS_OK) return CFS_E_NOMEM;
    sh->thread_aggs = cfs_malloc((size_t)*threads * sizeof *sh->thread_aggs,
                                 "starting the per-thread tables");
    sh->thread_pos = cfs_calloc((size_t)*threads, sizeof *sh->thread_pos, "starting the per-thread tables");
    sh->thread_pq = cfs_calloc((size_t)*threads, sizeof *sh->thread_pq, "starting the per-thread tables");
    int ok = sh->thread_aggs && sh->thread_pos && sh->thread_pq,
        made = 0; /* thread_aggs[0..made) are initialised */
    for (int t = 0; ok && t < *threads; t++) {
        cfs_thread_agg_init(&sh->thread_aggs[t], res->agg.events);
        made++;
        ok = (sh->thread_pos[t] = cfs_malloc(SCAN_BUF_BYTES, "starting the per-thread tables")) != NULL;
    }
    if (ok && o->timeline_s > 0) {
        sh->thread_tl = cfs_malloc((size_t)*threads * sizeof *sh->thread_tl,
                                   "starting the per-thread timelines");
        ok = sh->thread_tl != NULL;
    }
    if (!ok) {
        for (int t = 0; t < made; t++) {
            cfs_thread_agg_free(&sh->thread_aggs[t]); /* safe on an initialised, empty one */
            free(sh->thread_pos[t]);
        }
        free(sh->thread_aggs);
        free(sh->thread_pos);
        free(sh->thread_pq);
        return CFS_E_NOMEM;
    }
    if (o->timeline_s > 0) {
        for (int t = 0; t < *threads; t++)
            cfs_kmap_init(&sh->thread_tl[t], offsetof(cfs_tl_row, n), sizeof(cfs_tl_row));
    }
    return CFS_OK;
}

/* A batch input's place in the walk, for accounting in input order. */
typedef struct seq_ix {
    uint64_t seq;
    size_t i;
} seq_ix;

static int seq_ix_cmp(const void *pa, const void *pb)
{
    const seq_ix *a = pa, *b = pb;
    if (a->seq != b->seq) return a->seq < b->seq ? -1 : 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

/* Account one path of the batch that could not be used. */
static void account_unusable(shared *sh, const cfs_input_error *e)
{
    const cfs_scan_opts *o = sh->o;
    cfs_ledger_unusable(&sh->res->ledger, e->path, e->msg);
    if (o->on_input) {
        cfs_input x;
        cfs_file_stats st;
        memset(&x, 0, sizeof x);
        memset(&st, 0, sizeof st);
        x.path = e->path;
        x.name_hour = CFS_NO_TIME;
        st.status = CFS_E_IO;
        snprintf(st.error, sizeof st.error, "%s", e->msg);
        progress_clear(sh);
        o->on_input(o->on_input_ctx, &x, &st);
    }
}

/* Scan one batch of inputs in parallel (largest first, as the batch is sorted), then
 * account each input and unusable path in input order (their seq: the walk's), not in
 * the order they were scheduled: the report lists errors and warnings, and keeps the
 * first CFS_MAX_LISTED of each, as the paths were given and walked (README), and the
 * summary's input rows follow the same order.  Equal seqs (a list scanned by
 * cfs_scan_run without them) keep batch order, the unusable paths first.  Returns the
 * batch's per-input counts (the caller frees them). */
static cfs_file_stats *scan_batch(shared *sh, const cfs_inputs *in, int threads)
{
    size_t n = in->n ? in->n : 1;
    sh->in = in;
    sh->fold_next = 0;
    sh->files = cfs_calloc(n, sizeof *sh->files, "starting a batch of inputs");
    sh->slots = cfs_calloc(n, sizeof *sh->slots, "starting a batch of inputs");
    if (!sh->files || !sh->slots) { /* out of memory (recorded): the batch is not scanned */
        free(sh->files);
        free(sh->slots);
        sh->files = NULL;
        sh->slots = NULL;
        sh->in = NULL;
        return NULL;
    }
    long nfiles = (long)in->n;
    if (nfiles) {
#pragma omp parallel num_threads(threads)
        {
#pragma omp for schedule(dynamic, 1) nowait
            for (long i = 0; i < nfiles; i++) process_file(sh, (size_t)i);
            /* a thread out of files helps with the fold's queues before it waits */
            fold_pending(sh);
        }
    }
    fold_work(sh, 1); /* all of the batch's fold is done after this */
    const cfs_scan_opts *o = sh->o;
    cfs_scan_result *res = sh->res;
    /* out of memory (recorded) the batch is accounted in batch order: the run fails anyway */
    seq_ix *ord = in->n ? cfs_malloc(in->n * sizeof *ord, "ordering a batch of inputs") : NULL;
    for (size_t k = 0; ord && k < in->n; k++) ord[k] = (seq_ix){in->v[k].seq, k};
    if (ord) qsort(ord, in->n, sizeof *ord, seq_ix_cmp);
    for (size_t e = 0, k = 0; e < in->nerr || k < in->n;) {
        if (e < in->nerr && (k == in->n || in->err[e].seq <= (ord ? ord[k].seq : in->v[k].seq))) {
            account_unusable(sh, &in->err[e++]);
            continue;
        }
        size_t i = ord ? ord[k].i : k;
        k++;
        free(sh->slots[i].units);
        free(sh->slots[i].stored);
        if (sh->files[i].status == CFS_E_INTERRUPTED) res->interrupted = 1;
        cfs_ledger_file(&res->ledger, in->v[i].path, &sh->files[i]);
        if (o->on_input) {
            if (sh->files[i].status != CFS_OK) progress_clear(sh);
            o->on_input(o->on_input_ctx, &in->v[i], &sh->files[i]);
        }
    }
    free(ord);
    res->ledger.pruned += in->pruned;
    /* a path that could not be used is an input too, counted once, as its row in the
     * summary (on_input) is and as files_failed counts it: files_failed <= files */
    res->nfiles += in->n + in->nerr;
    free(sh->slots);
    sh->slots = NULL;
    cfs_file_stats *files = sh->files;
    sh->files = NULL;
    sh->in = NULL;
    return files;
}

/* The origin reference of dist for settling rows: one hashed lookup per row, filled
 * from the merged origin table on first use (the reference is a histogram quantile). */
static uint32_t row_ref(cfs_kmap *refs, const cfs_agg *a, const char dist[CFS_KEY_STR])
{
    ref_row *r = cfs_kmap_get(refs, dist, NULL);
    if (!r->known) {
        r->ms = cfs_agg_reference_ms(a, dist, NULL);
        r->known = 1;
    }
    return r->ms;
}

static void settle_row(cfs_kmap *refs, const cfs_agg *a, const cfs_attr_ctx *ctx, cfs_req_row *row)
{
    /* as cfs_fast_resolve judges the same line in the aggregate */
    if (cfs_attr_deferred(row->at, row->time_taken_ms))
        row->at = cfs_fast_settle(a, ctx, row->dist, row->ts, cfs_fast_cfg_from(ctx, row->dist, row->ts),
                                  row->evkey, row->clen, row->cth, row->time_taken_ms, row->label, row->at);
    if (cfs_attr_needs_latency(row->at))
        row->at = cfs_attr_settle(row->at, cfs_lat_class_value(cfs_lat_class(row->time_taken_ms)),
                                  row_ref(refs, a, row->dist));
}

/* A copy of a's tables and top lists (not its held-back 403s, facts and events filter);
 * NULL when out of memory (recorded: the scan returns CFS_E_NOMEM). */
static cfs_agg *agg_copy(const cfs_agg *a)
{
    cfs_agg *copy = cfs_malloc(sizeof *copy, "keeping the unsettled aggregate");
    if (!copy) return NULL;
    cfs_agg_copy(copy, a);
    return copy;
}

/* The scan's last stage: settle the merged aggregate (cfs_settle).  `requests` rows still
 * in the temporary file are judged as they are read back, against what settling drops
 * (pages, the events filter, references): the judged aggregate is kept for them
 * (res->judged) and a copy settled. */
static void settle_result(cfs_scan_result *res)
{
    if (res->spill) {
        cfs_agg *copy = agg_copy(&res->agg);
        if (!copy) return;
        cfs_agg t = res->agg;
        res->agg = *copy;
        *copy = t;
        res->judged = copy;
        res->spill->agg = res->judged;
    }
    cfs_settle(&res->agg);
    if (cfs_mem_over()) {
        const cfs_agg *all[3] = {&res->agg, NULL, NULL};
        size_t n = 1;
        if (res->state) all[n++] = res->state;
        if (res->judged) all[n++] = res->judged;
        cfs_agg_count_keys(all, n, &res->keys);
        res->over_budget = 1;
    }
}

/* dst's traffic table (empty until now: the units folded into dst hold none) becomes the
 * partitions of merge_threads, joined without a lookup (cfs_kmap_concat). */
static void join_traffic(shared *sh, cfs_agg *dst)
{
    if (!sh->tparts) return;
    cfs_kmap_concat(&dst->traffic, sh->tparts, sh->ntparts, 0, (int)sh->ntparts);
    for (size_t t = 0; t < sh->ntparts; t++) cfs_kmap_free(&sh->tparts[t]);
    free(sh->tparts);
    sh->tparts = NULL;
    sh->ntparts = 0;
}

/* A copy of a (cfs_agg_copy) with the rows of the partitions a's traffic rows are still
 * in joined into its traffic table: the unsettled state a summary keeps. */
static cfs_agg *agg_copy_parts(const cfs_agg *a, const shared *sh)
{
    cfs_agg *copy = agg_copy(a);
    if (copy && sh->tparts) cfs_kmap_concat_copy(&copy->traffic, sh->tparts, sh->ntparts);
    return copy;
}

/* The traffic rows of the threads' counters (a key counted by several threads once for
 * each), and the room merge_threads makes beside them for the rows the held-back 403s
 * add once judged (at most half as many again). */
static void join_rows(const shared *sh, int threads, const cfs_agg *dst, size_t *rows, size_t *held)
{
    size_t n = 0;
    for (int t = 0; t < threads; t++) n += cfs_counter_rows(&sh->thread_aggs[t].counter);
    *rows = n;
    *held = dst->deferred.nrec < n / 2 ? (size_t)dst->deferred.nrec : n / 2;
}

/* Whether merge_threads would pass the memory budget (a limit is set): before it frees a
 * thread's table it builds every traffic partition, with that room, and, on more than one
 * thread, each thread's row numbers by partition.  Checked before it starts, so that the
 * budget stops the run before the join instead of after it (which held up to about
 * twice the budget); *need gets those bytes, for the message.  The partitions are taken
 * as the same size: the estimate, not the exact charge, decides. */
static int join_over_budget(const shared *sh, int threads, const cfs_agg *dst, uint64_t *need)
{
    size_t rows, held;
    join_rows(sh, threads, dst, &rows, &held);
    int64_t b = 0;
    for (int t = 0; t < threads; t++)
        b += cfs_kmap_bytes_for((rows + held) / (size_t)threads + 1, sizeof(cfs_trow));
    if (threads > 1) b += (int64_t)(rows * sizeof(uint32_t));
    *need = (uint64_t)b;
    const uint64_t lim = cfs_mem_limit();
    return lim && (uint64_t)cfs_mem_held() + (uint64_t)b > lim;
}

/* The per-thread tables into dst (and freed), with no step that grows with the thread
 * count: each thread's counter and accumulator are turned into string keys, in
 * parallel, and the results are merged pairwise in a tree (log2 of the threads rounds, each in parallel)
 * before the last one goes into dst.  Every table merged here is order-independent
 * (sums, histograms, HyperLogLog maxima), so the result does not depend on the tree's
 * shape; only the order rows sit in a table does, and every output sorts them. */
static void merge_threads(shared *sh, int threads, cfs_agg *dst)
{
    cfs_agg *part = cfs_malloc((size_t)threads * sizeof *part, "merging the per-thread tables");
    cfs_kmap *traffic = part ? cfs_malloc((size_t)threads * sizeof *traffic, "merging the per-thread tables")
                             : NULL;
    if (!traffic) { /* out of memory (recorded): nothing is merged */
        free(part);
        for (int t = 0; t < threads; t++) cfs_thread_agg_free(&sh->thread_aggs[t]);
        return;
    }
    /* The traffic rows, most of the data, by partition: thread p builds partition p
     * from every thread's counter, so no key is looked up twice and the partitions join
     * without a lookup; the other tables (small) merge in a tree.  Each partition has
     * room for its rows and its share of the rows the held-back 403s add once judged (at
     * most half as many again), which judging adds to the partitions on their threads
     * (cfs_fast_resolve_parts) before they are joined (join_traffic).  One thread's
     * partition becomes the table at once, with that room. */
    size_t rows, held;
    join_rows(sh, threads, dst, &rows, &held);
    /* Each thread sorts its own rows by partition first, so that building a partition
     * reads only its rows (before, every partition filtered every thread's rows: each
     * partition's work was all the rows, however many threads shared them). */
    cfs_traffic_split *split =
        threads > 1 ? cfs_calloc((size_t)threads, sizeof *split, "merging the per-thread tables") : NULL;
    if (split) {
#pragma omp parallel for num_threads(threads) schedule(static, 1)
        for (int t = 0; t < threads; t++)
            (void)cfs_agg_traffic_split(&split[t], &sh->thread_aggs[t], (unsigned)threads);
    }
#pragma omp parallel for num_threads(threads) schedule(static, 1)
    for (int t = 0; t < threads; t++) {
        cfs_agg_init(&part[t]);
        cfs_kmap_init(&traffic[t], part[t].traffic.key_size, part[t].traffic.row_size);
        /* its rows as the splits counted them (a key counted by several threads more than
         * once): room enough that building the partition never grows it */
        size_t mine = threads == 1 ? rows : 0;
        for (int u = 0; split && u < threads; u++)
            if (split[u].row) mine += split[u].start[t + 1] - split[u].start[t];
        cfs_kmap_reserve(&traffic[t], mine + (threads == 1 ? held : held / (size_t)threads));
        /* threads > 1 without the splits: out of memory (recorded), nothing merged */
        if (threads == 1 || split)
            cfs_agg_traffic_part(&traffic[t], sh->thread_aggs, split, (size_t)threads, (unsigned)t);
        cfs_agg_merge_thread_tables(&part[t], &sh->thread_aggs[t]);
    }
    if (split) {
        for (int t = 0; t < threads; t++) cfs_agg_traffic_split_free(&split[t]);
        free(split);
    }
    /* every counter read by every thread: only now are they freed */
#pragma omp parallel for num_threads(threads) schedule(static, 1)
    for (int t = 0; t < threads; t++) cfs_thread_agg_free(&sh->thread_aggs[t]);
    for (int step = 1; step < threads; step *= 2) {
#pragma omp parallel for num_threads(threads) schedule(static, 1)
        for (int t = 0; t < threads - step; t += 2 * step) {
            cfs_agg_merge(&part[t], &part[t + step]);
            cfs_agg_free(&part[t + step]);
        }
    }
    cfs_agg_merge(dst, &part[0]); /* no traffic rows: those are in the partitions */
    cfs_agg_free(&part[0]);
    free(part);
    sh->tparts = traffic;
    sh->ntparts = (size_t)threads;
    if (threads == 1) join_traffic(sh, dst); /* one partition: it is the table, as it is */
}

static cfs_status scan_end(shared *sh, int threads, double t0)
{
    const cfs_scan_opts *o = sh->o;
    cfs_scan_result *res = sh->res;
    /* every count into its row before the rows are read (and merged in parallel) */
    for (int t = 0; t < threads; t++) cfs_counter_flush(&sh->thread_aggs[t].counter);
    /* Merge per-thread tables once (merge_threads).  Over the memory budget nothing is
     * merged: the keys held are counted for the message and the tables dropped. */
    uint64_t need = 0;
    const int over = cfs_mem_over();
    if (over || join_over_budget(sh, threads, &res->agg, &need)) {
        cfs_agg_count_keys_threads(sh->thread_aggs, (size_t)threads, &res->agg, &res->keys);
        res->keys.need = over ? 0 : need;
        res->over_budget = 1;
    }
    double phase = now_s();
    res->t_pass = phase - t0;
    if (!res->over_budget) merge_threads(sh, threads, &res->agg); /* frees the thread tables */
    res->t_merge = now_s() - phase;
    if (sh->thread_tl) {
        /* counts add, so the merged timeline is the same at any thread count */
        res->timeline_s = o->timeline_s;
        cfs_kmap_init(&res->timeline, offsetof(cfs_tl_row, n), sizeof(cfs_tl_row));
        for (int t = 0; t < threads; t++) {
            for (size_t i = 0; i < sh->thread_tl[t].n; i++) {
                const cfs_tl_row *a = cfs_kmap_row(&sh->thread_tl[t], i);
                cfs_tl_row *b = cfs_kmap_get(&res->timeline, a, NULL);
                b->n += a->n;
            }
            cfs_kmap_free(&sh->thread_tl[t]);
        }
        free(sh->thread_tl);
        sh->thread_tl = NULL;
    }
    for (int t = 0; t < threads; t++) {
        if (res->over_budget) cfs_thread_agg_free(&sh->thread_aggs[t]);
        free(sh->thread_pos[t]);
        cfs_pqr_close(sh->thread_pq[t]);
    }
    if (!res->over_budget && cfs_mem_over()) {
        join_traffic(sh, &res->agg); /* the keys are counted in the table */
        const cfs_agg *all[1] = {&res->agg};
        cfs_agg_count_keys(all, 1, &res->keys);
        res->over_budget = 1;
    }
    /* A summary keeps the aggregate as it is now, its held-back 403s still records, so
     * that a merge judges them against everything merged (cfs_summary_view): the tables
     * are copied here (the traffic rows from their partitions), and judging hands the
     * records, facts and events filter over (cfs_fast_resolve's keep) instead of a second
     * copy of them. */
    if (o->keep_state && !res->over_budget) res->state = agg_copy_parts(&res->agg, sh);
    /* The 403s held back in the pass are judged now that every 403 and every origin fetch
     * has been seen, and counted; rows are judged here the same way (cfs_fast_settle).
     * The provisional entries left are settled last (settle_result). */
    char ferr[256];
    phase = now_s();
    /* under --cause the held-back 403s that settle into it are counted in the sub-hour
     * timeline and the WAF notes as they settle (line_extra left them out) */
    const int by_cause = o->lines && o->lines->cause >= 0;
    const cfs_judged_cause jc = {by_cause ? o->lines->cause : -1, res->timeline_s ? &res->timeline : NULL,
                                 res->timeline_s};
    cfs_status fst = res->over_budget ? CFS_OK
                                      : cfs_fast_resolve_parts(&res->agg, &o->attr, res->state, threads,
                                                               sh->tparts, (unsigned)sh->ntparts,
                                                               by_cause ? &jc : NULL, ferr, sizeof ferr);
    join_traffic(sh, &res->agg); /* the judged rows are in their partitions now */
    res->t_judge = now_s() - phase;
    if (fst != CFS_OK) {
        fprintf(stderr, "cfscan: %s\n", ferr);
        res->fast_failed = 1;
    }
    if (res->agg.events && res->agg.events->saturated)
        fprintf(stderr,
                "cfscan: warning: %llu origin-served 403s are too many to join cached copies reliably; "
                "edge-fast 403s were judged without that join\n",
                (unsigned long long)res->agg.events->inserts);
    cfs_kmap refs;
    cfs_kmap_init(&refs, CFS_KEY_STR, sizeof(ref_row));
    for (size_t i = 0; i < res->nrows; i++) settle_row(&refs, &res->agg, &o->attr, &res->rows[i]);
    if (res->spill) { /* the spilled rows are settled and filtered as they are read back */
        res->spill->refs = refs;
        res->spill->agg = &res->agg;
        res->spill->ctx = o->attr;
        res->spill->cause = o->filter ? o->filter->sel->cause : -1;
    } else {
        cfs_kmap_free(&refs);
    }
    if (o->filter && o->filter->sel->cause >= 0) {
        size_t w = 0;
        for (size_t i = 0; i < res->nrows; i++) {
            if (row_matches_cause(&res->rows[i], o->filter)) res->rows[w++] = res->rows[i];
            else free(res->rows[i].text);
        }
        res->nrows = w;
    }
    if (res->nrows > 1) qsort(res->rows, res->nrows, sizeof *res->rows, row_cmp);
    res->seconds = now_s() - t0;
    phase = now_s();
    if (!res->over_budget) settle_result(res);
    if (!res->over_budget && o->lines && o->lines->cause >= 0) {
        /* --cause: a 403 whose verdict waited for the end was kept until it settled; one
         * that settled into another cause is filtered out now, as its line would have been */
        const uint64_t dropped = cfs_agg_keep_cause(&res->agg, o->lines->cause);
        res->ledger.tot.aggregated -= dropped;
        res->ledger.tot.filtered += dropped;
    }
    res->t_settle = now_s() - phase;
    progress_clear(sh);
    if (o->stop && *o->stop) res->interrupted = 1;
    cfs_topk_pool_drain();
    for (size_t q = 0; q <= FOLD_QUEUES; q++) free(sh->fq[q].v); /* empty since the last batch */
    free(sh->thread_aggs);
    free(sh->thread_pos);
    free(sh->thread_pq);
    if (cfs_nomem_failed()) return CFS_E_NOMEM; /* cfs_nomem_what() says what failed */
    return (res->spill && res->spill->failed) || res->fast_failed ? CFS_E_IO : CFS_OK;
}

cfs_status cfs_scan_rows_begin(cfs_scan_result *res, char *err, size_t errlen)
{
    /* Without a spill the reader needs only its position: an empty spill holds it. */
    if (!res->spill) {
        res->spill = cfs_calloc(1, sizeof *res->spill, "reading the matching requests");
        if (!res->spill) return cfs_nomem_status(NULL, err, errlen);
        res->spill->cause = -1;
    }
    cfs_row_spill *sp = res->spill;
    sp->read = 0;
    sp->mem_rows = 0;
    if (sp->failed || (sp->f && (fflush(sp->f) != 0 || fseek(sp->f, 0, SEEK_SET) != 0))) {
        snprintf(err, errlen, "%s",
                 sp->failed ? sp->why : "cannot read back the temporary file of matching rows");
        return CFS_E_IO;
    }
    if (!sp->f || sp->keys || !sp->nrows) return CFS_OK;
    /* The spilled rows were written in fold order: one pass over their headers makes an
     * index of their keys (32 bytes a row, the only memory that grows with the rows),
     * sorted, by which they are read back in time order. */
    sp->keys = malloc(sp->nrows * sizeof *sp->keys);
    if (!sp->keys) {
        snprintf(err, errlen, "out of memory ordering %llu matching rows", (unsigned long long)sp->nrows);
        return CFS_E_IO;
    }
    for (uint64_t k = 0; k < sp->nrows; k++) {
        spill_rec h;
        off_t off = ftello(sp->f);
        if (off < 0 || fread(&h, sizeof h, 1, sp->f) != 1 || fseeko(sp->f, (off_t)h.len, SEEK_CUR) != 0) {
            snprintf(err, errlen, "reading back the temporary file of matching rows failed: %s",
                     ferror(sp->f) ? strerror(errno ? errno : EIO) : "unexpected end");
            free(sp->keys);
            sp->keys = NULL;
            return CFS_E_IO;
        }
        sp->keys[k] = (spill_key){h.ts, h.order_file, h.order_line, off};
    }
    sp->nkeys = sp->nrows;
    qsort(sp->keys, sp->nkeys, sizeof *sp->keys, spill_key_cmp);
    return CFS_OK;
}

int cfs_scan_rows_next(cfs_scan_result *res, const cfs_req_row **row, char *err, size_t errlen)
{
    cfs_row_spill *sp = res->spill;
    if (!sp) return 0; /* cfs_scan_rows_begin was not called */
    /* Merge the spilled rows (by their sorted index) with rows[] (sorted): time order. */
    while (sp->f && sp->read < sp->nkeys) {
        const spill_key *k = &sp->keys[sp->read];
        if (sp->mem_rows < res->nrows) {
            const cfs_req_row *m = &res->rows[sp->mem_rows];
            if (key_cmp(m->ts, m->order_file, m->order_line, k->ts, k->order_file, k->order_line) < 0) break;
        }
        spill_rec h;
        if (fseeko(sp->f, k->off, SEEK_SET) != 0) goto bad;
        if (fread(&h, sizeof h, 1, sp->f) != 1 || h.len > UINT32_MAX - 1) goto bad;
        if (h.len + 1 > sp->cur_cap) {
            size_t cap = (size_t)h.len + 1 > 2 * sp->cur_cap ? (size_t)h.len + 1 : 2 * sp->cur_cap;
            char *t = cfs_realloc(sp->cur.text, cap, "reading back a matching request");
            if (!t) {
                cfs_nomem_status(NULL, err, errlen);
                return -1;
            }
            sp->cur.text = t;
            sp->cur_cap = cap;
        }
        if (fread(sp->cur.text, 1, h.len, sp->f) != h.len) goto bad;
        sp->read++;
        sp->cur.text[h.len] = 0;
        sp->cur.len = h.len;
        memcpy(sp->cur.dist, h.dist, CFS_KEY_STR);
        sp->cur.at = h.at;
        sp->cur.time_taken_ms = h.time_taken_ms;
        sp->cur.clen = h.clen;
        sp->cur.cth = h.cth;
        sp->cur.evkey = h.evkey;
        sp->cur.ts = h.ts;
        sp->cur.order_file = h.order_file;
        sp->cur.order_line = h.order_line;
        sp->cur.waf = h.waf;
        memcpy(sp->cur.label, h.label, CFS_KEY_STR);
        settle_row(&sp->refs, sp->agg, &sp->ctx, &sp->cur);
        if (sp->cause >= 0 && sp->cur.at.cause != sp->cause) continue;
        *row = &sp->cur;
        return 1;
    }
    if (sp->mem_rows < res->nrows) {
        *row = &res->rows[sp->mem_rows++];
        return 1;
    }
    return 0;
bad:
    snprintf(err, errlen, "reading back the temporary file of matching rows failed: %s",
             ferror(sp->f) ? strerror(errno ? errno : EIO) : "unexpected end");
    return -1;
}

cfs_status cfs_scan_run(const cfs_inputs *in, const cfs_scan_opts *o, cfs_scan_result *res)
{
    shared sh;
    int threads;
    CFS_FORWARD_IF_ERROR(scan_begin(&sh, o, res, &threads));
    double t0 = now_s();
    res->files = scan_batch(&sh, in, threads);
    return scan_end(&sh, threads, t0);
}

cfs_status cfs_scan_walk(cfs_walk *w, const cfs_scan_opts *o, cfs_scan_result *res)
{
    shared sh;
    int threads;
    CFS_FORWARD_IF_ERROR(scan_begin(&sh, o, res, &threads));
    double t0 = now_s();
    cfs_inputs batch;
    memset(&batch, 0, sizeof batch);
    uint64_t seq = 0;
    while (!(o->stop && *o->stop) && !cfs_mem_over()) {
        if (!cfs_walk_next(w, &batch, CFS_SCAN_BATCH)) {
            res->ledger.pruned += batch.pruned; /* files pruned after the last input */
            break;
        }
        /* before the size sort: the walk's order, the unusable paths in their places */
        for (size_t i = 0, e = 0; i <= batch.n; i++) {
            for (; e < batch.nerr && batch.err[e].at <= i; e++) batch.err[e].seq = seq++;
            if (i < batch.n) batch.v[i].seq = seq++;
        }
        cfs_inputs_sort(&batch);
        free(scan_batch(&sh, &batch, threads));
        cfs_inputs_free(&batch);
    }
    cfs_inputs_free(&batch);
    return scan_end(&sh, threads, t0);
}

void cfs_scan_result_free(cfs_scan_result *res)
{
    cfs_agg_free(&res->agg);
    if (res->timeline_s) cfs_kmap_free(&res->timeline);
    if (res->state) cfs_agg_free(res->state);
    free(res->state);
    if (res->judged) cfs_agg_free(res->judged);
    free(res->judged);
    for (size_t i = 0; i < res->nrows; i++) free(res->rows[i].text);
    free(res->rows);
    if (res->spill) {
        if (res->spill->f) fclose(res->spill->f);
        if (res->spill->refs.key_size) cfs_kmap_free(&res->spill->refs);
        free(res->spill->cur.text);
        free(res->spill->keys);
        free(res->spill);
    }
    free(res->files);
    cfs_ledger_free(&res->ledger);
    memset(res, 0, sizeof *res);
}

cfs_view cfs_scan_view(const cfs_scan_result *res)
{
    cfs_view v;
    memset(&v, 0, sizeof v);
    v.agg = &res->agg;
    v.ledger = &res->ledger;
    v.nfiles = res->nfiles;
    v.kernel = res->kernel;
    v.seconds = res->seconds;
    v.interrupted = res->interrupted;
    v.over_budget = res->over_budget;
    v.keys = res->keys;
    v.timeline = res->timeline_s ? &res->timeline : NULL;
    v.timeline_s = res->timeline_s;
    return v;
}
