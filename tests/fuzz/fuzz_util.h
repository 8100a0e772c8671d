/* Helpers shared by the libFuzzer targets: put the fuzzer's bytes in an anonymous
 * in-memory file (memfd) so the readers under test open a real path, as they do in use. */
#ifndef CFSCAN_TESTS_FUZZ_FUZZ_UTIL_H
#define CFSCAN_TESTS_FUZZ_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* The bytes as a file: returns the descriptor (close it when done) and its path
 * ("/proc/self/fd/N", which open() and stat() follow to the memfd). */
static inline int fz_memfile(const uint8_t *data, size_t size, char path[64])
{
    int fd = memfd_create("cfsfuzz", MFD_CLOEXEC);
    if (fd < 0) abort(); /* the harness itself is broken, not the code under test */
    size_t off = 0;
    while (off < size) {
        ssize_t k = write(fd, data + off, size - off);
        if (k <= 0) abort();
        off += (size_t)k;
    }
    snprintf(path, 64, "/proc/self/fd/%d", fd);
    return fd;
}

#endif
