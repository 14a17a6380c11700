/* Threads that block every signal, so a signal-based stack sampler never runs in them:
 *   spin_blocked   spins on the CPU (state running);
 *   lock_blocked   waits in pthread_mutex_lock (not wrapped: seen through the kernel) on a
 *                  mutex main holds forever.
 * Expected: 2 leaks, reported without a hang; their stacks may be degraded (a stack_note
 * says why) but the state is right. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

static atomic_int started;
static atomic_int never;
static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;

static void block_all(void)
{
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
}

static __attribute__((noinline)) void spin_blocked_loop(void)
{
	while (!atomic_load_explicit(&never, memory_order_relaxed)) /* SPIN */
		;
}

static void *spin_blocked(void *arg)
{
	block_all();
	atomic_fetch_add(&started, 1);
	spin_blocked_loop();
	return NULL;
}

static void *lock_blocked(void *arg)
{
	block_all();
	atomic_fetch_add(&started, 1);
	pthread_mutex_lock(&held); /* LOCK: main holds it forever */
	return NULL;
}

int main(void)
{
	pthread_mutex_lock(&held);
	pthread_t a, b;
	pthread_create(&a, NULL, spin_blocked, NULL);
	pthread_create(&b, NULL, lock_blocked, NULL);
	while (atomic_load(&started) < 2)
		usleep(1000);
	usleep(20000); /* let lock_blocked reach the futex wait */
	printf("signals blocked\n");
	return 0;
}
