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
#include <dirent.h>
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

/* Tasks of this process that the kernel shows asleep ('S'), the calling one aside. */
static long sleeping_tasks(void)
{
	DIR *d = opendir("/proc/self/task");
	long n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL) {
		char path[300], buf[512];
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/stat", e->d_name);
		FILE *f = fopen(path, "r");
		if (f == NULL)
			continue;
		size_t got = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[got] = '\0';
		const char *p = strrchr(buf, ')');
		n += p != NULL && p[1] == ' ' && p[2] == 'S';
	}
	if (d)
		closedir(d);
	return n;
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
	/* every other task asleep (for the mutex waiters: inside the kernel's futex wait, their
	 * stacks as deep as they get), up to 5 s */
	for (int tries = 0; tries < 500 && sleeping_tasks() < n; tries++)
		usleep(10000);
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
