/* Children forked while another thread runs a mid-run check (threadleak_verify_none in a loop,
 * with grace_ms=0 in the test), a thread idle beside it for the check to find. Main forks N
 * children (argv[2]), 3 ms apart, each doing MODE (argv[1]):
 *   iterate  dl_iterate_phdr() (as every C++ throw and backtrace() does), then _exit(0); an
 *            alarm ends a child that waits 5 s: "hung"
 *   exit     exit(0): its exit handlers
 *   thread   creates and joins a thread, then _exit(0)
 *   check    malloc, threadleak_verify_none(), free, _exit(0); any other end is "bad"
 * Prints "children N slow S hung H bad B": slow, a child that took more than 300 ms. Bare, all
 * 0. The check held the loader's locks, of which glibc's fork sets only two back in the child:
 * 11 children in 50 hung in dl_iterate_phdr, and the others waited 100 or 500 ms in our own
 * code; a check in the child freed again a block its parent's check had just realloc()ed
 * ("double free or corruption", about 1 run of 6 with 300 children). */
#define _GNU_SOURCE
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "threadleak.h"

static atomic_int stop;

static void *idle(void *arg)
{
	for (;;)
		pause();
	return arg;
}

static void *checker(void *arg)
{
	while (!atomic_load(&stop))
		if (threadleak_active())
			threadleak_verify_none();
		else
			usleep(1000);
	return arg;
}

static void *nothing(void *arg)
{
	return arg;
}

static int each_object(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)info, (void)size, (void)data;
	return 0;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void child(const char *mode)
{
	sigset_t alrm; /* the watchdog's signal, whatever mask the fork left (a handler's) */
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	sigprocmask(SIG_UNBLOCK, &alrm, NULL);
	alarm(5);
	if (strcmp(mode, "iterate") == 0) {
		dl_iterate_phdr(each_object, NULL);
	} else if (strcmp(mode, "exit") == 0) {
		exit(0);
	} else if (strcmp(mode, "thread") == 0) {
		pthread_t t;
		pthread_create(&t, NULL, nothing, NULL);
		pthread_join(t, NULL);
	} else if (strcmp(mode, "check") == 0) {
		char *p = malloc(1000);
		snprintf(p, 1000, "child");
		int n = threadleak_active() ? threadleak_verify_none() : 0;
		free(p);
		_exit(n == 0 ? 0 : 3);
	}
	_exit(0);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: forkcheck iterate|exit|thread|check N\n");
		return 2;
	}
	int n = atoi(argv[2]), slow = 0, hung = 0, bad = 0;
	pthread_t t;
	pthread_create(&t, NULL, idle, NULL);
	pthread_create(&t, NULL, checker, NULL);
	for (int i = 0; i < n; i++) {
		double t0 = now();
		pid_t p = fork();
		if (p == 0)
			child(argv[1]);
		int st;
		waitpid(p, &st, 0);
		if (now() - t0 > 0.3)
			slow++;
		if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
			hung++;
		else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			bad++;
		usleep(3000);
	}
	atomic_store(&stop, 1);
	printf("children %d slow %d hung %d bad %d\n", n, slow, hung, bad);
	return 0;
}
