/* One thread creates and joins threads in a loop (-d: detached ones, not joined) while main
 * exits, or while main runs per-test checks (-a N: N checks, then stop the churn and exit).
 * The churning thread is the one leak: nothing that appears or vanishes during a check is. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "threadleak.h"

static atomic_int stop, spins;
static int detached;

static void *child(void *arg)
{
	return arg;
}

static void *churner(void *arg)
{
	while (!atomic_load(&stop)) {
		pthread_t t;
		if (pthread_create(&t, NULL, child, NULL) != 0)
			continue;
		if (detached)
			pthread_detach(t);
		else
			pthread_join(t, NULL);
		atomic_fetch_add(&spins, 1);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int checks = 0, opt;
	while ((opt = getopt(argc, argv, "da:")) != -1) {
		if (opt == 'd')
			detached = 1;
		else if (opt == 'a')
			checks = atoi(optarg);
	}
	pthread_t c;
	pthread_create(&c, NULL, churner, NULL);
	while (atomic_load(&spins) < 50)
		usleep(1000);
	if (checks) {
		long leaked = 0, wrong = 0;
		for (int i = 0; i < checks; i++) {
			int n = 0;
			char *json = threadleak_report_json(&n);
			leaked += n;
			wrong += n != 1;
			if (n != 1 && wrong <= 3) /* for the test's log */
				fprintf(stderr, "%s\n", json);
			free(json);
		}
		atomic_store(&stop, 1);
		pthread_join(c, NULL);
		printf("checks %d leaked %ld wrong %ld\n", checks, leaked, wrong);
	}
	printf("main done\n");
	return 0;
}
