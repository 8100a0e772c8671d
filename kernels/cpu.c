/* CPU feature detection and the kernel dispatch table: which structural-scan variants are
 * compiled in (best first), which the running CPU can execute, and the one remembered
 * choice (the only global in kernels/).  See kernels/README.md for forcing a kernel. */
#include "kernels/kernels.h"
#include "kernels/scan_blocks.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#define CFS_X86 1
#include <cpuid.h>
#endif

/* The variants live in their own files so each carries only its own target attribute;
 * their prototypes are in scan_blocks.h. */

/* Best first: cfs_kernel_select() takes the first entry the host supports, and scalar,
 * which needs nothing, is last so the search always ends. */
static const cfs_kernel kernel_table[] = {
#if defined(CFS_X86)
    {"avx512", CFS_CPU_AVX512 | CFS_CPU_AVX2, cfs_scan_avx512, cfs_cols_avx512, cfs_pick_avx512},
    {"bmi2", CFS_CPU_AVX2 | CFS_CPU_FAST_PDEP, cfs_scan_avx2, cfs_cols_avx2, cfs_pick_bmi2},
    {"avx2", CFS_CPU_AVX2, cfs_scan_avx2, cfs_cols_avx2, cfs_pick_avx2},
    {"sse42", CFS_CPU_SSE42, cfs_scan_sse42, cfs_cols_sse42, cfs_pick_sse42},
#endif
#if defined(__aarch64__)
    {"neon", CFS_CPU_NEON, cfs_scan_neon, cfs_cols_neon, cfs_pick_neon},
#endif
    {"scalar", 0, cfs_scan_scalar, cfs_cols_scalar, cfs_pick_scalar},
};
#define KERNEL_COUNT (sizeof kernel_table / sizeof kernel_table[0])

/* The kernel chosen by cfs_kernel_select(); NULL until a selection succeeds.  Written
 * only by cfs_kernel_select(), which callers run once before any parallel region. */
static const cfs_kernel *active_kernel;

#if defined(CFS_X86)
/* XCR0 via XGETBV (ECX = 0).  Only valid when CPUID says OSXSAVE; spelled as inline asm
 * so that this file needs no target("xsave") attribute. */
static uint64_t read_xcr0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}
#endif

unsigned cfs_cpu_features(void)
{
    unsigned features = 0;
#if defined(CFS_X86)
    /* Each leaf is read once: leaf 0 (vendor), leaf 1 (family, ECX bits), leaf 7 sub-leaf
     * 0 (EBX and ECX bits), and XCR0 only where leaf 1 says XGETBV works. */
    unsigned max, vendor[3] = {0, 0, 0}, eax1, ebx, ecx1, edx;
    if (!__get_cpuid(0, &max, &vendor[0], &vendor[2], &vendor[1])) return 0;
    if (max < 1 || !__get_cpuid(1, &eax1, &ebx, &ecx1, &edx)) return 0;
    unsigned eax7 = 0, ebx7 = 0, ecx7 = 0, edx7 = 0;
    if (max >= 7) __get_cpuid_count(7, 0, &eax7, &ebx7, &ecx7, &edx7);
    /* Leaf 1 ECX: bit 20 SSE4.2, bit 23 POPCNT, bit 27 OSXSAVE (OS uses XSAVE, so
     * XGETBV works).  POPCNT is required with SSE4.2 because target("sse4.2") lets the
     * compiler emit POPCNT; every SSE4.2 CPU has it, so this excludes nothing real. */
    const int sse42 = (ecx1 >> 20) & 1;
    const int popcnt = (ecx1 >> 23) & 1;
    const int osxsave = (ecx1 >> 27) & 1;
    const uint64_t xcr0 = osxsave ? read_xcr0() : 0;
    if (sse42 && popcnt) features |= CFS_CPU_SSE42;
    /* AVX2 needs the CPU bit (leaf 7 EBX bit 5) and the OS saving both XMM and YMM state
     * (XCR0 bits 1 and 2); without the latter, YMM use would fault or be clobbered on
     * context switch.  It also implies the SSE4.2 level above.  The AVX2 kernel is
     * compiled with BMI1 too (TZCNT/BLSR in its bit walk): leaf 7 EBX bit 3.  Every AVX2
     * CPU has BMI1, but a hypervisor may hide it, so it is checked. */
    if ((features & CFS_CPU_SSE42) && (xcr0 & 0x6) == 0x6 && ((ebx7 >> 5) & 1) && ((ebx7 >> 3) & 1))
        features |= CFS_CPU_AVX2;
    /* Fast PDEP: BMI2 (leaf 7 EBX bit 8), on any CPU but AMD's (and Hygon's) before family
     * 19h (Zen 3), where PDEP is microcoded at tens of cycles.  The family is the base
     * family plus the extended one when the base is 0xF (leaf 1 EAX). */
    if ((features & CFS_CPU_AVX2) && ((ebx7 >> 8) & 1)) {
        unsigned family = (eax1 >> 8) & 0xF;
        if (family == 0xF) family += (eax1 >> 20) & 0xFF;
        char v[13];
        memcpy(v, vendor, 12);
        v[12] = 0;
        int amd = strcmp(v, "AuthenticAMD") == 0 || strcmp(v, "HygonGenuine") == 0;
        if (!amd || family >= 0x19) features |= CFS_CPU_FAST_PDEP;
    }
    /* AVX-512 F, BW and VBMI2: leaf 7 EBX bits 16 and 30, ECX bit 6, with the OS saving
     * the opmask and both halves of the ZMM registers besides XMM and YMM (XCR0 bits 5, 6,
     * 7 and 1, 2).  VBMI2 (VPCOMPRESSB, for the locators) also marks the CPUs that run
     * 512-bit integer code without lowering the clock of the core (Intel since Ice Lake,
     * AMD since Zen 4), leaving out Skylake-SP and Cascade Lake, which do lower it. */
    if ((features & CFS_CPU_AVX2) && (xcr0 & 0xE6) == 0xE6 && ((ebx7 >> 16) & 1) && ((ebx7 >> 30) & 1) &&
        ((ecx7 >> 6) & 1))
        features |= CFS_CPU_AVX512;
#elif defined(__aarch64__)
    /* Advanced SIMD is mandatory in the AArch64 base architecture. */
    features |= CFS_CPU_NEON;
#endif
    return features;
}

const cfs_kernel *cfs_kernel_table(size_t *count)
{
    if (count != NULL) *count = KERNEL_COUNT;
    return kernel_table;
}

static const cfs_kernel *find_by_name(const char *name)
{
    if (name == NULL) return NULL;
    for (size_t i = 0; i < KERNEL_COUNT; i++)
        if (strcmp(kernel_table[i].name, name) == 0) return &kernel_table[i];
    return NULL;
}

static int host_supports(const cfs_kernel *k, unsigned features) { return (k->required & ~features) == 0; }

const cfs_kernel *cfs_kernel_by_name(const char *name)
{
    const cfs_kernel *k = find_by_name(name);
    return (k != NULL && host_supports(k, cfs_cpu_features())) ? k : NULL;
}

static const cfs_kernel *best_supported(unsigned features)
{
    for (size_t i = 0; i < KERNEL_COUNT; i++)
        if (host_supports(&kernel_table[i], features)) return &kernel_table[i];
    return &kernel_table[KERNEL_COUNT - 1]; /* unreachable: scalar requires nothing */
}

/* Appends to err[0..errlen) at *used, truncating silently; err stays NUL-terminated. */
static void err_append(char *err, size_t errlen, size_t *used, const char *s)
{
    if (err == NULL || errlen == 0) return;
    const size_t room = errlen - 1 - *used;
    size_t n = strlen(s);
    if (n > room) n = room;
    memcpy(err + *used, s, n);
    *used += n;
    err[*used] = '\0';
}

const cfs_kernel *cfs_kernel_select(char *err, size_t errlen)
{
    size_t used = 0;
    if (err != NULL && errlen > 0) err[0] = '\0';
    const unsigned features = cfs_cpu_features();
    const char *want = getenv("CFSCAN_KERNEL");
    /* An empty value counts as unset, the way shells clear a variable. */
    if (want == NULL || want[0] == '\0') {
        active_kernel = best_supported(features);
        return active_kernel;
    }
    const cfs_kernel *k = find_by_name(want);
    if (k == NULL) {
        /* A typo must not silently fall back: the caller treats this as a hard error. */
        err_append(err, errlen, &used, "unknown kernel '");
        err_append(err, errlen, &used, want);
        err_append(err, errlen, &used, "' (known: ");
        for (size_t i = 0; i < KERNEL_COUNT; i++) {
            err_append(err, errlen, &used, kernel_table[i].name);
            err_append(err, errlen, &used, i + 1 < KERNEL_COUNT ? ", " : ")");
        }
        return NULL;
    }
    if (!host_supports(k, features)) {
        err_append(err, errlen, &used, "kernel '");
        err_append(err, errlen, &used, k->name);
        err_append(err, errlen, &used, "' not supported by this CPU");
        return NULL;
    }
    active_kernel = k;
    return k;
}

const cfs_kernel *cfs_kernel_active(void)
{
    /* Before any successful select, answer the default without storing it, so a call
     * from inside a parallel region never writes the global.  The default ignores
     * CFSCAN_KERNEL: honouring it (and reporting a bad name) is cfs_kernel_select()'s job. */
    if (active_kernel != NULL) return active_kernel;
    return best_supported(cfs_cpu_features());
}
