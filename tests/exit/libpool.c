/* A library with a pool of worker threads of its own: started by its constructor, stopped and
 * joined by its destructor, which runs at exit after threadleak's (a C++ static pool object in a
 * shared library behaves the same). Not a leak. */
#include <pthread.h>

#define N 3
static pthread_t workers[2 * N];
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

__attribute__((constructor)) static void pool_start(void)
{
	for (int i = 0; i < N; i++)
		pthread_create(&workers[nworkers++], NULL, worker, NULL);
}

/* More workers, started from main: the exit check's first look (in threadleak's destructor)
 * reports them, and the last exit handler must take that report back once this library's
 * destructor has joined them. */
void pool_start_late(void);
void pool_start_late(void)
{
	for (int i = 0; i < N; i++)
		pthread_create(&workers[nworkers++], NULL, worker, NULL);
}

__attribute__((destructor)) static void pool_stop(void)
{
	pthread_mutex_lock(&mu);
	stop = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	for (int i = 0; i < nworkers; i++)
		pthread_join(workers[i], NULL);
}
