/* A program that leaks threads blocked forever on a condition variable, for the CLI tests.
 *   leaky [SITES] [--exit N] [--sleep-ms MS] [--term-wait]
 * SITES: letters choosing which creation sites leak: a (start_a, 2 threads), b (start_b, one
 * thread); default "a"; "-" leaks nothing. --exit N: exit with status N (a failing program).
 * --term-wait: wait for SIGTERM first (then exit normally). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;

static void *wait_forever(void *arg)
{
	pthread_mutex_lock(&mu);
	for (;;)
		pthread_cond_wait(&never, &mu); /* LEAK: blocked forever */
	return arg;
}

static void *other_wait(void *arg)
{
	pthread_mutex_lock(&mu);
	for (;;)
		pthread_cond_wait(&never, &mu); /* LEAK B: blocked forever */
	return arg;
}

static void start_a(void)
{
	for (int i = 0; i < 2; i++) {
		pthread_t t;
		pthread_create(&t, NULL, wait_forever, NULL); /* CREATE A */
	}
}

static void start_b(void)
{
	pthread_t t;
	pthread_create(&t, NULL, other_wait, NULL); /* CREATE B */
}

static volatile sig_atomic_t got_term;

static void on_term(int sig)
{
	got_term = sig;
}

int main(int argc, char **argv)
{
	const char *sites = "a";
	int status = 0, term_wait = 0, self_term = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--exit") == 0 && i + 1 < argc)
			status = atoi(argv[++i]);
		else if (strcmp(argv[i], "--term-wait") == 0)
			term_wait = 1;
		else if (strcmp(argv[i], "--self-term") == 0)
			self_term = 1; /* ends itself with SIGTERM, its threads started */
		else
			sites = argv[i];
	}
	/* SIGTERM blocked before any thread starts, so that only sigsuspend() takes it */
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	if (term_wait) {
		sigprocmask(SIG_BLOCK, &set, &old);
		signal(SIGTERM, on_term);
	}
	if (strchr(sites, 'a'))
		start_a();
	if (strchr(sites, 'b'))
		start_b();
	if (self_term) {
		kill(getpid(), SIGTERM);
		pause();
	}
	if (term_wait) {
		printf("waiting for SIGTERM\n");
		fflush(stdout);
		while (!got_term)
			sigsuspend(&old);
		printf("got SIGTERM\n");
	}
	printf("leaky %s done\n", sites);
	return status;
}
