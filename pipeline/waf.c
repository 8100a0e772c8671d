/* AWS WAF logs as 403 evidence: reads JSON-lines files (gzip or plain, files or directory
 * trees), keeps the terminating non-ALLOW records inside the run's time window, and
 * indexes them by httpRequest.requestId (= the CloudFront log's x-edge-request-id). */
#include "pipeline/waf.h"
#include "pipeline/json.h"
#include "pipeline/source.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

/* WAF's `timestamp` is when WAF saw the request; the access log's date/time is when the
 * response finished.  Five minutes covers slow origins and clock rounding either way. */
#define WAF_SKEW_S 300
#define WAF_READ_CHUNK ((size_t)256 << 10)
#define WAF_MAX_DIR_DEPTH 32
/* A JSON number holds integers exactly up to 2^53; epoch milliseconds stay below that
 * until the year 287396. */
#define WAF_MAX_TS_MS 9007199254740992.0

/* One kept record: 16 bytes (8 hash + 4 rule + 1 action, padded).  The index stores no
 * request id, only its XXH3-64 hash, so a lookup of an id that is absent from the index
 * falsely matches a kept record with probability about n / 2^64 for n kept records
 * (1e8 records: ~5e-12 per lookup) -- far below any other error in attribution. */
typedef struct waf_entry {
    uint64_t h;     /* XXH3-64 of the request id; 0 marks an empty slot (real 0 -> 1) */
    uint32_t rule;  /* index into the rule-name table */
    uint8_t action; /* CFS_WAF_BLOCK / CAPTCHA / CHALLENGE */
} waf_entry;

/* Memory: each kept record costs one 16-byte entry while loading, then one slot of a
 * table held at most 75 % full, i.e. 16 / 0.75 ~= 21 bytes per kept record once loaded
 * (peak ~37 bytes during the one-time build).  It scales with the number of blocking
 * records in the time window, not with all WAF traffic (ALLOW records are dropped as they
 * are read); a terabyte run over months should be windowed with --since/--until. */
struct cfs_waf_index {
    /* Nothing below changes after cfs_waf_load returns, so any number of threads may
     * call cfs_waf_lookup / cfs_waf_rule_name concurrently without locks. */
    waf_entry *slots;     /* open addressing, linear probing */
    uint32_t nslots;      /* 0 for an empty index */
    /* rule names: NUL-terminated strings in one arena, interned through a small
     * power-of-two hash table of (rule index + 1), 0 = empty */
    char *names;
    size_t names_len, names_cap;
    uint32_t *name_off;
    uint32_t n_rules, cap_rules;
    uint32_t *rule_slots;
    uint32_t rule_mask;   /* rule_slots has rule_mask + 1 entries */
    cfs_waf_stats stats;
};

typedef struct loader {
    cfs_waf_index *w;
    waf_entry *pend;      /* kept records in file order, hashed into slots at the end */
    size_t n_pend, cap_pend;
    int64_t lo_ms, hi_ms; /* inclusive window in epoch milliseconds */
    cfs_json_doc doc;     /* reused for every line */
    char *buf;            /* line buffer, grows up to CFS_MAX_LINE + 1 */
    size_t cap;
    cfs_status status;    /* first failure seen */
    char *err;
    size_t errlen;
    int nomem;
} loader;

static void note_error(loader *L, cfs_status st, const char *fmt, ...)
{
    if (st == CFS_E_NOMEM) L->nomem = 1;
    if (L->status != CFS_OK) return; /* keep the first message */
    L->status = st;
    if (L->err && L->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(L->err, L->errlen, fmt, ap);
        va_end(ap);
    }
}

static uint64_t id_hash(const char *p, size_t n)
{
    uint64_t h = XXH3_64bits(p, n);
    return h ? h : 1;
}

/* ---- rule names ------------------------------------------------------------------- */

static uint64_t name_hash(const char *p, size_t n) { return XXH3_64bits(p, n); }

static int rule_grow(cfs_waf_index *w)
{
    uint32_t ncap = w->rule_mask ? (w->rule_mask + 1) * 2 : 64;
    uint32_t *ns = calloc(ncap, sizeof *ns);
    if (!ns) return 0;
    for (uint32_t r = 0; r < w->n_rules; r++) {
        const char *s = w->names + w->name_off[r];
        uint32_t i = (uint32_t)name_hash(s, strlen(s)) & (ncap - 1);
        while (ns[i]) i = (i + 1) & (ncap - 1);
        ns[i] = r + 1;
    }
    free(w->rule_slots);
    w->rule_slots = ns;
    w->rule_mask = ncap - 1;
    return 1;
}

/* Index of the interned name, adding it when new; UINT32_MAX when out of memory. */
static uint32_t rule_intern(cfs_waf_index *w, const char *s, size_t n)
{
    /* Stored names are NUL-terminated, so a name with an embedded NUL (\u0000) would
     * not compare equal to itself: cut it at the first NUL. */
    const char *z = memchr(s, '\0', n);
    if (z) n = (size_t)(z - s);
    if (w->n_rules * 2 >= w->rule_mask && !rule_grow(w)) return UINT32_MAX;
    uint32_t i = (uint32_t)name_hash(s, n) & w->rule_mask;
    while (w->rule_slots[i]) {
        uint32_t r = w->rule_slots[i] - 1;
        const char *t = w->names + w->name_off[r];
        if (strncmp(t, s, n) == 0 && t[n] == '\0') return r;
        i = (i + 1) & w->rule_mask;
    }
    if (w->n_rules == w->cap_rules) {
        uint32_t nc = w->cap_rules ? w->cap_rules * 2 : 16;
        uint32_t *no = realloc(w->name_off, nc * sizeof *no);
        if (!no) return UINT32_MAX;
        w->name_off = no;
        w->cap_rules = nc;
    }
    if (w->names_len + n + 1 > w->names_cap) {
        size_t nc = w->names_cap ? w->names_cap : 1024;
        while (nc < w->names_len + n + 1) nc *= 2;
        char *nn = realloc(w->names, nc);
        if (!nn) return UINT32_MAX;
        w->names = nn;
        w->names_cap = nc;
    }
    if (w->names_len > UINT32_MAX - n - 1) return UINT32_MAX;
    memcpy(w->names + w->names_len, s, n);
    w->names[w->names_len + n] = '\0';
    w->name_off[w->n_rules] = (uint32_t)w->names_len;
    w->names_len += n + 1;
    w->rule_slots[i] = w->n_rules + 1;
    return w->n_rules++;
}

/* ---- one line --------------------------------------------------------------------- */

static int parse_action(const char *a)
{
    if (!a) return -1;
    if (strcmp(a, "ALLOW") == 0) return CFS_WAF_ALLOW;
    if (strcmp(a, "BLOCK") == 0) return CFS_WAF_BLOCK;
    if (strcmp(a, "CAPTCHA") == 0) return CFS_WAF_CAPTCHA;
    if (strcmp(a, "CHALLENGE") == 0) return CFS_WAF_CHALLENGE;
    return -1;
}

/* 1 when the line is certainly an ALLOW record that would not be kept, so the DOM parse
 * can be skipped (most WAF traffic is ALLOW).  Exact, not a guess: a record whose
 * top-level action is BLOCK, CAPTCHA or CHALLENGE contains that value as the raw bytes
 * "BLOCK" (etc.) -- inside other strings a quote is always escaped, and a value could
 * only be spelled differently through \u escapes, whose presence disables the skip.
 * Lines skipped this way count as records but are not checked for being well-formed. */
static int surely_not_kept(const char *p, size_t n)
{
    if (n < 2 || p[0] != '{' || p[n - 1] != '}') return 0;
    const char *e = p + n;
    int allow = 0;
    /* One pass over the quotes (glibc memmem was slower than the parse it saves).  A
     * quote is never the last byte, which is '}', so q[1] is inside the line. */
    for (const char *q = memchr(p, '"', n); q; q = memchr(q + 1, '"', (size_t)(e - q - 1))) {
        size_t left = (size_t)(e - q);
        if (q[1] == 'a') {
            if (left >= 16 && memcmp(q, "\"action\":\"ALLOW\"", 16) == 0) allow = 1;
        } else if (q[1] == 'B') {
            if (left >= 7 && memcmp(q, "\"BLOCK\"", 7) == 0) return 0;
        } else if (q[1] == 'C') {
            if (left >= 9 && memcmp(q, "\"CAPTCHA\"", 9) == 0) return 0;
            if (left >= 11 && memcmp(q, "\"CHALLENGE\"", 11) == 0) return 0;
        }
    }
    if (!allow) return 0;
    for (const char *b = memchr(p, '\\', n); b; b = memchr(b + 1, '\\', (size_t)(e - b - 1)))
        if (b[1] == 'u') return 0;
    return 1;
}

static void process_line(loader *L, const char *line, size_t n)
{
    cfs_waf_stats *st = &L->w->stats;
    while (n && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t')) n--;
    size_t lead = 0;
    while (lead < n && (line[lead] == ' ' || line[lead] == '\t')) lead++;
    if (lead == n) return; /* blank lines are not records */
    st->records++;
    if (surely_not_kept(line + lead, n - lead)) return;

    if (cfs_json_parse(&L->doc, line + lead, n - lead, NULL, 0) != CFS_OK) {
        st->bad_lines++;
        return;
    }
    /* Record fields per the WAF developer guide "Log fields for web ACL traffic":
     * action, terminatingRuleId, timestamp (epoch ms), httpRequest.requestId. */
    const cfs_json *root = cfs_json_root(&L->doc);
    int action = parse_action(cfs_json_str(cfs_json_get(root, "action")));
    size_t rule_n, rid_n;
    const char *rule = cfs_json_strn(cfs_json_get(root, "terminatingRuleId"), &rule_n);
    const char *rid = cfs_json_strn(cfs_json_path(root, "httpRequest.requestId"), &rid_n);
    double ts;
    if (action < 0 || !rule || !rid || rid_n == 0 || !cfs_json_num(cfs_json_get(root, "timestamp"), &ts) ||
        !(ts >= 0 && ts <= WAF_MAX_TS_MS) || ts != (double)(int64_t)ts) {
        st->bad_lines++;
        return;
    }
    if (action == CFS_WAF_ALLOW) return;
    /* out_of_window counts the blocking records the window dropped (ALLOW records are
     * never kept, so whether they fall inside says nothing). */
    int64_t ms = (int64_t)ts;
    if (ms < L->lo_ms || ms > L->hi_ms) {
        st->out_of_window++;
        return;
    }

    uint32_t r = rule_intern(L->w, rule, rule_n);
    if (r == UINT32_MAX) {
        note_error(L, CFS_E_NOMEM, "out of memory indexing WAF rule names");
        return;
    }
    if (L->n_pend == L->cap_pend) {
        size_t nc = L->cap_pend ? L->cap_pend * 2 : 1024;
        waf_entry *np = realloc(L->pend, nc * sizeof *np);
        if (!np) {
            note_error(L, CFS_E_NOMEM, "out of memory indexing WAF records");
            return;
        }
        L->pend = np;
        L->cap_pend = nc;
    }
    waf_entry *e = &L->pend[L->n_pend++];
    memset(e, 0, sizeof *e);
    e->h = id_hash(rid, rid_n);
    e->rule = r;
    e->action = (uint8_t)action;
}

/* ---- files ------------------------------------------------------------------------ */

/* Read one file line by line.  gzread passes plain files through unchanged and reads
 * concatenated gzip members as one stream, which is how WAF's S3 delivery writes. */
static void load_file(loader *L, const char *path)
{
    /* The type is checked on the opened file: a path swapped for a FIFO after the
     * directory walk looked at it must not block the run. */
    char why[128];
    int fd = cfs_open_regular(path, why, sizeof why);
    if (fd < 0) {
        note_error(L, CFS_E_IO, "%s: %s", path, why);
        return;
    }
    gzFile f = gzdopen(fd, "rb");
    if (!f) {
        close(fd);
        note_error(L, CFS_E_NOMEM, "out of memory opening %s", path);
        return;
    }
    gzbuffer(f, (unsigned)WAF_READ_CHUNK);
    size_t len = 0;   /* bytes in buf */
    size_t start = 0; /* start of the current (unfinished) line */
    size_t scan = 0;  /* bytes before this are known to hold no '\n' after start */
    int skipping = 0; /* inside a line already counted as too long */
    int eof = 0;
    while (!eof && !L->nomem) {
        if (len == L->cap) {
            if (start > 0) {
                memmove(L->buf, L->buf + start, len - start);
                len -= start;
                scan -= start;
                start = 0;
            } else if (L->cap < CFS_MAX_LINE + 1) {
                size_t nc = L->cap * 2;
                if (nc > CFS_MAX_LINE + 1) nc = CFS_MAX_LINE + 1;
                char *nb = realloc(L->buf, nc);
                if (!nb) {
                    note_error(L, CFS_E_NOMEM, "out of memory reading %s", path);
                    break;
                }
                L->buf = nb;
                L->cap = nc;
            } else {
                /* More than CFS_MAX_LINE bytes without a newline: count the line once,
                 * then drop bytes until its end. */
                if (!skipping) {
                    L->w->stats.records++;
                    L->w->stats.bad_lines++;
                }
                skipping = 1;
                len = start = scan = 0;
            }
        }
        size_t want = L->cap - len;
        if (want > (size_t)1 << 30) want = (size_t)1 << 30;
        int r = gzread(f, L->buf + len, (unsigned)want);
        if (r < 0) {
            int zerr;
            const char *msg = gzerror(f, &zerr);
            note_error(L, zerr == Z_BUF_ERROR ? CFS_E_TRUNCATED : zerr == Z_MEM_ERROR ? CFS_E_NOMEM
                       : zerr == Z_ERRNO ? CFS_E_IO : CFS_E_CORRUPT,
                       "%s: %s", path, zerr == Z_ERRNO ? strerror(errno) : msg);
            /* Whatever partial line is left was cut by the error: count it as bad. */
            if (len > start && !skipping) {
                L->w->stats.records++;
                L->w->stats.bad_lines++;
            }
            gzclose(f);
            return;
        }
        if (r == 0) {
            /* zlib reports a gzip stream cut short not as -1 but as end of input with
             * Z_BUF_ERROR pending ("unexpected end of file"). */
            int zerr = Z_OK;
            const char *msg = gzerror(f, &zerr);
            if (zerr == Z_BUF_ERROR) {
                note_error(L, CFS_E_TRUNCATED, "%s: %s", path, msg);
                if (len > start && !skipping) {
                    L->w->stats.records++;
                    L->w->stats.bad_lines++;
                }
                gzclose(f);
                return;
            }
            eof = 1;
        }
        len += (size_t)r;
        for (;;) {
            char *nl = memchr(L->buf + scan, '\n', len - scan);
            if (!nl) {
                scan = len;
                break;
            }
            size_t e = (size_t)(nl - L->buf);
            if (skipping) skipping = 0;
            else process_line(L, L->buf + start, e - start);
            start = scan = e + 1;
        }
    }
    /* Last line without a final newline. */
    if (!L->nomem && !skipping && len > start) process_line(L, L->buf + start, len - start);
    gzclose(f);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void load_path(loader *L, const char *path, int depth);

/* All regular files under dir, in name order so rule numbering and the choice among
 * duplicate request ids do not depend on readdir order.  Symbolic links to directories
 * are not followed (no loops); links to files are read. */
static void load_dir(loader *L, const char *dir, int depth)
{
    if (depth > WAF_MAX_DIR_DEPTH) {
        note_error(L, CFS_E_USAGE, "%s: directories nested deeper than %d", dir, WAF_MAX_DIR_DEPTH);
        return;
    }
    DIR *dp = opendir(dir);
    if (!dp) {
        note_error(L, CFS_E_IO, "%s: %s", dir, strerror(errno));
        return;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(dp)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            char **nn = realloc(names, nc * sizeof *nn);
            if (!nn) break;
            names = nn;
            cap = nc;
        }
        size_t dl = strlen(dir), el = strlen(de->d_name);
        char *full = malloc(dl + el + 2);
        if (!full) break;
        memcpy(full, dir, dl);
        full[dl] = '/';
        memcpy(full + dl + 1, de->d_name, el + 1);
        names[n++] = full;
    }
    if (de != NULL) note_error(L, CFS_E_NOMEM, "out of memory listing %s", dir);
    closedir(dp);
    if (n) qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        struct stat lst;
        if (!L->nomem && lstat(names[i], &lst) == 0) {
            if (S_ISDIR(lst.st_mode)) load_dir(L, names[i], depth + 1);
            else if (S_ISREG(lst.st_mode)) load_file(L, names[i]);
            else if (S_ISLNK(lst.st_mode)) {
                struct stat tst;
                if (stat(names[i], &tst) == 0 && S_ISREG(tst.st_mode)) load_file(L, names[i]);
            }
        }
        free(names[i]);
    }
    free(names);
}

static void load_path(loader *L, const char *path, int depth)
{
    struct stat stbuf;
    if (stat(path, &stbuf) != 0) {
        note_error(L, CFS_E_IO, "%s: %s", path, strerror(errno));
        return;
    }
    if (S_ISDIR(stbuf.st_mode)) load_dir(L, path, depth);
    else load_file(L, path); /* which refuses anything but a regular file, by name */
}

/* ---- index ------------------------------------------------------------------------ */

static uint32_t home_slot(uint64_t h, uint32_t nslots)
{
    /* Multiply-shift range reduction of the high 32 bits: no power-of-two table, so the
     * table can be sized exactly to the 75 % load target. */
    return (uint32_t)(((h >> 32) * (uint64_t)nslots) >> 32);
}

static cfs_status build_index(loader *L)
{
    cfs_waf_index *w = L->w;
    if (L->n_pend == 0) return CFS_OK;
    /* Shrink the pending array first so the peak is entries + table, not 2x entries. */
    waf_entry *shrunk = realloc(L->pend, L->n_pend * sizeof *shrunk);
    if (shrunk) L->pend = shrunk;
    uint64_t ns = (uint64_t)L->n_pend * 4 / 3 + 1;
    if (ns >= UINT32_MAX) return CFS_E_NOMEM;
    w->slots = calloc((size_t)ns, sizeof *w->slots);
    if (!w->slots) return CFS_E_NOMEM;
    w->nslots = (uint32_t)ns;
    uint64_t kept = 0;
    for (size_t k = 0; k < L->n_pend; k++) {
        const waf_entry *e = &L->pend[k];
        uint32_t i = home_slot(e->h, w->nslots);
        while (w->slots[i].h && w->slots[i].h != e->h) i = i + 1 == w->nslots ? 0 : i + 1;
        /* The same request id twice (a log delivered twice, or S3 and CloudWatch copies
         * both given): the first record read stays. */
        if (w->slots[i].h) continue;
        w->slots[i] = *e;
        kept++;
    }
    w->stats.kept = kept;
    return CFS_OK;
}

cfs_status cfs_waf_load(cfs_waf_index **out, const char *const *paths, size_t npaths,
                        int64_t since, int64_t until, char *err, size_t errlen)
{
    *out = NULL;
    if (err && errlen) err[0] = '\0';
    loader L;
    memset(&L, 0, sizeof L);
    L.err = err;
    L.errlen = errlen;
    L.w = calloc(1, sizeof *L.w);
    L.cap = 64 << 10;
    L.buf = malloc(L.cap);
    if (!L.w || !L.buf) {
        free(L.w);
        free(L.buf);
        if (err && errlen) snprintf(err, errlen, "out of memory");
        return CFS_E_NOMEM;
    }
    /* Window in ms, saturating at the int64 ends; an open end is unbounded. */
    const int64_t lim = INT64_MAX / 1000 - WAF_SKEW_S - 1;
    L.lo_ms = since == CFS_NO_TIME || since < -lim ? INT64_MIN
              : since > lim ? INT64_MAX : (since - WAF_SKEW_S) * 1000;
    L.hi_ms = until == CFS_NO_TIME || until > lim ? INT64_MAX
              : until < -lim ? INT64_MIN : (until + WAF_SKEW_S) * 1000 + 999;

    for (size_t i = 0; i < npaths && !L.nomem; i++) load_path(&L, paths[i], 0);
    free(L.buf);
    cfs_json_doc_free(&L.doc);

    if (!L.nomem) {
        cfs_status st = build_index(&L);
        if (st != CFS_OK) note_error(&L, st, "out of memory building the WAF index");
    }
    free(L.pend);
    if (L.nomem) {
        cfs_waf_free(L.w);
        return CFS_E_NOMEM;
    }
    *out = L.w;
    return L.status;
}

void cfs_waf_free(cfs_waf_index *w)
{
    if (!w) return;
    free(w->slots);
    free(w->names);
    free(w->name_off);
    free(w->rule_slots);
    free(w);
}

int cfs_waf_lookup(const cfs_waf_index *w, cfs_span request_id, cfs_waf_hit *hit)
{
    if (!w || w->nslots == 0 || !request_id.p || request_id.n == 0) return 0;
    uint64_t h = id_hash(request_id.p, request_id.n);
    uint32_t i = home_slot(h, w->nslots);
    /* The table is at most 75 % full, so an empty slot always ends the probe. */
    while (w->slots[i].h) {
        if (w->slots[i].h == h) {
            if (hit) {
                hit->action = w->slots[i].action;
                hit->rule = w->slots[i].rule;
            }
            return 1;
        }
        i = i + 1 == w->nslots ? 0 : i + 1;
    }
    return 0;
}

const char *cfs_waf_rule_name(const cfs_waf_index *w, uint32_t rule)
{
    if (!w || rule >= w->n_rules) return NULL;
    return w->names + w->name_off[rule];
}

size_t cfs_waf_rule_count(const cfs_waf_index *w) { return w ? w->n_rules : 0; }

const cfs_waf_stats *cfs_waf_get_stats(const cfs_waf_index *w) { return w ? &w->stats : NULL; }
