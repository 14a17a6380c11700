/* 1,000,000 short-lived threads over a run: memory must stay bounded and the exit
 * check fast. Usage: many TOTAL [CONCURRENCY] [LEAKED]
 * Threads are made in waves of CONCURRENCY: half joinable and joined, half detached (a
 * detached thread's record goes when it finishes). After each checkpoint (10k, 100k, 1M, and
 * TOTAL) it prints "rss N HWM KIB T s MAXRSS": the peak RSS of this image (VmHWM from
 * /proc/self/status) and getrusage's ru_maxrss. ru_maxrss survives execve, so under a big parent
 * (a Python test driver forks, then execs us) it starts at the parent's peak and hides ours;
 * VmHWM belongs to the new address space. At the end LEAKED threads stay blocked in sem_wait, so
 * the exit check has something to report. */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static atomic_long finished;
static sem_t never;

static void *short_lived(void *arg)
{
	(void)arg;
	atomic_fetch_add(&finished, 1);
	return NULL;
}

static void *leaked(void *arg)
{
	(void)arg;
	sem_wait(&never); /* blocks forever */
	return NULL;
}

static long peak_rss_kib(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static long hwm_kib(void)
{
	char buf[4096];
	FILE *f = fopen("/proc/self/status", "r");
	long v = -1;
	if (f == NULL)
		return -1;
	while (fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "VmHWM: %ld kB", &v) == 1)
			break;
	fclose(f);
	return v;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long total = argc > 1 ? atol(argv[1]) : 1000000;
	int conc = argc > 2 ? atoi(argv[2]) : 8;
	int nleak = argc > 3 ? atoi(argv[3]) : 0;
	pthread_attr_t det;
	pthread_attr_init(&det);
	pthread_attr_setdetachstate(&det, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&det, 64 * 1024);
	pthread_attr_t join;
	pthread_attr_init(&join);
	pthread_attr_setstacksize(&join, 64 * 1024);
	sem_init(&never, 0, 0);
	static const long marks[] = {10000, 100000, 1000000};
	size_t mark = 0;
	pthread_t *ts = calloc((size_t)conc, sizeof(*ts));
	long made = 0;
	double t0 = now();
	while (made < total) {
		int k = 0;
		for (; k < conc && made < total; k++, made++) {
			int r = (made & 1) ? pthread_create(&ts[k], &det, short_lived, NULL)
					   : pthread_create(&ts[k], &join, short_lived, NULL);
			if (r != 0) {
				fprintf(stderr, "pthread_create failed at %ld: %d\n", made, r);
				return 2;
			}
			if (made & 1)
				ts[k] = 0;
		}
		for (int i = 0; i < k; i++)
			if (ts[i])
				pthread_join(ts[i], NULL);
		while (mark < sizeof(marks) / sizeof(marks[0]) && made == marks[mark]) {
			printf("rss %ld %ld KIB %.1f s %ld\n", made, hwm_kib(), now() - t0, peak_rss_kib());
			fflush(stdout);
			mark++;
		}
	}
	free(ts);
	/* let the last detached ones finish */
	for (int i = 0; i < 2000 && atomic_load(&finished) < total; i++)
		usleep(1000);
	printf("rss %ld %ld KIB %.1f s %ld\n", made, hwm_kib(), now() - t0, peak_rss_kib());
	printf("finished %ld\n", atomic_load(&finished));
	for (int i = 0; i < nleak; i++) {
		pthread_t t;
		pthread_create(&t, NULL, leaked, NULL);
	}
	return 0;
}
