/* The seed's situation with C11 threads (<threads.h>): glibc's thrd_create does not go
 * through pthread_create, so threadleak wraps it separately.
 *   joined     thrd_create + thrd_join: not a leak;
 *   detached   thrd_create + thrd_detach, finishes before main returns: not a leak;
 *   stuck      blocked forever in cnd_wait: leak, blocked in cnd_wait;
 *   forgotten  returns at once, never joined nor detached: leak, exited;
 *   locker     blocked forever in mtx_lock on a mutex main holds: leak, blocked in mtx_lock
 *              (named as the program called it, not as glibc's pthread_mutex_lock). */
#include <stdio.h>
#include <threads.h>
#include <time.h>

static mtx_t mu, held;
static cnd_t cv, never_signalled;
static int finished;

static int joined(void *arg)
{
	return 7;
}

static void mark_finished(void)
{
	mtx_lock(&mu);
	finished++;
	cnd_broadcast(&cv);
	mtx_unlock(&mu);
}

static int detached(void *arg)
{
	mark_finished();
	return 0;
}

static int forgotten(void *arg)
{
	mark_finished();
	return 0;
}

static int stuck(void *arg)
{
	mtx_lock(&mu);
	finished++;
	cnd_broadcast(&cv);
	for (;;)
		cnd_wait(&never_signalled, &mu); /* STUCK_WAITS */
	return 0;
}

static int locker(void *arg)
{
	mtx_lock(&mu);
	finished++;
	cnd_broadcast(&cv);
	mtx_unlock(&mu);
	mtx_lock(&held); /* LOCKER_WAITS */
	return 0;
}

static void start_c11(void)
{
	thrd_t t;
	int res = 0;
	thrd_create(&t, joined, NULL);
	thrd_join(t, &res);
	thrd_create(&t, detached, NULL);
	thrd_detach(t);
	thrd_create(&t, stuck, NULL);     /* CREATE_STUCK */
	thrd_create(&t, forgotten, NULL); /* CREATE_FORGOTTEN */
	thrd_create(&t, locker, NULL);
	printf("joined returned %d\n", res);
}

int main(void)
{
	mtx_init(&mu, mtx_plain);
	mtx_init(&held, mtx_plain);
	mtx_lock(&held);
	cnd_init(&cv);
	cnd_init(&never_signalled);
	start_c11();
	mtx_lock(&mu);
	while (finished < 4)
		cnd_wait(&cv, &mu);
	mtx_unlock(&mu);
	thrd_sleep(&(struct timespec){0, 20000000}, NULL); /* let them reach their end or wait */
	return 0;
}
