/* A small shared library that starts threads for its caller: a thread created through it has
 * this library as its creating module (module: suppression rules). */
#include <pthread.h>

int api_lib_spawn(pthread_t *t, void *(*start)(void *), void *arg);

__attribute__((noinline)) int api_lib_spawn(pthread_t *t, void *(*start)(void *), void *arg)
{
	int r = pthread_create(t, NULL, start, arg);
	__asm__ volatile(""); /* not a tail call: keep this frame in the creation stack */
	return r;
}
