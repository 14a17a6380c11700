/* The other unit of calls_names.c: statics of the same names, at other addresses. */
#include <pthread.h>

static pthread_mutex_t pad_a = PTHREAD_MUTEX_INITIALIZER; /* other addresses than names.c's */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;    /* DECL other_mu */
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;      /* DECL other_cv */

static void *waiter(void *arg)
{
	pthread_mutex_lock(&mu);
	for (;;)
		pthread_cond_wait(&cv, &mu);
	return arg;
}

void names_other_start(void);
void names_other_start(void)
{
	pthread_t t;
	pthread_mutex_lock(&pad_a);
	pthread_mutex_unlock(&pad_a);
	pthread_create(&t, NULL, waiter, NULL);
}
