/* main() calls pthread_exit() while a leaked worker blocks forever; the process ends when
 * another worker ends it. argv[1] picks how:
 *   exit    the worker "finisher" calls exit(0) after 50 ms; two leaked workers are blocked,
 *           one in pthread_cond_wait, one reading a pipe: 2 leaks, main and the finisher are
 *           not reported. (By then main is a zombie task: /proc/PID/maps, /proc/PID/fd and
 *           /proc/PID/exe are empty; /proc/thread-self/ still has them.)
 *   return  the leaked worker is a joinable thread that already returned (nobody joins it);
 *           the finisher returns after 50 ms, and being the last thread, glibc ends the
 *           process with exit(0) on its behalf: 1 leak (exited), no crash.
 * Output is buffered without a newline by main before pthread_exit(): it must not be lost. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static void *stuck(void *arg)
{
	pthread_mutex_lock(&mu);
	for (;;)
		pthread_cond_wait(&never_signalled, &mu); /* STUCK_BLOCKS */
	return NULL;
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
	by_exit = argc > 1 && strcmp(argv[1], "exit") == 0;
	pthread_t l, f, r;
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
