/* Leak check of every test executable in a sanitizer build (tools/test.sh, build-asan).
 *
 * Criterion runs each test in a worker process and judges the test by what the worker
 * reports before it exits; LeakSanitizer's own check at exit comes after that report, so
 * its verdict (exit status 23) is ignored and a leak made inside a test, by the test or by
 * the library it calls, would pass.  The destructor below runs the same check in the worker
 * before it exits and aborts when anything leaked: Criterion then names the test ("crashed
 * during its setup or teardown", a warning) and the executable exits non-zero, so CTest
 * fails it (and in sanitizer builds CTest also fails a test whose output holds a
 * LeakSanitizer report: CMakeLists.txt).
 *
 * Suppressions.  In a worker, what the helpers of tests/util_*.c allocate is exempt
 * (captured output, paths and file bodies that tests keep to the end), matched by the
 * helpers' source path; LeakSanitizer then also treats what only such a block points to as
 * reachable, so a test must not keep a library pointer in a helper's buffer.  The helpers'
 * objects reference no cfs_ symbol (CTest's test_helpers_call_no_library), so no library
 * code runs under a helper's frame.  A test body's stack always holds libcriterion.so (the
 * frame that called it), so Criterion's own leak is suppressed only in the runner process,
 * which runs no test: two 48-byte records of its parallel runner, seen with many tests and
 * workers, whose stack is libcriterion.so alone. */
#include "tests/util.h"

#if TU_UNDER_ASAN
#include <sanitizer/lsan_interface.h>
#include <stdio.h>
#include <stdlib.h>

/* Criterion's workers (BoxFort) carry BXFI_MAP in their environment; the runner does not.
 * LeakSanitizer reads this when it first checks, after the process has started. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return getenv("BXFI_MAP") ? "leak:^" CFS_SOURCE_DIR "/tests/util_\n" : "leak:libcriterion.so\n";
}

/* The runner's suppression is expected; listing it after every run is noise. */
const char *__lsan_default_options(void);
const char *__lsan_default_options(void) { return "print_suppressions=0"; }

__attribute__((destructor)) static void tu_leak_check_at_exit(void)
{
    if (__lsan_do_recoverable_leak_check()) {
        fputs("util_leaks: memory leaked in this test process (LeakSanitizer's report above)\n", stderr);
        abort();
    }
}
#endif
