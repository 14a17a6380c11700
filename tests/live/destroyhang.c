/* main destroys a condition variable a worker still waits on, and glibc's pthread_cond_destroy
 * waits for that worker forever. threadleak run's request lands on main (the kernel prefers
 * the main thread for a signal sent to the process), which is in no wrapper of ours and hands
 * the report to the worker, waiting in our handler meanwhile: the report must describe main by
 * the call the signal interrupted (futex on cv, in pthread_cond_destroy, under teardown at
 * DESTROY), not by our own wait. Prints "shutting down" first. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static void *waiter(void *arg)
{
	pthread_mutex_lock(&mu);
	for (;;)
		pthread_cond_wait(&cv, &mu); /* WAIT */
	return arg;
}

static __attribute__((noinline)) void teardown(void)
{
	pthread_cond_destroy(&cv); /* DESTROY */
}

int main(void)
{
	pthread_t t;
	pthread_create(&t, NULL, waiter, NULL);
	usleep(50 * 1000);
	printf("shutting down\n");
	fflush(stdout);
	teardown();
	return 0;
}
