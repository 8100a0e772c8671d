/* Decode stage.  Files the scan cuts into blocks (larger than CFS_BIG_FILE by default)
 * are memory-mapped; smaller ones, pipes and stdin are read() a megabyte at a time (and
 * a file mmap refuses); gzip streams through ISA-L igzip (or zlib when asked), zstd always
 * streams, both in pieces of CFS_DECODE_PIECE bytes that the scan parses while they are
 * still in cache.  --gzip-decoder libdeflate decodes a regular gzip file of up to
 * CFS_GZ_WHOLE_MAX bytes whole instead, mapped, member by member (the default before
 * issue 11); when libdeflate reports damage, zlib decodes the file again from the damaged
 * member's start, so that the lines zlib decodes before the damage are still counted.
 *
 * A mapped file that shrinks while it is read (truncated or rewritten in place) makes
 * every access past its new end raise SIGBUS.  The handler below turns that into a
 * per-file error instead of a crash: it maps zero pages over the rest of the mapping (so
 * the access that faulted, and every later one, reads zeros) and marks the reader;
 * cfs_reader_check then reports "file changed while being read".  No longjmp is needed,
 * so no thread is ever unwound out of the middle of a table update. */
#include "pipeline/decode.h"
#include "pipeline/stop.h"
#include "pipeline/s3.h"
#include "pipeline/parquet_read.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <libdeflate.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>
#include <isa-l/igzip_lib.h>

#define PIECE CFS_DECODE_PIECE
#define INBUF (1u << 20)

struct cfs_reader {
    cfs_format fmt;
    int fd;
    int own_fd;
    int regular;     /* a regular file: size and mtime are checked at the end */
    struct stat st0; /* as it was at open */
    int slot;        /* index in g_maps while mapped, else -1 */
    /* whole-file view (mmap or slurp) */
    const unsigned char *map;
    size_t map_len;
    int mapped;
    /* read() based input */
    unsigned char *in;
    size_t in_cap; /* INBUF, or less for a regular file known to be smaller */
    size_t in_len, in_pos;
    int in_eof;
    uint64_t in_total;
    /* output */
    char *out;
    size_t out_cap;
    /* state */
    int done;
    int whole;      /* plain: map returned as one piece; gz: libdeflate path */
    size_t map_pos; /* libdeflate: next member offset */
    z_stream zs;
    int zs_init;
    struct inflate_state *isal; /* ISA-L streaming state (CFS_GZ_ISAL) */
    int gz_member_open;         /* bytes of a member consumed, its end not yet seen */
    uint64_t member_off;        /* ISA-L: file offset of the current member's first byte */
    uint64_t member_out;        /* ISA-L: the bytes the member has given so far */
    int to_zlib;                /* ISA-L met a bad match: zlib decodes that member again */
    uint64_t skip_out;          /* zlib: bytes of the member handed out already (skipped) */
    size_t released;            /* mapped input bytes [0, released) already given back (DONTNEED) */
    ZSTD_DStream *zd;
    int zstd_in_frame; /* mid-frame: EOF now means truncation */
    struct libdeflate_decompressor *ld;
    cfs_s3_obj *s3; /* an s3:// input: bytes come from ranged GETs instead of fd */
    /* An error found after part of a piece was decoded, said on the next call once the good
     * prefix is handed out: CFS_E_IO (a read failed) or CFS_E_CORRUPT (gzip or zstd
     * damage); CFS_OK: none.  msg says what it was (also for an error returned at once). */
    cfs_status pending;
    char msg[600];
    cfs_pqr *pq; /* Parquet: the reader that turns the mapped file into W3C text */
};

const char *cfs_format_name(cfs_format f)
{
    switch (f) {
    case CFS_FMT_GZIP: return "gzip";
    case CFS_FMT_ZSTD: return "zstd";
    case CFS_FMT_PARQUET: return "parquet";
    default: return "plain";
    }
}

/* ---- SIGBUS guard for mapped files ---------------------------------------------------------
 * Process-wide state: a signal handler can only find the mapping that faulted through
 * globals.  The other process-wide state is the top-k pool (aggregate.c, behind a mutex)
 * and the result-type table (fields.c, filled once under pthread_once); fields.c's last
 * parsed date is per thread.  The table is
 * lock-free (a slot is claimed with compare-and-swap), and the handler uses only
 * async-signal-safe calls (mmap and sigaction are plain system calls on Linux). */
#define MAP_SLOTS 1024 /* mapped readers open at once; beyond this, files are read() */
enum { SLOT_FREE, SLOT_BUSY, SLOT_LIVE };
typedef struct map_slot {
    atomic_int state;
    uintptr_t base, len;
    atomic_int changed;
} map_slot;
static map_slot g_maps[MAP_SLOTS];
static struct sigaction g_old_bus;
static uintptr_t g_page = 4096;
static int g_bus_ok;
static pthread_once_t g_bus_once = PTHREAD_ONCE_INIT;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    /* SI_USER/SI_QUEUE/SI_TKILL (code <= 0) came from kill(): not a fault of ours. */
    uintptr_t a = (uintptr_t)si->si_addr;
    for (int i = 0; si->si_code > 0 && i < MAP_SLOTS; i++) {
        map_slot *s = &g_maps[i];
        if (atomic_load_explicit(&s->state, memory_order_acquire) != SLOT_LIVE) continue;
        if (a < s->base || a - s->base >= s->len) continue;
        uintptr_t from = a & ~(g_page - 1);
        uintptr_t end = (s->base + s->len + g_page - 1) & ~(g_page - 1);
        void *m = mmap((void *)from, end - from, PROT_READ, MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) break;
        atomic_store_explicit(&s->changed, 1, memory_order_release);
        return; /* the faulting access is retried and now reads zeros */
    }
    /* Not ours: give the signal to the previous disposition (default: terminate). */
    sigaction(SIGBUS, &g_old_bus, NULL);
    if (si->si_code <= 0) raise(sig); /* a retried access re-raises a fault by itself */
}

static void bus_install(void)
{
    long pg = sysconf(_SC_PAGESIZE);
    if (pg > 0) g_page = (uintptr_t)pg;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    g_bus_ok = sigaction(SIGBUS, &sa, &g_old_bus) == 0;
}

/* Register a mapping with the handler; -1 when the table is full or no handler. */
static int slot_claim(const void *base, size_t len)
{
    pthread_once(&g_bus_once, bus_install);
    if (!g_bus_ok) return -1;
    for (int i = 0; i < MAP_SLOTS; i++) {
        int want = SLOT_FREE;
        if (!atomic_compare_exchange_strong(&g_maps[i].state, &want, SLOT_BUSY)) continue;
        g_maps[i].base = (uintptr_t)base;
        g_maps[i].len = len;
        atomic_store(&g_maps[i].changed, 0);
        atomic_store_explicit(&g_maps[i].state, SLOT_LIVE, memory_order_release);
        return i;
    }
    return -1;
}

static void slot_release(int i)
{
    if (i >= 0) atomic_store_explicit(&g_maps[i].state, SLOT_FREE, memory_order_release);
}

static void set_err(char *err, size_t n, const char *fmt, const char *a)
{
    if (err && n) snprintf(err, n, fmt, a);
}

/* Wait until fd can be read (data, its end, or an error to read), in slices of 200 ms so
 * that a stop is seen within one: 0, or -1 when asked to stop (stop.h). */
static int wait_readable(int fd)
{
    struct pollfd pf = {fd, POLLIN, 0};
    for (;;) {
        if (cfs_stop_requested()) return -1;
        const int k = poll(&pf, 1, 200);
        if (k > 0 || (k < 0 && errno != EINTR)) return 0; /* the read says what it is */
    }
}

/* Up to n input bytes from the descriptor or the S3 object: bytes, 0 at EOF, -1 with err
 * (and r->msg) set. */
static ssize_t src_read(cfs_reader *r, void *buf, size_t n, char *err, size_t errlen)
{
    if (r->s3) {
        ssize_t k = cfs_s3_obj_read(r->s3, buf, n, r->msg, sizeof r->msg);
        if (k < 0) set_err(err, errlen, "%s", r->msg);
        return k;
    }
    for (;;) {
        /* A pipe may be idle for as long as its writer likes: wait for it in slices, so that
         * a stop asked for meanwhile is seen whichever thread the signal went to (a signal
         * interrupts only the thread it is delivered to). */
        if (!r->regular && wait_readable(r->fd) != 0) {
            snprintf(r->msg, sizeof r->msg, "interrupted");
            set_err(err, errlen, "%s", r->msg);
            return -1;
        }
        ssize_t k = read(r->fd, buf, n);
        if (k < 0 && errno == EINTR && !cfs_stop_requested()) continue;
        if (k < 0) {
            if (errno == EINTR) snprintf(r->msg, sizeof r->msg, "interrupted");
            else snprintf(r->msg, sizeof r->msg, "read failed: %s", strerror(errno));
            set_err(err, errlen, "%s", r->msg);
        }
        return k;
    }
}

/* Fill r->in from the descriptor; returns bytes available, 0 at EOF, -1 on error. */
static ssize_t fill_input(cfs_reader *r, char *err, size_t errlen)
{
    if (r->map) { /* mapped input: the whole file is "input" */
        return (ssize_t)(r->map_len - r->in_pos);
    }
    if (r->in_pos < r->in_len) return (ssize_t)(r->in_len - r->in_pos);
    if (r->in_eof) return 0;
    ssize_t k = src_read(r, r->in, r->in_cap, err, errlen);
    if (k < 0) return -1;
    if (k == 0) r->in_eof = 1;
    r->in_len = (size_t)k;
    r->in_pos = 0;
    r->in_total += (uint64_t)k;
    return k;
}

static const unsigned char *in_ptr(cfs_reader *r) { return r->map ? r->map + r->in_pos : r->in + r->in_pos; }

/* After a gzip member: zero bytes up to the end of the input are padding, which GNU gzip
 * ignores without a word (a file written in whole blocks, a copy a tool padded), so its
 * lines, the last one included, are the log's.  1 when only zeros were left (consumed);
 * 0 when the next byte is not zero (another member, or damage its header meets: no
 * member starts with a zero byte), nothing consumed; 2 when zeros are followed by another
 * byte: damage, as the whole-file path finds it (GNU gzip, too, reads no member after
 * them), reported where the zeros begin (after_member_damage); -1 on a read error (err says
 * it). */
static int zero_padding_to_end(cfs_reader *r, char *err, size_t errlen)
{
    for (int zeros = 0;; zeros = 1) {
        ssize_t avail = fill_input(r, err, errlen);
        if (avail < 0) return -1;
        if (avail == 0) return 1;
        const unsigned char *p = in_ptr(r);
        size_t i = 0;
        while (i < (size_t)avail && p[i] == 0) i++;
        r->in_pos += i;
        if (i < (size_t)avail) return zeros || i ? 2 : 0;
    }
}

/* Damage after a complete member: zeros followed by another byte (zero_padding_to_end's
 * 2), or bytes that cannot start a member (not_a_member), reported with what: where they
 * begin.  1 when bytes were decoded before it (they are handed out first, the error with
 * the next call: the caller stops filling), else 0 with err set (the caller returns
 * CFS_E_CORRUPT). */
static int after_member_damage(cfs_reader *r, int decoded, const char *what, char *err, size_t errlen)
{
    snprintf(r->msg, sizeof r->msg, "corrupt gzip data: %s", what);
    if (decoded) {
        r->pending = CFS_E_CORRUPT;
        return 1;
    }
    set_err(err, errlen, "%s", r->msg);
    r->done = 1;
    return 0;
}

#define ZERO_PADDING_DAMAGE "incorrect header check"
/* A stray newline or other bytes appended to a whole file are not a member cut short:
 * said so, whatever the decoder (ISA-L and zlib called them a truncated file or a bad
 * header, by their length). */
#define TRAILING_BYTES "bytes after the last complete member do not start another"

/* Whether the bytes after a complete member (no zero padding) cannot start another: a
 * member begins 1f 8b (RFC 1952 section 2.3.1).  A lone 1f at the end may be a header
 * cut short, which the decoder then reports as truncated. */
static int starts_no_member(const unsigned char *p, size_t n)
{
    return p[0] != 0x1f || (n >= 2 && p[1] != 0x8b);
}

static int not_a_member(cfs_reader *r, char *err, size_t errlen)
{
    ssize_t avail = fill_input(r, err, errlen);
    return avail > 0 && starts_no_member(in_ptr(r), (size_t)avail);
}

/* The output buffer: need bytes at r->out, after OUT_HEAD zero bytes of its own.  ISA-L's
 * decoder copies a match before it checks the distance, so a corrupt stream whose first
 * match reaches before the start of the output read up to 32 KiB before the buffer (a
 * neighbour's bytes, even a previous file's lines, or an unmapped page) and handed them
 * out as decoded; now it reads zeros of its own (gz_isal_next then drops them). */
#define OUT_HEAD ((size_t)32 << 10)

/* Closed readers leave their output buffer of one piece and their ISA-L state here for
 * the next.  A directory of small gzip files (a quiet distribution: a file per server and
 * hour, a few kilobytes each) allocated both per file, the state a large allocation of
 * its own; callgrind put ISA-L's per-file work at 211,000 instructions a 9 KB file. */
#define SPARES 64
static pthread_mutex_t g_spare_mu = PTHREAD_MUTEX_INITIALIZER;
static char *g_spare_out[SPARES];
static struct inflate_state *g_spare_isal[SPARES];
static size_t g_nspare_out, g_nspare_isal;

static char *spare_out(void)
{
    pthread_mutex_lock(&g_spare_mu);
    char *o = g_nspare_out ? g_spare_out[--g_nspare_out] : NULL;
    pthread_mutex_unlock(&g_spare_mu);
    return o;
}

static struct inflate_state *spare_isal(void)
{
    pthread_mutex_lock(&g_spare_mu);
    struct inflate_state *st = g_nspare_isal ? g_spare_isal[--g_nspare_isal] : NULL;
    pthread_mutex_unlock(&g_spare_mu);
    return st ? st : malloc(sizeof *st);
}

/* r's ISA-L state to the spares (or freed): r->isal is NULL after. */
static void give_isal(cfs_reader *r)
{
    pthread_mutex_lock(&g_spare_mu);
    if (r->isal && g_nspare_isal < SPARES) {
        g_spare_isal[g_nspare_isal++] = r->isal;
        r->isal = NULL;
    }
    pthread_mutex_unlock(&g_spare_mu);
    free(r->isal);
    r->isal = NULL;
}

/* r's piece buffer to the spares while they have room (else close frees it), and its
 * ISA-L state (give_isal). */
static void give_spares(cfs_reader *r)
{
    pthread_mutex_lock(&g_spare_mu);
    if (r->out && r->out_cap == PIECE && g_nspare_out < SPARES) {
        g_spare_out[g_nspare_out++] = r->out;
        r->out = NULL;
    }
    pthread_mutex_unlock(&g_spare_mu);
    give_isal(r);
}

/* At least need bytes at r->out; a buffer of up to one piece is a piece (a spare). */
static int ensure_out(cfs_reader *r, size_t need)
{
    if (r->out_cap >= need) return 0;
    if (!r->out && need <= PIECE && (r->out = spare_out()) != NULL) {
        r->out_cap = PIECE;
        return 0;
    }
    size_t cap = need <= PIECE ? PIECE : need;
    char *b = realloc(r->out ? r->out - OUT_HEAD : NULL, OUT_HEAD + cap);
    if (!b) return -1;
    if (!r->out) memset(b, 0, OUT_HEAD);
    r->out = b + OUT_HEAD;
    r->out_cap = cap;
    return 0;
}

/* Map r's regular file whole (r->st0's size), guarded against SIGBUS, and drop the input
 * buffer (bytes read to sniff it are read again from the mapping).  -1 when mmap fails
 * (errno says why), -2 when no guard is free (too many files mapped at once): r is then
 * unchanged, and the caller reads the file instead or gives up. */
static int map_whole(cfs_reader *r)
{
    size_t len = (size_t)r->st0.st_size;
    void *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, r->fd, 0);
    if (m == MAP_FAILED) return -1;
    /* Registered before the first byte is touched: the file may already be shorter. */
    if ((r->slot = slot_claim(m, len)) < 0) {
        munmap(m, len); /* an unguarded mapping would crash on a file cut meanwhile */
        return -2;
    }
    r->map = m;
    r->map_len = len;
    r->mapped = 1;
    r->in_total = len;
    free(r->in);
    r->in = NULL;
    r->in_len = r->in_pos = 0;
    return 0;
}

/* A Parquet input that is no regular file (an S3 object, a pipe, standard input) is
 * copied whole into an unlinked temporary file, which is then read as a regular one: its
 * footer comes last.  The bytes sniffed so far (r->in) come first.  Disk: the input's
 * size, in TMPDIR; memory: the input buffer. */
static cfs_status spool_parquet(cfs_reader *r, char *err, size_t errlen)
{
    char why[300];
    FILE *f = cfs_temp_file("parquet", "a Parquet input read as a stream", why, sizeof why);
    if (!f) {
        set_err(err, errlen, "%s", why);
        return CFS_E_IO;
    }
    int fd = dup(fileno(f));
    fclose(f);
    if (fd < 0) {
        set_err(err, errlen, "cannot keep the temporary copy of a Parquet input: %s", strerror(errno));
        return CFS_E_IO;
    }
    int bad = cfs_write_all(fd, r->in, r->in_len) != 0;
    while (!bad && !r->in_eof) {
        ssize_t k = src_read(r, r->in, r->in_cap, err, errlen);
        if (k < 0) {
            close(fd);
            return CFS_E_IO; /* src_read said why */
        }
        if (k == 0) r->in_eof = 1;
        bad = cfs_write_all(fd, r->in, (size_t)k) != 0;
    }
    struct stat st;
    if (bad || fstat(fd, &st) != 0) {
        set_err(err, errlen, "writing a Parquet input to a temporary file failed: %s", strerror(errno));
        close(fd);
        return CFS_E_IO;
    }
    if (r->own_fd) close(r->fd); /* a FIFO opened by its name */
    r->fd = fd;
    r->own_fd = 1;
    r->st0 = st;
    r->regular = 1;
    r->in_len = 0;
    return CFS_OK;
}

/* A Parquet file ("PAR1" first) is read from its footer, so it is mapped whole whatever
 * its size (a smaller one is read() elsewhere), after a copy to a temporary file when it
 * is no regular file (spool_parquet); its pages are read in place.  The Parquet reader
 * then hands out W3C text (parquet_read.h), and the scan counts its lines like any other
 * log's. */
static cfs_status open_parquet(cfs_reader *r, char *err, size_t errlen)
{
    r->fmt = CFS_FMT_PARQUET;
    if (!r->regular) {
        cfs_status st = spool_parquet(r, err, errlen);
        if (st != CFS_OK) return st;
    }
    const int mapped = r->map ? 0 : map_whole(r);
    if (mapped == -1) {
        set_err(err, errlen, "cannot map the Parquet file: %s", strerror(errno));
        return CFS_E_IO;
    }
    if (mapped == -2) {
        set_err(err, errlen, "%s", "cannot map the Parquet file safely (too many files open at once)");
        return CFS_E_IO;
    }
    /* pages are asked for and given back a row group at a time (parquet_read.c) */
    madvise((void *)r->map, r->map_len, MADV_RANDOM);
    return cfs_pqr_open(&r->pq, r->map, r->map_len, err, errlen);
}

/* The format of an input whose first bytes are m[0..have).  gzip members start 1f 8b (RFC
 * 1952 section 2.3.1); a zstd stream starts with a frame, 28 b5 2f fd, or with a skippable
 * frame, 0x184D2A50..0x184D2A5F little-endian (RFC 8878 sections 3.1.1 and 3.1.2): pzstd
 * writes one before its frames, and other tools keep metadata there.  The zstd decoder
 * reads skippable frames wherever they are, so only the sniff needs to know them. */
static cfs_format sniff(const unsigned char *m, size_t have)
{
    if (have >= 2 && m[0] == 0x1f && m[1] == 0x8b) return CFS_FMT_GZIP;
    if (have >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd) return CFS_FMT_ZSTD;
    if (have >= 4 && (m[0] & 0xf0) == 0x50 && m[1] == 0x2a && m[2] == 0x4d && m[3] == 0x18)
        return CFS_FMT_ZSTD;
    /* An input shorter than 4 bytes is whole here (cfs_reader_open_map reads on until it
     * has 4).  When all of it is the start of a magic, it is an archive cut inside its
     * magic: a truncated archive (exit 4, as a gzip file cut just after its magic already
     * was), not a text log without a header (exit 3).  But only when it holds a byte that
     * is not printable ASCII, which no text of these few bytes has: 1f is a control byte,
     * and b5 after '(' is not UTF-8 (a continuation byte without its lead).  So a lone 1f,
     * 28 b5 or 28 b5 2f is cut.  A lone '(' (28) is as likely a tiny text file,
     * and the starts of a skippable frame ("P", "P*", "P*M") and of Parquet's "PAR1" are
     * printable: they stay text.  None of those is a log either way (exit 3, no header). */
    static const unsigned char gz_magic[2] = {0x1f, 0x8b}, zstd_magic[4] = {0x28, 0xb5, 0x2f, 0xfd};
    int text = 1;
    for (size_t i = 0; i < have; i++)
        if ((m[i] < 0x20 && m[i] != '\t' && m[i] != '\n' && m[i] != '\r') || m[i] > 0x7e) text = 0;
    if (have > 0 && have < 4 && !text) {
        if (have < sizeof gz_magic && memcmp(m, gz_magic, have) == 0) return CFS_FMT_GZIP;
        if (memcmp(m, zstd_magic, have) == 0) return CFS_FMT_ZSTD;
    }
    return CFS_FMT_PLAIN;
}

cfs_status cfs_reader_open(cfs_reader **out, const cfs_input *inp, cfs_gz_mode gz, char *err, size_t errlen)
{
    return cfs_reader_open_map(out, inp, gz, CFS_BIG_FILE, err, errlen);
}

cfs_status cfs_reader_open_map(cfs_reader **out, const cfs_input *inp, cfs_gz_mode gz, uint64_t map_above,
                               char *err, size_t errlen)
{
    *out = NULL;
    cfs_reader *r = calloc(1, sizeof *r);
    if (!r) return CFS_E_NOMEM;
    r->slot = -1;
    r->fd = -1;
    if (cfs_s3_is_url(inp->path)) {
        /* An S3 object streams through the same decoders as a pipe: never mapped, nothing
         * written to disk but a Parquet object (spool_parquet).  Memory: the object's part
         * buffer (s3.h) and INBUF here. */
        cfs_status st = cfs_s3_obj_open(&r->s3, inp->path, inp->size, inp->etag, err, errlen);
        if (st != CFS_OK) {
            free(r);
            return st;
        }
        r->in_cap = inp->size < INBUF ? (inp->size < 4096 ? 4096 : (size_t)inp->size + 1) : INBUF;
        r->in = malloc(r->in_cap);
        if (!r->in) {
            cfs_reader_close(r);
            return CFS_E_NOMEM;
        }
        goto sniff;
    }
    if (strcmp(inp->path, "-") == 0) {
        r->fd = 0;
    } else {
        r->fd = open(inp->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (r->fd < 0) {
            set_err(err, errlen, "cannot open: %s", strerror(errno));
            free(r);
            return CFS_E_IO;
        }
        r->own_fd = 1;
    }
    struct stat st;
    if (fstat(r->fd, &st) != 0) {
        set_err(err, errlen, "cannot stat: %s", strerror(errno));
        cfs_reader_close(r);
        return CFS_E_IO;
    }
    if (r->own_fd && !S_ISREG(st.st_mode)) {
        /* O_NONBLOCK only guards the open (a FIFO without a writer would block it, and a
         * device open may have side effects we do not wait for).  A FIFO opened that way
         * reads EOF until a writer connects, so wait for one, as `cat` does: Linux reports
         * POLLHUP only after a writer has come and gone.  Then reads block normally.  A
         * regular file's reads ignore O_NONBLOCK: two system calls a file saved. */
        if (S_ISFIFO(st.st_mode) && wait_readable(r->fd) != 0) {
            set_err(err, errlen, "%s", "interrupted");
            cfs_reader_close(r);
            return CFS_E_INTERRUPTED;
        }
        int fl = fcntl(r->fd, F_GETFL);
        if (fl >= 0) fcntl(r->fd, F_SETFL, fl & ~O_NONBLOCK);
    }
    if (S_ISDIR(st.st_mode)) {
        set_err(err, errlen, "%s", "is a directory");
        cfs_reader_close(r);
        return CFS_E_UNSUPPORTED;
    }
    r->regular = S_ISREG(st.st_mode);
    r->st0 = st;
    /* Only a file larger than map_above (CFS_BIG_FILE in a scan by default) is mapped here
     * (and a gzip file that --gzip-decoder libdeflate decodes whole, below): its blocks
     * are parsed in place by every thread.  A smaller one, parsed in one go, is read() a megabyte at a time into
     * the reader's buffer, which stays in cache: mapping it cost more than the copy
     * (page faults and TLB misses on a new mapping per file).  On the 1 GB plain set, 144
     * files, medians of 5: -j1 2.11 -> 1.29 s wall (1.60 -> 0.88 s user), -j2 1.20 ->
     * 0.78 s; gz -j2 1.49 -> 1.35 s, zst 1.22 -> 1.15 s; the 4.3 GB file, mapped either
     * way, is unchanged (read() there: no faster, 30% more memory). */
    if (S_ISREG(st.st_mode) && st.st_size > 0 && (uint64_t)st.st_size > map_above && map_whole(r) == 0)
        madvise((void *)r->map, r->map_len, MADV_SEQUENTIAL); /* released behind the scan */
    if (!r->map) {
        /* A regular file smaller than 1 MiB gets a buffer of its size, not 1 MiB, as a
         * directory of thousands of small or empty files would otherwise allocate and
         * free 1 MiB per file (slow under AddressSanitizer, whose large allocations are
         * mappings of their own).  A file that grows meanwhile is still
         * read whole, in pieces of that size. */
        r->in_cap = INBUF;
        if (r->regular && st.st_size >= 0 && (uint64_t)st.st_size < INBUF)
            r->in_cap = (size_t)st.st_size < 4096 ? 4096 : (size_t)st.st_size + 1;
        r->in = malloc(r->in_cap);
        if (!r->in) {
            cfs_reader_close(r);
            return CFS_E_NOMEM;
        }
    }
sniff:; /* a label must precede a statement in C11, not a declaration */
    /* Sniff the format from the first bytes (fill at least 4 if we can). */
    unsigned char magic[4] = {0, 0, 0, 0};
    size_t have = 0;
    if (r->map) {
        have = r->map_len < 4 ? r->map_len : 4;
        memcpy(magic, r->map, have);
    } else {
        while (!r->in_eof && r->in_len < 4) {
            ssize_t k = src_read(r, r->in + r->in_len, r->in_cap - r->in_len, err, errlen);
            if (k < 0) {
                cfs_reader_close(r);
                return CFS_E_IO;
            }
            if (k == 0) r->in_eof = 1;
            r->in_len += (size_t)k;
            r->in_total += (uint64_t)k;
        }
        have = r->in_len < 4 ? r->in_len : 4;
        memcpy(magic, r->in, have);
    }
    if (have >= 4 && memcmp(magic, "PAR1", 4) == 0) {
        cfs_status pst = open_parquet(r, err, errlen);
        if (pst != CFS_OK) {
            cfs_reader_close(r);
            return pst;
        }
        *out = r;
        return CFS_OK;
    }
    r->fmt = sniff(magic, have);

    if (r->fmt == CFS_FMT_GZIP) {
        /* --gzip-decoder libdeflate decodes a regular file of up to CFS_GZ_WHOLE_MAX bytes
         * whole, from a mapping: map one that map_above left unmapped (at the scan's
         * default --split-above every such file is, and ISA-L decoded them all); the
         * bytes read to sniff it are read again from the mapping.  A file that cannot be
         * mapped, a pipe and an S3 object stream through ISA-L, as a larger file does. */
        if (gz == CFS_GZ_LIBDEFLATE && !r->map && !r->s3 && r->regular && r->st0.st_size > 0 &&
            (uint64_t)r->st0.st_size <= CFS_GZ_WHOLE_MAX && map_whole(r) == 0)
            madvise((void *)r->map, r->map_len, MADV_WILLNEED); /* decoded whole, at once */
        r->whole = r->map && gz == CFS_GZ_LIBDEFLATE && r->map_len <= CFS_GZ_WHOLE_MAX;
        /* Streaming: ISA-L rather than zlib (about twice as fast here) unless zlib is asked for. */
        if (gz != CFS_GZ_ZLIB && !r->whole) {
            r->isal = spare_isal();
            if (!r->isal) {
                cfs_reader_close(r);
                return CFS_E_NOMEM;
            }
            isal_inflate_init(r->isal);
            r->isal->crc_flag = ISAL_GZIP;
        }
        if (r->whole) r->ld = libdeflate_alloc_decompressor();
        if (r->whole && !r->ld) {
            cfs_reader_close(r);
            return CFS_E_NOMEM;
        }
    } else if (r->fmt == CFS_FMT_ZSTD) {
        r->zd = ZSTD_createDStream();
        if (!r->zd) {
            cfs_reader_close(r);
            return CFS_E_NOMEM;
        }
        ZSTD_initDStream(r->zd);
    } else {
        r->whole = r->map != NULL;
    }
    *out = r;
    return CFS_OK;
}

/* A streamed compressed file is mapped whole, but its consumed bytes are not needed again:
 * give their pages back (they stay in the page cache) so resident memory does not grow
 * with the size of the file. */
static void release_consumed(cfs_reader *r)
{
    if (!r->map || r->whole) return;
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    size_t upto = (r->in_pos / pg) * pg;
    if (upto >= r->released + ((size_t)8 << 20)) {
        madvise((void *)(r->map + r->released), upto - r->released, MADV_DONTNEED);
        r->released = upto;
    }
}

/* ---- gzip via zlib (streaming, multi-member) ---- */
static cfs_status gz_stream_next(cfs_reader *r, const char **buf, size_t *len, char *err, size_t errlen)
{
    if (!r->zs_init) {
        memset(&r->zs, 0, sizeof r->zs);
        if (inflateInit2(&r->zs, 16 + MAX_WBITS) != Z_OK) return CFS_E_NOMEM;
        r->zs_init = 1;
    }
    if (ensure_out(r, PIECE) != 0) return CFS_E_NOMEM;
    size_t produced = 0;
    while (produced < PIECE) {
        ssize_t avail = fill_input(r, err, errlen);
        if (avail < 0 && produced) {
            r->pending = CFS_E_IO; /* hand out the good prefix first */
            break;
        }
        if (avail < 0) return CFS_E_IO;
        if (avail == 0) {
            if (r->gz_member_open) {
                if (produced) break; /* hand out the good prefix first */
                set_err(err, errlen, "%s", "gzip stream ends early (truncated file)");
                r->done = 1;
                return CFS_E_TRUNCATED;
            }
            r->done = 1;
            break;
        }
        r->zs.next_in = (Bytef *)in_ptr(r);
        r->zs.avail_in = (uInt)(avail > (ssize_t)(1u << 30) ? (1u << 30) : avail);
        r->zs.next_out = (Bytef *)r->out + produced;
        r->zs.avail_out = (uInt)(PIECE - produced);
        uInt before_in = r->zs.avail_in;
        int rc = inflate(&r->zs, Z_NO_FLUSH);
        r->in_pos += before_in - r->zs.avail_in;
        size_t now = PIECE - r->zs.avail_out;
        if (r->skip_out) { /* bytes ISA-L handed out already (gz_isal_next) */
            size_t k = now - produced < r->skip_out ? now - produced : (size_t)r->skip_out;
            memmove(r->out + produced, r->out + produced + k, now - produced - k);
            r->skip_out -= k;
            now -= k;
            r->zs.avail_out += (uInt)k;
        }
        produced = now;
        if (rc == Z_STREAM_END) {
            /* Another member may follow (multi-member gzip, RFC 1952 section 2.2), or
             * zero padding to the end (the next fill_input then finds none left). */
            inflateReset(&r->zs);
            r->gz_member_open = 0;
            const int pad = zero_padding_to_end(r, err, errlen);
            if (pad < 0) {
                if (!produced) return CFS_E_IO;
                r->pending = CFS_E_IO; /* hand out the good prefix first */
                break;
            }
            if (pad == 2 || (pad == 0 && not_a_member(r, err, errlen))) {
                if (after_member_damage(r, produced != 0, pad == 2 ? ZERO_PADDING_DAMAGE : TRAILING_BYTES,
                                        err, errlen))
                    break;
                return CFS_E_CORRUPT;
            }
            continue;
        }
        if (rc == Z_OK || rc == Z_BUF_ERROR) {
            r->gz_member_open = 1;
            continue;
        }
        snprintf(r->msg, sizeof r->msg, "corrupt gzip data: %s", r->zs.msg ? r->zs.msg : "inflate error");
        if (produced) {
            r->pending = CFS_E_CORRUPT; /* report on the next call, after the good prefix */
            break;
        }
        set_err(err, errlen, "%s", r->msg);
        r->done = 1;
        return CFS_E_CORRUPT;
    }
    release_consumed(r);
    *buf = r->out;
    *len = produced;
    return CFS_OK;
}

/* ---- gzip via ISA-L igzip (streaming, multi-member) ----
 * Output in PIECE pieces, small enough that the parser reads them from cache. */
/* What an inflate error of ISA-L means, in the words zlib's messages use. */
static const char *isal_error_text(int rc)
{
    switch (rc) {
    case ISAL_INVALID_BLOCK: return "invalid block type or lengths";
    case ISAL_INVALID_SYMBOL: return "invalid code";
    case ISAL_INVALID_LOOKBACK: return "invalid distance too far back";
    case ISAL_INVALID_WRAPPER: return "incorrect header";
    case ISAL_UNSUPPORTED_METHOD: return "unknown compression method";
    case ISAL_INCORRECT_CHECKSUM: return "incorrect data check";
    default: return "inflate failed";
    }
}

#define ISAL_PIECE PIECE
static cfs_status gz_isal_next(cfs_reader *r, const char **buf, size_t *len, char *err, size_t errlen)
{
    if (ensure_out(r, ISAL_PIECE) != 0) return CFS_E_NOMEM;
    struct inflate_state *st = r->isal;
    st->next_out = (uint8_t *)r->out;
    st->avail_out = ISAL_PIECE;
    while (st->avail_out > 0) {
        if (st->block_state == ISAL_BLOCK_FINISH) {
            /* A member ended; another may follow (multi-member gzip), or zero padding. */
            const int pad = zero_padding_to_end(r, err, errlen);
            if (pad == 2 || (pad == 0 && not_a_member(r, err, errlen))) {
                if (after_member_damage(r, st->avail_out < ISAL_PIECE,
                                        pad == 2 ? ZERO_PADDING_DAMAGE : TRAILING_BYTES, err, errlen))
                    break;
                return CFS_E_CORRUPT;
            }
            ssize_t more = pad < 0 ? -1 : pad ? 0 : fill_input(r, err, errlen);
            if (more < 0 && st->avail_out < ISAL_PIECE) {
                r->pending = CFS_E_IO; /* hand out the good prefix first */
                break;
            }
            if (more < 0) return CFS_E_IO;
            if (more == 0) {
                r->done = 1;
                break;
            }
            uint8_t *keep_out = st->next_out;
            uint32_t keep_avail = st->avail_out;
            isal_inflate_reset(st);
            st->crc_flag = ISAL_GZIP;
            st->next_out = keep_out;
            st->avail_out = keep_avail;
            r->gz_member_open = 0;
            r->member_off = r->map ? r->in_pos : r->in_total - r->in_len + r->in_pos;
            r->member_out = 0;
        }
        ssize_t avail = fill_input(r, err, errlen);
        if (avail < 0 && st->avail_out < ISAL_PIECE) {
            r->pending = CFS_E_IO; /* hand out the good prefix first */
            break;
        }
        if (avail < 0) return CFS_E_IO;
        if (avail == 0) {
            /* ISA-L may still hold bytes it decoded ahead: a call without input hands them
             * out (a file cut short lost up to a few KB when a piece filled as its input
             * ran out) */
            if (st->block_state != ISAL_BLOCK_FINISH) {
                uint32_t ob = st->avail_out;
                st->next_in = (uint8_t *)in_ptr(r);
                st->avail_in = 0;
                int drc = isal_inflate(st);
                r->member_out += ob - st->avail_out;
                if (drc >= 0 && st->avail_out < ob) continue;
            }
            if (st->avail_out < ISAL_PIECE) break; /* hand out the good prefix first */
            set_err(err, errlen, "%s", "gzip stream ends early (truncated file)");
            r->done = 1;
            return CFS_E_TRUNCATED;
        }
        st->next_in = (uint8_t *)in_ptr(r);
        st->avail_in = (uint32_t)(avail > (ssize_t)(1u << 30) ? (1u << 30) : avail);
        uint32_t before = st->avail_in, out_before = st->avail_out, tot0 = st->total_out;
        int rc = isal_inflate(st);
        r->in_pos += before - st->avail_in;
        r->member_out += out_before - st->avail_out;
        if (rc < 0) {
            snprintf(r->msg, sizeof r->msg, "corrupt gzip data: %s (ISA-L error %d)", isal_error_text(rc),
                     rc);
            if (rc == ISAL_INVALID_LOOKBACK || rc == ISAL_INVALID_SYMBOL) {
                /* Its fast path writes a match before it checks it (an invalid distance
                 * or distance code), copying from before the output (see OUT_HEAD), and
                 * counts it in avail_out.  zlib checks first: where the member's start can
                 * be read again (a mapped file, a buffer that holds it, as for every file
                 * under 1 MiB, or a regular file read in parts, sought back), this call's
                 * bytes are dropped and zlib decodes the member again, handing out what
                 * follows the bytes already handed out, up to exactly where the good
                 * bytes end, whatever the pieces were.  Otherwise (a pipe, stdin, S3)
                 * the call keeps what total_out counts less the longest a match can be,
                 * 258 bytes: never a byte the stream lacks, but up to the bytes ISA-L
                 * decoded ahead of a full piece (measured: up to about 10 KB) fewer than
                 * zlib.  Other errors (a block header, the trailer's CRC or length) come
                 * after good bytes and keep them all. */
                uint32_t got = out_before - st->avail_out;
                uint64_t base = r->map ? 0 : r->in_total - r->in_len; /* file offset of in[0] */
                if (r->member_off < base && !r->map && !r->s3 && r->regular &&
                    lseek(r->fd, (off_t)r->member_off, SEEK_SET) == (off_t)r->member_off) {
                    r->in_len = 0; /* fill_input reads on from the member's start */
                    r->in_total = base = r->member_off;
                    r->in_eof = 0;
                }
                if (r->member_off >= base) {
                    st->avail_out = out_before;
                    r->skip_out = r->member_out - got;
                    r->in_pos = (size_t)(r->member_off - base);
                    r->gz_member_open = 0;
                    r->to_zlib = 1;
                    if (st->avail_out < ISAL_PIECE) break; /* hand out the good prefix first */
                    give_isal(r);
                    return gz_stream_next(r, buf, len, err, errlen);
                }
                uint32_t counted = st->total_out - tot0, keep = counted < got ? counted : got;
                keep = keep > 258 ? keep - 258 : 0;
                st->avail_out = out_before - keep;
            }
            if (st->avail_out < ISAL_PIECE) {
                r->pending = CFS_E_CORRUPT;
                break;
            }
            set_err(err, errlen, "%s", r->msg);
            r->done = 1;
            return CFS_E_CORRUPT;
        }
        if (before == st->avail_in && out_before == st->avail_out && st->block_state != ISAL_BLOCK_FINISH) {
            /* no progress with input and room left: the stream cannot go on */
            snprintf(r->msg, sizeof r->msg, "%s", "corrupt gzip data (ISA-L made no progress)");
            if (st->avail_out < ISAL_PIECE) {
                r->pending = CFS_E_CORRUPT;
                break;
            }
            set_err(err, errlen, "%s", r->msg);
            r->done = 1;
            return CFS_E_CORRUPT;
        }
    }
    release_consumed(r);
    *buf = r->out;
    *len = ISAL_PIECE - st->avail_out;
    if (r->to_zlib) give_isal(r); /* the next call goes on with zlib (cfs_reader_next) */
    return CFS_OK;
}

/* ---- gzip via libdeflate on the mapped file, one member per call ---- */
static cfs_status gz_whole_next(cfs_reader *r, const char **buf, size_t *len, char *err, size_t errlen)
{
    /* One iteration per member; an empty member (gzip allows any number) moves on to the
     * next in this loop: a recursive call per member overflowed the stack on a 4 MB file
     * of 200,000 empty members (tests/test_hostile.c). */
next_member:
    /* zero padding after a member (zero_padding_to_end) ends the input */
    if (r->map_pos > 0) {
        size_t z = r->map_pos;
        while (z < r->map_len && r->map[z] == 0) z++;
        if (z == r->map_len) r->map_pos = z;
    }
    if (r->map_pos >= r->map_len) {
        r->done = 1;
        *len = 0;
        return CFS_OK;
    }
    const unsigned char *p = r->map + r->map_pos;
    size_t n = r->map_len - r->map_pos;
    /* after a member, bytes that cannot start another (zeros that do not reach the end,
     * kept above, are damage where they begin), as the streaming paths say it */
    if (r->map_pos > 0 && starts_no_member(p, n)) {
        (void)after_member_damage(r, 0, p[0] == 0 ? ZERO_PADDING_DAMAGE : TRAILING_BYTES, err, errlen);
        return CFS_E_CORRUPT;
    }
    /* ISIZE (last 4 bytes) is the size of the last member mod 2^32 — a good first guess
     * for single-member files; grow on demand for the others. */
    size_t guess = n * 4 + 4096;
    if (n >= 18) {
        const unsigned char *t = r->map + r->map_len - 4;
        size_t isize = (size_t)t[0] | (size_t)t[1] << 8 | (size_t)t[2] << 16 | (size_t)t[3] << 24;
        /* ISIZE is only a hint: DEFLATE expands at most 1032:1 (RFC 1951 stored/length
         * limits), so a larger claim (a damaged or hostile trailer) is not believed; it
         * made a 20-byte file allocate 4 GiB (found by tests/fuzz/fuzz_decode). */
        if (isize + 1 > guess && isize / 1032 <= n) guess = isize + 1;
    }
    for (;;) {
        if (ensure_out(r, guess) != 0) return CFS_E_NOMEM;
        size_t in_used = 0, out_len = 0;
        enum libdeflate_result rc = libdeflate_gzip_decompress_ex(r->ld, p, n, r->out, r->out_cap, &in_used,
                                                                  &out_len);
        if (rc == LIBDEFLATE_SUCCESS) {
            r->map_pos += in_used;
            *buf = r->out;
            *len = out_len;
            if (out_len == 0 && r->map_pos < r->map_len) goto next_member;
            return CFS_OK;
        }
        if (rc == LIBDEFLATE_INSUFFICIENT_SPACE && guess < ((size_t)1 << 34)) {
            guess *= 2;
            continue;
        }
        break;
    }
    /* Damaged member: switch to zlib from this member on, so the good prefix of the
     * member is still returned and the error is classified (truncated vs corrupt). */
    libdeflate_free_decompressor(r->ld);
    r->ld = NULL;
    r->whole = 0;
    r->in_pos = r->map_pos;
    return gz_stream_next(r, buf, len, err, errlen);
}

/* ---- zstd streaming ---- */
static cfs_status zstd_next(cfs_reader *r, const char **buf, size_t *len, char *err, size_t errlen)
{
    if (ensure_out(r, PIECE) != 0) return CFS_E_NOMEM;
    ZSTD_outBuffer ob = {r->out, PIECE, 0};
    while (ob.pos < ob.size) {
        ssize_t avail = fill_input(r, err, errlen);
        if (avail < 0 && ob.pos) {
            r->pending = CFS_E_IO; /* hand out the good prefix first */
            break;
        }
        if (avail < 0) return CFS_E_IO;
        if (avail == 0) {
            if (r->zstd_in_frame && ob.pos == 0) {
                set_err(err, errlen, "%s", "zstd stream ends early (truncated file)");
                r->done = 1;
                return CFS_E_TRUNCATED;
            }
            if (!r->zstd_in_frame) r->done = 1;
            break;
        }
        ZSTD_inBuffer ib = {in_ptr(r), (size_t)avail, 0};
        size_t rc = ZSTD_decompressStream(r->zd, &ob, &ib);
        r->in_pos += ib.pos;
        if (ZSTD_isError(rc)) {
            snprintf(r->msg, sizeof r->msg, "corrupt zstd data: %s", ZSTD_getErrorName(rc));
            if (ob.pos) {
                r->pending = CFS_E_CORRUPT; /* report on the next call, after the good prefix */
                break;
            }
            set_err(err, errlen, "%s", r->msg);
            r->done = 1;
            return CFS_E_CORRUPT;
        }
        r->zstd_in_frame = rc != 0;
        if (ib.pos == 0 && ob.pos == 0 && avail > 0 && rc != 0) continue;
    }
    release_consumed(r);
    *buf = r->out;
    *len = ob.pos;
    return CFS_OK;
}

cfs_status cfs_reader_next(cfs_reader *r, const char **buf, size_t *len, char *err, size_t errlen)
{
    *len = 0;
    *buf = NULL;
    if (r->done == 1) return CFS_OK;
    if (r->pending != CFS_OK) {
        set_err(err, errlen, "%s", r->msg);
        r->done = 1;
        return r->pending;
    }
    switch (r->fmt) {
    case CFS_FMT_PLAIN:
        if (r->whole) {
            r->done = 1;
            *buf = (const char *)r->map;
            *len = r->map_len;
            return CFS_OK;
        } else {
            ssize_t k = fill_input(r, err, errlen);
            if (k < 0) {
                r->done = 1;
                return CFS_E_IO;
            }
            if (k == 0) {
                r->done = 1;
                return CFS_OK;
            }
            *buf = (const char *)in_ptr(r);
            *len = (size_t)k;
            r->in_pos += (size_t)k;
            return CFS_OK;
        }
    case CFS_FMT_GZIP:
        if (r->isal) return gz_isal_next(r, buf, len, err, errlen);
        return r->whole ? gz_whole_next(r, buf, len, err, errlen) : gz_stream_next(r, buf, len, err, errlen);
    case CFS_FMT_ZSTD: return zstd_next(r, buf, len, err, errlen);
    case CFS_FMT_PARQUET: {
        cfs_status st = cfs_pqr_next(r->pq, buf, len, err, errlen);
        if (st != CFS_OK || *len == 0) r->done = 1;
        return st;
    }
    }
    return CFS_E_UNSUPPORTED;
}

cfs_format cfs_reader_format(const cfs_reader *r) { return r->fmt; }

struct cfs_pqr *cfs_reader_parquet(cfs_reader *r) { return r->fmt == CFS_FMT_PARQUET ? r->pq : NULL; }

uint64_t cfs_reader_in_bytes(const cfs_reader *r) { return r->in_total; }

cfs_status cfs_reader_check(const cfs_reader *r, char *err, size_t errlen)
{
    if (!r || !r->regular) return CFS_OK;
    int faulted = r->slot >= 0 && atomic_load_explicit(&g_maps[r->slot].changed, memory_order_acquire);
    struct stat st;
    int differs = fstat(r->fd, &st) != 0 || st.st_size != r->st0.st_size ||
                  st.st_mtim.tv_sec != r->st0.st_mtim.tv_sec || st.st_mtim.tv_nsec != r->st0.st_mtim.tv_nsec;
    if (faulted) {
        set_err(err, errlen, "%s",
                "file changed while being read (truncated: bytes past the new end read as zeros)");
        return CFS_E_IO;
    }
    if (differs) {
        set_err(err, errlen, "%s", "file changed while being read (size or modification time differs)");
        return CFS_E_IO;
    }
    return CFS_OK;
}

void cfs_reader_close(cfs_reader *r)
{
    if (!r) return;
    if (r->mapped) {
        /* marked free first: once unmapped, the range may be reused by anything */
        slot_release(r->slot);
        munmap((void *)r->map, r->map_len);
    }
    if (r->own_fd) close(r->fd);
    cfs_s3_obj_close(r->s3);
    if (r->zs_init) inflateEnd(&r->zs);
    give_spares(r);
    if (r->zd) ZSTD_freeDStream(r->zd);
    if (r->ld) libdeflate_free_decompressor(r->ld);
    cfs_pqr_close(r->pq);
    free(r->in);
    if (r->out) free(r->out - OUT_HEAD);
    free(r);
}
