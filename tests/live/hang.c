/* The hang of a program that never exits: a worker waits on a condition variable nobody
 * signals, and main joins it. Modes:
 *   hang              as above
 *   atexit            main returns; an atexit handler joins the worker
 *   handler           a SIGTERM handler of the program's own prints "handled" and exits 3
 *   ignore            SIGTERM is ignored
 *   sigaction         print what sigaction() says SIGINT's action is before installing one only
 *                     when it is SIG_DFL (as CPython does), then hang
 *   pexit             main calls pthread_exit instead of joining: its task is a zombie while
 *                     the worker waits on
 * Prints "ready" once the worker waits. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_t t;
static volatile int waiting;

static void *worker(void *a)
{
	pthread_mutex_lock(&mu);
	waiting = 1;
	pthread_cond_wait(&cv, &mu); /* WORKER_WAIT */
	pthread_mutex_unlock(&mu);
	return a;
}

static void join_worker(void)
{
	pthread_join(t, NULL); /* ATEXIT_JOIN */
}

static void on_term(int sig)
{
	static const char msg[] = "handled\n";
	(void)sig;
	write(1, msg, sizeof(msg) - 1);
	_exit(3);
}

static void on_int(int sig)
{
	static const char msg[] = "interrupted\n";
	(void)sig;
	write(1, msg, sizeof(msg) - 1);
	_exit(4);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "hang";
	if (strcmp(mode, "handler") == 0) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_term;
		sigaction(SIGTERM, &sa, NULL);
	} else if (strcmp(mode, "ignore") == 0) {
		signal(SIGTERM, SIG_IGN);
	} else if (strcmp(mode, "sigaction") == 0) {
		struct sigaction old;
		sigaction(SIGINT, NULL, &old);
		printf("SIGINT %s\n", old.sa_handler == SIG_DFL ? "default" : "taken");
		if (old.sa_handler == SIG_DFL)
			signal(SIGINT, on_int);
	}
	pthread_create(&t, NULL, worker, NULL);
	while (!waiting)
		usleep(1000);
	usleep(10000);
	puts("ready");
	fflush(stdout);
	if (strcmp(mode, "atexit") == 0) {
		atexit(join_worker);
		return 0;
	}
	if (strcmp(mode, "pexit") == 0)
		pthread_exit(NULL);
	pthread_join(t, NULL); /* MAIN_JOIN */
	return 0;
}
