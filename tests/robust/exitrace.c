/* Races at exit. Usage: exitrace MODE K [N]
 * Every mode first leaves K threads blocked in sem_wait (the leaks the report must count
 * exactly), then:
 *   exit N     N threads (N >= 2) wait on a barrier and call exit(0) at once; main blocks in
 *              pthread_join. Expected: one report, K leaks, exit status 23.
 *   keydtor    a thread's pthread_key destructor calls exit(0). Expected: K leaks, status 23.
 *   churn N    N spawner threads create short-lived threads (joined and detached) without
 *              pause while main exits: threads appear and vanish during the check. Expected:
 *              the K blocked threads and the N spawners are reported, no hang, no crash.
 *   forks N    N threads fork() at once; child i exits with exit(0), and odd children first
 *              leave one thread of their own blocked (so they report 1 leak and exit 23). The
 *              forking threads wait for their child and are joined. Prints "child I status S"
 *              per child. Expected: parent reports K leaks; children report 0 or 1. */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static sem_t never, ready;
static pthread_barrier_t barrier;
static int nthreads;

static void *blocked(void *arg)
{
	sem_post(&ready);
	sem_wait(&never);
	return arg;
}

static void *exiter(void *arg)
{
	pthread_barrier_wait(&barrier);
	exit(0);
	return arg;
}

static pthread_key_t key;

static void key_destructor(void *v)
{
	(void)v;
	exit(0);
}

static void *key_thread(void *arg)
{
	pthread_setspecific(key, (void *)1);
	return arg; /* the destructor runs now and calls exit(0) */
}

static void *short_lived(void *arg)
{
	return arg;
}

static void *spawner(void *arg)
{
	pthread_attr_t det;
	pthread_attr_init(&det);
	pthread_attr_setdetachstate(&det, PTHREAD_CREATE_DETACHED);
	sem_post(&ready);
	for (unsigned long i = 0;; i++) {
		pthread_t t;
		if (i & 1) {
			pthread_create(&t, &det, short_lived, NULL);
		} else if (pthread_create(&t, NULL, short_lived, NULL) == 0) {
			pthread_join(t, NULL);
		}
	}
	return arg;
}

struct forker {
	pthread_t t;
	int index;
	int status;
};

static void *forker_main(void *arg)
{
	struct forker *f = arg;
	pthread_barrier_wait(&barrier);
	pid_t pid = fork();
	if (pid == 0) {
		if (f->index & 1) {
			pthread_t t;
			sem_init(&ready, 0, 0);
			pthread_create(&t, NULL, blocked, NULL);
			sem_wait(&ready);
		}
		exit(0);
	}
	if (pid < 0) {
		perror("fork");
		f->status = -1;
		return NULL;
	}
	int st;
	if (waitpid(pid, &st, 0) != pid)
		st = -1;
	f->status = st;
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: exitrace MODE K [N]\n");
		return 64;
	}
	const char *mode = argv[1];
	int k = atoi(argv[2]);
	nthreads = argc > 3 ? atoi(argv[3]) : 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	sem_init(&never, 0, 0);
	sem_init(&ready, 0, 0);
	for (int i = 0; i < k; i++) {
		pthread_t t;
		pthread_create(&t, NULL, blocked, NULL);
	}
	for (int i = 0; i < k; i++)
		sem_wait(&ready);

	if (strcmp(mode, "exit") == 0) {
		pthread_barrier_init(&barrier, NULL, (unsigned)nthreads);
		pthread_t *ts = calloc((size_t)nthreads, sizeof(*ts));
		for (int i = 0; i < nthreads; i++)
			pthread_create(&ts[i], NULL, exiter, NULL);
		pthread_join(ts[0], NULL); /* never returns: the process exits first */
		return 70;
	}
	if (strcmp(mode, "keydtor") == 0) {
		pthread_key_create(&key, key_destructor);
		pthread_t t;
		pthread_create(&t, NULL, key_thread, NULL);
		pthread_join(t, NULL); /* never returns */
		return 71;
	}
	if (strcmp(mode, "churn") == 0) {
		for (int i = 0; i < nthreads; i++) {
			pthread_t t;
			pthread_create(&t, NULL, spawner, NULL);
		}
		for (int i = 0; i < nthreads; i++)
			sem_wait(&ready);
		struct timespec ts = {0, 20 * 1000000};
		nanosleep(&ts, NULL);
		exit(0);
	}
	if (strcmp(mode, "forks") == 0) {
		pthread_barrier_init(&barrier, NULL, (unsigned)nthreads);
		struct forker *fs = calloc((size_t)nthreads, sizeof(*fs));
		for (int i = 0; i < nthreads; i++) {
			fs[i].index = i;
			pthread_create(&fs[i].t, NULL, forker_main, &fs[i]);
		}
		for (int i = 0; i < nthreads; i++) /* all forks done before any output is buffered */
			pthread_join(fs[i].t, NULL);
		for (int i = 0; i < nthreads; i++) {
			printf("child %d status %d\n", i,
			       WIFEXITED(fs[i].status) ? WEXITSTATUS(fs[i].status) : 1000 + fs[i].status);
		}
		exit(0);
	}
	fprintf(stderr, "exitrace: unknown mode %s\n", mode);
	return 64;
}
