/* A library with a pool of worker threads of its own: started by its constructor, stopped and
 * joined by its destructor, which runs at exit after threadleak's (a C++ static pool object in a
 * shared library behaves the same). Not a leak. */
#include "pool.h"

#define N 3

__attribute__((constructor)) static void pool_start(void)
{
	pool_add(N);
}

/* More workers, started from main: the exit check's first look (in threadleak's destructor)
 * reports them, and the last exit handler must take that report back once this library's
 * destructor has joined them. */
void pool_start_late(void);
void pool_start_late(void)
{
	pool_add(N);
}

__attribute__((destructor)) static void pool_stop(void)
{
	pool_stop_all();
}
