/* A request to stop early (SIGINT, SIGTERM), seen by the code that waits on others: a
 * read from a pipe, an S3 request and its retries.  The command line names the flag its
 * signal handler raises; a program that names none never stops here. */
#ifndef CFS_STOP_H
#define CFS_STOP_H

#include <signal.h>

/* The flag to watch (NULL: none). */
void cfs_stop_watch(const volatile sig_atomic_t *flag);
/* Whether the flag is raised. */
int cfs_stop_requested(void);

#endif
