/* Where S3 credentials and the region come from, in the order the AWS CLI uses: the
 * environment, the shared credentials and config files (AWS_PROFILE), then the EC2
 * instance role over IMDSv2 (a session token is PUT first, then sent with each GET).
 * No value read here is ever printed: messages name the places looked at only. */
#include "pipeline/s3.h"
#include "pipeline/s3_curl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int copy(char *dst, size_t n, const char *s)
{
    size_t l = strlen(s);
    if (l >= n) return -1;
    memcpy(dst, s, l + 1);
    return 0;
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static const char *profile_name(void)
{
    const char *p = env("AWS_PROFILE");
    return p ? p : "default";
}

/* The file named by env var `var`, else ~/.aws/<name>, into out. */
static int aws_file(const char *var, const char *name, char *out, size_t n)
{
    const char *p = env(var);
    if (p) return copy(out, n, p);
    const char *home = env("HOME");
    if (!home) return -1;
    return (size_t)snprintf(out, n, "%s/.aws/%s", home, name) < n ? 0 : -1;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t l = strlen(s);
    while (l && (s[l - 1] == ' ' || s[l - 1] == '\t' || s[l - 1] == '\r' || s[l - 1] == '\n')) s[--l] = 0;
    return s;
}

/* The value of key in section [section] (or, in a config file, [profile section]) of the
 * INI file at path, into out.  0 when found. */
static int ini_get(const char *path, const char *section, int config, const char *key, char *out, size_t n)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[4352];
    int in = 0, found = -1;
    while (fgets(line, sizeof line, f)) {
        char *s = trim(line);
        if (*s == '#' || *s == ';' || !*s) continue;
        if (*s == '[') {
            char *e = strchr(s, ']');
            if (!e) continue;
            *e = 0;
            char *name = trim(s + 1);
            /* the config file names profiles "[profile NAME]", except "[default]" */
            if (config && strncmp(name, "profile ", 8) == 0) name = trim(name + 8);
            in = strcmp(name, section) == 0;
            continue;
        }
        char *eq = strchr(s, '=');
        if (!in || !eq) continue;
        *eq = 0;
        if (strcmp(trim(s), key) != 0) continue;
        found = copy(out, n, trim(eq + 1));
        break;
    }
    memset(line, 0, sizeof line);
    fclose(f);
    return found;
}

static int from_file(cfs_s3_creds *c, const char *path, int config)
{
    const char *p = profile_name();
    if (ini_get(path, p, config, "aws_access_key_id", c->access_key, sizeof c->access_key) != 0 ||
        ini_get(path, p, config, "aws_secret_access_key", c->secret_key, sizeof c->secret_key) != 0)
        return -1;
    if (ini_get(path, p, config, "aws_session_token", c->token, sizeof c->token) != 0) c->token[0] = 0;
    return 0;
}

/* ---- IMDSv2 ---- */
typedef struct mbuf {
    char p[8192];
    size_t n;
} mbuf;

static size_t mbuf_write(char *p, size_t sz, size_t nm, void *ud)
{
    mbuf *b = ud;
    size_t n = sz * nm;
    if (b->n + n >= sizeof b->p) return 0; /* metadata answers are small: more is refused */
    memcpy(b->p + b->n, p, n);
    b->n += n;
    b->p[b->n] = 0;
    return n;
}

/* One IMDS request; 0 and the body in b on HTTP 200. */
static int imds_call(const char *base, const char *path, const char *token, int put, mbuf *b)
{
    if (cfs_curl_load(NULL, 0) != 0) return -1; /* no libcurl: no instance metadata either */
    CURL *h = cfs_curl.easy_init();
    if (!h) return -1;
    char url[1024], hdr[512];
    snprintf(url, sizeof url, "%s%s", base, path);
    struct curl_slist *hl = NULL;
    if (put) {
        hl = cfs_curl.slist_append(hl, "X-aws-ec2-metadata-token-ttl-seconds: 21600");
        cfs_curl.easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
    } else if (token) {
        snprintf(hdr, sizeof hdr, "X-aws-ec2-metadata-token: %s", token);
        hl = cfs_curl.slist_append(hl, hdr);
    }
    b->n = 0;
    b->p[0] = 0;
    cfs_curl.easy_setopt(h, CURLOPT_URL, url);
    cfs_curl.easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    cfs_curl.easy_setopt(h, CURLOPT_WRITEFUNCTION, mbuf_write);
    cfs_curl.easy_setopt(h, CURLOPT_WRITEDATA, b);
    cfs_curl.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    cfs_curl.easy_setopt(h, CURLOPT_NOPROXY, "*");
    /* off EC2 nothing answers: give up quickly, as the AWS CLI does (1 s) */
    cfs_curl.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 1000L);
    cfs_curl.easy_setopt(h, CURLOPT_TIMEOUT_MS, 3000L);
    CURLcode rc = cfs_curl.easy_perform(h);
    long code = 0;
    cfs_curl.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    cfs_curl.slist_free_all(hl);
    cfs_curl.easy_cleanup(h);
    return rc == CURLE_OK && code == 200 ? 0 : -1;
}

/* The string value of "key" in a flat JSON object (the metadata's credentials document). */
static int json_str(const char *js, const char *key, char *out, size_t n)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\"", key);
    const char *p = strstr(js, pat);
    if (!p) return -1;
    p += strlen(pat);
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == ':') p++;
    if (*p != '"') return -1;
    p++;
    size_t o = 0;
    for (; *p && *p != '"'; p++) {
        if (*p == '\\' && p[1]) p++; /* keys, secrets and tokens hold no escapes; "\/" may appear */
        if (o + 1 >= n) return -1;
        out[o++] = *p;
    }
    if (*p != '"') return -1;
    out[o] = 0;
    return 0;
}

static int from_imds(cfs_s3_creds *c)
{
    const char *dis = env("AWS_EC2_METADATA_DISABLED");
    if (dis && strcasecmp(dis, "true") == 0) return -1;
    const char *base = env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    char b0[512];
    snprintf(b0, sizeof b0, "%s", base ? base : "http://169.254.169.254");
    size_t l = strlen(b0);
    while (l && b0[l - 1] == '/') b0[--l] = 0;
    mbuf *b = malloc(sizeof *b);
    if (!b) return -1;
    int rc = -1;
    char token[1024], role[256];
    if (imds_call(b0, "/latest/api/token", NULL, 1, b) != 0 || copy(token, sizeof token, trim(b->p)) != 0)
        goto out;
    if (imds_call(b0, "/latest/meta-data/iam/security-credentials/", token, 0, b) != 0) goto out;
    char *nl = strchr(b->p, '\n'); /* the first role listed */
    if (nl) *nl = 0;
    if (copy(role, sizeof role, trim(b->p)) != 0 || !*role) goto out;
    char path[512];
    snprintf(path, sizeof path, "/latest/meta-data/iam/security-credentials/%s", role);
    if (imds_call(b0, path, token, 0, b) != 0) goto out;
    if (json_str(b->p, "AccessKeyId", c->access_key, sizeof c->access_key) != 0 ||
        json_str(b->p, "SecretAccessKey", c->secret_key, sizeof c->secret_key) != 0)
        goto out;
    if (json_str(b->p, "Token", c->token, sizeof c->token) != 0) c->token[0] = 0;
    rc = 0;
out:
    memset(b, 0, sizeof *b);
    memset(token, 0, sizeof token);
    free(b);
    return rc;
}

cfs_status cfs_s3_creds_resolve(cfs_s3_creds *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    const char *ak = env("AWS_ACCESS_KEY_ID"), *sk = env("AWS_SECRET_ACCESS_KEY");
    if (ak && sk) {
        const char *tk = env("AWS_SESSION_TOKEN");
        if (copy(c->access_key, sizeof c->access_key, ak) == 0 &&
            copy(c->secret_key, sizeof c->secret_key, sk) == 0 &&
            copy(c->token, sizeof c->token, tk ? tk : "") == 0) {
            snprintf(c->source, sizeof c->source, "environment");
            return CFS_OK;
        }
        memset(c, 0, sizeof *c);
    }
    char path[1024];
    if (aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials", path, sizeof path) == 0 &&
        from_file(c, path, 0) == 0) {
        snprintf(c->source, sizeof c->source, "shared credentials file");
        return CFS_OK;
    }
    memset(c, 0, sizeof *c);
    if (aws_file("AWS_CONFIG_FILE", "config", path, sizeof path) == 0 && from_file(c, path, 1) == 0) {
        snprintf(c->source, sizeof c->source, "config file");
        return CFS_OK;
    }
    memset(c, 0, sizeof *c);
    if (from_imds(c) == 0) {
        snprintf(c->source, sizeof c->source, "instance metadata (IMDSv2)");
        return CFS_OK;
    }
    memset(c, 0, sizeof *c);
    snprintf(
        err, errlen,
        "no AWS credentials found (looked at AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, profile '%s' of the shared "
        "credentials and config files, and the instance metadata service)",
        profile_name());
    return CFS_E_IO;
}

int cfs_s3_region_configured(char *out, size_t n)
{
    const char *r = env("AWS_REGION");
    if (!r) r = env("AWS_DEFAULT_REGION");
    if (r) return copy(out, n, r);
    char path[1024];
    if (aws_file("AWS_CONFIG_FILE", "config", path, sizeof path) == 0 &&
        ini_get(path, profile_name(), 1, "region", out, n) == 0 && *out)
        return 0;
    return -1;
}
