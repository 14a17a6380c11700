/* Two threads call threadleak_verify_none() at once while one thread is leaked (blocked in
 * read): the check that runs second waits for the first; the first reports the waiting one
 * only as blocked in a threadleak check, never on threadleak's own lock. Prints each check's
 * count.
 * With argument "checker_thread": a leaked thread that calls threadleak_report_json() every
 * millisecond, beside the reader; main's check counts both ("leaks 2"): the API caller was left
 * out whenever it waited for main's check.
 * With argument "exit": main's check runs (a sleeper keeps it waiting out the grace period)
 * while another thread calls exit(5) 30 ms after it began: the exit check waits for it, then
 * reports.
 * With argument "cancel": a thread checks in a loop (verify_none, then pthread_testcancel) and
 * main cancels it after DELAY us (argv[2]), joins it, prints "cancelled 1" and returns; the
 * leaked reader makes the exit check report. The cancel unwound the thread out of the check
 * with the check's lock held: the exit hung for ever. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "threadleak.h"

static int fds[2];
static pthread_barrier_t together;

static void *leaked(void *arg)
{
	char c;
	read(fds[0], &c, 1);
	return arg;
}

static void *checker(void *arg)
{
	pthread_barrier_wait(&together);
	*(int *)arg = threadleak_verify_none();
	return NULL;
}

static void *sleeper(void *arg)
{
	for (;;)
		usleep(10000);
	return arg;
}

static void *exiter(void *arg)
{
	pthread_barrier_wait(&together);
	usleep(30000);
	exit(5);
	return arg;
}

static atomic_int stop;

/* A leaked thread of the program that calls the API now and then (its own mid-run checks) */
static void *api_caller(void *arg)
{
	while (!atomic_load(&stop)) {
		free(threadleak_report_json(NULL));
		usleep(1000); /* API_CALLER_SLEEP */
	}
	return arg;
}

static void *check_loop(void *arg)
{
	for (;;) {
		threadleak_verify_none();
		pthread_testcancel();
	}
	return arg;
}

int main(int argc, char **argv)
{
	pthread_t l, c1, c2;
	int r1 = -1, r2 = -1;
	pipe(fds);
	if (argc > 1 && strcmp(argv[1], "checker_thread") == 0) {
		threadleak_ignore_current();
		pthread_create(&c1, NULL, api_caller, NULL);
		pthread_create(&l, NULL, leaked, NULL);
		usleep(50000);
		int n = threadleak_verify_none(); /* both: the API caller, even when it waits */
		atomic_store(&stop, 1);
		write(fds[1], "x", 1);
		pthread_join(c1, NULL);
		pthread_join(l, NULL);
		printf("leaks %d\n", n);
		return 0;
	}
	if (argc > 2 && strcmp(argv[1], "cancel") == 0) {
		void *res;
		pthread_create(&l, NULL, leaked, NULL);
		pthread_create(&c1, NULL, check_loop, NULL);
		usleep(atoi(argv[2]));
		pthread_cancel(c1);
		pthread_join(c1, &res);
		printf("cancelled %d\n", res == PTHREAD_CANCELED);
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "exit") == 0) {
		pthread_barrier_init(&together, NULL, 2);
		pthread_create(&l, NULL, leaked, NULL);
		pthread_create(&c1, NULL, sleeper, NULL);
		pthread_create(&c2, NULL, exiter, NULL);
		pthread_barrier_wait(&together);
		printf("api %d\n", threadleak_verify_none());
		fflush(stdout);
		for (;;)
			pause();
	}
	pthread_barrier_init(&together, NULL, 2);
	pthread_create(&l, NULL, leaked, NULL);
	pthread_create(&c1, NULL, checker, &r1);
	pthread_create(&c2, NULL, checker, &r2);
	pthread_join(c1, NULL);
	pthread_join(c2, NULL);
	printf("checks %d %d\n", r1, r2);
	write(fds[1], "x", 1);
	pthread_join(l, NULL);
	return 0;
}
