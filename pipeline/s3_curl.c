/* libcurl loaded on first use (s3_curl.h says why): dlopen of the library, dlsym of the
 * eleven functions the S3 reader and the credential lookup call, once per process. */
#include "pipeline/s3_curl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cfs_curl_api g_api;

const cfs_curl_api *cfs_curl_table(void) { return &g_api; }

/* POSIX lets a dlsym result be used as a function pointer; ISO C does not convert between
 * the two, so the bytes are copied (they have one size, asserted). */
_Static_assert(sizeof(void *) == sizeof(void (*)(void)), "function pointers are data-pointer sized");

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static int g_loaded;
static char g_err[512];

static const char *g_name; /* the library loaded */
static int g_asked;        /* by $CFSCAN_LIBCURL */

static int sym(void *lib, const char *name, void *fp)
{
    void *p = dlsym(lib, name);
    if (!p) {
        snprintf(g_err, sizeof g_err, "%s%s, loaded for s3:// inputs as libcurl, has no %s", g_name,
                 g_asked ? " (the library CFSCAN_LIBCURL names)" : "", name);
        return -1;
    }
    memcpy(fp, &p, sizeof p);
    return 0;
}

static void load(void)
{
    const char *want = getenv("CFSCAN_LIBCURL");
    const int asked = g_asked = want && *want; /* a name asked for is the only one tried */
    const char *names[] = {asked ? want : "libcurl.so.4", "libcurl-gnutls.so.4"};
    void *lib = NULL;
    /* every attempt's reason, one after the other */
    size_t used = (size_t)snprintf(
        g_err, sizeof g_err, "s3:// inputs need libcurl (Debian: libcurl4), which could not be loaded:");
    for (size_t i = 0; i < (asked ? 1u : 2u) && !lib; i++) {
        lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
        if (lib) {
            g_name = names[i];
        } else if (used < sizeof g_err) {
            const char *why = dlerror();
            used += (size_t)snprintf(g_err + used, sizeof g_err - used, "%s %s%s", i ? ";" : "",
                                     why ? why : names[i],
                                     asked ? " (the library CFSCAN_LIBCURL names)" : "");
        }
    }
    if (!lib) return;
    cfs_curl_api a;
    if (sym(lib, "curl_global_init", &a.global_init) || sym(lib, "curl_global_cleanup", &a.global_cleanup) ||
        sym(lib, "curl_easy_init", &a.easy_init) || sym(lib, "curl_easy_cleanup", &a.easy_cleanup) ||
        sym(lib, "curl_easy_reset", &a.easy_reset) || sym(lib, "curl_easy_setopt", &a.easy_setopt) ||
        sym(lib, "curl_easy_perform", &a.easy_perform) || sym(lib, "curl_easy_getinfo", &a.easy_getinfo) ||
        sym(lib, "curl_easy_strerror", &a.easy_strerror) || sym(lib, "curl_slist_append", &a.slist_append) ||
        sym(lib, "curl_slist_free_all", &a.slist_free_all)) {
        dlclose(lib);
        return;
    }
    g_api = a; /* the library stays loaded for the rest of the process */
    g_loaded = 1;
}

int cfs_curl_load(char *err, size_t errlen)
{
    pthread_once(&g_once, load);
    if (g_loaded) return 0;
    if (err && errlen) snprintf(err, errlen, "%s", g_err);
    return -1;
}
