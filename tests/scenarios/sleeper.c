/* Detached threads that sleep in a loop forever (a poller nobody stops), one per sleep call:
 * sleep(), usleep() and nanosleep(). Expected: 3 leaks, state "blocked" in the respective call,
 * detached true, the loop function on the stack. */
#include <pthread.h>
#include <stdio.h>
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

int main(void)
{
	void *(*fns[3])(void *) = {poll_sleep, poll_usleep, poll_nanosleep};
	for (int i = 0; i < 3; i++) {
		pthread_t t;
		pthread_create(&t, NULL, fns[i], NULL);
		pthread_detach(t);
	}
	usleep(50000); /* let them reach their sleeps */
	printf("pollers started\n");
	return 0;
}
