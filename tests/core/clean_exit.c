/* A clean program: every thread it starts is gone or accounted for at exit, so threadleak
 * must stay silent (no report, same stdout, exit status 0).
 *  - 4 joinable workers, each joined;
 *  - 4 detached workers that finish before main returns (main waits for their "done" count);
 *  - a small thread pool (3 workers on a work queue) shut down properly: a stop flag, a
 *    broadcast, and a join of every worker;
 *  - a background worker stopped and joined by an atexit() handler, and another one by a
 *    destructor function: the check runs after both, so neither is a leak.
 * The output ends without a newline on purpose: it must reach a pipe intact. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static void *square(void *arg)
{
	long v = (long)arg;
	return (void *)(v * v);
}

/* ---- detached workers that finish ---- */
static pthread_mutex_t done_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cv = PTHREAD_COND_INITIALIZER;
static int done;

static void *detached_worker(void *arg)
{
	pthread_mutex_lock(&done_mu);
	done++;
	pthread_cond_signal(&done_cv);
	pthread_mutex_unlock(&done_mu);
	return NULL; /* finishes right after the count: within the grace period at worst */
}

/* ---- a pool with a proper shutdown ---- */
struct pool {
	pthread_mutex_t mu;
	pthread_cond_t work;
	int queue[16];
	int head, tail;
	int stop;
	long sum;
	pthread_t workers[3];
};

static void *pool_worker(void *arg)
{
	struct pool *p = arg;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->head == p->tail && !p->stop)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->head == p->tail) /* stop requested and the queue is drained */
			break;
		p->sum += p->queue[p->head++ % 16];
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static long run_pool(void)
{
	static struct pool p = {.mu = PTHREAD_MUTEX_INITIALIZER, .work = PTHREAD_COND_INITIALIZER};
	for (int i = 0; i < 3; i++)
		pthread_create(&p.workers[i], NULL, pool_worker, &p);
	for (int i = 1; i <= 10; i++) {
		pthread_mutex_lock(&p.mu);
		p.queue[p.tail++ % 16] = i;
		pthread_cond_signal(&p.work);
		pthread_mutex_unlock(&p.mu);
	}
	pthread_mutex_lock(&p.mu);
	p.stop = 1; /* shutdown: wake everyone, then join everyone */
	pthread_cond_broadcast(&p.work);
	pthread_mutex_unlock(&p.mu);
	for (int i = 0; i < 3; i++)
		pthread_join(p.workers[i], NULL);
	return p.sum;
}

/* ---- background workers stopped at exit ---- */
struct bg {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
	pthread_t t;
};
static struct bg by_atexit = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
static struct bg by_destructor = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};

static void *bg_worker(void *arg)
{
	struct bg *b = arg;
	pthread_mutex_lock(&b->mu);
	while (!b->stop)
		pthread_cond_wait(&b->cv, &b->mu);
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

static void bg_stop(struct bg *b)
{
	pthread_mutex_lock(&b->mu);
	b->stop = 1;
	pthread_cond_signal(&b->cv);
	pthread_mutex_unlock(&b->mu);
	pthread_join(b->t, NULL);
}

static void stop_at_exit(void)
{
	bg_stop(&by_atexit);
}

__attribute__((destructor)) static void stop_in_destructor(void)
{
	bg_stop(&by_destructor);
}

int main(void)
{
	pthread_create(&by_atexit.t, NULL, bg_worker, &by_atexit);
	atexit(stop_at_exit);
	pthread_create(&by_destructor.t, NULL, bg_worker, &by_destructor);

	long total = 0;
	pthread_t t[4];
	for (long i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, square, (void *)(i + 1));
	for (int i = 0; i < 4; i++) {
		void *r;
		pthread_join(t[i], &r);
		total += (long)r;
	}

	for (int i = 0; i < 4; i++) {
		pthread_t d;
		pthread_create(&d, NULL, detached_worker, NULL);
		pthread_detach(d);
	}
	pthread_mutex_lock(&done_mu);
	while (done < 4)
		pthread_cond_wait(&done_cv, &done_mu);
	pthread_mutex_unlock(&done_mu);

	long pooled = run_pool();
	printf("squares %ld\n", total);
	printf("pool %ld, detached %d", pooled, done); /* no newline: stays in the buffer */
	return 0;
}
