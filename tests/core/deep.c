/* Stacks deeper than max_frames (32 by default):
 *   deep_blocker  blocks in pause() 100 frames down, and was created 50 frames down from main;
 *   shallow       blocks in pause() in its start routine, created by main: nothing to cut.
 * Expected: 2 leaks; the deep one's current and creation stacks say they were cut. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static __attribute__((noinline)) int down(int n)
{
	if (n == 0) {
		pause(); /* DEEP_PAUSE */
		return 0;
	}
	return down(n - 1) + 1;
}

static void *deep_blocker(void *arg)
{
	down(100);
	return arg;
}

static void *shallow(void *arg)
{
	pause();
	return arg;
}

static __attribute__((noinline)) int make(int n)
{
	if (n == 0) {
		pthread_t t;
		pthread_create(&t, NULL, deep_blocker, NULL);
		return 0;
	}
	return make(n - 1) + 1;
}

int main(void)
{
	pthread_t t;
	make(50);
	pthread_create(&t, NULL, shallow, NULL);
	usleep(50 * 1000);
	printf("deep\n");
	return 0;
}
