/* AWS Signature Version 4 for S3 requests (the canonical request, the string to sign and
 * the derived key, as AWS's SigV4 documentation lays them out).  Hashing is OpenSSL's
 * libcrypto, which libcurl's OpenSSL build already brings in.  Checked against botocore's
 * SigV4Auth by tests/test_s3.c. */
#include "pipeline/s3.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

static void hex(const unsigned char *p, size_t n, char *out)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[p[i] >> 4];
        out[2 * i + 1] = d[p[i] & 15];
    }
    out[2 * n] = 0;
}

int cfs_s3_sha256_hex(const void *p, size_t n, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(p, n, md, &len, EVP_sha256(), NULL) != 1 || len != 32) return -1;
    hex(md, 32, out);
    return 0;
}

static int hmac(const void *key, size_t keylen, const char *msg, unsigned char out[32])
{
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg, strlen(msg), out, &len) ||
        len != 32)
        return -1;
    return 0;
}

int cfs_s3_uri_encode(const char *s, int keep_slash, char *out, size_t n)
{
    static const char d[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        int plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
                    *p == '-' || *p == '_' || *p == '.' || *p == '~' || (keep_slash && *p == '/');
        if (o + (plain ? 1 : 3) >= n) return -1;
        if (plain) {
            out[o++] = (char)*p;
        } else {
            out[o++] = '%';
            out[o++] = d[*p >> 4];
            out[o++] = d[*p & 15];
        }
    }
    if (o >= n) return -1;
    out[o] = 0;
    return 0;
}

int cfs_s3_sign(const cfs_s3_sigreq *q, const cfs_s3_creds *c, char *auth, size_t authlen, char *canon,
                size_t canonlen)
{
    int tok = q->token && *q->token;
    const char *signed_headers = tok ? "host;x-amz-content-sha256;x-amz-date;x-amz-security-token"
                                     : "host;x-amz-content-sha256;x-amz-date";
    /* The canonical request: the token can be kilobytes, so the buffer is sized for it. */
    char creq[8192];
    int k = snprintf(creq, sizeof creq,
                     "%s\n%s\n%s\nhost:%s\nx-amz-content-sha256:%s\nx-amz-date:%s\n%s%s%s\n%s\n%s", q->method,
                     q->path, q->query ? q->query : "", q->host, q->payload_hash, q->amz_date,
                     tok ? "x-amz-security-token:" : "", tok ? q->token : "", tok ? "\n" : "", signed_headers,
                     q->payload_hash);
    if (k < 0 || (size_t)k >= sizeof creq) return -1;
    if (canon) {
        if ((size_t)k >= canonlen) return -1;
        memcpy(canon, creq, (size_t)k + 1);
    }
    char creq_hash[65];
    if (cfs_s3_sha256_hex(creq, (size_t)k, creq_hash) != 0) return -1;
    char day[9];
    if (strlen(q->amz_date) < 8) return -1;
    memcpy(day, q->amz_date, 8);
    day[8] = 0;
    char scope[128];
    if ((size_t)snprintf(scope, sizeof scope, "%s/%s/s3/aws4_request", day, q->region) >= sizeof scope)
        return -1;
    char sts[512];
    if ((size_t)snprintf(sts, sizeof sts, "AWS4-HMAC-SHA256\n%s\n%s\n%s", q->amz_date, scope, creq_hash) >=
        sizeof sts)
        return -1;
    /* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, day), region), "s3"), "aws4_request") */
    char k0[160];
    if ((size_t)snprintf(k0, sizeof k0, "AWS4%s", c->secret_key) >= sizeof k0) return -1;
    unsigned char a[32], b[32], sig[32];
    int bad = hmac(k0, strlen(k0), day, a) || hmac(a, 32, q->region, b) || hmac(b, 32, "s3", a) ||
              hmac(a, 32, "aws4_request", b) || hmac(b, 32, sts, sig);
    /* the derived keys are secrets too: not left on the stack */
    memset(k0, 0, sizeof k0);
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    if (bad) return -1;
    char sighex[65];
    hex(sig, 32, sighex);
    k = snprintf(auth, authlen, "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s",
                 c->access_key, scope, signed_headers, sighex);
    return k < 0 || (size_t)k >= authlen ? -1 : 0;
}
