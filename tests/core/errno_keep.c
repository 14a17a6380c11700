/* Wrapped calls keep errno as libc sets it, and leave no trace once they return. A thread makes
 * calls that fail at once, through threadleak's wrappers: read() on an empty O_NONBLOCK pipe
 * (EAGAIN), sem_trywait() and sem_timedwait() with a past deadline on an empty semaphore
 * (EAGAIN, ETIMEDOUT), pthread_mutex_timedlock() and pthread_mutex_clocklock() with a past
 * deadline on a mutex main holds (return ETIMEDOUT, errno untouched), and a write() that
 * succeeds (errno untouched). On any mismatch it prints what it got and exit(1)s. Then it spins
 * in user space forever. Expected: 1 leak, state "running" (not blocked in any of the calls
 * it made before), its stack in spin_forever. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SENTINEL 12345

static int pipe_fds[2];
static sem_t empty_sem;
static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static atomic_int spinning;
static atomic_int never;

static void expect_errno(const char *call, long ret, long want_ret, int want_errno)
{
	int e = errno;
	if (ret != want_ret || e != want_errno) {
		printf("%s: returned %ld errno %d (%s), expected %ld errno %d (%s)\n", call, ret, e,
		       strerror(e), want_ret, want_errno, strerror(want_errno));
		fflush(stdout);
		exit(1);
	}
}

static __attribute__((noinline)) unsigned long spin_forever(void)
{
	unsigned long n = 0;
	atomic_store(&spinning, 1);
	while (!atomic_load_explicit(&never, memory_order_relaxed)) /* SPIN_LOOP */
		n++;
	return n;
}

static void *worker(void *arg)
{
	char c;
	struct timespec past = {1, 0}; /* 1970 on every clock */

	errno = SENTINEL;
	expect_errno("read", (long)read(pipe_fds[0], &c, 1), -1, EAGAIN);

	errno = SENTINEL;
	expect_errno("sem_trywait", sem_trywait(&empty_sem), -1, EAGAIN);

	errno = SENTINEL;
	expect_errno("sem_timedwait", sem_timedwait(&empty_sem, &past), -1, ETIMEDOUT);

	errno = SENTINEL;
	expect_errno("pthread_mutex_timedlock", pthread_mutex_timedlock(&held, &past), ETIMEDOUT,
	             SENTINEL);

	errno = SENTINEL;
	expect_errno("pthread_mutex_clocklock",
	             pthread_mutex_clocklock(&held, CLOCK_MONOTONIC, &past), ETIMEDOUT, SENTINEL);

	errno = SENTINEL;
	expect_errno("write", (long)write(pipe_fds[1], "x", 1), 1, SENTINEL);

	errno = SENTINEL;
	expect_errno("read (data)", (long)read(pipe_fds[0], &c, 1), 1, SENTINEL);

	errno = SENTINEL;
	expect_errno("read (empty again)", (long)read(pipe_fds[0], &c, 1), -1, EAGAIN);

	spin_forever();
	return NULL;
}

int main(void)
{
	if (pipe2(pipe_fds, O_NONBLOCK) != 0 || sem_init(&empty_sem, 0, 0) != 0) {
		perror("setup");
		return 2;
	}
	pthread_mutex_lock(&held);
	pthread_t t;
	pthread_create(&t, NULL, worker, NULL); /* WORKER_CREATE */
	while (!atomic_load(&spinning))
		usleep(1000);
	printf("errno kept, spinning\n");
	return 0;
}
