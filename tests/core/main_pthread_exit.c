/* main() calls pthread_exit() while a leaked worker blocks forever; the process ends when
 * another worker ends it. argv[1] picks how:
 *   exit    the worker "finisher" calls exit(0) after 50 ms; two leaked workers are blocked,
 *           one in pthread_cond_wait, one reading a pipe: 2 leaks, main and the finisher are
 *           not reported. (By then main is a zombie task: /proc/PID/maps, /proc/PID/fd and
 *           /proc/PID/exe are empty; /proc/thread-self/ still has them.)
 *   return  the leaked worker is a joinable thread that already returned (nobody joins it);
 *           the finisher returns after 50 ms, and being the last thread, glibc ends the
 *           process with exit(0) on its behalf: 1 leak (exited), no crash.
 *   epoll   like exit, but the leaked worker waits on a condition variable in a heap block that
 *           only an epoll registration points to (data.ptr): reachable, through the kernel's
 *           list, which the scan reads from /proc/thread-self/fdinfo.
 *   unreached  the same without the registration: nothing points to the block.
 *   holder  like exit, with one leaked worker that waits for a mutex main locked before its
 *           pthread_exit(): its owner has exited (main stays a zombie task), not "held by
 *           thread 1"
 * Output is buffered without a newline by main before pthread_exit(): it must not be lost. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never_signalled = PTHREAD_COND_INITIALIZER;
static int by_exit;
static int pipefd[2];

static void *reader(void *arg)
{
	char c;
	read(pipefd[0], &c, 1); /* READER_BLOCKS: nobody writes */
	return NULL;
}

static pthread_mutex_t held_by_main = PTHREAD_MUTEX_INITIALIZER;

static void *locker(void *arg)
{
	pthread_mutex_lock(&held_by_main); /* LOCKER_BLOCKS */
	return arg;
}

static void *stuck(void *arg)
{
	pthread_mutex_lock(&mu);
	for (;;)
		pthread_cond_wait(&never_signalled, &mu); /* STUCK_BLOCKS */
	return NULL;
}

struct waitpoint {
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

static void *stuck_on_heap(void *arg)
{
	struct waitpoint *w = arg;
	pthread_mutex_lock(&w->mu);
	for (;;)
		pthread_cond_wait(&w->cv, &w->mu); /* HEAP_BLOCKS */
	return NULL;
}

/* the block's only pointers: the worker's registers and, with epoll, the registration */
__attribute__((noinline)) static void start_on_heap(int epoll)
{
	struct waitpoint *w = malloc(sizeof(*w));
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (epoll) {
		int ep = epoll_create1(0);
		pipe(pipefd);
		struct epoll_event ev;
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.ptr = w;
		epoll_ctl(ep, EPOLL_CTL_ADD, pipefd[0], &ev);
	}
	pthread_t t;
	pthread_create(&t, NULL, stuck_on_heap, w);
	pthread_detach(t);
}

/* main's dead frames must not hold the block's address. A loop, not memset: the lazy binding
 * of a first call spills every vector register below the caller's frame, under the zeroed
 * bytes. */
__attribute__((noinline)) static void scrub(void)
{
	volatile char b[65536];
	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = 0;
}

static void *nothing(void *arg)
{
	return arg;
}

/* glibc's first pthread_create in a process sets up its signal handlers with a struct copied
 * partly uninitialised from the stack (late_init, __libc_sigaction): a vector register may
 * then carry whatever a caller's frame had left there (the block's address, from the
 * creation of its worker) to wherever it is spilled next. Made here, before the block exists. */
static void first_creation(void)
{
	pthread_t t;
	pthread_create(&t, NULL, nothing, NULL);
	pthread_join(t, NULL);
}

static void *gone(void *arg)
{
	return NULL; /* GONE_RETURNS: joinable, never joined */
}

static void *finisher(void *arg)
{
	usleep(50000); /* main is gone by now */
	if (by_exit)
		exit(0);
	return NULL; /* the last thread: the process exits with status 0 */
}

int main(int argc, char **argv)
{
	pthread_t l, f, r;
	if (argc > 1 && (strcmp(argv[1], "epoll") == 0 || strcmp(argv[1], "unreached") == 0)) {
		by_exit = 1;
		first_creation();
		start_on_heap(strcmp(argv[1], "epoll") == 0);
		scrub();
		pthread_create(&f, NULL, finisher, NULL);
		pthread_detach(f);
		printf("main leaves");
		pthread_exit(NULL);
	}
	if (argc > 1 && strcmp(argv[1], "holder") == 0) {
		by_exit = 1;
		pthread_mutex_lock(&held_by_main);
		pthread_t h;
		pthread_create(&h, NULL, locker, NULL);
		pthread_create(&f, NULL, finisher, NULL);
		pthread_detach(f);
		printf("main leaves");
		pthread_exit(NULL);
	}
	by_exit = argc > 1 && strcmp(argv[1], "exit") == 0;
	pthread_create(&l, NULL, by_exit ? stuck : gone, NULL);
	if (by_exit) {
		pipe(pipefd);
		pthread_create(&r, NULL, reader, NULL);
	}
	pthread_create(&f, NULL, finisher, NULL);
	pthread_detach(f);
	printf("main leaves"); /* buffered, no newline */
	pthread_exit(NULL);
}
