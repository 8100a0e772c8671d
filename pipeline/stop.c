/* The request to stop early (see stop.h). */
#include "pipeline/stop.h"

#include <stddef.h>

static const volatile sig_atomic_t *g_flag;

void cfs_stop_watch(const volatile sig_atomic_t *flag) { g_flag = flag; }

int cfs_stop_requested(void) { return g_flag != NULL && *g_flag != 0; }
