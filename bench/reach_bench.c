/* Cost of the verdicts (preload/reach.c) at a check: a process with about 100 MB of live heap
 * (small blocks in lists reachable from a global) and 1000 threads blocked in
 * pthread_cond_wait, half of them on conds nothing else can reach. Run it under the library
 * with THREADLEAK_REACH_DEBUG=1: the library prints the classification time. bench/run
 * reports it. Arguments: [MB of heap] [threads]. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct node {
	struct node *next;
	void *data[5];
};

struct waitobj {
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

static struct node *lists[64];
static struct waitobj **kept;

static void *waiter(void *arg)
{
	struct waitobj *w = arg;
	pthread_mutex_lock(&w->mu);
	for (;;)
		pthread_cond_wait(&w->cv, &w->mu);
	return NULL;
}

int main(int argc, char **argv)
{
	long mb = argc > 1 ? atol(argv[1]) : 100;
	int nthreads = argc > 2 ? atoi(argv[2]) : 1000;
	size_t nodes = (size_t)mb * 1000000 / (sizeof(struct node) + 16);
	for (size_t i = 0; i < nodes; i++) {
		struct node *n = malloc(sizeof(*n));
		n->next = lists[i % 64];
		for (int k = 0; k < 5; k++)
			n->data[k] = n->next;
		lists[i % 64] = n;
	}
	kept = calloc((size_t)nthreads, sizeof(*kept));
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 64 << 10);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	for (int i = 0; i < nthreads; i++) {
		struct waitobj *w = malloc(sizeof(*w));
		pthread_mutex_init(&w->mu, NULL);
		pthread_cond_init(&w->cv, NULL);
		if (i % 2 == 0)
			kept[i] = w; /* reachable from a global */
		pthread_t t;
		if (pthread_create(&t, &a, waiter, w) != 0) {
			perror("pthread_create");
			return 1;
		}
	}
	usleep(300000);
	printf("%ld MB of heap in %zu blocks, %d blocked threads\n", mb, nodes, nthreads);
	return 0;
}
