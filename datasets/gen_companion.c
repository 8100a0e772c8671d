/* datasets/gen_companion.c: the files written beside the logs: labels.tsv (the true cause
 * of every 403), expected.json (the generator's own counts), config/DISTID.json (one
 * `aws cloudfront get-distribution` document per distribution) and waf/ (AWS WAF log
 * records, one gzip file per day), with the small JSON writer they share. */
#include <errno.h>
#include <inttypes.h>

#include "datasets/gen.h"

/* ===================================================================================== */
/* JSON writing (configs, expected.json, WAF records)                                     */
/* ===================================================================================== */

typedef struct jw {
    buf_t *b;
    int pretty, depth;
    int first[32];
    int after_key;
} jw_t;

static void jw_nl(jw_t *w)
{
    if (!w->pretty) return;
    buf_putc(w->b, '\n');
    for (int i = 0; i < w->depth; i++) buf_put(w->b, "  ", 2);
}
static void jw_sep(jw_t *w)
{
    if (w->after_key) {
        w->after_key = 0;
        return;
    }
    if (w->depth > 0) {
        if (!w->first[w->depth]) buf_putc(w->b, ',');
        w->first[w->depth] = 0;
        jw_nl(w);
    }
}
static void jw_rawstr(jw_t *w, const char *s, size_t n)
{
    buf_reserve(w->b, n * 6 + 2);
    char *o = w->b->p + w->b->n;
    *o++ = '"';
    size_t run = 0; /* bytes that need no escape, copied in one go */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            run++;
            continue;
        }
        memcpy(o, s + i - run, run);
        o += run;
        run = 0;
        if (c == '"' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
        } else {
            static const char HX[] = "0123456789abcdef";
            memcpy(o, "\\u00", 4);
            o[4] = HX[c >> 4];
            o[5] = HX[c & 15];
            o += 6;
        }
    }
    memcpy(o, s + n - run, run);
    o += run;
    *o++ = '"';
    w->b->n = (size_t)(o - w->b->p);
}
static void jw_key(jw_t *w, const char *k)
{
    jw_sep(w);
    jw_rawstr(w, k, strlen(k));
    buf_puts(w->b, w->pretty ? ": " : ":");
    w->after_key = 1;
}
static void jw_open(jw_t *w, char c)
{
    jw_sep(w);
    buf_putc(w->b, c);
    w->depth++;
    w->first[w->depth] = 1;
}
static void jw_close(jw_t *w, char c)
{
    int empty = w->first[w->depth];
    w->depth--;
    if (!empty) jw_nl(w);
    buf_putc(w->b, c);
}
static void jw_str(jw_t *w, const char *s)
{
    jw_sep(w);
    jw_rawstr(w, s, strlen(s));
}
static void jw_sv(jw_t *w, sv s)
{
    jw_sep(w);
    jw_rawstr(w, s.p, s.n);
}
static void jw_u64(jw_t *w, uint64_t v)
{
    jw_sep(w);
    char tmp[24];
    buf_put(w->b, tmp, (size_t)(put_u64(tmp, v) - tmp));
}
static void jw_bool(jw_t *w, int v)
{
    jw_sep(w);
    buf_puts(w->b, v ? "true" : "false");
}
static void jw_null(jw_t *w)
{
    jw_sep(w);
    buf_puts(w->b, "null");
}
static void jw_kstr(jw_t *w, const char *k, const char *v)
{
    jw_key(w, k);
    jw_str(w, v);
}
static void jw_ku64(jw_t *w, const char *k, uint64_t v)
{
    jw_key(w, k);
    jw_u64(w, v);
}
static void jw_ksv(jw_t *w, const char *k, sv v)
{
    jw_key(w, k);
    jw_sv(w, v);
}
static void jw_kbool(jw_t *w, const char *k, int v)
{
    jw_key(w, k);
    jw_bool(w, v);
}
/* {"Quantity":0} */
static void jw_kempty(jw_t *w, const char *k)
{
    jw_key(w, k);
    jw_open(w, '{');
    jw_ku64(w, "Quantity", 0);
    jw_close(w, '}');
}
/* "k": {"Enabled": false, "Quantity": 0} */
static void jw_kdisabled(jw_t *w, const char *k)
{
    jw_key(w, k);
    jw_open(w, '{');
    jw_kbool(w, "Enabled", 0);
    jw_ku64(w, "Quantity", 0);
    jw_close(w, '}');
}
/* "k": [] */
static void jw_kemptylist(jw_t *w, const char *k)
{
    jw_key(w, k);
    jw_open(w, '[');
    jw_close(w, ']');
}
static void jw_kstrlist(jw_t *w, const char *k, const char *const *items, size_t n)
{
    jw_key(w, k);
    jw_open(w, '[');
    for (size_t i = 0; i < n; i++) jw_str(w, items[i]);
    jw_close(w, ']');
}

/* ===================================================================================== */
/* AWS WAF log records (shape of an AWS WAF log for a CloudFront web ACL, §5.3)            */
/* ===================================================================================== */

/* {"name":NAME,"value":VALUE}, one request header */
static void waf_header(jw_t *w, const char *name, sv value)
{
    jw_open(w, '{');
    jw_kstr(w, "name", name);
    jw_ksv(w, "value", value);
    jw_close(w, '}');
}

/* The request as WAF saw it: the viewer's own query (not the log's re-encoded one) and
 * the decoded user agent. */
static void waf_http_request(jw_t *w, const line_t *L)
{
    jw_open(w, '{');
    jw_ksv(w, "clientIp", L->v[F_C_IP]);
    jw_ksv(w, "country", L->country);
    jw_key(w, "headers");
    jw_open(w, '[');
    waf_header(w, "host", L->v[F_HOSTHDR]);
    waf_header(w, "user-agent", L->raw_ua);
    waf_header(w, "accept", SV("*/*"));
    jw_close(w, ']');
    jw_ksv(w, "uri", L->v[F_URI]);
    jw_ksv(w, "args", L->raw_query);
    jw_ksv(w, "httpVersion", L->v[F_PROTOVER]);
    jw_ksv(w, "httpMethod", L->v[F_METHOD]);
    jw_ksv(w, "requestId", L->v[F_REQID]);
    jw_kstr(w, "fragment", "");
    jw_ksv(w, "scheme", L->v[F_PROTO]);
    jw_ksv(w, "host", L->v[F_HOSTHDR]);
    jw_close(w, '}');
}

void cfs_gen_waf_record(job_t *J, const fctx_t *F, const line_t *L, int action, rng_t *r)
{
    int block = action == WA_BLOCK;
    const dist_t *D = F->D;
    /* WAF evaluates when the request arrives; the log line's time is when the response
     * ended, so the record is up to ~2 s earlier. */
    int64_t ts_ms = L->ts * 1000 + L->ms - rng_below(r, 2000);
    size_t start = J->waf.n;
    jw_t w = {.b = &J->waf};
    jw_open(&w, '{');
    jw_ku64(&w, "timestamp", (uint64_t)ts_ms);
    jw_ku64(&w, "formatVersion", 1);
    jw_kstr(&w, "webaclId", D->webacl_arn);
    const waf_rule *rule = !block                   ? NULL
                           : L->waf_rule < NWAFRULE ? &cfs_gen_waf_rules[L->waf_rule]
                                                    : &cfs_gen_plant_waf_rule;
    static const char *const action_name[] = {"ALLOW", "BLOCK", "CAPTCHA", "CHALLENGE"};
    static const char *const other_rule[] = {"Default_Action", "", "CaptchaSensitivePaths",
                                             "ChallengeAutomatedClients"};
    jw_kstr(&w, "terminatingRuleId", block ? rule->id : other_rule[action]);
    jw_kstr(&w, "terminatingRuleType", block ? rule->type : "REGULAR");
    jw_kstr(&w, "action", action_name[action]);
    jw_kemptylist(&w, "terminatingRuleMatchDetails");
    jw_kstr(&w, "httpSourceName", "CF");
    jw_kstr(&w, "httpSourceId", D->id);
    if (block && rule->group) {
        /* the group's entry, whose terminatingRule names the rule in it that blocked:
         * one of the group's rules by the request id's first byte, which draws nothing
         * from r, so adding it left every other generated byte as it was */
        const sv rid = L->v[F_REQID];
        size_t n = 0;
        while (n < 3 && rule->inner[n]) n++;
        const char *inner = rule->inner[rid.n ? (unsigned char)rid.p[0] % n : 0];
        jw_key(&w, "ruleGroupList");
        jw_open(&w, '[');
        jw_open(&w, '{');
        jw_kstr(&w, "ruleGroupId", rule->group);
        jw_key(&w, "terminatingRule");
        jw_open(&w, '{');
        jw_kstr(&w, "ruleId", inner);
        jw_kstr(&w, "action", "BLOCK");
        jw_key(&w, "ruleMatchDetails");
        jw_null(&w);
        jw_close(&w, '}');
        jw_kemptylist(&w, "nonTerminatingMatchingRules");
        jw_key(&w, "excludedRules");
        jw_null(&w);
        jw_close(&w, '}');
        jw_close(&w, ']');
    } else {
        jw_kemptylist(&w, "ruleGroupList");
    }
    jw_kemptylist(&w, "rateBasedRuleList");
    jw_kemptylist(&w, "nonTerminatingMatchingRules");
    jw_key(&w, "requestHeadersInserted");
    jw_null(&w);
    jw_key(&w, "responseCodeSent");
    if (block && L->waf_code403) jw_u64(&w, 403); /* a custom response (its code and body are the rule's) */
    else jw_null(&w);
    jw_key(&w, "httpRequest");
    waf_http_request(&w, L);
    jw_key(&w, "labels");
    jw_open(&w, '[');
    if (block && !strcmp(rule->type, "MANAGED_RULE_GROUP")) {
        jw_open(&w, '{');
        jw_key(&w, "name");
        char lab[128];
        snprintf(lab, sizeof lab, "awswaf:managed:aws:%s", rule->id + 4);
        jw_str(&w, lab);
        jw_close(&w, '}');
    }
    jw_close(&w, ']');
    if (action == WA_CAPTCHA || action == WA_CHALLENGE) {
        /* what the viewer got: the CAPTCHA puzzle (405) or the silent challenge (202) */
        jw_key(&w, action == WA_CAPTCHA ? "captchaResponse" : "challengeResponse");
        jw_open(&w, '{');
        jw_ku64(&w, "responseCode", action == WA_CAPTCHA ? 405 : 202);
        jw_kstr(&w, "failureReason", "TOKEN_MISSING");
        jw_close(&w, '}');
    }
    jw_close(&w, '}');
    buf_putc(&J->waf, '\n');
    if (J->nwr == J->capwr) {
        J->capwr = J->capwr ? J->capwr * 2 : 16;
        J->wr = realloc(J->wr, J->capwr * sizeof *J->wr);
        if (!J->wr) die_nomem();
    }
    J->wr[J->nwr++] = (wrec_t){ts_ms, start, (uint32_t)(J->waf.n - start)};
}

/* ===================================================================================== */
/* outputs after generation                                                               */
/* ===================================================================================== */

static int write_buf_path(const char *dir, const char *name, const buf_t *b)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (cfs_gen_write_file(path, b->p, b->n)) {
        fprintf(stderr, "cfsgen: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* What expected.json reports: the sum of every job's counts. */
typedef struct totals {
    uint64_t st[NSTATUS], cause[NCAUSE], edge[NEDGE];
    uint64_t *bydist;
    uint64_t lines, rej_binary, rej_short, rej_long, rej_nohdr;
    uint64_t *hidden; /* per distribution: 403s remapped by CustomErrorResponses */
    const char **damaged;
    size_t ndam;
} totals_t;

static void totals_sum(const world_t *W, const plan_t *P, totals_t *t)
{
    memset(t, 0, sizeof *t);
    t->bydist = calloc(W->o->dists, sizeof *t->bydist);
    t->hidden = calloc(W->o->dists, sizeof *t->hidden);
    if (!t->hidden) die_nomem();
    t->damaged = malloc((P->n + 1) * sizeof *t->damaged);
    if (!t->bydist || !t->damaged) die_nomem();
    for (size_t i = 0; i < P->n; i++) {
        const job_t *J = &P->j[i];
        for (int s = 0; s < NSTATUS; s++) t->st[s] += J->st[s];
        for (int c = 0; c < NCAUSE; c++) t->cause[c] += J->cause[c];
        for (uint32_t e = 0; e < NEDGE; e++) t->edge[e] += J->edge[e];
        t->bydist[J->dist] += J->lines;
        t->hidden[J->dist] += J->hidden403;
        t->lines += J->lines;
        t->rej_binary += J->rej_binary;
        t->rej_short += J->rej_short;
        t->rej_long += J->rej_long;
        t->rej_nohdr += J->rej_nohdr;
        if (J->damaged) t->damaged[t->ndam++] = J->name;
    }
    qsort(t->damaged, t->ndam, sizeof *t->damaged, cmp_str);
}

typedef struct named_count {
    const char *name;
    uint64_t n;
} named_count;

static int cmp_named(const void *a, const void *b)
{
    return strcmp(((const named_count *)a)->name, ((const named_count *)b)->name);
}

/* "k": {name: count, ...} with the non-zero counts of v[0..n), in name order (names are
 * unique); v is reordered. */
static void jw_kcounts(jw_t *w, const char *k, named_count *v, size_t n)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i].n) v[m++] = v[i];
    qsort(v, m, sizeof *v, cmp_named);
    jw_key(w, k);
    jw_open(w, '{');
    for (size_t i = 0; i < m; i++) jw_ku64(w, v[i].name, v[i].n);
    jw_close(w, '}');
}

/* The by_* objects: causes, distributions, edges and statuses by name. */
static void expected_by(jw_t *w, const world_t *W, const totals_t *t)
{
    uint32_t nd = W->o->dists;
    named_count *v = malloc((nd + NEDGE + NCAUSE + NSTATUS) * sizeof *v);
    if (!v) die_nomem();
    for (int c = 1; c < NCAUSE; c++) v[c - 1] = (named_count){cfs_gen_cause_name[c], t->cause[c]};
    jw_kcounts(w, "by_cause", v, NCAUSE - 1);
    for (uint32_t d = 0; d < nd; d++) v[d] = (named_count){W->dist[d].id, t->bydist[d]};
    jw_kcounts(w, "by_distribution", v, nd);
    for (uint32_t e = 0; e < NEDGE; e++) v[e] = (named_count){cfs_gen_edges[e].code, t->edge[e]};
    jw_kcounts(w, "by_edge", v, NEDGE);
    for (int s = 0; s < NSTATUS; s++) v[s] = (named_count){cfs_gen_status_str[s], t->st[s]};
    jw_kcounts(w, "by_status", v, NSTATUS);
    free(v);
}

int cfs_gen_write_expected(const world_t *W, const plan_t *P)
{
    totals_t t;
    totals_sum(W, P, &t);
    /* keys sorted: by_cause, by_distribution, by_edge, by_status, damaged_files, files, lines, rejected */
    buf_t b = {0};
    jw_t w = {.b = &b, .pretty = 1};
    jw_open(&w, '{');
    expected_by(&w, W, &t);
    jw_kstrlist(&w, "damaged_files", t.damaged, t.ndam);
    jw_ku64(&w, "files", P->n);
    if (W->o->situations) {
        /* every distribution, zeros included: what cfscan's per-distribution hidden_403 says */
        jw_key(&w, "hidden_403");
        jw_open(&w, '{');
        named_count *v = malloc(W->o->dists * sizeof *v);
        if (!v) die_nomem();
        for (uint32_t d = 0; d < W->o->dists; d++) v[d] = (named_count){W->dist[d].id, t.hidden[d]};
        qsort(v, W->o->dists, sizeof *v, cmp_named);
        for (uint32_t d = 0; d < W->o->dists; d++) jw_ku64(&w, v[d].name, v[d].n);
        free(v);
        jw_close(&w, '}');
    }
    jw_ku64(&w, "lines", t.lines);
    jw_key(&w, "rejected");
    jw_open(&w, '{');
    jw_ku64(&w, "binary", t.rej_binary);
    jw_ku64(&w, "line_too_long", t.rej_long);
    jw_ku64(&w, "no_header", t.rej_nohdr);
    jw_ku64(&w, "too_few_fields", t.rej_short);
    jw_close(&w, '}');
    jw_close(&w, '}');
    buf_putc(&b, '\n');
    int rc = write_buf_path(W->o->out, "expected.json", &b);
    buf_free(&b);
    free(t.bydist);
    free(t.hidden);
    free(t.damaged);
    return rc;
}

static void jw_methods(jw_t *w, int which)
{
    /* AllowedMethods as `aws cloudfront get-distribution` prints them */
    static const char *const gh[] = {"HEAD", "GET"};
    static const char *const gho[] = {"HEAD", "GET", "OPTIONS"};
    static const char *const all[] = {"HEAD", "DELETE", "POST", "GET", "OPTIONS", "PUT", "PATCH"};
    const char *const *items = which == 0 ? gh : which == 1 ? gho : all;
    size_t n = which == 0 ? 2 : which == 1 ? 3 : 7;
    jw_key(w, "AllowedMethods");
    jw_open(w, '{');
    jw_ku64(w, "Quantity", n);
    jw_kstrlist(w, "Items", items, n);
    jw_key(w, "CachedMethods");
    jw_open(w, '{');
    jw_ku64(w, "Quantity", which == 1 ? 3 : 2);
    jw_kstrlist(w, "Items", which == 1 ? gho : gh, which == 1 ? 3 : 2);
    jw_close(w, '}');
    jw_close(w, '}');
}

enum { FN_NONE, FN_CLOUDFRONT, FN_LAMBDA };

/* "LambdaFunctionAssociations" and "FunctionAssociations" of a behavior: edge-function
 * puts a viewer-request CloudFront Function or Lambda@Edge function on some behaviors. */
static void jw_functions(jw_t *w, const dist_t *D, int fn)
{
    char arn[160];
    if (fn != FN_LAMBDA) {
        jw_kempty(w, "LambdaFunctionAssociations");
    } else {
        jw_key(w, "LambdaFunctionAssociations");
        jw_open(w, '{');
        jw_ku64(w, "Quantity", 1);
        jw_key(w, "Items");
        jw_open(w, '[');
        jw_open(w, '{');
        snprintf(arn, sizeof arn, "arn:aws:lambda:us-east-1:123456789012:function:example-%u-api-auth:7",
                 D->num);
        jw_kstr(w, "LambdaFunctionARN", arn);
        jw_kstr(w, "EventType", "viewer-request");
        jw_kbool(w, "IncludeBody", 0);
        jw_close(w, '}');
        jw_close(w, ']');
        jw_close(w, '}');
    }
    if (fn != FN_CLOUDFRONT) {
        jw_kempty(w, "FunctionAssociations");
    } else {
        jw_key(w, "FunctionAssociations");
        jw_open(w, '{');
        jw_ku64(w, "Quantity", 1);
        jw_key(w, "Items");
        jw_open(w, '[');
        jw_open(w, '{');
        snprintf(arn, sizeof arn, "arn:aws:cloudfront::123456789012:function/example-%u-hotlink-guard",
                 D->num);
        jw_kstr(w, "FunctionARN", arn);
        jw_kstr(w, "EventType", "viewer-request");
        jw_close(w, '}');
        jw_close(w, ']');
        jw_close(w, '}');
    }
}

static void jw_behavior(jw_t *w, const dist_t *D, const char *pattern, const char *origin, const char *vpp,
                        int restricted, int mset, int cached, int fn)
{
    jw_open(w, '{');
    if (pattern) jw_kstr(w, "PathPattern", pattern);
    jw_kstr(w, "TargetOriginId", origin);
    jw_kdisabled(w, "TrustedSigners");
    jw_key(w, "TrustedKeyGroups");
    jw_open(w, '{');
    jw_kbool(w, "Enabled", restricted);
    jw_ku64(w, "Quantity", restricted ? 1 : 0);
    if (restricted) {
        const char *kg = D->key_group_id;
        jw_kstrlist(w, "Items", &kg, 1);
    }
    jw_close(w, '}');
    jw_kstr(w, "ViewerProtocolPolicy", vpp);
    jw_methods(w, mset);
    jw_kbool(w, "SmoothStreaming", 0);
    jw_kbool(w, "Compress", 1);
    /* The CloudFront Function behind the FunctionGeneratedResponse 403s of the default and
     * /static/ behaviors is always associated; the Lambda@Edge one comes with the
     * edge-function situation. */
    jw_functions(w, D, fn == FN_CLOUDFRONT || D->sit_functions ? fn : FN_NONE);
    jw_kstr(w, "FieldLevelEncryptionId", "");
    /* AWS managed cache policies CachingOptimized / CachingDisabled */
    jw_kstr(w, "CachePolicyId",
            cached ? "658327ea-f89d-4fab-a63d-7e88639e58f6" : "4135ea2d-6df8-44a3-9df3-4b5a84be39ad");
    jw_close(w, '}');
}

/* Distribution fields around the config: id, ARN, status, domain, active key groups. */
static void config_distribution(jw_t *w, const world_t *W, const dist_t *D)
{
    char tmp[256];
    jw_kstr(w, "Id", D->id);
    snprintf(tmp, sizeof tmp, "arn:aws:cloudfront::123456789012:distribution/%s", D->id);
    jw_kstr(w, "ARN", tmp);
    jw_kstr(w, "Status", "Deployed");
    {
        char date[11];
        cfs_gen_fmt_date(date, W->o->start_day - 30 - (int64_t)D->num);
        date[10] = 0;
        snprintf(tmp, sizeof tmp, "%sT09:%02u:17.512000+00:00", date, D->num % 60);
        if (D->sit_config_newer) { /* config-newer: changed at noon of the first day */
            cfs_gen_fmt_date(date, W->o->start_day);
            snprintf(tmp, sizeof tmp, "%sT12:00:00.000000+00:00", date);
        }
        jw_kstr(w, "LastModifiedTime", tmp);
    }
    jw_ku64(w, "InProgressInvalidationBatches", 0);
    jw_kstr(w, "DomainName", D->domain);
    jw_kdisabled(w, "ActiveTrustedSigners");
    jw_key(w, "ActiveTrustedKeyGroups");
    jw_open(w, '{');
    jw_kbool(w, "Enabled", 1);
    jw_ku64(w, "Quantity", 1);
    jw_key(w, "Items");
    jw_open(w, '[');
    jw_open(w, '{');
    jw_kstr(w, "KeyGroupId", D->key_group_id);
    jw_key(w, "KeyPairIds");
    jw_open(w, '{');
    jw_ku64(w, "Quantity", 1);
    const char *kp = D->key_pair_id;
    jw_kstrlist(w, "Items", &kp, 1);
    jw_close(w, '}');
    jw_close(w, '}');
    jw_close(w, ']');
    jw_close(w, '}');
}

/* One origin: the S3 bucket (with an origin access control) or the https-only API. */
static void config_origin(jw_t *w, const dist_t *D, int s3)
{
    char tmp[256];
    jw_open(w, '{');
    jw_kstr(w, "Id", s3 ? "s3-origin" : "api-origin");
    if (s3) snprintf(tmp, sizeof tmp, "example-%u-site.s3.us-east-1.amazonaws.com", D->num);
    else snprintf(tmp, sizeof tmp, "api.example-%u.com", D->num);
    jw_kstr(w, "DomainName", tmp);
    jw_kstr(w, "OriginPath", "");
    jw_kempty(w, "CustomHeaders");
    if (s3) {
        jw_key(w, "S3OriginConfig");
        jw_open(w, '{');
        jw_kstr(w, "OriginAccessIdentity", "");
        jw_close(w, '}');
    } else {
        jw_key(w, "CustomOriginConfig");
        jw_open(w, '{');
        jw_ku64(w, "HTTPPort", 80);
        jw_ku64(w, "HTTPSPort", 443);
        jw_kstr(w, "OriginProtocolPolicy", "https-only");
        jw_key(w, "OriginSslProtocols");
        jw_open(w, '{');
        jw_ku64(w, "Quantity", 1);
        const char *tls12 = "TLSv1.2";
        jw_kstrlist(w, "Items", &tls12, 1);
        jw_close(w, '}');
        jw_ku64(w, "OriginReadTimeout", 30);
        jw_ku64(w, "OriginKeepaliveTimeout", 5);
        jw_close(w, '}');
    }
    jw_ku64(w, "ConnectionAttempts", 3);
    jw_ku64(w, "ConnectionTimeout", 10);
    jw_key(w, "OriginShield");
    jw_open(w, '{');
    jw_kbool(w, "Enabled", 0);
    jw_close(w, '}');
    jw_kstr(w, "OriginAccessControlId", s3 ? D->oac_id : "");
    jw_close(w, '}');
}

/* The default behavior and the four cache behaviors, in README order. */
static void config_behaviors(jw_t *w, const dist_t *D)
{
    char tmp[256];
    jw_key(w, "DefaultCacheBehavior");
    jw_behavior(w, D, NULL, "s3-origin", "redirect-to-https", 0, 0, 1, FN_CLOUDFRONT);
    jw_key(w, "CacheBehaviors");
    jw_open(w, '{');
    jw_ku64(w, "Quantity", 4);
    jw_key(w, "Items");
    jw_open(w, '[');
    snprintf(tmp, sizeof tmp, "%s*", D->restricted);
    jw_behavior(w, D, tmp, "s3-origin", "https-only", 1, 0, 1, FN_NONE);
    snprintf(tmp, sizeof tmp, "%s*", D->secure);
    jw_behavior(w, D, tmp, "s3-origin", "https-only", 0, 1, 0, FN_NONE);
    jw_behavior(w, D, "/api/*", "api-origin", "redirect-to-https", 0, 2, 0, FN_LAMBDA);
    jw_behavior(w, D, "/static/*", "s3-origin", "redirect-to-https", 0, 1, 1, FN_CLOUDFRONT);
    jw_close(w, ']');
    jw_close(w, '}');
}

/* Logging, certificate, geo restriction, web ACL. */
/* CustomErrorResponses: none, or (custom-error-page) the 403 entry of a custom page or of
 * a single-page app's remap to 200 /index.html */
static void config_error_responses(jw_t *w, const dist_t *D)
{
    if (!D->sit_page && !D->sit_remap) {
        jw_kempty(w, "CustomErrorResponses");
        return;
    }
    jw_key(w, "CustomErrorResponses");
    jw_open(w, '{');
    jw_ku64(w, "Quantity", 1);
    jw_key(w, "Items");
    jw_open(w, '[');
    jw_open(w, '{');
    jw_ku64(w, "ErrorCode", 403);
    jw_kstr(w, "ResponsePagePath", D->sit_remap ? "/index.html" : "/errors/403.html");
    jw_kstr(w, "ResponseCode", D->sit_remap ? "200" : "403"); /* a string in the API */
    jw_ku64(w, "ErrorCachingMinTTL", 10);
    jw_close(w, '}');
    jw_close(w, ']');
    jw_close(w, '}');
}

static void config_viewer_side(jw_t *w, const dist_t *D)
{
    char tmp[256];
    config_error_responses(w, D);
    snprintf(tmp, sizeof tmp, "example-%u (cfsgen)", D->num);
    jw_kstr(w, "Comment", tmp);
    jw_key(w, "Logging");
    jw_open(w, '{');
    jw_kbool(w, "Enabled", 1);
    jw_kbool(w, "IncludeCookies", D->cookie_logging);
    snprintf(tmp, sizeof tmp, "example-%u-logs.s3.amazonaws.com", D->num);
    jw_kstr(w, "Bucket", tmp);
    jw_kstr(w, "Prefix", "cloudfront/");
    jw_close(w, '}');
    jw_kstr(w, "PriceClass", "PriceClass_All");
    jw_kbool(w, "Enabled", 1);
    jw_key(w, "ViewerCertificate");
    jw_open(w, '{');
    jw_kbool(w, "CloudFrontDefaultCertificate", 0);
    snprintf(tmp, sizeof tmp, "arn:aws:acm:us-east-1:123456789012:certificate/%s", D->key_group_id);
    jw_kstr(w, "ACMCertificateArn", tmp);
    jw_kstr(w, "SSLSupportMethod", "sni-only");
    jw_kstr(w, "MinimumProtocolVersion", "TLSv1.2_2021");
    jw_kstr(w, "Certificate", tmp);
    jw_kstr(w, "CertificateSource", "acm");
    jw_close(w, '}');
    jw_key(w, "Restrictions");
    jw_open(w, '{');
    jw_key(w, "GeoRestriction");
    jw_open(w, '{');
    jw_kstr(w, "RestrictionType", "blacklist");
    const char *geo[8];
    uint32_t ngeo = 0;
    for (uint32_t i = 0; i < D->ngeo; i++) geo[ngeo++] = cfs_gen_blocked_countries[D->geo[i]].cc;
    /* --plant geo: the config is the distribution as it is now, restriction added */
    for (uint32_t i = 0; D->plant_geo && cfs_gen_plant_geo[i]; i++) geo[ngeo++] = cfs_gen_plant_geo[i];
    jw_ku64(w, "Quantity", ngeo);
    jw_kstrlist(w, "Items", geo, ngeo);
    jw_close(w, '}');
    jw_close(w, '}');
    jw_kstr(w, "WebACLId", D->webacl_arn);
    jw_kstr(w, "HttpVersion", "http2and3");
    jw_kbool(w, "IsIPV6Enabled", 1);
}

/* One `aws cloudfront get-distribution --id ...` document per distribution. */
static int write_config(const world_t *W, const dist_t *D, const char *dir)
{
    buf_t b = {0};
    jw_t w = {.b = &b, .pretty = 1};
    char tmp[256];
    jw_open(&w, '{');
    jw_kstr(&w, "ETag", D->etag);
    /* default-domain: `aws cloudfront get-distribution-config` prints the config alone,
     * without Id, DomainName and the Distribution wrapper */
    if (!D->sit_default_domain) {
        jw_key(&w, "Distribution");
        jw_open(&w, '{');
        config_distribution(&w, W, D);
    }
    jw_key(&w, "DistributionConfig");
    jw_open(&w, '{');
    snprintf(tmp, sizeof tmp, "cfsgen-%" PRIu64 "-%u", W->o->seed, D->num);
    jw_kstr(&w, "CallerReference", tmp);
    jw_key(&w, "Aliases");
    jw_open(&w, '{');
    jw_ku64(&w, "Quantity", 2);
    const char *al[2] = {D->alias[0], D->alias[1]};
    jw_kstrlist(&w, "Items", al, 2);
    jw_close(&w, '}');
    jw_kstr(&w, "DefaultRootObject", "index.html");
    jw_key(&w, "Origins");
    jw_open(&w, '{');
    jw_ku64(&w, "Quantity", 2);
    jw_key(&w, "Items");
    jw_open(&w, '[');
    config_origin(&w, D, 1);
    config_origin(&w, D, 0);
    jw_close(&w, ']');
    jw_close(&w, '}');
    jw_kempty(&w, "OriginGroups");
    config_behaviors(&w, D);
    config_viewer_side(&w, D);
    jw_close(&w, '}');
    if (!D->sit_default_domain) jw_close(&w, '}');
    jw_close(&w, '}');
    buf_putc(&b, '\n');
    char name[64];
    snprintf(name, sizeof name, "%s.json", D->id);
    int rc = write_buf_path(dir, name, &b);
    buf_free(&b);
    return rc;
}

/* config/DISTID.json for every distribution. */
int cfs_gen_write_configs(const world_t *W)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/config", W->o->out);
    if (cfs_gen_make_dir(dir)) {
        fprintf(stderr, "cfsgen: cannot create %s: %s\n", dir, strerror(errno));
        return -1;
    }
    int rc = 0;
    for (uint32_t d = 0; d < W->o->dists; d++)
        if (write_config(W, &W->dist[d], dir)) rc = -1;
    return rc;
}

typedef struct wref {
    int64_t ts_ms;
    const char *p;
    uint32_t len;
} wref_t;

static int cmp_wref(const void *a, const void *b)
{
    const wref_t *x = a, *y = b;
    if (x->ts_ms != y->ts_ms) return x->ts_ms < y->ts_ms ? -1 : 1;
    uint32_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->p, y->p, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* waf/waf-YYYY-MM-DD.log.gz per day, records in time order (ties by bytes: deterministic). */
static int write_waf_days(const world_t *W, const plan_t *P, const char *dir)
{
    int rc = 0;
    uint32_t days = W->o->days;
#pragma omp parallel for schedule(dynamic, 1) reduction(| : rc)
    for (uint32_t day = 0; day < days; day++) {
        size_t n = 0;
        for (size_t i = 0; i < P->n; i++)
            if (P->j[i].day == day) n += P->j[i].nwr;
        wref_t *v = malloc((n + 1) * sizeof *v);
        if (!v) die_nomem();
        size_t k = 0, bytes = 0;
        for (size_t i = 0; i < P->n; i++) {
            const job_t *J = &P->j[i];
            if (J->day != day) continue;
            for (size_t m = 0; m < J->nwr; m++) {
                v[k++] = (wref_t){J->wr[m].ts_ms, J->waf.p + J->wr[m].off, J->wr[m].len};
                bytes += J->wr[m].len;
            }
        }
        qsort(v, n, sizeof *v, cmp_wref);
        char *text = malloc(bytes + 1);
        if (!text) die_nomem();
        size_t pos = 0;
        for (size_t m = 0; m < n; m++) {
            memcpy(text + pos, v[m].p, v[m].len);
            pos += v[m].len;
        }
        struct libdeflate_compressor *c = libdeflate_alloc_compressor(3);
        if (!c) die_nomem();
        size_t bound = libdeflate_gzip_compress_bound(c, pos);
        char *out = malloc(bound);
        if (!out) die_nomem();
        size_t w = libdeflate_gzip_compress(c, text, pos, out, bound);
        char date[11], name[64];
        cfs_gen_fmt_date(date, W->o->start_day + day);
        date[10] = 0;
        snprintf(name, sizeof name, "waf-%s.log.gz", date);
        buf_t b = {out, w, bound};
        if (write_buf_path(dir, name, &b)) rc |= 1;
        libdeflate_free_compressor(c);
        free(out);
        free(text);
        free(v);
    }
    return rc ? -1 : 0;
}

/* waf/waf-YYYY-MM-DD.log.gz, one per day */
int cfs_gen_write_waf(const world_t *W, const plan_t *P)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/waf", W->o->out);
    if (cfs_gen_make_dir(dir)) {
        fprintf(stderr, "cfsgen: cannot create %s: %s\n", dir, strerror(errno));
        return -1;
    }
    return write_waf_days(W, P, dir);
}

/* labels.tsv: one row per 403 line of the good files, in file then line order; the 4th
 * column names the --situations situation of the line ("-" for ordinary ones) */
int cfs_gen_write_labels(const world_t *W, const plan_t *P)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/labels.tsv", W->o->out);
    FILE *f = fopen(path, "wb");
    int bad = !f;
    if (f) {
        fputs("request_id\tcause\tfile\tsituation\n", f);
        for (size_t i = 0; i < P->n; i++)
            if (P->j[i].labels.n && fwrite(P->j[i].labels.p, 1, P->j[i].labels.n, f) != P->j[i].labels.n)
                bad = 1;
        if (fclose(f)) bad = 1;
    }
    if (bad) {
        fprintf(stderr, "cfsgen: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}
