/* The check reads no page of a thread's stack that the thread itself never touched: on a kernel
 * without the zero page for such reads (a Firecracker guest here) each one costs the program a
 * page of memory and a page fault. argv[1] threads (default 8) wait on a condition variable
 * nobody signals; each records its stack block. main looks at which of those pages are in memory
 * (/proc/self/pagemap's present bit), takes a report through the API, and looks again; it
 * prints "untouched N, touched by the check M" over the stacks' lower halves (far below any
 * frame) and exits 0. argv[2] threads (default 0) keep running meanwhile. Under the library the
 * report lists the waiters (verdict: leaked). */
#define _GNU_SOURCE
#include "threadleak.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define MAXT 64
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static uintptr_t lo[MAXT], mid[MAXT];
static int started;

/* Thread i records its stack block's lower half and counts itself started (mu held after). */
static void record_stack(int i)
{
	pthread_attr_t a;
	void *addr;
	size_t size;
	if (pthread_getattr_np(pthread_self(), &a) == 0 &&
	    pthread_attr_getstack(&a, &addr, &size) == 0) {
		lo[i] = (uintptr_t)addr;
		mid[i] = (uintptr_t)addr + size / 2;
		pthread_attr_destroy(&a);
	}
	pthread_mutex_lock(&mu);
	started++;
}

static void *waiter(void *arg)
{
	record_stack((int)(intptr_t)arg);
	for (;;)
		pthread_cond_wait(&cv, &mu); /* WAITS */
	return NULL;
}

/* A thread that keeps running through the check (it yields, to leave the CPUs to the others):
 * the verdicts' scan cannot skip its stack as it skips a waiter's below its sp, and used to read
 * (and so commit) all 8 MiB of it. */
static volatile int spinning = 1;
static void *spinner(void *arg)
{
	record_stack((int)(intptr_t)arg);
	pthread_mutex_unlock(&mu);
	while (spinning)
		sched_yield(); /* RUNS */
	return NULL;
}

static int present(int n, int fd, int *pages)
{
	int count = 0;
	*pages = 0;
	for (int i = 0; i < n; i++)
		for (uintptr_t p = lo[i]; p < mid[i]; p += 4096) {
			uint64_t e = 0;
			if (pread(fd, &e, sizeof(e), (off_t)(p / 4096 * 8)) == sizeof(e) &&
			    (e >> 63))
				count++;
			(*pages)++;
		}
	return count;
}

int main(int argc, char **argv)
{
	int waiters = argc > 1 ? atoi(argv[1]) : 8, spinners = argc > 2 ? atoi(argv[2]) : 0;
	int n = waiters + spinners;
	if (waiters < 1 || spinners < 0 || n > MAXT)
		return 2;
	for (int i = 0; i < n; i++) {
		pthread_t t;
		pthread_create(&t, NULL, i < waiters ? waiter : spinner, (void *)(intptr_t)i);
	}
	for (;;) {
		pthread_mutex_lock(&mu);
		int s = started;
		pthread_mutex_unlock(&mu);
		if (s == n)
			break;
		usleep(1000);
	}
	usleep(20000);
	int fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0)
		return 3;
	int pages, before = present(n, fd, &pages);
	int leaked = 0;
	char *json = threadleak_report_json(&leaked);
	free(json);
	int after = present(n, fd, &pages);
	printf("pages %d, in memory before %d, after the check %d, leaked %d\n", pages, before,
	       after, leaked);
	fflush(stdout);
	_exit(0);
}
