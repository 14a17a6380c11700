/* An AB-BA deadlock on two global mutexes. Thread 2 takes lock_b then wants lock_a;
 * thread 3 takes lock_a then wants lock_b. Neither mutex_lock is wrapped: the check finds both
 * from the kernel (futex waits) and their stacks, names the mutexes by symbol, their owners,
 * and the cycle.
 * With argv[1] "cond", the same cycle through a condition variable: thread 2 takes lock_b,
 * then waits on cv with lock_a; thread 3 takes lock_a, sets the flag, broadcasts cv and wants
 * lock_b. Thread 2, woken, waits inside pthread_cond_wait to lock lock_a again, which thread 3
 * holds. With "relock", main takes lock_a, broadcasts and returns holding it: thread 2 waits
 * for lock_a held by thread 1 (no cycle). With "barrier", the AB-BA deadlock of the first
 * mode, but main returns right after the barrier: the exit check may look at the threads while
 * they are still leaving the barrier's wait (its wrapper) for their second lock. With "rwread",
 * the cycle through an rwlock held for reading, which glibc does not name a holder for: thread
 * 2 reads config_rw and wants lock_b; thread 3 holds lock_b and wants config_rw for writing.
 * With "rwupgrade", thread 2 reads config_rw and then wants it for writing: a deadlock of one.
 * With "rwqueue", on a writer-preferring rwlock: thread 2 reads it, thread 3 wants to write
 * (and waits for thread 2), then thread 2 reads it again, which waits behind thread 3.
 * With "rwreaders", threads 2 and 3 ("reader") read config_rw and stay, and thread 4
 * ("wants_write") waits to write it: held by both, not only by the first one found. */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int ready;

pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold;
pthread_rwlock_t config_rw = PTHREAD_RWLOCK_INITIALIZER;

static void *second(void *arg)
{
	pthread_setname_np(pthread_self(), "takes_b_then_a");
	pthread_mutex_lock(&lock_b);
	pthread_barrier_wait(&both_hold);
	pthread_mutex_lock(&lock_a); /* deadlock: thread 3 holds lock_a */
	return NULL;
}

static void *third(void *arg)
{
	pthread_setname_np(pthread_self(), "takes_a_then_b");
	pthread_mutex_lock(&lock_a);
	pthread_barrier_wait(&both_hold);
	pthread_mutex_lock(&lock_b); /* deadlock: thread 2 holds lock_b */
	return NULL;
}

static void *cond_waiter(void *arg)
{
	pthread_setname_np(pthread_self(), "cond_waiter");
	if (arg)
		pthread_mutex_lock(&lock_b);
	pthread_mutex_lock(&lock_a);
	pthread_barrier_wait(&both_hold);
	while (!ready)
		pthread_cond_wait(&cv, &lock_a); /* COND_WAIT */
	pthread_mutex_unlock(&lock_a);
	if (arg)
		pthread_mutex_unlock(&lock_b);
	return NULL;
}

static void *signaller(void *arg)
{
	pthread_setname_np(pthread_self(), "signaller");
	pthread_barrier_wait(&both_hold);
	pthread_mutex_lock(&lock_a); /* thread 2 is in its wait: it let lock_a go */
	ready = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_lock(&lock_b); /* SIGNALLER_LOCK: thread 2 holds lock_b */
	return NULL;
}

static void *reader(void *arg)
{
	pthread_setname_np(pthread_self(), "reads_then_b");
	pthread_rwlock_rdlock(&config_rw);
	pthread_barrier_wait(&both_hold);
	pthread_mutex_lock(&lock_b); /* deadlock: thread 3 holds lock_b */
	return arg;
}

static void *writer(void *arg)
{
	pthread_setname_np(pthread_self(), "b_then_writes");
	pthread_mutex_lock(&lock_b);
	pthread_barrier_wait(&both_hold);
	pthread_rwlock_wrlock(&config_rw); /* deadlock: thread 2 reads it */
	return arg;
}

static void *upgrader(void *arg)
{
	pthread_setname_np(pthread_self(), "upgrades");
	pthread_rwlock_rdlock(&config_rw);
	pthread_rwlock_wrlock(&config_rw); /* deadlock: it reads it itself */
	return arg;
}

static pthread_rwlock_t queue_rw;
static sem_t reading;

static void *stays_reading(void *arg)
{
	pthread_setname_np(pthread_self(), "reader");
	pthread_rwlock_rdlock(&config_rw);
	sem_post(&reading);
	for (;;)
		pause();
	return arg;
}

static void *wants_write(void *arg)
{
	pthread_setname_np(pthread_self(), "wants_write");
	pthread_rwlock_wrlock(&config_rw);
	return arg;
}

static void *rereader(void *arg)
{
	pthread_setname_np(pthread_self(), "reads_twice");
	pthread_rwlock_rdlock(&queue_rw);
	sem_post(&reading);
	/* the writer queues meanwhile: 30 ms was too short once under valgrind, which runs one
	 * thread at a time (the second read lock was granted, and the thread had exited) */
	struct timespec ts = {0, 300 * 1000000};
	nanosleep(&ts, NULL);
	pthread_rwlock_rdlock(&queue_rw); /* deadlock: behind the writer, which waits for us */
	return arg;
}

static void *queued(void *arg)
{
	pthread_setname_np(pthread_self(), "writes");
	pthread_rwlock_wrlock(&queue_rw);
	return arg;
}

static int cond_modes(const char *mode)
{
	pthread_t t2, t3;
	bool cycle = strcmp(mode, "cond") == 0;
	pthread_barrier_init(&both_hold, NULL, cycle ? 3 : 2);
	pthread_create(&t2, NULL, cond_waiter, cycle ? &t2 : NULL);
	if (cycle)
		pthread_create(&t3, NULL, signaller, NULL);
	pthread_barrier_wait(&both_hold);
	if (!cycle) {
		pthread_mutex_lock(&lock_a); /* thread 2 is in its wait */
		ready = 1;
		pthread_cond_broadcast(&cv);
	}
	struct timespec ts = {0, 100 * 1000000};
	nanosleep(&ts, NULL); /* let thread 2 wake and block on lock_a */
	printf("deadlocked\n");
	return 0;
}

int main(int argc, char **argv)
{
	bool at_once = argc > 1 && strcmp(argv[1], "barrier") == 0;
	bool rw = argc > 1 && strcmp(argv[1], "rwread") == 0;
	if (argc > 1 && strcmp(argv[1], "rwqueue") == 0) {
		pthread_rwlockattr_t at;
		pthread_rwlockattr_init(&at);
		pthread_rwlockattr_setkind_np(&at, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
		pthread_rwlock_init(&queue_rw, &at);
		sem_init(&reading, 0, 0);
		pthread_t r, w;
		pthread_create(&r, NULL, rereader, NULL);
		sem_wait(&reading);
		pthread_create(&w, NULL, queued, NULL);
		struct timespec ts = {0, 150 * 1000000};
		nanosleep(&ts, NULL);
		printf("deadlocked\n");
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "rwreaders") == 0) {
		sem_init(&reading, 0, 0);
		pthread_t t;
		for (int i = 0; i < 2; i++) {
			pthread_create(&t, NULL, stays_reading, NULL);
			sem_wait(&reading);
		}
		pthread_create(&t, NULL, wants_write, NULL);
		struct timespec ts = {0, 150 * 1000000};
		nanosleep(&ts, NULL);
		printf("deadlocked\n");
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "rwupgrade") == 0) {
		pthread_t t;
		pthread_create(&t, NULL, upgrader, NULL);
		struct timespec ts = {0, 100 * 1000000};
		nanosleep(&ts, NULL);
		printf("deadlocked\n");
		return 0;
	}
	if (argc > 1 && !at_once && !rw)
		return cond_modes(argv[1]);
	pthread_t t2, t3;
	pthread_barrier_init(&both_hold, NULL, 3);
	pthread_create(&t2, NULL, rw ? reader : second, NULL);
	pthread_create(&t3, NULL, rw ? writer : third, NULL);
	pthread_barrier_wait(&both_hold); /* both hold their first lock */
	struct timespec ts = {0, 100 * 1000000};
	if (!at_once)
		nanosleep(&ts, NULL); /* let them block on their second */
	printf("deadlocked\n");
	return 0;
}
