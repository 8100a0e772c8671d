/* datasets/gen_faults.c: --faults.  Some faults are files of their own (truncated gzip,
 * corrupt zstd, no header, empty, several gzip members, a header switch, CRLF), dated on
 * the first day of distribution 1; the others inject bad lines (binary garbage, a line
 * over 1 MiB, lines of 5 fields) or trailing TABs into a few regular files.  Each is
 * counted in the job, so expected.json says what a reader must report. */
#include "datasets/gen.h"

/* Adds the fault files after the n regular jobs of P and marks the regular files that get
 * injected lines; returns the new number of jobs. */
size_t cfs_gen_plan_faults(const opts_t *o, plan_t *P, size_t n)
{
    uint32_t fault_lines = o->lpf < 10 ? 10 : o->lpf > 500 ? 500 : o->lpf;
    rng_t r;
    rng_seed(&r, mix2(o->seed, 0x6661756c74ull)); /* "fault" */
    /* fmt -1: as --format; -2: plain with --format plain, else gz */
    static const struct {
        int fault, kind, fmt;
    } extra[] = {
        {FAULT_TRUNC_GZ, J_TRUNC_GZ, FMT_GZ},
        {FAULT_CORRUPT_ZST, J_CORRUPT_ZST, FMT_ZST},
        {FAULT_NO_HEADER, J_NO_HEADER, -1},
        {FAULT_EMPTY, J_EMPTY, FMT_PLAIN},
        {FAULT_MULTI_MEMBER, J_MULTI, FMT_GZ},
        {FAULT_HEADER_SWITCH, J_HDR_SWITCH, -2},
        {FAULT_CRLF, J_CRLF, -1},
    };
    for (size_t e = 0; e < sizeof extra / sizeof extra[0]; e++) {
        if (!(o->faults & (1u << extra[e].fault))) continue;
        job_t *J = &P->j[n];
        J->kind = (uint8_t)extra[e].kind;
        J->fmt = (uint8_t)(extra[e].fmt == -1   ? o->fmt
                           : extra[e].fmt == -2 ? (o->fmt == FMT_PLAIN ? FMT_PLAIN : FMT_GZ)
                                                : extra[e].fmt);
        J->layout = LAY_33;
        J->good = J->kind != J_NO_HEADER && J->kind != J_TRUNC_GZ && J->kind != J_CORRUPT_ZST &&
                  J->kind != J_EMPTY;
        J->damaged = J->kind == J_TRUNC_GZ || J->kind == J_CORRUPT_ZST;
        J->dist = 0;
        J->day = 0;
        J->hour = (uint32_t)(6 + e * 2);
        J->nlines = J->kind == J_EMPTY ? 0 : fault_lines;
        if (J->kind == J_TRUNC_GZ || J->kind == J_CORRUPT_ZST)
            J->nlines = fault_lines < 200 ? 200 : fault_lines; /* enough to cut mid-stream */
        n++;
    }
    /* line-level faults go into a few regular files */
    static const struct {
        int fault, inj, files;
    } lf[] = {
        {FAULT_GARBAGE, INJ_GARBAGE, 2},
        {FAULT_LONG_LINE, INJ_LONG, 1},
        {FAULT_SHORT_LINES, INJ_SHORT, 2},
        {FAULT_TRAILING_TAB, INJ_TTAB, 2},
    };
    for (size_t f = 0; f < sizeof lf / sizeof lf[0]; f++) {
        if (!(o->faults & (1u << lf[f].fault))) continue;
        for (int k = 0; k < lf[f].files; k++)
            P->j[rng_below(&r, (uint32_t)P->nregular)].inject |= (uint8_t)lf[f].inj;
    }
    return n;
}

static int cmp_inj(const void *a, const void *b)
{
    const inj_t *x = a, *y = b;
    return x->pos < y->pos ? -1 : x->pos > y->pos ? 1 : x->what - y->what;
}

/* The injected lines of job J: (line index before which it goes, what), sorted; at most
 * 3 + 1 + 5 entries.  Returns how many. */
int cfs_gen_inject_plan(rng_t *r, const job_t *J, inj_t *inj)
{
    int ninj = 0;
    if (J->inject & INJ_GARBAGE)
        for (uint32_t k = rng_range(r, 1, 3); k; k--)
            inj[ninj++] = (inj_t){rng_below(r, J->nlines + 1), INJ_GARBAGE};
    if (J->inject & INJ_LONG) inj[ninj++] = (inj_t){rng_below(r, J->nlines + 1), INJ_LONG};
    if (J->inject & INJ_SHORT)
        for (uint32_t k = rng_range(r, 2, 5); k; k--)
            inj[ninj++] = (inj_t){rng_below(r, J->nlines + 1), INJ_SHORT};
    qsort(inj, (size_t)ninj, sizeof inj[0], cmp_inj);
    return ninj;
}

/* 200 random bytes, no '\n', the first forced to NUL */
static void put_garbage(buf_t *b, rng_t *r)
{
    buf_reserve(b, 202);
    char *p = b->p + b->n;
    for (int k = 0; k < 200; k++) {
        uint8_t c = (uint8_t)rng_next(r);
        p[k] = (char)(c == '\n' || c == '\r' ? 0x01 : c);
    }
    p[0] = 0;
    p[200] = '\n';
    b->n += 201;
}

/* > 1 MiB of printable bytes, no TAB */
static void put_long_line(buf_t *b, rng_t *r)
{
    size_t n = (1u << 20) + 4096;
    buf_reserve(b, n + 1);
    char *p = b->p + b->n;
    for (size_t k = 0; k < n; k += 8) {
        uint64_t x = rng_next(r);
        for (size_t m = 0; m < 8 && k + m < n; m++) p[k + m] = (char)(0x21 + ((x >> (8 * m)) & 0xff) % 94);
    }
    p[n] = '\n';
    b->n += n + 1;
}

/* Writes one injected line of kind `what` into T->text and counts its rejection. */
void cfs_gen_inject_line(const fctx_t *F, rng_t *r, job_t *J, tls_t *T, const layout_t *lay, int crlf,
                         uint8_t what)
{
    buf_t *b = &T->text;
    if (what == INJ_GARBAGE) {
        put_garbage(b, r);
        J->rej_binary++;
    } else if (what == INJ_LONG) {
        put_long_line(b, r);
        J->rej_long++;
    } else {
        /* only the first 5 fields of a real-looking line */
        cfs_gen_line(F, r, T->line, C_NONE);
        buf_reserve(b, MAX_LINE);
        b->n = (size_t)(emit_line(b->p + b->n, T->line, lay, 5, crlf, 0) - b->p);
        J->rej_short++;
    }
}

/* The damage done to a compressed file after compression. */
void cfs_gen_fault_damage(const job_t *J, buf_t *comp)
{
    if (J->kind == J_TRUNC_GZ) {
        /* cut inside the deflate stream: well after the 10-byte header, before the trailer */
        size_t keep = comp->n / 2;
        if (keep < 16) keep = comp->n > 9 ? comp->n - 9 : comp->n;
        comp->n = keep;
    } else if (J->kind == J_CORRUPT_ZST && comp->n > 64) {
        /* flip bytes mid-frame; the frame checksum makes the damage detectable even when
         * the block still decodes */
        for (size_t k = 0; k < 24; k++) comp->p[comp->n / 2 + k] ^= (char)0x5A;
    }
}
