/* A pool of worker threads that wait on a condition variable until the pool is stopped: the
 * part libpool.c and libforkpool.c share. Each library includes it once (static functions). */
#include <pthread.h>

#define POOL_MAX 16
static pthread_t workers[POOL_MAX];
static int nworkers;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int stop;

static void *worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	while (!stop)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	return NULL;
}

/* n more workers */
static void pool_add(int n)
{
	for (int i = 0; i < n && nworkers < POOL_MAX; i++)
		pthread_create(&workers[nworkers++], NULL, worker, NULL);
}

/* stop every worker and join it; the pool can be started again */
static void pool_stop_all(void)
{
	pthread_mutex_lock(&mu);
	stop = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	for (int i = 0; i < nworkers; i++)
		pthread_join(workers[i], NULL);
	nworkers = 0;
	stop = 0;
}
