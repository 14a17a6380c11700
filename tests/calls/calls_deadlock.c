/* An AB-BA deadlock on two global mutexes. Thread 2 takes lock_b then wants lock_a;
 * thread 3 takes lock_a then wants lock_b. Neither mutex_lock is wrapped: the check finds both
 * from the kernel (futex waits) and their stacks, names the mutexes by symbol, their owners,
 * and the cycle. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>

pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold;

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

int main(void)
{
	pthread_t t2, t3;
	pthread_barrier_init(&both_hold, NULL, 3);
	pthread_create(&t2, NULL, second, NULL);
	pthread_create(&t3, NULL, third, NULL);
	pthread_barrier_wait(&both_hold); /* both hold their first lock */
	struct timespec ts = {0, 100 * 1000000};
	nanosleep(&ts, NULL); /* let them block on their second */
	printf("deadlocked\n");
	return 0;
}
