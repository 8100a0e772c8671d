/* S3 over libcurl (loaded on first use: s3_curl.h): the per-bucket context (credentials,
 * region, endpoint; resolved once per process under a mutex), signed requests with
 * retries, the paged ListObjectsV2 listing and its small XML reader, and the reader of one
 * object in ranged GETs.
 *
 * Retries: a request is tried up to CFS_S3_TRIES times when the answer is a 5xx, a 429 or
 * SlowDown, a connection error, or a body shorter than asked for; the waits double from
 * CFS_S3_BACKOFF_MS.  Other answers (403, 404, 412) are final at once.  Each object is
 * read in parts of CFS_S3_PART bytes with If-Match on the listed ETag, so an object
 * replaced while it is read fails with 412 instead of mixing two versions. */
#include "pipeline/s3.h"
#include "pipeline/s3_curl.h"
#include "pipeline/stop.h"
#include "pipeline/xalloc.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "kernels/kernels.h"

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define LIST_BODY_MAX ((size_t)64 << 20) /* a page of 1000 keys is about 350 KB */

int cfs_s3_is_url(const char *path) { return path && strncmp(path, "s3://", 5) == 0; }

cfs_status cfs_s3_parse_url(const char *url, char **bucket, char **prefix, char *err, size_t errlen)
{
    *bucket = *prefix = NULL;
    if (!cfs_s3_is_url(url)) {
        snprintf(err, errlen, "not an s3:// URL");
        return CFS_E_USAGE;
    }
    const char *b = url + 5, *slash = strchr(b, '/');
    size_t bl = slash ? (size_t)(slash - b) : strlen(b);
    /* bucket names: 3-63 of [a-z0-9.-] (older buckets may hold capitals and '_') */
    int ok = bl >= 3 && bl <= 255;
    for (size_t i = 0; ok && i < bl; i++)
        ok = (b[i] >= 'a' && b[i] <= 'z') || (b[i] >= 'A' && b[i] <= 'Z') || (b[i] >= '0' && b[i] <= '9') ||
             b[i] == '.' || b[i] == '-' || b[i] == '_';
    if (!ok) {
        snprintf(err, errlen, "not a bucket name in an s3:// URL (s3://BUCKET/PREFIX)");
        return CFS_E_USAGE;
    }
    *bucket = cfs_malloc(bl + 1, "naming an S3 bucket");
    *prefix = cfs_strdup(slash ? slash + 1 : "", "naming an S3 prefix");
    if (!*bucket || !*prefix) {
        free(*bucket);
        free(*prefix);
        *bucket = *prefix = NULL;
        snprintf(err, errlen, "out of memory");
        return CFS_E_NOMEM;
    }
    memcpy(*bucket, b, bl);
    (*bucket)[bl] = 0;
    return CFS_OK;
}

/* ---- process-wide context ----------------------------------------------------------------- */
typedef struct s3_bucket {
    char *name;
    char base[600];    /* scheme://host[:port] requests go to */
    char host[512];    /* the Host header */
    char pathpre[300]; /* "/bucket" for path-style addressing, "" for virtual-hosted */
    char region[64];
    struct s3_bucket *next;
} s3_bucket;

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static char *g_endpoint;
static int g_curl;     /* curl_global_init done */
static int g_creds_ok; /* 0 not yet, 1 resolved, -1 failed */
static cfs_s3_creds g_creds;
static char g_creds_err[400];
static s3_bucket *g_buckets;

static void s3_cleanup(void)
{
    while (g_buckets) {
        s3_bucket *n = g_buckets->next;
        free(g_buckets->name);
        free(g_buckets);
        g_buckets = n;
    }
    free(g_endpoint);
    g_endpoint = NULL;
    memset(&g_creds, 0, sizeof g_creds);
    if (g_curl) cfs_curl.global_cleanup();
    g_curl = 0;
}

void cfs_s3_set_endpoint(const char *url)
{
    pthread_mutex_lock(&g_mu);
    free(g_endpoint);
    g_endpoint = url ? cfs_strdup(url, "keeping --endpoint-url") : NULL;
    pthread_mutex_unlock(&g_mu);
}

static const char *endpoint(void)
{
    if (g_endpoint) return g_endpoint;
    const char *e = getenv("AWS_ENDPOINT_URL_S3");
    if (!e || !*e) e = getenv("AWS_ENDPOINT_URL");
    return e && *e ? e : NULL;
}

/* Whether the n bytes at h are "host[:port]": no user part, an IPv6 address in brackets
 * ("[::1]"), any other host without a colon or a bracket, and a port, when given, of 1 to
 * 65535. */
static int host_port_ok(const char *h, size_t n)
{
    const char *end = h + n, *q = h;
    if (memchr(h, '@', n)) return 0;
    if (*q == '[') {
        const char *close = memchr(q, ']', n);
        if (!close || close == q + 1 || memchr(q + 1, '[', (size_t)(close - q - 1))) return 0;
        q = close + 1;
    } else {
        while (q < end && *q != ':' && *q != '[' && *q != ']') q++;
        if (q == h || (q < end && *q != ':')) return 0;
    }
    if (q == end) return 1;
    if (*q != ':' || q + 1 == end || end - q > 6) return 0;
    unsigned long port = 0;
    for (q++; q < end; q++) {
        if (*q < '0' || *q > '9') return 0;
        port = port * 10 + (unsigned long)(*q - '0');
    }
    return port >= 1 && port <= 65535;
}

/* "scheme://host[:port][/]" into base and host.  A path, query or fragment after the
 * host is refused, not dropped: requests would go elsewhere than the URL says. */
static int split_endpoint(const char *url, char *base, size_t bn, char *host, size_t hn)
{
    const char *p = strstr(url, "://");
    if (!p || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)) return -1;
    const char *h = p + 3, *e = strchr(h, '/');
    if ((e && e[1]) || strpbrk(h, "?#")) return -1; /* a path, a query or a fragment */
    size_t hl = e ? (size_t)(e - h) : strlen(h);
    if (!hl || hl >= hn || (size_t)(h - url) + hl >= bn || !host_port_ok(h, hl)) return -1;
    memcpy(host, h, hl);
    host[hl] = 0;
    memcpy(base, url, (size_t)(h - url) + hl);
    base[(size_t)(h - url) + hl] = 0;
    return 0;
}

int cfs_s3_endpoint_ok(const char *url)
{
    char base[600], host[512]; /* as s3_bucket keeps them */
    return split_endpoint(url, base, sizeof base, host, sizeof host) == 0;
}

static cfs_status s3_request_raw(CURL *h, const s3_bucket *b, const char *region, const char *method,
                                 const char *path, const char *query, const char *range, const char *if_match,
                                 void *sink);

typedef struct sink {
    CURL *h;
    char *data; /* 2xx body */
    size_t cap, len;
    int grow;     /* data grows up to LIST_BODY_MAX; else it holds at most cap bytes */
    int overflow; /* more bytes than asked for */
    char ebody[2048];
    size_t elen;
    char region[64]; /* x-amz-bucket-region */
    char etag[160];  /* the response's ETag, unquoted ("" when none was sent) */
    int curl_rc;     /* the last transfer's CURLcode */
} sink;

/* Ask the bucket where it lives: HEAD /bucket answers x-amz-bucket-region whatever its
 * status.  Without an answer b->region (the configured region, else us-east-1) stays.  On
 * AWS the question goes to b->region's endpoint, which answers for a bucket of any region:
 * in a private subnet with an S3 endpoint only that one may be reachable. */
static void probe_region(s3_bucket *b)
{
    CURL *h = cfs_curl.easy_init();
    sink s;
    memset(&s, 0, sizeof s);
    s.h = h;
    if (h) {
        char path[300];
        snprintf(path, sizeof path, "/%s", b->name);
        s3_bucket probe = *b;
        probe.pathpre[0] = 0;
        if (!endpoint()) {
            snprintf(probe.host, sizeof probe.host, "s3.%s.amazonaws.com", b->region);
            snprintf(probe.base, sizeof probe.base, "https://%s", probe.host);
        }
        (void)s3_request_raw(h, &probe, b->region, "HEAD", path, "", NULL, NULL, &s);
        if (s.region[0]) snprintf(b->region, sizeof b->region, "%s", s.region);
        cfs_curl.easy_cleanup(h);
    }
}

static cfs_status bucket_get(const char *name, const s3_bucket **out, char *err, size_t errlen)
{
    cfs_status st = CFS_OK;
    pthread_mutex_lock(&g_mu);
    if (!g_curl) {
        if (cfs_curl_load(err, errlen) != 0) {
            pthread_mutex_unlock(&g_mu);
            return CFS_E_IO;
        }
        if (cfs_curl.global_init(CURL_GLOBAL_DEFAULT) != 0) {
            snprintf(err, errlen, "cannot initialise libcurl");
            pthread_mutex_unlock(&g_mu);
            return CFS_E_IO;
        }
        g_curl = 1;
        atexit(s3_cleanup);
    }
    if (!g_creds_ok)
        g_creds_ok = cfs_s3_creds_resolve(&g_creds, g_creds_err, sizeof g_creds_err) == CFS_OK ? 1 : -1;
    if (g_creds_ok < 0) {
        snprintf(err, errlen, "%s", g_creds_err);
        pthread_mutex_unlock(&g_mu);
        return CFS_E_IO;
    }
    s3_bucket *b = g_buckets;
    while (b && strcmp(b->name, name) != 0) b = b->next;
    if (!b) {
        b = cfs_calloc(1, sizeof *b, "keeping an S3 bucket's endpoint");
        if (b) b->name = cfs_strdup(name, "keeping an S3 bucket's endpoint");
        if (!b || !b->name) {
            free(b);
            snprintf(err, errlen, "out of memory");
            pthread_mutex_unlock(&g_mu);
            return CFS_E_NOMEM;
        }
        const char *ep = endpoint();
        if (ep) {
            if (split_endpoint(ep, b->base, sizeof b->base, b->host, sizeof b->host) != 0) {
                snprintf(err, errlen,
                         "bad endpoint URL %s (want http://HOST[:PORT] or https://HOST[:PORT], no path)", ep);
                st = CFS_E_USAGE;
            }
            snprintf(b->pathpre, sizeof b->pathpre, "/%s", name);
        }
        /* The bucket is asked even when a region is configured: one configured for the
         * account (us-east-1 in ~/.aws/config) is often not the log bucket's, and S3 then
         * answers every request 301 PermanentRedirect.  The bucket's answer wins. */
        if (st == CFS_OK && cfs_s3_region_configured(b->region, sizeof b->region) != 0)
            snprintf(b->region, sizeof b->region, "us-east-1");
        if (st == CFS_OK) probe_region(b);
        if (st == CFS_OK && !ep) {
            /* virtual-hosted addressing, except for names with dots (TLS wildcard certs) */
            if (strchr(name, '.')) {
                snprintf(b->host, sizeof b->host, "s3.%s.amazonaws.com", b->region);
                snprintf(b->pathpre, sizeof b->pathpre, "/%s", name);
            } else {
                snprintf(b->host, sizeof b->host, "%s.s3.%s.amazonaws.com", name, b->region);
            }
            snprintf(b->base, sizeof b->base, "https://%s", b->host);
        }
        if (st != CFS_OK) {
            free(b->name);
            free(b);
            pthread_mutex_unlock(&g_mu);
            return st;
        }
        b->next = g_buckets;
        g_buckets = b;
    }
    *out = b;
    pthread_mutex_unlock(&g_mu);
    return CFS_OK;
}

/* ---- one signed request ------------------------------------------------------------------- */
static size_t on_body(char *p, size_t sz, size_t nm, void *ud)
{
    sink *s = ud;
    size_t n = sz * nm;
    long code = 0;
    cfs_curl.easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &code);
    if (code < 200 || code >= 300) { /* an error document: its start is enough */
        size_t k = n < sizeof s->ebody - 1 - s->elen ? n : sizeof s->ebody - 1 - s->elen;
        memcpy(s->ebody + s->elen, p, k);
        s->elen += k;
        s->ebody[s->elen] = 0;
        return n;
    }
    /* a listing keeps a NUL after its bytes (it is searched with strstr): one byte more */
    if (s->len + n + (size_t)s->grow > s->cap) {
        if (!s->grow || s->len + n > LIST_BODY_MAX) {
            s->overflow = 1;
            return 0; /* aborts the transfer */
        }
        size_t nc = s->cap ? s->cap : 65536;
        while (nc < s->len + n + 1) nc *= 2;
        char *d = cfs_realloc(s->data, nc, "reading an S3 listing");
        if (!d) return 0;
        s->data = d;
        s->cap = nc;
    }
    memcpy(s->data + s->len, p, n);
    s->len += n;
    if (s->grow) s->data[s->len] = 0;
    return n;
}

static size_t on_header(char *p, size_t sz, size_t nm, void *ud)
{
    sink *s = ud;
    size_t n = sz * nm;
    static const char want[] = "x-amz-bucket-region:", etag[] = "etag:";
    if (n > sizeof want && strncasecmp(p, want, sizeof want - 1) == 0) {
        size_t i = sizeof want - 1, o = 0;
        while (i < n && p[i] == ' ') i++;
        while (i < n && p[i] != '\r' && p[i] != '\n' && o + 1 < sizeof s->region) s->region[o++] = p[i++];
        s->region[o] = 0;
    } else if (n > sizeof etag && strncasecmp(p, etag, sizeof etag - 1) == 0) {
        /* quoted, as the listing's (which cfs_s3_list keeps unquoted); a weak validator's
         * W/ (a proxy's) says nothing of the version: the tag is compared */
        size_t i = sizeof etag - 1, o = 0;
        while (i < n && p[i] == ' ') i++;
        if (i + 1 < n && p[i] == 'W' && p[i + 1] == '/') i += 2;
        while (i < n && p[i] == '"') i++;
        while (i < n && p[i] != '"' && p[i] != '\r' && p[i] != '\n' && o + 1 < sizeof s->etag)
            s->etag[o++] = p[i++];
        s->etag[o] = 0;
    }
    return n;
}

/* libcurl's progress callback: a transfer under way ends when the run is asked to stop
 * (stop.h), instead of finishing or waiting out a stalled server. */
static int on_progress(void *p, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    (void)p, (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    return cfs_stop_requested();
}

static cfs_status s3_request_raw(CURL *h, const s3_bucket *b, const char *region, const char *method,
                                 const char *path, const char *query, const char *range, const char *if_match,
                                 void *sinkp)
{
    sink *s = sinkp;
    s->curl_rc = (int)CURLE_FAILED_INIT; /* until a transfer ran */
    char date[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%Y%m%dT%H%M%SZ", &tm);
    cfs_s3_sigreq q = {method, b->host, path, query, date, region, EMPTY_SHA256, g_creds.token};
    char auth[1024];
    if (cfs_s3_sign(&q, &g_creds, auth, sizeof auth, NULL, 0) != 0) return CFS_E_IO;
    size_t un = strlen(b->base) + strlen(path) + strlen(query) + 2;
    char *url = cfs_malloc(un, "making an S3 request");
    char *tok = cfs_malloc(strlen(g_creds.token) + 32, "making an S3 request");
    if (!url || !tok) {
        free(url);
        free(tok);
        return CFS_E_NOMEM;
    }
    snprintf(url, un, "%s%s%s%s", b->base, path, *query ? "?" : "", query);
    char hh[600], hd[64], hp[96], ha[1100], hr[96], hm[300];
    snprintf(hh, sizeof hh, "Host: %s", b->host);
    snprintf(hd, sizeof hd, "x-amz-date: %s", date);
    snprintf(hp, sizeof hp, "x-amz-content-sha256: %s", EMPTY_SHA256);
    snprintf(ha, sizeof ha, "Authorization: %s", auth);
    struct curl_slist *hl = NULL;
    hl = cfs_curl.slist_append(hl, hh);
    hl = cfs_curl.slist_append(hl, hd);
    hl = cfs_curl.slist_append(hl, hp);
    hl = cfs_curl.slist_append(hl, ha);
    if (g_creds.token[0]) {
        sprintf(tok, "x-amz-security-token: %s", g_creds.token);
        hl = cfs_curl.slist_append(hl, tok);
    }
    if (range) {
        snprintf(hr, sizeof hr, "Range: %s", range);
        hl = cfs_curl.slist_append(hl, hr);
    }
    if (if_match) {
        snprintf(hm, sizeof hm, "If-Match: \"%s\"", if_match);
        hl = cfs_curl.slist_append(hl, hm);
    }
    hl = cfs_curl.slist_append(hl, "Accept:"); /* not signed: sent as little as possible */
    cfs_curl.easy_reset(h);
    cfs_curl.easy_setopt(h, CURLOPT_URL, url);
    /* a key is opaque: "a/../b" and "a/./b" are keys of their own, and the path signed
     * (SigV4's canonical URI) is the one sent; libcurl would squash the dot segments */
    cfs_curl.easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
    cfs_curl.easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    if (!strcmp(method, "HEAD")) {
        cfs_curl.easy_setopt(h, CURLOPT_NOBODY, 1L);
        /* the one HEAD is the question of the bucket's region (probe_region), asked also
         * when a region is configured: a server that does not answer it costs 5 s, not
         * the 30 s stall limit */
        cfs_curl.easy_setopt(h, CURLOPT_TIMEOUT, 5L);
    }
    cfs_curl.easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    cfs_curl.easy_setopt(h, CURLOPT_WRITEDATA, s);
    cfs_curl.easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    cfs_curl.easy_setopt(h, CURLOPT_HEADERDATA, s);
    cfs_curl.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    cfs_curl.easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
    /* a stalled transfer (under 1 KB/s for 30 s) is a connection error, retried */
    cfs_curl.easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    cfs_curl.easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 30L);
    cfs_curl.easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    cfs_curl.easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    CURLcode rc = cfs_curl.easy_perform(h);
    s->curl_rc = (int)rc;
    cfs_curl.slist_free_all(hl);
    memset(ha, 0, sizeof ha);
    memset(tok, 0, strlen(g_creds.token) + 32);
    free(tok);
    free(url);
    return rc == CURLE_OK ? CFS_OK : CFS_E_IO;
}

/* "<Code>" and "<Message>" of an S3 error document, as "Code: Message", into out. */
static void error_doc(const char *body, char *out, size_t n);

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && !cfs_stop_requested()) {}
}

/* A request with retries.  expect: the body length a GET must have (UINT64_MAX: any). */
static cfs_status s3_request(CURL *h, const s3_bucket *b, const char *path, const char *query,
                             const char *range, const char *if_match, sink *s, uint64_t expect, char *err,
                             size_t errlen)
{
    char msg[600] = "";
    for (int t = 1;; t++) {
        /* asked to stop: no new request, no retry */
        if (cfs_stop_requested()) {
            snprintf(err, errlen, "interrupted");
            return CFS_E_INTERRUPTED;
        }
        s->len = 0;
        s->elen = 0;
        s->ebody[0] = 0;
        s->etag[0] = 0;
        s->overflow = 0;
        s->h = h;
        cfs_status st = s3_request_raw(h, b, b->region, "GET", path, query, range, if_match, s);
        if (st == CFS_E_NOMEM || cfs_nomem_failed()) {
            snprintf(err, errlen, "out of memory");
            return CFS_E_NOMEM;
        }
        long code = 0;
        cfs_curl.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        int retry = 0;
        if (s->overflow) {
            snprintf(msg, sizeof msg, "HTTP %ld: the body is longer than the %" PRIu64 " bytes asked for",
                     code, expect);
        } else if (st != CFS_OK) {
            /* connection refused or reset, a transfer cut short (CURLE_PARTIAL_FILE), a stall */
            if (code >= 200 && code < 300 && expect != UINT64_MAX)
                snprintf(msg, sizeof msg,
                         "HTTP %ld: connection lost after %" PRIu64 " of %" PRIu64 " bytes (%s)", code,
                         (uint64_t)s->len, expect, cfs_curl.easy_strerror((CURLcode)s->curl_rc));
            else
                snprintf(msg, sizeof msg, "connection error: %s",
                         cfs_curl.easy_strerror((CURLcode)s->curl_rc));
            retry = 1;
        } else if (code >= 200 && code < 300 && if_match && s->etag[0] && strcmp(s->etag, if_match) != 0) {
            /* A store that ignores If-Match (AWS answers 412) sent another version of the
             * object than the one listed: its parts would mix two versions.  Not retried:
             * the object changed. */
            snprintf(msg, sizeof msg,
                     "HTTP %ld: the object changed since it was listed (ETag \"%.60s\", listed \"%.60s\")",
                     code, s->etag, if_match);
        } else if (code >= 200 && code < 300) {
            if (expect == UINT64_MAX || s->len == expect) return CFS_OK;
            snprintf(msg, sizeof msg, "HTTP %ld: short body, %" PRIu64 " of %" PRIu64 " bytes", code,
                     (uint64_t)s->len, expect);
            retry = 1;
        } else {
            char doc[400];
            error_doc(s->ebody, doc, sizeof doc);
            snprintf(msg, sizeof msg, "HTTP %ld%s%s", code, doc[0] ? " " : "", doc);
            retry = code >= 500 || code == 429 || strstr(doc, "SlowDown") != NULL;
        }
        if (cfs_stop_requested()) { /* the transfer may have been ended for it */
            snprintf(err, errlen, "interrupted");
            return CFS_E_INTERRUPTED;
        }
        if (!retry || t == CFS_S3_TRIES) {
            snprintf(err, errlen, "%s (%d tr%s)", msg, t, t == 1 ? "y" : "ies");
            return CFS_E_IO;
        }
        sleep_ms((long)CFS_S3_BACKOFF_MS << (t - 1));
    }
}

/* ---- a minimal XML reader ------------------------------------------------------------------ */
/* The text of the first <tag>...</tag> in [s, end), entity-decoded, malloc'd; NULL when
 * absent (or out of memory, recorded). */
static char *xml_text(const char *s, const char *end, const char *tag)
{
    char open[64], close[64];
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    size_t ol = strlen(open), cl = strlen(close);
    const char *a = NULL;
    for (const char *p = s; p + ol <= end; p++)
        if (*p == '<' && memcmp(p, open, ol) == 0) {
            a = p + ol;
            break;
        }
    if (!a) return NULL;
    const char *z = NULL;
    for (const char *p = a; p + cl <= end; p++)
        if (*p == '<' && memcmp(p, close, cl) == 0) {
            z = p;
            break;
        }
    if (!z) return NULL;
    char *o = cfs_malloc((size_t)(z - a) + 1, "reading an S3 listing");
    if (!o) return NULL;
    size_t n = 0;
    for (const char *p = a; p < z;) {
        if (*p != '&') {
            o[n++] = *p++;
            continue;
        }
        const char *semi = memchr(p, ';', (size_t)(z - p));
        size_t el = semi ? (size_t)(semi - p) + 1 : 0;
        if (el == 5 && !memcmp(p, "&amp;", 5)) o[n++] = '&';
        else if (el == 4 && !memcmp(p, "&lt;", 4)) o[n++] = '<';
        else if (el == 4 && !memcmp(p, "&gt;", 4)) o[n++] = '>';
        else if (el == 6 && !memcmp(p, "&quot;", 6)) o[n++] = '"';
        else if (el == 6 && !memcmp(p, "&apos;", 6)) o[n++] = '\'';
        else if (el > 3 && el < 12 && p[1] == '#') {
            char num[12];
            memcpy(num, p + 2, el - 3);
            num[el - 3] = 0;
            char *e;
            unsigned long c = num[0] == 'x' || num[0] == 'X' ? strtoul(num + 1, &e, 16)
                                                             : strtoul(num, &e, 10);
            /* a reference is never longer than its UTF-8 bytes: &#1; is 4 bytes, UTF-8 at most 4 */
            if (*e || c == 0 || c > 0x10FFFF) {
                o[n++] = '&';
                p++;
                continue;
            }
            n += cfs_utf8_put(o + n, (uint32_t)c);
        } else {
            o[n++] = '&'; /* not an entity we know: kept as it is */
            p++;
            continue;
        }
        p += el;
    }
    o[n] = 0;
    return o;
}

static void error_doc(const char *body, char *out, size_t n)
{
    out[0] = 0;
    const char *end = body + strlen(body);
    char *code = xml_text(body, end, "Code"), *msg = xml_text(body, end, "Message");
    if (code) snprintf(out, n, "%s%s%s", code, msg ? ": " : "", msg ? msg : "");
    /* an error document holds no printable control bytes worth keeping */
    for (char *p = out; *p; p++)
        if ((unsigned char)*p < 0x20) *p = ' ';
    free(code);
    free(msg);
}

/* ---- listing ----------------------------------------------------------------------------- */
struct cfs_s3_lister {
    const s3_bucket *b;
    char *bucket, *prefix;
    CURL *h;
    sink s;
    char *token; /* NextContinuationToken of the page held, NULL when it was the last */
    int have_page;
    size_t pos; /* where the next <Contents> is looked for in the page */
    unsigned max_keys;
};

cfs_status cfs_s3_list_open(cfs_s3_lister **out, const char *url, char *err, size_t errlen)
{
    *out = NULL;
    cfs_s3_lister *l = cfs_calloc(1, sizeof *l, "listing an S3 prefix");
    if (!l) {
        snprintf(err, errlen, "out of memory");
        return CFS_E_NOMEM;
    }
    cfs_status st = cfs_s3_parse_url(url, &l->bucket, &l->prefix, err, errlen);
    if (st == CFS_OK) st = bucket_get(l->bucket, &l->b, err, errlen);
    if (st == CFS_OK && !(l->h = cfs_curl.easy_init())) {
        snprintf(err, errlen, "cannot start a libcurl handle");
        st = CFS_E_IO;
    }
    if (st != CFS_OK) {
        cfs_s3_list_close(l);
        return st;
    }
    l->s.grow = 1;
    l->max_keys = 1000;
    const char *mk = getenv("CFS_S3_PAGE_KEYS"); /* test hook: pages of fewer keys */
    if (mk && atoi(mk) > 0 && atoi(mk) < 1000) l->max_keys = (unsigned)atoi(mk);
    *out = l;
    return CFS_OK;
}

static int fetch_page(cfs_s3_lister *l, char *err, size_t errlen)
{
    /* the canonical query: parameters sorted by name, values URI-encoded */
    size_t pl = strlen(l->prefix), tl = l->token ? strlen(l->token) : 0;
    size_t qn = 3 * (pl + tl) + 128;
    char *q = cfs_malloc(qn, "listing an S3 prefix"), *ep = cfs_malloc(3 * pl + 1, "listing an S3 prefix"),
         *et = cfs_malloc(3 * tl + 1, "listing an S3 prefix");
    int rc = -1;
    if (!q || !ep || !et || cfs_s3_uri_encode(l->prefix, 0, ep, 3 * pl + 1) != 0 ||
        cfs_s3_uri_encode(l->token ? l->token : "", 0, et, 3 * tl + 1) != 0) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    snprintf(q, qn, "%s%s%slist-type=2&max-keys=%u&prefix=%s", l->token ? "continuation-token=" : "",
             l->token ? et : "", l->token ? "&" : "", l->max_keys, ep);
    char path[sizeof l->b->pathpre + 2];
    snprintf(path, sizeof path, "%s/", l->b->pathpre);
    if (s3_request(l->h, l->b, path, q, NULL, NULL, &l->s, UINT64_MAX, err, errlen) != CFS_OK) goto out;
    const char *body = l->s.data ? l->s.data : "", *end = body + l->s.len;
    /* A 200 that is no ListObjectsV2 answer (a web page at the endpoint's port, a captive
     * proxy) would read as a prefix without objects: it is an error of the listing. */
    if (!memmem(body, (size_t)(end - body), "<ListBucketResult", 17)) {
        snprintf(err, errlen,
                 "listing: the answer is not an S3 listing (no ListBucketResult; is %s an S3 endpoint?)",
                 l->b->base);
        goto out;
    }
    char *trunc = xml_text(body, end, "IsTruncated");
    free(l->token);
    l->token = NULL;
    if (trunc && !strcmp(trunc, "true")) {
        l->token = xml_text(body, end, "NextContinuationToken");
        if (!l->token) {
            snprintf(err, errlen, "listing: a truncated page without NextContinuationToken");
            free(trunc);
            goto out;
        }
    }
    free(trunc);
    l->have_page = 1;
    l->pos = 0;
    rc = 0;
out:
    free(q);
    free(ep);
    free(et);
    return rc;
}

static int64_t parse_mtime(const char *s)
{
    /* "2026-11-01T10:00:00.000Z" */
    int64_t t;
    if (!s || strlen(s) < 19 || s[10] != 'T' || cfs_parse_date_time(s, 10, s + 11, 8, &t) != 0) return 0;
    return t;
}

int cfs_s3_list_next(cfs_s3_lister *l, cfs_s3_entry *e, char *err, size_t errlen)
{
    memset(e, 0, sizeof e[0]);
    for (;;) {
        if (!l->have_page) {
            if (fetch_page(l, err, errlen) != 0) return -1;
        }
        const char *body = l->s.data ? l->s.data : "", *end = body + l->s.len;
        const char *c = l->pos < l->s.len ? strstr(body + l->pos, "<Contents>") : NULL;
        const char *ce = c ? strstr(c, "</Contents>") : NULL;
        if (!c || !ce || ce > end) {
            if (!l->token) return 0;
            l->have_page = 0;
            continue;
        }
        l->pos = (size_t)(ce - body) + 11;
        char *key = xml_text(c, ce, "Key"), *size = xml_text(c, ce, "Size"), *etag = xml_text(c, ce, "ETag"),
             *lm = xml_text(c, ce, "LastModified");
        int ok = key && size && *key;
        if (ok && key[strlen(key) - 1] == '/') ok = 0; /* a "folder" marker, not an object */
        if (ok) {
            size_t un = strlen(l->bucket) + strlen(key) + 7;
            e->url = cfs_malloc(un, "listing an S3 prefix");
            if (e->url) snprintf(e->url, un, "s3://%s/%s", l->bucket, key);
            e->size = strtoull(size, NULL, 10);
            e->mtime = parse_mtime(lm);
            if (etag) { /* quoted in the listing */
                size_t n = strlen(etag);
                char *p = etag;
                if (n >= 2 && p[0] == '"' && p[n - 1] == '"') {
                    p[n - 1] = 0;
                    p++;
                }
                e->etag = cfs_strdup(p, "listing an S3 prefix");
            }
        }
        free(key);
        free(size);
        free(etag);
        free(lm);
        if (!ok) continue;
        if (!e->url) {
            free(e->etag);
            e->etag = NULL;
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        return 1;
    }
}

void cfs_s3_list_close(cfs_s3_lister *l)
{
    if (!l) return;
    if (l->h) cfs_curl.easy_cleanup(l->h);
    free(l->s.data);
    free(l->token);
    free(l->bucket);
    free(l->prefix);
    free(l);
}

/* ---- reading an object ------------------------------------------------------------------- */
struct cfs_s3_obj {
    const s3_bucket *b;
    char *path; /* /bucket/key or /key, encoded */
    char *etag;
    uint64_t size, off; /* off: where the next part starts */
    CURL *h;
    sink s; /* s.data: the part buffer */
    size_t part, pos;
};

cfs_status cfs_s3_obj_open(cfs_s3_obj **out, const char *url, uint64_t size, const char *etag, char *err,
                           size_t errlen)
{
    *out = NULL;
    char *bucket = NULL, *key = NULL;
    CFS_FORWARD_IF_ERROR(cfs_s3_parse_url(url, &bucket, &key, err, errlen));
    cfs_s3_obj *o = cfs_calloc(1, sizeof *o, "reading an S3 object");
    cfs_status st = o ? bucket_get(bucket, &o->b, err, errlen) : CFS_E_NOMEM;
    if (st == CFS_OK) {
        size_t n = strlen(o->b->pathpre) + 3 * strlen(key) + 2;
        o->path = cfs_malloc(n, "reading an S3 object");
        if (!o->path) st = CFS_E_NOMEM;
        else {
            size_t k = (size_t)snprintf(o->path, n, "%s/", o->b->pathpre);
            st = cfs_s3_uri_encode(key, 1, o->path + k, n - k) == 0 ? CFS_OK : CFS_E_NOMEM;
        }
    }
    if (st == CFS_OK && etag && *etag && !(o->etag = cfs_strdup(etag, "reading an S3 object")))
        st = CFS_E_NOMEM;
    if (st == CFS_OK) {
        o->size = size;
        o->part = CFS_S3_PART;
        const char *ps = getenv("CFS_S3_PART_SIZE"); /* test hook: small parts */
        if (ps && strtoull(ps, NULL, 10) >= 4096) o->part = (size_t)strtoull(ps, NULL, 10);
        if ((uint64_t)o->part > size) o->part = size ? (size_t)size : 1;
        o->s.data = cfs_malloc(o->part, "an S3 read buffer");
        o->s.cap = o->part;
        o->h = cfs_curl.easy_init();
        if (!o->s.data) st = CFS_E_NOMEM;
        else if (!o->h) st = CFS_E_IO;
    }
    if (st == CFS_E_NOMEM) snprintf(err, errlen, "out of memory");
    else if (st == CFS_E_IO && o && o->b && !o->h) snprintf(err, errlen, "cannot start a libcurl handle");
    free(bucket);
    free(key);
    if (st != CFS_OK) {
        cfs_s3_obj_close(o);
        return st;
    }
    *out = o;
    return CFS_OK;
}

ssize_t cfs_s3_obj_read(cfs_s3_obj *o, void *buf, size_t n, char *err, size_t errlen)
{
    if (o->pos == o->s.len) {
        if (o->off >= o->size) return 0;
        uint64_t want = o->size - o->off < o->part ? o->size - o->off : o->part;
        char range[96];
        snprintf(range, sizeof range, "bytes=%" PRIu64 "-%" PRIu64, o->off, o->off + want - 1);
        o->pos = 0;
        if (s3_request(o->h, o->b, o->path, "", range, o->etag, &o->s, want, err, errlen) != CFS_OK) {
            o->s.len = 0;
            return -1;
        }
        o->off += want;
    }
    size_t k = o->s.len - o->pos < n ? o->s.len - o->pos : n;
    memcpy(buf, o->s.data + o->pos, k);
    o->pos += k;
    return (ssize_t)k;
}

void cfs_s3_obj_close(cfs_s3_obj *o)
{
    if (!o) return;
    if (o->h) cfs_curl.easy_cleanup(o->h);
    free(o->s.data);
    free(o->path);
    free(o->etag);
    free(o);
}
