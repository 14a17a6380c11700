/* Built by test_install.py against the installed header, with the flags of
 * `pkg-config --cflags --libs threadleak` only (and -pthread): the hooks are exported by the
 * pkg-config Libs, the API calls are found at run time. One thread named "keeper" is meant to
 * live (the program's threadleak_default_suppressions()), one worker leaks; the program's
 * threadleak_default_options() makes the exit status 42. Prints "active N" and
 * "verify N". */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pthread_setname_np */
#endif
#include <threadleak.h>

#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <unistd.h>

const char *threadleak_default_options(void);
const char *threadleak_default_options(void)
{
	return "exitcode=42";
}

const char *threadleak_default_suppressions(void);
const char *threadleak_default_suppressions(void)
{
	return "name:^keeper$\n";
}

static sem_t ready, never;

static void *keeper(void *arg)
{
	pthread_setname_np(pthread_self(), "keeper");
	sem_post(&ready);
	sem_wait(&never);
	return arg;
}

static void *worker(void *arg)
{
	sem_post(&ready);
	sem_wait(&never);
	return arg;
}

int main(void)
{
	pthread_t a, b;
	sem_init(&ready, 0, 0);
	sem_init(&never, 0, 0);
	pthread_create(&a, NULL, keeper, NULL);
	pthread_create(&b, NULL, worker, NULL);
	sem_wait(&ready);
	sem_wait(&ready);
	printf("active %d\n", threadleak_active());
	printf("verify %d\n", threadleak_verify_none());
	return 0;
}
