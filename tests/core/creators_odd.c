/* Creation stacks taken where a kept walk must not be trusted (preload/capture.c, "the creation
 * stacks' memo"), before and after a thread's first 64 creations:
 *   coroutine   main runs coroutines (makecontext) on stacks of its own, mapped for each and
 *               unmapped after it: 48 KiB, 96 KiB, then 48 KiB again, so that a later stack
 *               lies where an earlier one was but ends lower; each creates one worker from
 *               co_body through co_spawn;
 *   handler     main raises SIGUSR1, whose handler creates a worker: once on main's stack and
 *               once on an alternate signal stack;
 *   loop        main creates 70 workers in one loop (past the first 64 creations), then all
 *               of the above once more.
 * Expected: 70 + 2 * (3 + 2) = 80 leaks, each created at its own pthread_create line, under
 * its own callers; no crash. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;

static void *worker(void *arg)
{
	pthread_mutex_lock(&mu);
	for (;;)
		pthread_cond_wait(&never, &mu);
	return arg;
}

static void *worker_loop(void *arg)
{
	return worker(arg);
}

static void *worker_co(void *arg)
{
	return worker(arg);
}

static void *worker_sig(void *arg)
{
	return worker(arg);
}

static void *worker_alt(void *arg)
{
	return worker(arg);
}

static ucontext_t main_ctx, co_ctx;

static __attribute__((noinline)) void co_spawn(void)
{
	pthread_t t;
	pthread_create(&t, NULL, worker_co, NULL); /* CREATE_CO */
	__asm__ volatile("" ::: "memory");
}

static void co_body(void)
{
	co_spawn();
	__asm__ volatile("" ::: "memory");
}

static void run_coroutine(size_t size)
{
	char *stack = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (stack == MAP_FAILED)
		abort();
	getcontext(&co_ctx);
	co_ctx.uc_stack.ss_sp = stack;
	co_ctx.uc_stack.ss_size = size;
	co_ctx.uc_link = &main_ctx;
	makecontext(&co_ctx, co_body, 0);
	swapcontext(&main_ctx, &co_ctx);
	munmap(stack, size);
}

static volatile int on_alt;

static void on_signal(int sig)
{
	(void)sig;
	pthread_t t;
	pthread_create(&t, NULL, on_alt ? worker_alt : worker_sig, NULL); /* CREATE_SIG */
	__asm__ volatile("" ::: "memory");
}

static __attribute__((noinline)) void raise_twice(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	on_alt = 0;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1); /* RAISE */

	static char alt[64 * 1024];
	stack_t ss = {.ss_sp = alt, .ss_size = sizeof(alt)};
	sigaltstack(&ss, NULL);
	sa.sa_flags = SA_ONSTACK;
	on_alt = 1;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);
}

static __attribute__((noinline)) void odd_ones(void)
{
	run_coroutine(48 * 1024);
	run_coroutine(96 * 1024);
	run_coroutine(48 * 1024);
	raise_twice();
}

static __attribute__((noinline)) void start_loop(void)
{
	for (int i = 0; i < 70; i++) {
		pthread_t t;
		pthread_create(&t, NULL, worker_loop, NULL); /* CREATE_LOOP */
	}
}

int main(void)
{
	odd_ones();
	start_loop();
	odd_ones();
	usleep(50 * 1000);
	printf("creators_odd\n");
	return 0;
}
