/* main destroys a condition variable a worker still waits on, and glibc's pthread_cond_destroy
 * waits for that worker forever. threadleak run's request lands on main (the kernel prefers
 * the main thread for a signal sent to the process), which is in no wrapper of ours and hands
 * the report to the worker, waiting in our handler meanwhile: the report must describe main by
 * the call the signal interrupted (futex on cv, in pthread_cond_destroy, under teardown at
 * DESTROY), not by our own wait. Prints "shutting down" first.
 *
 * "slow": the whole process on one CPU, where a thread spins, and main at nice 19. The request
 * lands on main, which hands it to the worker, and is slow to leave our handler once the
 * report is made: run's SIGTERM, sent as soon as the report is there, lands on another thread
 * meanwhile. It must not make a second report (it replaced the first one: the same file). */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static bool waiting; /* set under mu, which the waiter releases only inside its wait */

static void *waiter(void *arg)
{
	pthread_mutex_lock(&mu);
	waiting = true;
	for (;;)
		pthread_cond_wait(&cv, &mu); /* WAIT */
	return arg;
}

static void *spinner(void *arg)
{
	for (volatile unsigned long n = 0;; n++)
		;
	return arg;
}

static __attribute__((noinline)) void teardown(void)
{
	pthread_cond_destroy(&cv); /* DESTROY */
}

int main(int argc, char **argv)
{
	pthread_t t, s;
	bool slow = argc > 1 && strcmp(argv[1], "slow") == 0;
	if (slow) {
		cpu_set_t one;
		CPU_ZERO(&one);
		CPU_SET(sched_getcpu(), &one);
		sched_setaffinity(0, sizeof(one), &one); /* inherited by the threads */
		pthread_create(&s, NULL, spinner, NULL);
	}
	pthread_create(&t, NULL, waiter, NULL);
	if (slow)
		setpriority(PRIO_PROCESS, (id_t)gettid(), 19); /* main only */
	/* the waiter in its wait before the destroy: a fixed 50 ms was not always enough on a
	 * loaded machine (the destroy found no waiter, and the program ended) */
	for (bool in = false; !in; usleep(1000)) {
		pthread_mutex_lock(&mu);
		in = waiting;
		pthread_mutex_unlock(&mu);
	}
	usleep(50 * 1000);
	printf("shutting down\n");
	fflush(stdout);
	teardown();
	return 0;
}
