/* The check runs in the thread that calls exit() or the API, whatever its stack: a worker made
 * with PTHREAD_STACK_MIN that calls exit(), a test runner's thread with a 32 KiB stack asking
 * for a report, a main thread under `ulimit -s 128`. argv[1]: exit | api | main; argv[2]: how
 * many threads to leak (blocked in pause).
 * creates: a PTHREAD_STACK_MIN thread that has used argv[2] bytes of its stack creates a thread
 * that leaks (the walk of its creation stack needs several KiB: it crashed from 6000 bytes on,
 * bare from 9000).
 * creates_left: a thread on a 1 MiB stack goes down it until argv[2] bytes are left, then creates
 * a thread that leaks (the room for the walk was known on small stacks only: it crashed with
 * 5.5 KiB left; bare works with 600 bytes).
 * exit_deep: the same PTHREAD_STACK_MIN thread calls exit() having used argv[2] bytes of its
 * stack, next to a leaked thread (the exit path before the check's own stack took 8.6 KiB of
 * it: SIGSEGV from the first bytes used; bare works up to about 8.6 KiB). */
#define _GNU_SOURCE
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../scenarios/deep_stack.h"
#include "threadleak.h"

static void *blocked(void *arg)
{
	for (;;)
		pause(); /* leak: nobody wakes it */
	return arg;
}

static void *asker(void *arg)
{
	(void)arg;
	int leaked = -1;
	char *json = threadleak_report_json(&leaked); /* the check runs here, on 32 KiB */
	printf("api: %d leaked, %s\n", leaked, json ? "report" : "no report");
	free(json);
	return NULL;
}

static int used = 1; /* bytes of its stack a small thread uses first (exit_deep, creates) */

/* exit(0) on a PTHREAD_STACK_MIN stack, `used` bytes of it taken: the check runs here */
static void *ender(void *arg)
{
	volatile char pad[used];
	memset((char *)pad, 1, (size_t)used);
	usleep(20000);
	exit(pad[0] - 1); /* 0 */
	return arg;
}

static void *creator(void *arg)
{
	volatile char pad[used];
	pthread_t t;
	memset((char *)pad, 1, (size_t)used);
	pthread_create(&t, NULL, blocked, NULL); /* created here */
	return (void *)(long)pad[0];
}

static uintptr_t deep_lo; /* creates_left: the lowest address of the creator's stack */

/* deep_stack.h's go_down_to, with pthread_create in the descending frame itself: the test
 * finds that frame, go_down, as the creator (the walk is skipped there, only the caller kept) */
static void __attribute__((noinline)) go_down(void)
{
	volatile char frame[128];
	frame[0] = 1;
	if ((uintptr_t)frame - deep_lo > (uintptr_t)used) {
		go_down();
		frame[1] = frame[0]; /* not a tail call */
		return;
	}
	pthread_t t;
	pthread_create(&t, NULL, blocked, NULL); /* created deep */
}

static void *deep_creator(void *arg)
{
	deep_lo = stack_low_end();
	go_down();
	return arg;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "exit";
	int n = argc > 2 ? atoi(argv[2]) : 2;
	pthread_t t;
	/* creates and exit_deep: n is the stack they use, their one leak is their own */
	bool sized = strcmp(mode, "creates") == 0 || strcmp(mode, "exit_deep") == 0 ||
	             strcmp(mode, "creates_left") == 0;
	for (int i = 0; i < n && !sized; i++)
		pthread_create(&t, NULL, blocked, NULL);
	pthread_attr_t small;
	pthread_attr_init(&small);
	if (strcmp(mode, "exit") == 0 || strcmp(mode, "exit_deep") == 0) {
		if (sized) { /* exit_deep: one leak */
			used = n;
			pthread_create(&t, NULL, blocked, NULL);
		}
		pthread_attr_setstacksize(&small, PTHREAD_STACK_MIN);
		pthread_create(&t, &small, ender, NULL);
		for (;;)
			pause();
	}
	if (strcmp(mode, "creates") == 0) {
		used = n;
		memset(&t, 0, sizeof(t)); /* memset bound before the small thread needs it */
		pthread_attr_setstacksize(&small, PTHREAD_STACK_MIN);
		pthread_create(&t, &small, creator, NULL);
		pthread_join(t, NULL);
		return 0;
	}
	if (strcmp(mode, "creates_left") == 0) {
		used = n; /* here: the bytes left */
		pthread_attr_setstacksize(&small, 1 << 20);
		pthread_create(&t, &small, deep_creator, NULL);
		pthread_join(t, NULL);
		return 0;
	}
	if (strcmp(mode, "api") == 0) {
		pthread_attr_setstacksize(&small, 32 * 1024);
		pthread_create(&t, &small, asker, NULL);
		pthread_join(t, NULL);
		threadleak_set_exit_check(0);
		return 0;
	}
	usleep(20000);
	return 0; /* main: the exit check on the main thread's small stack */
}
