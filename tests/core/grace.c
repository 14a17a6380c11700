/* A detached thread winding down when main returns: it is woken by main just before the
 * return, then needs about 120 ms to finish (more than grace_ms=20 and a check on a busy machine:
 * 50 ms was not, once). With the default grace period (250 ms) the check waits for it: no leak.
 * With grace_ms=0 it is reported, blocked in its usleep. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int quit, waiting;

static void *winding_down(void *arg)
{
	pthread_mutex_lock(&mu);
	waiting = 1;
	pthread_cond_broadcast(&cv);
	while (!quit)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	usleep(120000); /* WIND_DOWN: 120 ms of cleanup after main has returned */
	return NULL;
}

int main(void)
{
	pthread_t t;
	pthread_create(&t, NULL, winding_down, NULL);
	pthread_detach(t);
	pthread_mutex_lock(&mu);
	while (!waiting)
		pthread_cond_wait(&cv, &mu);
	quit = 1; /* tell it to stop, and do not wait for it */
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	printf("main returns\n");
	return 0;
}
