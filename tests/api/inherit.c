/* A thread that names itself NAME (a name a default set suppresses: "ctrl-c", "gmain", ...)
 * starts a worker without naming it; Linux copies the creator's name to the new thread. Both
 * block for good. With a second argument, the worker names itself NAME too (pthread_setname_np);
 * with a third ("gone"), it then returns, never joined (its name must outlive it). Prints
 * "ready" once both wait (or the worker has returned). Usage: inherit NAME [named [gone]] */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <unistd.h>

static const char *name;
static int named, gone;
static sem_t ready;

static void *worker(void *arg)
{
	if (named)
		pthread_setname_np(pthread_self(), name);
	sem_post(&ready);
	if (!gone)
		pause();
	return arg;
}

static void *creator(void *arg)
{
	pthread_setname_np(pthread_self(), name);
	pthread_t t;
	pthread_create(&t, NULL, worker, NULL);
	sem_post(&ready);
	pause();
	return arg;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	name = argv[1];
	named = argc > 2;
	gone = argc > 3;
	sem_init(&ready, 0, 0);
	pthread_t t;
	pthread_create(&t, NULL, creator, NULL);
	sem_wait(&ready);
	sem_wait(&ready);
	if (gone)
		usleep(20000); /* the worker's return, past its sem_post */
	puts("ready");
	return 0;
}
