/* A thread spinning on the CPU forever (a busy-wait on a flag nobody sets). Expected: 1 leak,
 * state "running", its stack naming spin_forever (called from spinner). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

static atomic_int started;
static atomic_int never; /* nobody ever sets it */

static __attribute__((noinline)) unsigned long spin_forever(void)
{
	unsigned long n = 0;
	atomic_store(&started, 1);
	while (!atomic_load_explicit(&never, memory_order_relaxed)) /* SPIN_LOOP */
		n++;
	return n;
}

static void *spinner(void *arg)
{
	spin_forever();
	return NULL;
}

int main(void)
{
	pthread_t t;
	pthread_create(&t, NULL, spinner, NULL);
	while (!atomic_load(&started))
		usleep(1000);
	printf("spinning\n");
	return 0;
}
