/* Threads hammering malloc/free (and calloc/realloc) when the process exits: the check must
 * sample their stacks while they may be inside the allocator (holding its locks) without a
 * hang or a crash. argv[1]: number of hammer threads (default 4). Expected: exactly that many
 * leaks, each running (or momentarily blocked on an allocator lock), hammer on the stack. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static atomic_int started;

static __attribute__((noinline)) void hammer(unsigned seed)
{
	void *slots[64] = {0};
	for (unsigned long i = 0;; i++) { /* HAMMER_LOOP */
		seed = seed * 1103515245u + 12345u;
		unsigned k = (seed >> 8) % 64, size = 1 + (seed >> 16) % 4096;
		switch (i % 3) {
		case 0:
			free(slots[k]);
			slots[k] = malloc(size);
			break;
		case 1:
			slots[k] = realloc(slots[k], size);
			break;
		default:
			free(slots[k]);
			slots[k] = calloc(1, size);
		}
		if (slots[k])
			memset(slots[k], (int)i, size < 64 ? size : 64);
	}
}

static void *hammer_thread(void *arg)
{
	atomic_fetch_add(&started, 1);
	hammer((unsigned)(long)arg);
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 4;
	for (long i = 0; i < n; i++) {
		pthread_t t;
		pthread_create(&t, NULL, hammer_thread, (void *)(i + 1));
		pthread_detach(t);
	}
	while (atomic_load(&started) < n)
		usleep(1000);
	usleep(20000);
	/* main allocates too, up to the very end */
	for (int i = 0; i < 1000; i++)
		free(malloc((size_t)(i * 7 % 3000 + 1)));
	printf("hammering with %d threads\n", n);
	return 0;
}
