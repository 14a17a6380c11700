/* A thread closes every fd above 2 in a loop (close_range) while main runs
 * threadleak_verify_none() with 600 leaked threads waiting on a condition variable: the check's
 * own /proc fds are closed under it. Every waiter must still be reported blocked (a listing of
 * /proc/self/task cut short by the close took the threads after the cut for exited). Prints
 * "verify N". */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "threadleak.h"

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static volatile int stop;

static void *waiter(void *arg)
{
	pthread_mutex_lock(&mu);
	for (;;)
		pthread_cond_wait(&cv, &mu); /* WAITING */
	return arg;
}

static void *closer(void *arg)
{
	while (!stop)
		syscall(SYS_close_range, 3, ~0U, 0);
	return arg;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 600;
	pthread_t t, c;
	for (int i = 0; i < n; i++)
		pthread_create(&t, NULL, waiter, NULL);
	pthread_create(&c, NULL, closer, NULL);
	usleep(20000);
	int r = threadleak_verify_none();
	stop = 1;
	pthread_join(c, NULL);
	printf("verify %d\n", r);
	fflush(stdout);
	_exit(0);
}
