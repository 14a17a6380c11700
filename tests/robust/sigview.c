/* The sampling signal as the program sees it once a check has used it (tests/robust
 * test_signals.py, 8). A worker waits on a mutex main holds, outside any wrapper, so a check
 * takes its stack with a signal. Then every real-time signal whose action is not SIG_DFL is
 * printed ("rt N handled"): bare, none. With a signal number after the mode, it is raised then:
 * bare, its default action ends the process. threadleak's handler stayed on the signal it had
 * picked, sigaction showed it, and a raise of that signal was swallowed (status 0).
 *   sigview mid [SIG]    a check during the run (threadleak_verify_none), then the view
 *   sigview exit [SIG]   the exit check, then the view in an exit handler
 *   sigview own SIG      a handler of the program's on SIG first (the test configures
 *                        signal=SIG), a check, then the program's own sigqueue() and raise()
 *                        of SIG: its handler runs for both, "own hits 2" (they were taken
 *                        for threadleak's own and swallowed)
 *   sigview teardown     a worker waits on a condition variable; an exit handler wakes and
 *                        joins it (no leak), then prints the fatal signals that have a
 *                        handler: threadleak's, put there for a teardown that dies after
 *                        the exit check found the worker, showed ("sig 11 handled")
 *   sigview ignore       SIGTERM set to SIG_IGN with SA_SIGINFO (ignored all the same, as
 *                        the kernel reads it), then raised: "survived". With dump_on_signal,
 *                        threadleak took the flag for a handler and called address 1 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "threadleak.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int raise_sig;

static void *waiter(void *arg)
{
	pthread_mutex_lock(&mu); /* main holds it: blocked for ever */
	return arg;
}

static atomic_int hits;

static void own_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	atomic_fetch_add(&hits, 1);
}

static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cv = PTHREAD_COND_INITIALIZER;
static int pool_stop;
static pthread_t pool_worker;

static void *pool_work(void *arg)
{
	pthread_mutex_lock(&pool_mu);
	while (!pool_stop)
		pthread_cond_wait(&pool_cv, &pool_mu);
	pthread_mutex_unlock(&pool_mu);
	return arg;
}

static void pool_shutdown(void)
{
	static const int fatal[] = {SIGABRT, SIGSEGV, SIGBUS, SIGFPE,
	                            SIGILL,  SIGTRAP, SIGSYS, SIGPIPE};
	pthread_mutex_lock(&pool_mu);
	pool_stop = 1;
	pthread_cond_signal(&pool_cv);
	pthread_mutex_unlock(&pool_mu);
	pthread_join(pool_worker, NULL);
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++) {
		struct sigaction cur;
		if (sigaction(fatal[i], NULL, &cur) != 0 || cur.sa_handler != SIG_DFL)
			printf("sig %d handled\n", fatal[i]);
	}
	printf("teardown done\n");
}

static void view(void)
{
	for (int s = SIGRTMIN; s <= SIGRTMAX; s++) {
		struct sigaction cur;
		if (sigaction(s, NULL, &cur) != 0 || (cur.sa_flags & SA_SIGINFO) ||
		    cur.sa_handler != SIG_DFL)
			printf("rt %d handled\n", s);
	}
	printf("view done\n");
	fflush(stdout);
	if (raise_sig > 0)
		raise(raise_sig);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "ignore") == 0) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_IGN;
		sa.sa_flags = SA_SIGINFO;
		sigaction(SIGTERM, &sa, NULL);
		raise(SIGTERM);
		printf("survived\n");
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "teardown") == 0) {
		atexit(pool_shutdown);
		pthread_create(&pool_worker, NULL, pool_work, NULL);
		usleep(50 * 1000);
		return 0;
	}
	int at_exit = argc > 1 && strcmp(argv[1], "exit") == 0;
	int own = argc > 1 && strcmp(argv[1], "own") == 0;
	raise_sig = argc > 2 && !own ? atoi(argv[2]) : 0;
	int own_sig = own && argc > 2 ? atoi(argv[2]) : 0;
	if (own_sig > 0) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = own_handler;
		sa.sa_flags = SA_SIGINFO | SA_RESTART;
		sigaction(own_sig, &sa, NULL);
	}
	pthread_mutex_lock(&mu);
	pthread_t t;
	pthread_create(&t, NULL, waiter, NULL);
	usleep(100 * 1000);
	if (at_exit) {
		atexit(view);
		return 0;
	}
	threadleak_verify_none();
	if (own_sig > 0) {
		sigqueue(getpid(), own_sig, (union sigval){.sival_int = 7});
		raise(own_sig);
		printf("own hits %d\n", atomic_load(&hits));
		threadleak_set_exit_check(0);
		return 0;
	}
	view();
	threadleak_set_exit_check(0);
	return 0;
}
