/* The exit check's cost: N threads blocked at exit, then exit().
 *
 *   tlexit cond|mutex N
 *
 * cond: every thread waits, untimed, on one condition variable nobody signals; mutex: main
 * holds a mutex every thread is blocked locking. Once all N are blocked the program prints
 * its resident memory (kB) and the CLOCK_MONOTONIC time (ns) at which it calls exit() ("NS
 * KB"), and calls it: the parent (bench/run)
 * reaps it and takes the time between that moment and the reaping, bare and preloaded, so
 * creating the threads is not part of what is compared. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static atomic_int arrived;

static void *cond_waiter(void *arg)
{
	pthread_mutex_lock(&mu);
	atomic_fetch_add(&arrived, 1);
	for (;;)
		pthread_cond_wait(&cv, &mu);
	return arg;
}

static void *mutex_waiter(void *arg)
{
	atomic_fetch_add(&arrived, 1);
	pthread_mutex_lock(&mu);
	return arg;
}

int main(int argc, char **argv)
{
	if (argc != 3 || (strcmp(argv[1], "cond") && strcmp(argv[1], "mutex"))) {
		fprintf(stderr, "usage: %s cond|mutex N\n", argv[0]);
		return 2;
	}
	bool cond = strcmp(argv[1], "cond") == 0;
	long n = strtol(argv[2], NULL, 10);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	if (!cond)
		pthread_mutex_lock(&mu);
	for (long i = 0; i < n; i++) {
		pthread_t t;
		if (pthread_create(&t, &attr, cond ? cond_waiter : mutex_waiter, NULL) != 0) {
			perror("pthread_create");
			return 2;
		}
	}
	while (atomic_load(&arrived) < n)
		usleep(1000);
	/* every waiter has announced itself; give the last ones time to block in the kernel */
	if (cond) {
		pthread_mutex_lock(&mu);
		pthread_mutex_unlock(&mu);
	}
	usleep(20000);
	/* resident memory before exit: the check's own peak is the process's peak beyond it */
	long rss_kb = 0;
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "VmRSS:", 6) == 0)
			rss_kb = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	printf("%lld %ld\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec, rss_kb);
	fflush(stdout);
	exit(0);
}
