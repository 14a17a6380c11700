/* Threads left at exit, for the grace period's early end.
 *
 *   grace forever N    N threads wait, untimed, on a condition variable nobody signals, and N
 *                      more are blocked locking a mutex main holds: nothing can change
 *   grace timed N      the same N cond waiters, plus a detached thread that ends after a 300 ms
 *                      pthread_cond_timedwait: it must not be reported
 *   grace busy N       the same, plus a detached thread that computes for 300 ms and ends
 *   grace pipe N       the same, plus a detached thread reading a pipe that a child process
 *                      writes to 300 ms later; it ends after the read
 *   grace sleep N      the same, plus a detached thread that sleeps 300 ms and ends
 *   grace exited N     the same N cond waiters, plus a joinable thread that has returned and
 *                      is never joined: nothing can change either
 *   grace signaled N   the same N cond waiters, one of which a child process keeps sending
 *                      SIGUSR1 (a handler that returns; the wait goes on) until we are gone:
 *                      each look may find it asleep, but it does not stay that way
 *   grace signaled_lock N
 *                      the same with N threads blocked locking the mutex main holds (no
 *                      wrapper: their stacks are taken with threadleak's signal) */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static atomic_int arrived;
static int pipefd[2];

static void nudged(int sig)
{
	(void)sig;
}

static void unblock_usr1(void)
{
	sigset_t usr1;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);
}

static void *cond_waiter(void *arg)
{
	if (arg != NULL) /* the one that takes SIGUSR1 */
		unblock_usr1();
	pthread_mutex_lock(&mu);
	atomic_fetch_add(&arrived, 1);
	for (;;)
		pthread_cond_wait(&never, &mu);
	return arg;
}

static void *lock_waiter(void *arg)
{
	if (arg != NULL) /* the one that takes SIGUSR1 */
		unblock_usr1();
	atomic_fetch_add(&arrived, 1);
	pthread_mutex_lock(&held);
	return arg;
}

static void *timed_waiter(void *arg)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t c = PTHREAD_COND_INITIALIZER;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 300 * 1000000L;
	ts.tv_sec += ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&m);
	while (pthread_cond_timedwait(&c, &m, &ts) == 0)
		;
	pthread_mutex_unlock(&m);
	return arg;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void *busy_worker(void *arg)
{
	volatile unsigned long x = 0;
	for (double end = now() + 0.3; now() < end;)
		x++;
	return arg;
}

static void *pipe_reader(void *arg)
{
	char c;
	while (read(pipefd[0], &c, 1) < 0)
		;
	return arg;
}

static void *sleeper(void *arg)
{
	usleep(300 * 1000);
	return arg;
}

static void *returner(void *arg)
{
	return arg;
}

static void start_arg(void *(*fn)(void *), bool detached, void *arg)
{
	pthread_t t;
	pthread_attr_t a;
	pthread_attr_init(&a);
	if (detached)
		pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &a, fn, arg) != 0) {
		perror("pthread_create");
		exit(2);
	}
	pthread_attr_destroy(&a);
}

static void start(void *(*fn)(void *), bool detached)
{
	start_arg(fn, detached, NULL);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(
		    stderr,
		    "usage: grace forever|timed|busy|pipe|sleep|exited|signaled|signaled_lock N\n");
		return 2;
	}
	const char *mode = argv[1];
	int n = atoi(argv[2]), want = n;
	pthread_mutex_lock(&held);
	bool signaled = strcmp(mode, "signaled") == 0, on_lock = strcmp(mode, "signaled_lock") == 0;
	if (signaled || on_lock) {
		/* SIGUSR1 reaches only the waiter that unblocks it */
		struct sigaction sa = {.sa_handler = nudged, .sa_flags = SA_RESTART};
		sigaction(SIGUSR1, &sa, NULL);
		sigset_t usr1;
		sigemptyset(&usr1);
		sigaddset(&usr1, SIGUSR1);
		pthread_sigmask(SIG_BLOCK, &usr1, NULL);
		start_arg(on_lock ? lock_waiter : cond_waiter, false, (void *)1);
		want++;
	}
	for (int i = 0; i < n; i++)
		start(on_lock ? lock_waiter : cond_waiter, false);
	if (strcmp(mode, "forever") == 0) {
		for (int i = 0; i < n; i++)
			start(lock_waiter, false);
		want += n;
	}
	while (atomic_load(&arrived) < want)
		usleep(1000);
	pthread_mutex_lock(&mu); /* every cond waiter is inside pthread_cond_wait */
	pthread_mutex_unlock(&mu);
	if (strcmp(mode, "timed") == 0) {
		start(timed_waiter, true);
	} else if (strcmp(mode, "busy") == 0) {
		start(busy_worker, true);
	} else if (strcmp(mode, "sleep") == 0) {
		start(sleeper, true);
	} else if (strcmp(mode, "pipe") == 0) {
		if (pipe(pipefd) != 0)
			return 2;
		if (fork() == 0) {
			usleep(300 * 1000);
			write(pipefd[1], "x", 1);
			_exit(0);
		}
		close(pipefd[1]);
		start(pipe_reader, true);
	} else if (signaled || on_lock) {
		pid_t parent = getpid();
		if (fork() == 0) {
			/* until the parent is gone (a zombie still takes kill(): ask whose child we
			 * are); holding no pipe of whoever waits for the parent's output */
			for (int fd = 0; fd < 3; fd++)
				close(fd);
			while (getppid() == parent && kill(parent, SIGUSR1) == 0)
				usleep(1000); /* sparse: the looks mostly find it asleep */
			_exit(0);
		}
	} else if (strcmp(mode, "exited") == 0) {
		start(returner, false);
		usleep(100 * 1000); /* it has returned, and its task is gone */
	} else if (strcmp(mode, "forever") != 0) {
		fprintf(stderr, "grace: unknown mode %s\n", mode);
		return 2;
	}
	usleep(20 * 1000); /* the lock waiters reach the kernel */
	printf("exiting\n");
	fflush(stdout);
	exit(0);
}
