/* A library with a pool of workers and fork handlers, as OpenBLAS has: its constructor starts
 * the pool and registers the handlers (before threadleak's constructor runs, when the program
 * links it); the prepare handler stops and joins the workers, the parent and child handlers
 * start them again; the destructor stops them at exit. Not a leak, and fork must not hang. */
#include "pool.h"

#define N 3

static void pool_start(void)
{
	pool_add(N);
}

__attribute__((constructor)) static void forkpool_init(void)
{
	pthread_atfork(pool_stop_all, pool_start, pool_start);
	pool_start();
}

__attribute__((destructor)) static void forkpool_fini(void)
{
	pool_stop_all();
}

/* For the program to link against (otherwise --as-needed drops the library). */
int forkpool_size(void);
int forkpool_size(void)
{
	return N;
}
