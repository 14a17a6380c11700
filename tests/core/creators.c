/* Creation stacks from both of the unwinder's ways (preload/capture.c STEPPED_CAPTURES: a
 * thread's first 64 creations are walked step by step, the later ones use libunwind's cache):
 *   main      creates 70 workers in one loop, each blocked on a condition variable for good;
 *   launcher  a thread that creates one worker of its own (its first creation) and ends, joined;
 *   via_x, via_y  main again, in turn, 8 workers each through one function (spawn_common) from
 *             two callers of the same frame size: the creations are at the same stack address,
 *             and a stack seen before must not be taken for the other caller's;
 *   handle    main again, 6 workers through a function with a variable-size buffer (alloca),
 *             called from one call site through chains of 1, 2 and 3 functions, the buffer sized
 *             so that pthread_create runs at the same stack address each time (where the words
 *             of a longer chain are still there, stale, in the buffer).
 * Expected: 93 leaks; every worker's creation stack starts at its pthread_create line, the same
 * frames for main's first worker and its last, and each names its own callers. (A cache of
 * creation stacks checked by the return addresses in their slots failed the last two.) */
#include <alloca.h>
#include <pthread.h>
#include <stdint.h>
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

static void *worker_h1(void *arg)
{
	return worker(arg);
}

static void *worker_h2(void *arg)
{
	return worker(arg);
}

static void *worker_h3(void *arg)
{
	return worker(arg);
}

static uintptr_t target; /* where handle's callee's frame goes, whoever called handle */

static __attribute__((noinline)) void spawn_here(void *(*fn)(void *))
{
	pthread_t t;
	pthread_create(&t, NULL, fn, NULL); /* CREATE_HANDLE */
	__asm__ volatile("" ::: "memory");
}

static __attribute__((noinline)) void handle(void *(*fn)(void *))
{
	uintptr_t here = (uintptr_t)__builtin_frame_address(0);
	volatile char *scratch = alloca(here - target);
	scratch[0] = 1;
	spawn_here(fn);
	__asm__ volatile("" ::: "memory");
}

static __attribute__((noinline)) void middle(void *(*fn)(void *))
{
	volatile char pad[200];
	pad[0] = 1;
	handle(fn);
	__asm__ volatile("" ::: "memory");
}

static __attribute__((noinline)) void outer(void *(*fn)(void *))
{
	volatile char pad[72];
	pad[0] = 1;
	middle(fn);
	__asm__ volatile("" ::: "memory");
}

int main(void)
{
	pthread_t l;
	target = (uintptr_t)__builtin_frame_address(0) - 8192;
	void (*const chain[])(void *(*)(void *)) = {handle, outer, middle, outer, handle, middle};
	void *(*const fns[])(void *) = {worker_h1, worker_h3, worker_h2,
	                                worker_h3, worker_h1, worker_h2};
	for (int i = 0; i < 6; i++)
		chain[i](fns[i]); /* one call site */
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
