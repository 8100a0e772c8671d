/* libcurl for s3:// inputs, loaded when the first one needs it (dlopen) instead of linked:
 * libcurl pulls some thirty libraries into the process (TLS, Kerberos, LDAP, SSH, ...),
 * and loading and relocating them cost every run about 6 ms here (a program linked with
 * only cfscan's other libraries starts in 0.8 ms, with libcurl too in 7 ms), which is
 * more than a scan of a small file and serial at any thread count.  A run without s3://
 * inputs never loads it.  The calls go through cfs_curl, which has the signatures of
 * <curl/curl.h>; the library is libcurl.so.4 (the soname of the headers the build used),
 * else Debian's libcurl-gnutls.so.4 (the same API), or the file $CFSCAN_LIBCURL names. */
#ifndef CFSCAN_PIPELINE_S3_CURL_H
#define CFSCAN_PIPELINE_S3_CURL_H

#include <curl/curl.h>
#include <stddef.h>

typedef struct cfs_curl_api {
    CURLcode (*global_init)(long flags);
    void (*global_cleanup)(void);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *h);
    void (*easy_reset)(CURL *h);
    CURLcode (*easy_setopt)(CURL *h, CURLoption option, ...);
    CURLcode (*easy_perform)(CURL *h);
    CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
    const char *(*easy_strerror)(CURLcode rc);
    struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
    void (*slist_free_all)(struct curl_slist *l);
} cfs_curl_api;

/* The functions cfs_curl_load found; not to be called before it returned 0.  Calls
 * through them miss the argument checks <curl/curl.h> makes of curl_easy_setopt and
 * curl_easy_getinfo under GCC (typecheck-gcc.h): pass the types libcurl's documentation
 * gives (a long for a number, `1L`; a long * for CURLINFO_RESPONSE_CODE).  A function,
 * not a global variable, so the library exports no data (tools/check-symbols.sh). */
const cfs_curl_api *cfs_curl_table(void);
#define cfs_curl (*cfs_curl_table())

/* Load libcurl once per process (any thread, any number of times): $CFSCAN_LIBCURL when
 * set, else libcurl.so.4, else Debian's libcurl-gnutls.so.4.  0 when every function is
 * there; else -1, with what failed in err (the same answer on every later call). */
int cfs_curl_load(char *err, size_t errlen);

#endif
