/* Many leaked threads (argv[1], default 1000), each blocked in pthread_cond_wait on one
 * condition variable nobody signals; small stacks to keep memory modest. Expected: all of
 * them reported, and the check must stay well under a second. With argv[2] "sleep", each
 * sleeps in a loop instead (a timed wait: the grace period is waited out); with "child", the
 * program first starts a child process that sleeps 20 s (its pid printed): the check must not
 * wait for it. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never_signalled = PTHREAD_COND_INITIALIZER;
static pthread_cond_t ready_cv = PTHREAD_COND_INITIALIZER;
static int ready;
static int sleeping;

static void *sleeper(void *arg)
{
	pthread_mutex_lock(&mu);
	ready++;
	pthread_cond_signal(&ready_cv);
	pthread_mutex_unlock(&mu);
	for (;;)
		usleep(200000); /* SLEEPING */
	return arg;
}

static void *parked(void *arg)
{
	pthread_mutex_lock(&mu);
	ready++;
	pthread_cond_signal(&ready_cv);
	for (;;)
		pthread_cond_wait(&never_signalled, &mu); /* PARKED */
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1000;
	sleeping = argc > 2 && strcmp(argv[2], "sleep") == 0;
	if (argc > 2 && strcmp(argv[2], "child") == 0) {
		pid_t child = fork();
		if (child == 0) {
			close(1); /* the test reads the program's output until it ends */
			close(2);
			sleep(20);
			_exit(0);
		}
		printf("child %d\n", (int)child);
	}
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	int made = 0;
	for (int i = 0; i < n; i++) {
		pthread_t t;
		if (pthread_create(&t, &attr, sleeping ? sleeper : parked, NULL) ==
		    0) /* MANY_CREATE */
			made++;
	}
	pthread_mutex_lock(&mu);
	while (ready < made)
		pthread_cond_wait(&ready_cv, &mu);
	pthread_mutex_unlock(&mu);
	printf("parked %d\n", made);
	return made == n ? 0 : 2;
}
