/* Threads that keep working in assorted blocking calls while they are dumped: pipe readers
 * and writers checking that every message arrives in order, semaphore ping-pong pairs (a lost
 * wake-up would stop a pair for good), sleepers in nanosleep, poll and epoll_wait checking that
 * no call fails with EINTR or returns before its time. Prints "ready", works until a line on
 * stdin, then joins everything and prints the counts. Usage: busy NTHREADS [idle|churn]; idle:
 * every thread waits in a read of one pipe, with no work (for benchmarks of the dump itself);
 * churn: every thread creates and joins a thread after another (the library's registry lock
 * is taken all the time), and one more waits in a condition variable; flip: the idle threads,
 * and main alternating 250 ms of computing with 250 ms in poll (its current frame changes). */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

static atomic_bool stop;
static atomic_long eintr, early, lost, msgs, rounds;

struct pair {
	int fd[2];
	sem_t a, b;
	atomic_bool done;
};

static long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

static void *reader(void *arg)
{
	struct pair *p = arg;
	int expect = 0, v;
	ssize_t n;
	while ((n = read(p->fd[0], &v, sizeof(v))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				eintr++;
			continue;
		}
		if (v != expect)
			lost++;
		expect = v + 1;
		msgs++;
	}
	return NULL;
}

static void *writer(void *arg)
{
	struct pair *p = arg;
	for (int i = 0; !stop; i++) {
		if (write(p->fd[1], &i, sizeof(i)) != sizeof(i))
			lost++;
		struct timespec ts = {0, 20 * 1000000};
		long t0 = now_us();
		if (nanosleep(&ts, NULL) != 0)
			eintr++;
		else if (now_us() - t0 < 20000)
			early++;
	}
	close(p->fd[1]);
	return NULL;
}

static void *ping(void *arg) /* waits on a, answers on b */
{
	struct pair *p = arg;
	for (;;) {
		if (sem_wait(&p->a) != 0) {
			eintr++;
			continue;
		}
		if (p->done)
			break;
		sem_post(&p->b);
	}
	return NULL;
}

static void *pong(void *arg)
{
	struct pair *p = arg;
	while (!stop) {
		sem_post(&p->a);
		while (sem_wait(&p->b) != 0)
			eintr++;
		rounds++;
		struct timespec ts = {0, 10 * 1000000};
		nanosleep(&ts, NULL);
	}
	p->done = true;
	sem_post(&p->a);
	return NULL;
}

static void *sleeper(void *arg)
{
	(void)arg;
	int ep = epoll_create1(0);
	for (int i = 0; !stop; i++) {
		long t0 = now_us();
		int r;
		if (i % 2 == 0)
			r = epoll_wait(ep, (struct epoll_event[1]){0}, 1, 15);
		else
			r = poll(NULL, 0, 15);
		if (r < 0 && errno == EINTR)
			eintr++;
		else if (now_us() - t0 < 15000)
			early++;
	}
	close(ep);
	return NULL;
}

static int idle_pipe[2];
static atomic_long created;
static pthread_mutex_t cmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ccv = PTHREAD_COND_INITIALIZER;

static void *nothing(void *arg)
{
	return arg;
}

static void *churner(void *arg)
{
	while (!stop) {
		pthread_t t;
		if (pthread_create(&t, NULL, nothing, NULL) != 0 || pthread_join(t, NULL) != 0)
			lost++;
		created++;
	}
	return arg;
}

static void *waiter(void *arg)
{
	pthread_mutex_lock(&cmu);
	while (!stop)
		if (pthread_cond_wait(&ccv, &cmu) != 0)
			eintr++;
	pthread_mutex_unlock(&cmu);
	return arg;
}

static void *idler(void *arg)
{
	char c;
	while (read(idle_pipe[0], &c, 1) < 0)
		eintr++;
	return arg;
}

/* flip: 250 ms in poll, 250 ms computing, until stdin has a line */
static void flip_until_stdin(void)
{
	for (;;) {
		struct pollfd in = {0, POLLIN, 0};
		if (poll(&in, 1, 250) > 0)
			return;
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		do
			clock_gettime(CLOCK_MONOTONIC, &t1);
		while ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 250);
	}
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1000;
	if (argc > 2 && strcmp(argv[2], "churn") == 0) {
		pthread_t *ct = calloc((size_t)n + 1, sizeof(*ct));
		pthread_create(&ct[n], NULL, waiter, NULL);
		for (int i = 0; i < n; i++)
			pthread_create(&ct[i], NULL, churner, NULL);
		puts("ready");
		fflush(stdout);
		char line[16];
		char *got = fgets(line, sizeof(line), stdin);
		pthread_mutex_lock(&cmu);
		stop = true;
		pthread_cond_broadcast(&ccv);
		pthread_mutex_unlock(&cmu);
		for (int i = 0; i <= n; i++)
			pthread_join(ct[i], NULL);
		printf("threads=%d eintr=%ld early=0 lost=%ld msgs=%ld rounds=0\n", n + 1,
		       (long)eintr, (long)lost, (long)created);
		return 0;
	}
	if (argc > 2) { /* idle, flip */
		pthread_t *it = calloc((size_t)n, sizeof(*it));
		if (pipe(idle_pipe) != 0)
			return 2;
		for (int i = 0; i < n; i++)
			pthread_create(&it[i], NULL, idler, NULL);
		puts("ready");
		fflush(stdout);
		if (strcmp(argv[2], "flip") == 0)
			flip_until_stdin();
		char line[16];
		char *got = fgets(line, sizeof(line), stdin);
		close(idle_pipe[1]);
		for (int i = 0; i < n; i++)
			pthread_join(it[i], NULL);
		printf("threads=%d eintr=%ld early=0 lost=0 msgs=0 rounds=0\n", n, (long)eintr);
		return 0;
	}
	int npairs = n / 5;
	struct pair *pairs = calloc((size_t)npairs, sizeof(*pairs));
	pthread_t *t = calloc((size_t)n, sizeof(*t));
	int k = 0;
	for (int i = 0; i < npairs; i++) {
		struct pair *p = &pairs[i];
		if (pipe(p->fd) != 0)
			return 2;
		sem_init(&p->a, 0, 0);
		sem_init(&p->b, 0, 0);
		pthread_create(&t[k++], NULL, reader, p);
		pthread_create(&t[k++], NULL, writer, p);
		pthread_create(&t[k++], NULL, ping, p);
		pthread_create(&t[k++], NULL, pong, p);
	}
	while (k < n)
		pthread_create(&t[k++], NULL, sleeper, NULL);
	puts("ready");
	fflush(stdout);
	char line[16];
	char *got = fgets(line, sizeof(line), stdin); /* MAIN_WAITS */
	stop = true;
	for (int i = 0; i < k; i++)
		pthread_join(t[i], NULL);
	printf("threads=%d eintr=%ld early=%ld lost=%ld msgs=%ld rounds=%ld\n", k, (long)eintr,
	       (long)early, (long)lost, (long)msgs, (long)rounds);
	return 0;
}
