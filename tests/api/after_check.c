/* Creations after a mid-run check that found threads (the check's unwinding reads memory
 * through copies of the pages it has seen; a creation's own stepped walk must not: it took
 * stale copies, named the wrong line or garbage, and crashed in pthread_create):
 *   stuck  a thread blocked for good, created at CREATE_STUCK (3 rounds);
 *   each round: threadleak_verify_none() (it finds the stuck ones), 8 threads created and
 *   joined at CREATE_JOINED, then one more stuck thread.
 * Expected: status 23 at exit, "found N" printed for rounds 1..3, and every stuck thread's
 * creation stack starts at CREATE_STUCK under spawn_stuck. */
#include <pthread.h>
#include <stdio.h>
#include <threadleak.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;

static void *quick(void *arg)
{
	return arg;
}

static void *stuck(void *arg)
{
	pthread_mutex_lock(&mu);
	for (;;)
		pthread_cond_wait(&never, &mu);
	return arg;
}

static __attribute__((noinline)) void spawn_stuck(void)
{
	pthread_t t;
	pthread_create(&t, NULL, stuck, NULL); /* CREATE_STUCK */
}

static __attribute__((noinline)) void joined(void)
{
	pthread_t t[8];
	for (int i = 0; i < 8; i++)
		pthread_create(&t[i], NULL, quick, NULL); /* CREATE_JOINED */
	for (int i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
}

int main(void)
{
	spawn_stuck();
	for (int round = 1; round <= 3; round++) {
		printf("found %d\n", threadleak_verify_none());
		joined();
		spawn_stuck();
	}
	return 0;
}
