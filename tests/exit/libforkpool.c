/* A library with a pool of workers and fork handlers, as OpenBLAS has: its constructor starts
 * the pool and registers the handlers (before threadleak's constructor runs, when the program
 * links it); the prepare handler stops and joins the workers, the parent and child handlers
 * start them again; the destructor stops them at exit. Not a leak, and fork must not hang. */
#include <pthread.h>

#define N 3
static pthread_t workers[N];
static int running;
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

static void pool_start(void)
{
	stop = 0;
	for (int i = 0; i < N; i++)
		pthread_create(&workers[i], NULL, worker, NULL);
	running = 1;
}

static void pool_stop(void)
{
	if (!running)
		return;
	pthread_mutex_lock(&mu);
	stop = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	for (int i = 0; i < N; i++)
		pthread_join(workers[i], NULL);
	running = 0;
}

__attribute__((constructor)) static void forkpool_init(void)
{
	pthread_atfork(pool_stop, pool_start, pool_start);
	pool_start();
}

__attribute__((destructor)) static void forkpool_fini(void)
{
	pool_stop();
}

/* For the program to link against (otherwise --as-needed drops the library). */
int forkpool_size(void);
int forkpool_size(void)
{
	return N;
}
