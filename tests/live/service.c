/* A service that handles a request every 100 ms, until a line on stdin. Modes:
 *   leak  each request is the seed's submit(): 4 senders on an unbuffered channel, the first
 *         answer taken, the 3 others blocked forever in chan_send (3 threads more per request)
 *   pool  each request goes to a pool of 8 workers that always wait on the same queue
 *   phases  no requests: 2 threads made at one line, both 300 ms asleep in wait_a, then 300 ms
 *         in wait_b, by the clock (a pool that holds steady, what its threads wait in changing)
 * Prints "ready" after the first request. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct chan {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int full, value, taken;
};

static void chan_send(struct chan *c, int v)
{
	pthread_mutex_lock(&c->mu);
	while (c->full || c->taken)
		pthread_cond_wait(&c->cv, &c->mu); /* SEND_WAIT */
	c->full = 1;
	c->value = v;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

static int chan_recv(struct chan *c)
{
	pthread_mutex_lock(&c->mu);
	while (!c->full)
		pthread_cond_wait(&c->cv, &c->mu);
	c->full = 0;
	c->taken = 1; /* nobody receives again: the other senders wait forever */
	int v = c->value;
	pthread_mutex_unlock(&c->mu);
	return v;
}

static void *sender(void *arg)
{
	chan_send(arg, 1);
	return NULL;
}

static int submit(void)
{
	struct chan *c = calloc(1, sizeof(*c));
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	for (int i = 0; i < 4; i++) {
		pthread_t t;
		pthread_create(&t, NULL, sender, c); /* SUBMIT_CREATE */
		pthread_detach(t);
	}
	return chan_recv(c);
}

static pthread_mutex_t qmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t qcv = PTHREAD_COND_INITIALIZER;
static int queued, done;

static void *worker(void *arg)
{
	for (;;) {
		pthread_mutex_lock(&qmu);
		while (queued == 0)
			pthread_cond_wait(&qcv, &qmu);
		queued--;
		done++;
		pthread_mutex_unlock(&qmu);
	}
	return arg;
}

static void *requests(void *arg)
{
	int leak = arg != NULL;
	for (int i = 0;; i++) {
		if (leak) {
			submit();
		} else {
			pthread_mutex_lock(&qmu);
			queued++;
			pthread_cond_signal(&qcv);
			pthread_mutex_unlock(&qmu);
		}
		if (i == 0) {
			puts("ready");
			fflush(stdout);
		}
		usleep(100 * 1000);
	}
	return NULL;
}

/* Both in step, by the clock: 300 ms asleep in wait_a, then 300 ms asleep in wait_b */
static long until_next_phase_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	long ms = ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	return (300 - ms % 300) * 1000;
}

static __attribute__((noinline)) void wait_a(void)
{
	usleep((useconds_t)until_next_phase_us());
}

static __attribute__((noinline)) void wait_b(void)
{
	usleep((useconds_t)until_next_phase_us());
}

static void *phases(void *arg)
{
	for (;;) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if ((ts.tv_sec * 1000 + ts.tv_nsec / 1000000) / 300 % 2 == 0)
			wait_a();
		else
			wait_b();
	}
	return arg;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "phases") == 0) {
		for (int i = 0; i < 2; i++) {
			pthread_t t;
			pthread_create(&t, NULL, phases, NULL);
		}
		puts("ready");
		fflush(stdout);
		char line[16];
		char *got = fgets(line, sizeof(line), stdin);
		(void)got;
		_exit(0);
	}
	int leak = argc < 2 || strcmp(argv[1], "pool") != 0;
	pthread_t t;
	if (!leak)
		for (int i = 0; i < 8; i++)
			pthread_create(&t, NULL, worker, NULL);
	pthread_create(&t, NULL, requests, leak ? (void *)1 : NULL);
	char line[16];
	char *got = fgets(line, sizeof(line), stdin);
	_exit(0);
}
