/* A thread blocked on a mutex main holds, checked mid-run twice and at exit. Its first report
 * says how long it has waited (1 s, from the scheduler: pthread_mutex_lock is not wrapped);
 * the check's signal then wakes it, and it sleeps again: from then on how long it waited is
 * not known, and the later reports say nothing rather than the time since that signal. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "threadleak.h"

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;

static void *waits(void *arg)
{
	pthread_setname_np(pthread_self(), "waits");
	pthread_mutex_lock(&m);
	return arg;
}

int main(void)
{
	pthread_t t;
	pthread_mutex_lock(&m);
	pthread_create(&t, NULL, waits, NULL);
	sleep(1);
	threadleak_verify_none();
	usleep(300000);
	threadleak_verify_none();
	printf("done\n");
	return 0;
}
