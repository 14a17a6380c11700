/* Threads waiting in pthread_mutex_lock, which threadleak does not wrap: the library cannot take
 * stacks on such a thread, so a hang request must go to another one. Usage: lockwait MODE [MS]
 *   sleep, usleep, nanosleep: a worker waits for a mutex the main thread holds while main
 *     waits MS ms in that call (sleep: MS rounded to seconds), then prints "CALL returned R
 *     errno E after T ms", unlocks, joins the worker and returns;
 *   deadlock: two workers lock mutexes a and b in opposite orders and wait for each other
 *     forever; the main thread sleeps MS ms at a time (a watchdog), forever;
 *   join: the same deadlock, and the main thread joins the first worker;
 *   plain: the main thread and one worker make the deadlock: every thread is in
 *     pthread_mutex_lock;
 *   stdin: the two workers' deadlock, while the main thread reads a line from stdin (fgets:
 *     a read inside libc, in no wrapper), then ends with status 0.
 * Prints "ready" once every thread is where it stays. Built with -DOWN_MALLOC (lockwait_alloc),
 * the program defines malloc, calloc, realloc and free itself (forwarding to glibc's), as a
 * program linked with its own allocator does. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef OWN_MALLOC
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t n);
void __libc_free(void *p);

void *malloc(size_t n)
{
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
	return __libc_realloc(p, n);
}

void free(void *p)
{
	__libc_free(p);
}
#endif

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both; /* each deadlocking thread holds its first lock */

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

static void *waiter(void *arg)
{
	pthread_mutex_lock(&held);
	pthread_mutex_unlock(&held);
	return arg;
}

/* first, then second: the other thread takes them the other way round */
static void *lock_both(pthread_mutex_t *first, pthread_mutex_t *second)
{
	pthread_mutex_lock(first);
	pthread_barrier_wait(&both);
	pthread_mutex_lock(second);
	return NULL;
}

static void *ab(void *arg)
{
	(void)arg;
	return lock_both(&lock_a, &lock_b);
}

static void *ba(void *arg)
{
	(void)arg;
	return lock_both(&lock_b, &lock_a);
}

/* Time for the other threads to reach their futex waits: "ready" only then. */
static void settle(void)
{
	struct timespec ts = {0, 200 * 1000000};
	nanosleep(&ts, NULL);
}

static int main_sleeps(const char *call, long ms)
{
	pthread_t t;
	pthread_mutex_lock(&held);
	if (pthread_create(&t, NULL, waiter, NULL) != 0)
		return 2;
	settle();
	printf("ready\n");
	fflush(stdout);
	long t0 = now_ms(), r = -2;
	errno = 0;
	if (strcmp(call, "sleep") == 0) {
		r = sleep((unsigned)(ms / 1000));
	} else if (strcmp(call, "usleep") == 0) {
		r = usleep((useconds_t)ms * 1000);
	} else {
		struct timespec rel = {ms / 1000, ms % 1000 * 1000000};
		r = nanosleep(&rel, NULL);
	}
	int e = errno;
	printf("%s returned %ld errno %s after %ld ms\n", call, r, e ? strerrorname_np(e) : "0",
	       now_ms() - t0);
	fflush(stdout);
	pthread_mutex_unlock(&held);
	pthread_join(t, NULL);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	const char *mode = argv[1];
	long ms = argc > 2 ? atol(argv[2]) : 1000;
	if (strcmp(mode, "deadlock") != 0 && strcmp(mode, "join") != 0 &&
	    strcmp(mode, "plain") != 0 && strcmp(mode, "stdin") != 0)
		return main_sleeps(mode, ms);
	pthread_t t1, t2;
	pthread_barrier_init(&both, NULL, 2);
	if (pthread_create(&t1, NULL, ab, NULL) != 0)
		return 2;
	if (strcmp(mode, "plain") == 0) {
		pthread_mutex_lock(&lock_b);
		pthread_barrier_wait(&both);
		printf("ready\n"); /* before: nobody can print after */
		fflush(stdout);
		pthread_mutex_lock(&lock_a); /* MAIN_LOCKS */
		return 1;
	}
	if (pthread_create(&t2, NULL, ba, NULL) != 0)
		return 2;
	settle();
	printf("ready\n");
	fflush(stdout);
	if (strcmp(mode, "join") == 0)
		pthread_join(t1, NULL);
	if (strcmp(mode, "stdin") == 0) {
		char line[64];
		_exit(fgets(line, sizeof(line), stdin) ? 0 : 1);
	}
	for (;;)
		usleep((useconds_t)ms * 1000);
}
