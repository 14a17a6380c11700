/* Threads deep in their stacks when a report is asked for: THREADS threads on 1 MiB stacks go
 * down until LEFT bytes are left, then wait there (MODE 0: a mutex main holds; 1: sem_wait;
 * 2: read of a pipe); main computes for SECONDS, then lets them go, joins them and prints
 * "done". Prints "ready" once they wait. The request's signal lands on one of them, or is
 * handed to one as the quiet thread to answer: its handler took about 10 KiB of that stack
 * before the check moved to its own, and the process died of SIGSEGV with 9 KiB left.
 *   deephost THREADS LEFT MODE SECONDS */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "../scenarios/deep_stack.h"

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static long left;
static int mode, fds[2];
static sem_t sem;
static atomic_int waiting;
static void wait_there(void)
{
	atomic_fetch_add(&waiting, 1);
	char c;
	if (mode == 0) {
		pthread_mutex_lock(&held);
		pthread_mutex_unlock(&held);
	} else if (mode == 1) {
		if (sem_wait(&sem) != 0)
			printf("sem_wait failed\n");
	} else if (read(fds[0], &c, 1) != 1) {
		printf("read failed\n");
	}
}

static void *deep(void *arg)
{
	go_down_to(stack_low_end(), (size_t)left, wait_there);
	return arg;
}

int main(int argc, char **argv)
{
	if (argc < 5)
		return 2;
	int n = atoi(argv[1]);
	left = atol(argv[2]);
	mode = atoi(argv[3]);
	double seconds = atof(argv[4]);
	sem_init(&sem, 0, 0);
	if (pipe(fds) != 0)
		return 1;
	pthread_mutex_lock(&held);
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setstacksize(&at, 1 << 20);
	pthread_t t[16];
	for (int i = 0; i < n && i < 16; i++)
		pthread_create(&t[i], &at, deep, NULL);
	while (atomic_load(&waiting) < n)
		usleep(1000);
	usleep(20000);
	printf("ready\n");
	fflush(stdout);
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	volatile long x = 0;
	do { /* computing: the request goes to one of the others */
		for (int i = 0; i < 100000; i++)
			x++;
		clock_gettime(CLOCK_MONOTONIC, &b);
	} while ((double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9 < seconds);
	pthread_mutex_unlock(&held);
	for (int i = 0; i < n; i++) {
		sem_post(&sem);
		if (write(fds[1], "x", 1) != 1)
			printf("write failed\n");
	}
	for (int i = 0; i < n && i < 16; i++)
		pthread_join(t[i], NULL);
	printf("done\n");
	return 0;
}
