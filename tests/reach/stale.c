/* No copy of the program's pointers in memory malloc hands out again after a check. A thread
 * waits on a channel whose address the program keeps only xored (no pointer for a scan);
 * after a mid-run check the program takes 512 blocks from malloc, 64 bytes to 32 KiB, and
 * counts the words in them that point into the channel. The check's arrays (each thread's
 * object, registers) were freed as they were: 4 such words, and a later check's scan, finding
 * one in the program's new stdout buffer, called the proven leak reachable (fail_on=unreachable
 * passed). Prints "stale copies N". */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "threadleak.h"

struct ch {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int v;
};
#define KEY 0x5a5a5a5a5a5a5a5aULL
static uintptr_t hidden; /* the channel's address, xored */

static void *waiter(void *p)
{
	struct ch *c = p;
	pthread_mutex_lock(&c->mu);
	while (!c->v)
		pthread_cond_wait(&c->cv, &c->mu);
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

__attribute__((noinline)) static void leak(void)
{
	struct ch *c = calloc(1, sizeof(*c));
	pthread_t t;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	hidden = (uintptr_t)c ^ KEY;
	pthread_create(&t, NULL, waiter, c);
	pthread_detach(t);
}

int main(void)
{
	enum { BLOCKS = 512 };
	static void *keep[BLOCKS];
	int n, found = 0;
	leak();
	usleep(50000);
	free(threadleak_report_json(&n));
	uintptr_t lo = hidden ^ KEY, hi = lo + sizeof(struct ch);
	for (int i = 0; i < BLOCKS; i++) {
		size_t size = 64 + (size_t)i * 64;
		uintptr_t *p = malloc(size);
		keep[i] = p;
		for (size_t k = 0; p != NULL && k < size / sizeof(*p); k++)
			found += p[k] >= lo && p[k] < hi;
	}
	for (int i = 0; i < BLOCKS; i++)
		free(keep[i]);
	printf("stale copies %d\n", found);
	return 0;
}
