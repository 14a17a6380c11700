/* Detached threads that sleep in a loop forever (a poller nobody stops), one per sleep call:
 * sleep(), usleep() and nanosleep(), one in usleep(500) (shown as "a sleep of 500us"; it read
 * "0ms"), and argv[1] (default 1) fast pollers with a 1 ms tick
 * (usleep(1000)): each is in usleep ~99% of the time, but leaves and re-enters the call every
 * millisecond, so the check must cope with threads that move between their snapshot and their
 * unwinding (the more fast pollers, the longer the check takes to unwind them all).
 * Expected: 4 + argv[1] leaks, state "blocked" in the respective call, detached true, the loop
 * function on the stack. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static void *poll_sleep(void *arg)
{
	for (;;)
		sleep(1); /* SLEEP_LOOP */
	return NULL;
}

static void *poll_usleep(void *arg)
{
	for (;;)
		usleep(100000); /* USLEEP_LOOP */
	return NULL;
}

static void *poll_nanosleep(void *arg)
{
	struct timespec ts = {0, 100000000};
	for (;;)
		nanosleep(&ts, NULL); /* NANOSLEEP_LOOP */
	return NULL;
}

static void *poll_us(void *arg)
{
	for (;;)
		usleep(500); /* US_LOOP */
	return NULL;
}

static void *poll_fast(void *arg)
{
	for (;;)
		usleep(1000); /* FAST_LOOP */
	return NULL;
}

int main(int argc, char **argv)
{
	int fast = argc > 1 ? atoi(argv[1]) : 1;
	void *(*fns[4])(void *) = {poll_sleep, poll_usleep, poll_nanosleep, poll_us};
	for (int i = 0; i < 4 + fast; i++) {
		pthread_t t;
		pthread_create(&t, NULL, i < 4 ? fns[i] : poll_fast, NULL);
		pthread_detach(t);
	}
	usleep(20000); /* let them reach their sleeps */
	printf("pollers started\n");
	return 0;
}
