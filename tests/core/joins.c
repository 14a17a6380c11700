/* Joins other than pthread_join, and thread handles that are reused. argv[1] picks the case:
 *
 *   clean: three threads joined by pthread_tryjoin_np (retried until the thread has finished),
 *          pthread_timedjoin_np and pthread_clockjoin_np, each of which succeeds. Expected: no
 *          leak, exit status 0.
 *   busy:  a thread that is still running when pthread_tryjoin_np tries it (EBUSY), then
 *          finishes and is never joined. Expected: 1 leak, state "exited".
 *   reuse: 2000 short threads created and joined one after the other (glibc reuses their
 *          stacks, so the handles repeat), the joins alternating between pthread_join,
 *          pthread_tryjoin_np, pthread_timedjoin_np and pthread_clockjoin_np; then 2 threads
 *          that block reading a pipe. Expected: exactly 2 leaks, threads 2002 and 2003. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int never_pipe[2];
static atomic_int go;
static _Atomic pid_t held_tid, blocked_tid;

static struct timespec far(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	ts.tv_sec += 60;
	return ts;
}

static void *quick(void *arg)
{
	return arg;
}

static void *held_back(void *arg)
{
	atomic_store(&held_tid, gettid());
	while (!atomic_load(&go)) /* HELD_BACK */
		usleep(1000);
	return arg;
}

static void *blocked(void *arg)
{
	char c;
	atomic_store(&blocked_tid, gettid());
	read(never_pipe[0], &c, 1); /* BLOCKED_READ */
	return arg;
}

static void try_until_joined(pthread_t t)
{
	int r;
	while ((r = pthread_tryjoin_np(t, NULL)) == EBUSY)
		sched_yield();
	if (r != 0) {
		fprintf(stderr, "joins: pthread_tryjoin_np: %s\n", strerror(r));
		exit(2);
	}
}

static void join_with(int how, pthread_t t)
{
	struct timespec ts;
	int r = 0;
	switch (how) {
	case 0:
		r = pthread_join(t, NULL);
		break;
	case 1:
		try_until_joined(t);
		break;
	case 2:
		ts = far(CLOCK_REALTIME);
		r = pthread_timedjoin_np(t, NULL, &ts);
		break;
	case 3:
		ts = far(CLOCK_MONOTONIC);
		r = pthread_clockjoin_np(t, NULL, CLOCK_MONOTONIC, &ts);
		break;
	}
	if (r != 0) {
		fprintf(stderr, "joins: join %d: %s\n", how, strerror(r));
		exit(2);
	}
}

static pthread_t start(void *(*fn)(void *))
{
	pthread_t t;
	int r = pthread_create(&t, NULL, fn, NULL); /* CREATE */
	if (r != 0) {
		fprintf(stderr, "joins: pthread_create: %s\n", strerror(r));
		exit(2);
	}
	return t;
}

/* Start a thread that blocks reading never_pipe; return once it sleeps in the kernel. */
static void start_blocked(void)
{
	atomic_store(&blocked_tid, 0);
	start(blocked); /* START_BLOCKED */
	pid_t tid;
	while ((tid = atomic_load(&blocked_tid)) == 0)
		sched_yield();
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	for (int asleep = 0, i = 0; asleep < 3; i++) {
		FILE *f = fopen(path, "r");
		char *p = NULL;
		if (f != NULL && fgets(buf, sizeof(buf), f))
			p = strrchr(buf, ')');
		if (f != NULL)
			fclose(f);
		asleep = p != NULL && p[1] == ' ' && p[2] == 'S' ? asleep + 1 : 0;
		if (i > 10000) {
			fprintf(stderr, "joins: thread %d never blocked\n", (int)tid);
			exit(2);
		}
		usleep(1000);
	}
}

static int clean(void)
{
	for (int how = 1; how <= 3; how++)
		join_with(how, start(quick));
	/* timed and clock joins that have to wait for the thread */
	atomic_store(&go, 0);
	pthread_t a = start(held_back), b = start(held_back);
	usleep(20000);
	atomic_store(&go, 1);
	join_with(2, a);
	join_with(3, b);
	printf("joined 5\n");
	return 0;
}

static int busy(void)
{
	atomic_store(&go, 0);
	pthread_t t = start(held_back); /* BUSY_CREATE */
	int r = pthread_tryjoin_np(t, NULL);
	if (r != EBUSY) {
		fprintf(stderr, "joins: pthread_tryjoin_np on a running thread: %d\n", r);
		return 2;
	}
	atomic_store(&go, 1);
	/* let it finish: its kernel task goes away; never joined */
	char path[64];
	pid_t tid;
	while ((tid = atomic_load(&held_tid)) == 0)
		sched_yield();
	snprintf(path, sizeof(path), "/proc/self/task/%d", (int)tid);
	for (int i = 0; i < 5000 && access(path, F_OK) == 0; i++)
		usleep(1000);
	printf("tryjoin busy, then finished\n");
	return 0;
}

static int reuse(void)
{
	for (int i = 0; i < 2000; i++)
		join_with(i % 4, start(quick));
	start_blocked(); /* REUSE_LEAK_1 */
	start_blocked(); /* REUSE_LEAK_2 */
	printf("2000 joined, 2 blocked\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (pipe(never_pipe) != 0)
		return 2;
	const char *what = argc > 1 ? argv[1] : "";
	if (strcmp(what, "clean") == 0)
		return clean();
	if (strcmp(what, "busy") == 0)
		return busy();
	if (strcmp(what, "reuse") == 0)
		return reuse();
	fprintf(stderr, "usage: joins clean|busy|reuse\n");
	return 2;
}
