/* Detached threads that end each way a thread can end, thousands of them: their records must
 * go as they finish, whichever way that was (the registry sees a return from its start wrapper,
 * and an unwind through it: pthread_exit, thrd_exit, a deferred or an asynchronous
 * cancellation; a thread_local destructor defers it to the thread-specific data destructor).
 * Prints the heap's growth per thread once every thread is gone; leaks nothing.
 *   exit_ways WAY N    WAY: return | pthread_exit | thrd_exit | cancel | cancel_async | tls_dtor
 *                      | exit_then_key | exit_then_tls | cancel_then_tls | unmade_key
 * The last three leave by pthread_exit or a cancellation, then call pthread_exit again from a
 * thread-specific data or thread_local destructor: glibc then unwinds to the buffer its own
 * start_thread registered (the start wrapper's is gone with its frame). unmade_key: a buggy
 * program sets a value under a key it never made, the one after its own (glibc numbers them in
 * order: the library's, made at the first creation); bare, EINVAL. */
#include <dirent.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <unistd.h>

static const char *way;
static atomic_int started;

static void tls_destructor(void *p)
{
	(void)p;
}

static void exit_again(void *p)
{
	(void)p;
	pthread_exit(NULL);
}

static pthread_key_t exiting_key;

extern void *__dso_handle;
int __cxa_thread_atexit_impl(void (*func)(void *), void *obj, void *dso_symbol);

static void *worker(void *arg)
{
	(void)arg;
	atomic_fetch_add(&started, 1);
	if (strcmp(way, "exit_then_key") == 0)
		pthread_setspecific(exiting_key, (void *)1);
	if (strcmp(way, "unmade_key") == 0)
		pthread_setspecific(exiting_key + 1, (void *)1);
	if (strcmp(way, "exit_then_tls") == 0 || strcmp(way, "cancel_then_tls") == 0)
		__cxa_thread_atexit_impl(exit_again, NULL, &__dso_handle);
	if (strcmp(way, "pthread_exit") == 0 || strncmp(way, "exit_then", 9) == 0)
		pthread_exit(NULL);
	if (strcmp(way, "tls_dtor") == 0)
		__cxa_thread_atexit_impl(tls_destructor, NULL, &__dso_handle);
	if (strncmp(way, "cancel", 6) == 0 && strcmp(way, "cancel_async") != 0)
		for (;;)
			pause(); /* a cancellation point */
	if (strcmp(way, "cancel_async") == 0) {
		pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
		for (volatile int spin = 0;; spin++)
			;
	}
	return NULL;
}

static int c11_worker(void *arg)
{
	(void)arg;
	atomic_fetch_add(&started, 1);
	thrd_exit(0);
}

static int tasks(void)
{
	DIR *d = opendir("/proc/self/task");
	int n = 0;
	for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;)
		n += e->d_name[0] != '.';
	if (d != NULL)
		closedir(d);
	return n;
}

static void batch(int n)
{
	atomic_store(&started, 0);
	for (int i = 0; i < n; i++) {
		if (strcmp(way, "thrd_exit") == 0) {
			thrd_t t;
			if (thrd_create(&t, c11_worker, NULL) != thrd_success ||
			    thrd_detach(t) != thrd_success)
				exit(2);
			continue;
		}
		pthread_t t;
		if (pthread_create(&t, NULL, worker, NULL) != 0)
			exit(2);
		if (strncmp(way, "cancel", 6) == 0) {
			while (atomic_load(&started) <= i)
				sched_yield();
			pthread_cancel(t);
		}
		pthread_detach(t);
	}
	/* every thread gone, and its exit path with it */
	for (int waited = 0; tasks() > 1; waited++) {
		if (waited > 20000)
			exit(3);
		usleep(1000);
	}
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	way = argv[1];
	int n = atoi(argv[2]);
	pthread_key_create(&exiting_key, exit_again);
	batch(200); /* warm up: malloc's arenas, the first table, the tid list */
	size_t before = mallinfo2().uordblks;
	batch(n);
	size_t after = mallinfo2().uordblks;
	printf("bytes per thread %ld\n", ((long)after - (long)before) / n);
	return 0;
}
