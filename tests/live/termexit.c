/* A program that stops on SIGTERM: its handler sets a flag, main returns 0, and a worker is
 * still waiting in pause() (a leak the exit check reports). Under threadleak run --timeout, run
 * said "exit status 0 becomes 23" and wrote that in its JSON, while it exited 124. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void *worker(void *a)
{
	for (;;)
		pause();
	return a;
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigset_t term;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &term, NULL); /* the worker leaves SIGTERM to main */
	pthread_t t;
	pthread_create(&t, NULL, worker, NULL);
	pthread_sigmask(SIG_UNBLOCK, &term, NULL);
	puts("ready");
	fflush(stdout);
	while (!stop)
		pause();
	return 0;
}
