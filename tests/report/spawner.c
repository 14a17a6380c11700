/* A library that starts a thread running the caller's function; outside.c dlcloses it after,
 * so the creation stack's frame in here points into no module at the check. */
#include <pthread.h>

int spawner_start(void *(*fn)(void *), void *arg);

int spawner_start(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	int rc = pthread_create(&t, NULL, fn, arg); /* SPAWN_IN_LIB */
	if (rc == 0)
		pthread_detach(t);
	return rc;
}
