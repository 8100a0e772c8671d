/* Fuzz target: the decode stage (plain, gzip single/multi-member, zstd) on a file of
 * the fuzzer's bytes, through every gzip decoder (libdeflate whole-file with its zlib
 * fallback, zlib streaming, ISA-L streaming, and the default).  Oracles: no crash; the
 * pieces of one reader never exceed a sane size; a plain input comes back byte for byte;
 * libdeflate, zlib and ISA-L agree on the decoded bytes whenever they read the input
 * without error; the default decoder (AUTO) gives exactly what ISA-L streaming gives,
 * status and bytes (today it is ISA-L; the oracle keeps any route of its own, as a
 * small-file one was for a while, from accepting what ISA-L refuses). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline/decode.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decode the whole input; returns the status and the decoded bytes (malloc'd). */
static cfs_status decode_all(const char *path, cfs_gz_mode mode, char **out, size_t *outn, cfs_format *fmt)
{
    cfs_input in;
    memset(&in, 0, sizeof in);
    in.path = (char *)path;
    in.regular = 1;
    char err[200];
    cfs_reader *r = NULL;
    *out = NULL;
    *outn = 0;
    cfs_status st = cfs_reader_open(&r, &in, mode, err, sizeof err);
    if (st != CFS_OK) return st;
    *fmt = cfs_reader_format(r);
    size_t cap = 0;
    for (;;) {
        const char *p;
        size_t n;
        st = cfs_reader_next(r, &p, &n, err, sizeof err);
        if (st != CFS_OK || n == 0) break;
        /* a small input cannot expand without bound: cap the oracle's copy at 64 MiB */
        if (*outn + n > ((size_t)64 << 20)) break;
        if (*outn + n > cap) {
            cap = (*outn + n) * 2;
            *out = realloc(*out, cap);
            if (!*out) abort();
        }
        memcpy(*out + *outn, p, n);
        *outn += n;
    }
    cfs_reader_close(r);
    return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fz_memfile(data, size, path);
    char *a, *b, *c, *d;
    size_t an, bn, cn, dn;
    cfs_format fa = CFS_FMT_PLAIN, fb = CFS_FMT_PLAIN, fc = CFS_FMT_PLAIN, fd_ = CFS_FMT_PLAIN;
    cfs_status sa = decode_all(path, CFS_GZ_LIBDEFLATE, &a, &an, &fa); /* whole file */
    cfs_status sb = decode_all(path, CFS_GZ_ZLIB, &b, &bn, &fb);
    cfs_status sc = decode_all(path, CFS_GZ_ISAL, &c, &cn, &fc); /* streaming, as the default */
    cfs_status sd = decode_all(path, CFS_GZ_AUTO, &d, &dn, &fd_);
    if (fc != fa || fd_ != fa) abort();
    if (sd != sc || dn != cn || (dn && memcmp(d, c, dn) != 0)) abort(); /* AUTO is not ISA-L */
    free(d);
    if (sa == CFS_OK && sc == CFS_OK && (an != cn || (an && memcmp(a, c, an) != 0)))
        abort(); /* ISA-L disagrees with libdeflate on a valid input */
    free(c);
    if (sa == CFS_OK && fa == CFS_FMT_PLAIN && (an != size || (size && memcmp(a, data, size) != 0)))
        abort(); /* plain bytes must come back unchanged */
    if (fa != fb) abort();
    if (sa == CFS_OK && sb == CFS_OK && (an != bn || (an && memcmp(a, b, an) != 0)))
        abort(); /* the two gzip decoders disagree on a valid input */
    free(a);
    free(b);
    close(fd);
    return 0;
}
