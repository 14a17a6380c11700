/* Finished but never joined: 3 joinable threads return at once and nobody joins or detaches
 * them; their stacks and TLS are never freed. Expected: 3 leaks, state "exited", detached
 * false, created by start_all from main. A fourth thread is joined: not a leak. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int finished;

static void *quick(void *arg)
{
	pthread_mutex_lock(&mu);
	finished++;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
	return arg;
}

static void start_all(void)
{
	for (int i = 0; i < 3; i++) {
		pthread_t t;
		pthread_create(&t, NULL, quick, NULL); /* UNJOINED: handle dropped */
	}
}

int main(void)
{
	start_all();
	pthread_t j;
	pthread_create(&j, NULL, quick, NULL);
	pthread_join(j, NULL);
	pthread_mutex_lock(&mu);
	while (finished < 4)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	usleep(20000); /* let the three finish their exit path too */
	printf("finished %d\n", finished);
	return 0;
}
