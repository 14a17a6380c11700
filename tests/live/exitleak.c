/* Leaks a thread waiting on a condition variable and a spinning one (which keeps the exit
 * check's grace period going: a running thread may change), says "ready" and returns from
 * main: a request that comes during the exit check is answered, and the check still reports
 * both threads. */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static void *waiter(void *arg)
{
	pthread_mutex_lock(&mu);
	for (;;)
		pthread_cond_wait(&cv, &mu); /* WAITER_BLOCKS */
	return arg;
}

static void *spinner(void *arg)
{
	for (volatile unsigned long n = 0;; n++)
		;
	return arg;
}

int main(void)
{
	pthread_t t;
	pthread_create(&t, NULL, waiter, NULL);
	pthread_create(&t, NULL, spinner, NULL);
	printf("ready\n");
	fflush(stdout);
	return 0;
}
