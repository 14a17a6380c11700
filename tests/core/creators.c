/* Creation stacks from both of the unwinder's ways (preload/capture.c STEPPED_CAPTURES: a
 * thread's first 64 creations are walked step by step, the later ones use libunwind's cache):
 *   main      creates 70 workers in one loop, each blocked on a condition variable for good;
 *   launcher  a thread that creates one worker of its own (its first creation) and ends, joined;
 *   via_x, via_y  main again, in turn, 8 workers each through one function (spawn_common) from
 *             two callers of the same frame size: the creations are at the same stack address,
 *             and a stack seen before must not be taken for the other caller's (capture.c,
 *             "creation stacks seen before").
 * Expected: 87 leaks; every worker's creation stack starts at its pthread_create line, the same
 * frames for main's first worker and its last, and each of the 16 names its own caller. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#define MAIN_WORKERS 70

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;

static void *worker(void *arg)
{
	pthread_mutex_lock(&mu);
	for (;;)
		pthread_cond_wait(&never, &mu);
	return arg;
}

static void *launched(void *arg)
{
	return worker(arg);
}

static void *launcher(void *arg)
{
	pthread_t t;
	pthread_create(&t, NULL, launched, NULL); /* CREATE_NESTED */
	return arg;
}

static __attribute__((noinline)) void start_workers(void)
{
	for (int i = 0; i < MAIN_WORKERS; i++) {
		pthread_t t;
		pthread_create(&t, NULL, worker, NULL); /* CREATE_LOOP */
	}
}

static void *worker_x(void *arg)
{
	return worker(arg);
}

static void *worker_y(void *arg)
{
	return worker(arg);
}

static __attribute__((noinline)) void spawn_common(void *(*fn)(void *))
{
	pthread_t t;
	pthread_create(&t, NULL, fn, NULL); /* CREATE_COMMON */
	__asm__ volatile("");
}

static __attribute__((noinline)) void via_x(void)
{
	spawn_common(worker_x);
	__asm__ volatile("");
}

static __attribute__((noinline)) void via_y(void)
{
	spawn_common(worker_y);
	__asm__ volatile("");
}

int main(void)
{
	pthread_t l;
	start_workers();
	for (int i = 0; i < 8; i++) {
		via_x();
		via_y();
	}
	pthread_create(&l, NULL, launcher, NULL);
	pthread_join(l, NULL);
	usleep(50 * 1000);
	printf("creators\n");
	return 0;
}
