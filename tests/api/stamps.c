/* How long a thread has waited in a wrapped call, as the wrappers' stamps tell it
 * (docs/internals.md, "Timestamps").
 *   stamps_spaced: ten threads enter read() on a pipe nobody writes, 2 ms apart (each only
 *     once the one before is asleep), then a mid-run check: their blocked_ms must fall by at
 *     least 1 from one to the next. On the coarse clock (a 4 ms tick here) entries 2 ms apart
 *     shared a stamp about half the time.
 *   stamps_notsc: a thread forbids itself the time-stamp counter (PR_SET_TSC, as a tracer
 *     does), then blocks in read(): it must be reported blocked there, not killed by SIGSEGV
 *     in our wrapper; so must a thread it creates afterwards (which inherits the setting). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "task_state.h"
#include "threadleak.h"

#define N 10
static int fds[2];

static _Atomic pid_t tid_of[N + 1];

static void *reader(void *arg)
{
	long i = (long)arg;
	char name[16], c;
	snprintf(name, sizeof(name), "reader%ld", i);
	pthread_setname_np(pthread_self(), name);
	tid_of[i] = gettid();
	(void)!read(fds[0], &c, 1);
	return NULL;
}

static void *child(void *arg)
{
	char c;
	pthread_setname_np(pthread_self(), "inherits");
	tid_of[N] = gettid();
	(void)!read(fds[0], &c, 1);
	return arg;
}

static void *no_counter(void *arg)
{
	pthread_t t;
	char c;
	pthread_setname_np(pthread_self(), "notsc");
	if (prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0) != 0)
		perror("prctl");
	pthread_create(&t, NULL, child, NULL);
	(void)!read(fds[0], &c, 1);
	return arg;
}

static void wait_asleep(int i)
{
	while (tid_of[i] == 0 || !asleep(tid_of[i]))
		usleep(200);
}

int main(int argc, char **argv)
{
	pthread_t t;
	if (pipe(fds) != 0)
		return 1;
	if (argc > 1 && strcmp(argv[1], "notsc") == 0) {
		pthread_create(&t, NULL, no_counter, NULL);
		wait_asleep(N);
		usleep(20000);
	} else {
		for (long i = 0; i < N; i++) {
			pthread_create(&t, NULL, reader, (void *)i);
			wait_asleep((int)i);
			usleep(2000);
		}
	}
	threadleak_verify_none();
	printf("done\n");
	return 0;
}
