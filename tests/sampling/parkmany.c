/* Many threads parked at once: N threads blocked in pthread_mutex_lock (not wrapped: each one is
 * sampled with threadleak's signal), each at its own depth of recursion, named after it.
 *   -n N   blocked threads (default 2000); thread i recurses 1 + i % 7 times in descend() and
 *          is named "pm<depth>"
 *   -c C   C in-process checks while they stay blocked, each document printed after an ASCII
 *          record separator (0x1e) (default 3)
 *   -t T   T threads that block and unblock every signal in a loop while the checks run, so
 *          that signals arrive late, at the unblocking, and slots are given up on
 * Prints "main done" and exits with main still holding the mutex: the exit check samples the
 * N threads once more. */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "threadleak.h"

#define DEPTHS 7

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static atomic_int arrived, stop;

static int descend(int depth)
{
	volatile int here = depth;
	if (depth > 1)
		return descend(depth - 1) + here;
	pthread_mutex_lock(&mu); /* PARKED */
	pthread_mutex_unlock(&mu);
	return here;
}

static void *parker(void *arg)
{
	int depth = (int)(intptr_t)arg;
	char name[16];
	snprintf(name, sizeof(name), "pm%d", depth);
	pthread_setname_np(pthread_self(), name);
	atomic_fetch_add(&arrived, 1);
	return (void *)(intptr_t)descend(depth);
}

static void *toggler(void *arg)
{
	sigset_t all;
	sigfillset(&all);
	while (!atomic_load(&stop)) {
		pthread_sigmask(SIG_BLOCK, &all, NULL);
		for (volatile int i = 0; i < 2000; i++)
			;
		pthread_sigmask(SIG_UNBLOCK, &all, NULL);
		for (volatile int i = 0; i < 2000; i++)
			;
	}
	return arg;
}

/* Tasks asleep in a futex wait (system call 202), from /proc. */
static int in_futex(void)
{
	int count = 0;
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL) {
		char path[300], buf[16] = "";
		snprintf(path, sizeof(path), "/proc/self/task/%s/syscall", e->d_name);
		FILE *f = fopen(path, "r");
		if (f == NULL)
			continue;
		count += fgets(buf, sizeof(buf), f) && strncmp(buf, "202 ", 4) == 0;
		fclose(f);
	}
	if (d)
		closedir(d);
	return count;
}

int main(int argc, char **argv)
{
	int n = 2000, checks = 3, toggling = 0, opt;
	while ((opt = getopt(argc, argv, "n:c:t:")) != -1) {
		if (opt == 'n')
			n = atoi(optarg);
		else if (opt == 'c')
			checks = atoi(optarg);
		else if (opt == 't')
			toggling = atoi(optarg);
	}
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	pthread_mutex_lock(&mu);
	for (int i = 0; i < n; i++) {
		pthread_t t;
		if (pthread_create(&t, &attr, parker, (void *)(intptr_t)(1 + i % DEPTHS)) != 0) {
			perror("pthread_create");
			return 2;
		}
	}
	pthread_t tt[16];
	for (int i = 0; i < toggling && i < 16; i++)
		pthread_create(&tt[i], NULL, toggler, NULL);
	while (atomic_load(&arrived) < n || in_futex() < n)
		usleep(10000); /* every parker asleep on the mutex */
	for (int i = 0; i < checks; i++) {
		char *json = threadleak_report_json(NULL);
		printf("\x1e%s\n", json ? json : "null");
		free(json);
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < toggling && i < 16; i++)
		pthread_join(tt[i], NULL);
	printf("main done\n");
	fflush(stdout);
	return 0;
}
