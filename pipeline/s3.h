/* Reading CloudFront logs where they live: s3://bucket/prefix inputs.  URL parsing, the
 * credentials chain and region (s3_cred.c), AWS Signature Version 4 (s3_sign.c), and over
 * libcurl the paged ListObjectsV2 listing and the ranged, retried GETs of one object
 * (s3.c).  Nothing is written to disk; secrets never appear in any message. */
#ifndef CFSCAN_PIPELINE_S3_H
#define CFSCAN_PIPELINE_S3_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "pipeline/types.h"

/* One object is read in ranged GETs of this many bytes (one buffer of this size per
 * object being read, that is per scan thread).  CFS_S3_PART_SIZE (bytes, at least 4096)
 * overrides it: a test hook, so small objects are read in several parts. */
#define CFS_S3_PART ((size_t)8 << 20)
/* Tries per request (the first and the retries) on 5xx, 429/SlowDown, connection errors and
 * short bodies; the waits between them double from CFS_S3_BACKOFF_MS. */
#define CFS_S3_TRIES 4
#define CFS_S3_BACKOFF_MS 100

/* 1 when path names an S3 location ("s3://..."). */
int cfs_s3_is_url(const char *path);
/* "s3://bucket[/prefix]" into bucket and prefix (both malloc'd; prefix may be "").
 * CFS_E_USAGE with err saying why for anything else. */
cfs_status cfs_s3_parse_url(const char *url, char **bucket, char **prefix, char *err, size_t errlen);

/* --endpoint-url (NULL: AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL, then AWS itself).  A
 * custom endpoint is addressed path-style (endpoint/bucket/key).  Call before any s3 use. */
void cfs_s3_set_endpoint(const char *url);
/* 1 when url is an endpoint cfs_s3_set_endpoint can use: http:// or https://, a host and
 * an optional port, nothing after them but one '/'. */
int cfs_s3_endpoint_ok(const char *url);

/* ---- credentials (s3_cred.c) ---- */
typedef struct cfs_s3_creds {
    char access_key[128];
    char secret_key[128];
    char token[4096]; /* session token, "" when none */
    char source[64];  /* where they came from: "environment", "shared credentials file", ... */
} cfs_s3_creds;

/* The chain the AWS CLI uses: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY[/AWS_SESSION_TOKEN];
 * the profile AWS_PROFILE (else "default") of the shared credentials file
 * (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials), then of the config file
 * (AWS_CONFIG_FILE, else ~/.aws/config); the instance role over IMDSv2 (a token first;
 * AWS_EC2_METADATA_SERVICE_ENDPOINT moves it, AWS_EC2_METADATA_DISABLED=true turns it
 * off).  CFS_E_IO with err naming the places looked at when none gives a key pair. */
cfs_status cfs_s3_creds_resolve(cfs_s3_creds *c, char *err, size_t errlen);
/* AWS_REGION, AWS_DEFAULT_REGION, then the profile's region in the config file: 0 and out
 * filled, or -1 (the caller then asks the bucket). */
int cfs_s3_region_configured(char *out, size_t n);

/* ---- signing (s3_sign.c) ---- */
typedef struct cfs_s3_sigreq {
    const char *method;       /* "GET", "HEAD" */
    const char *host;         /* Host header value: host[:port] */
    const char *path;         /* canonical URI, already URI-encoded ("/bucket/key") */
    const char *query;        /* canonical query string (sorted, encoded), "" when none */
    const char *amz_date;     /* "YYYYMMDDTHHMMSSZ" */
    const char *region;       /* "us-east-1" */
    const char *payload_hash; /* hex SHA-256 of the body, sent as x-amz-content-sha256 */
    const char *token;        /* session token or NULL/"": signed as x-amz-security-token */
} cfs_s3_sigreq;

/* The Authorization header value for q signed with c (service "s3"; signed headers host,
 * x-amz-content-sha256, x-amz-date and x-amz-security-token when there is a token).
 * canon, when non-NULL, gets the canonical request (for tests).  -1 when a buffer is too
 * small or hashing fails. */
int cfs_s3_sign(const cfs_s3_sigreq *q, const cfs_s3_creds *c, char *auth, size_t authlen, char *canon,
                size_t canonlen);
/* Hex SHA-256 of n bytes into out[65]. */
int cfs_s3_sha256_hex(const void *p, size_t n, char out[65]);
/* s URI-encoded as SigV4 wants (unreserved kept, '/' kept when keep_slash) into out;
 * -1 when it does not fit. */
int cfs_s3_uri_encode(const char *s, int keep_slash, char *out, size_t n);

/* ---- listing (s3.c) ---- */
typedef struct cfs_s3_entry {
    char *url;  /* "s3://bucket/key", malloc'd: the caller takes it */
    char *etag; /* without quotes, malloc'd: the caller takes it */
    uint64_t size;
    int64_t mtime; /* LastModified, seconds since the epoch */
} cfs_s3_entry;

typedef struct cfs_s3_lister cfs_s3_lister;
/* List every object under url (s3://bucket/prefix: the keys that start with prefix), a
 * page of 1000 at a time (CFS_S3_PAGE_KEYS sets max-keys: a test hook).  Credentials and
 * region are resolved here, once per process and bucket. */
cfs_status cfs_s3_list_open(cfs_s3_lister **out, const char *url, char *err, size_t errlen);
/* 1 and *e filled; 0 at the end; -1 with err on an error (the listing stops). */
int cfs_s3_list_next(cfs_s3_lister *l, cfs_s3_entry *e, char *err, size_t errlen);
void cfs_s3_list_close(cfs_s3_lister *l);

/* ---- reading one object (s3.c) ---- */
typedef struct cfs_s3_obj cfs_s3_obj;
/* Open url of size bytes (as listed; etag as listed or NULL): no request is made yet. */
cfs_status cfs_s3_obj_open(cfs_s3_obj **out, const char *url, uint64_t size, const char *etag, char *err,
                           size_t errlen);
/* Up to n bytes at the current position: > 0 bytes, 0 at the end, -1 with err (HTTP status
 * and tries, never a header or secret) when a part could not be read whole. */
ssize_t cfs_s3_obj_read(cfs_s3_obj *o, void *buf, size_t n, char *err, size_t errlen);
void cfs_s3_obj_close(cfs_s3_obj *o);

#endif
