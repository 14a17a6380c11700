/* A binary linked against the old condition variables (pthread_cond_*@GLIBC_2.2.5,
 * glibc's pre-2.3.2 implementation). The detector must forward each call to the version the
 * program asked for: a ping-pong of 1000 rounds must work, then one waiter stays blocked. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <time.h>

__asm__(".symver pthread_cond_wait,pthread_cond_wait@GLIBC_2.2.5");
__asm__(".symver pthread_cond_signal,pthread_cond_signal@GLIBC_2.2.5");
__asm__(".symver pthread_cond_broadcast,pthread_cond_broadcast@GLIBC_2.2.5");
__asm__(".symver pthread_cond_init,pthread_cond_init@GLIBC_2.2.5");

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ping, pong, never;
static int turn, rounds = 1000;

static void *ponger(void *arg)
{
	pthread_setname_np(pthread_self(), "ponger");
	pthread_mutex_lock(&mu);
	for (int i = 0; i < rounds; i++) {
		while (turn != 1)
			pthread_cond_wait(&ping, &mu);
		turn = 0;
		pthread_cond_signal(&pong);
	}
	pthread_mutex_unlock(&mu);
	return NULL;
}

static void *waiter(void *arg)
{
	pthread_setname_np(pthread_self(), "old_cond_wait");
	pthread_mutex_lock(&mu);
	for (;;)
		pthread_cond_wait(&never, &mu);
	return NULL;
}

int main(void)
{
	pthread_t t;
	pthread_cond_init(&ping, NULL);
	pthread_cond_init(&pong, NULL);
	pthread_cond_init(&never, NULL);
	pthread_create(&t, NULL, ponger, NULL);
	pthread_mutex_lock(&mu);
	for (int i = 0; i < rounds; i++) {
		turn = 1;
		pthread_cond_broadcast(&ping);
		while (turn != 0)
			pthread_cond_wait(&pong, &mu);
	}
	pthread_mutex_unlock(&mu);
	pthread_join(t, NULL);
	printf("%d rounds\n", rounds);
	pthread_t w;
	pthread_create(&w, NULL, waiter, NULL);
	struct timespec ts = {0, 100 * 1000000};
	nanosleep(&ts, NULL);
	return 0;
}
