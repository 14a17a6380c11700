/* Threads with PTHREAD_STACK_MIN stacks and little of it left when main exits:
 *   spinner   spins with LEFT bytes of stack left (-l, default 2560)
 *   sleeper   waits in a raw read() system call (no wrapper) with LEFT bytes left
 *   roomy     waits in a raw read() system call with most of its small stack free
 * A signal frame (AVX-512 or AMX state) does not fit in 2-3 KiB: the process must not die.
 * -n N: N threads of each kind. */
#define _GNU_SOURCE
#include <alloca.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../scenarios/deep_stack.h"

static size_t left = 2560;
static int fds[2];
static atomic_int ready;

static size_t room(void)
{
	syscall(SYS_getpid); /* bound now: lazy binding saves the vector state on the stack */
	uintptr_t lo = stack_low_end();
	char here;
	return (size_t)((uintptr_t)&here - lo);
}

static void *spinner(void *arg)
{
	size_t r = room();
	volatile char *p = alloca(r > left + 256 ? r - left - 256 : 1);
	p[0] = 1;
	atomic_fetch_add(&ready, 1);
	for (;;) /* SPIN */
		p[0]++;
	return NULL;
}

static void *sleeper(void *arg)
{
	size_t r = room();
	volatile char *p = alloca(r > left + 256 ? r - left - 256 : 1);
	p[0] = 1;
	char c;
	atomic_fetch_add(&ready, 1);
	syscall(SYS_read, fds[0], &c, 1); /* SLEEP */
	return NULL;
}

static void *roomy(void *arg)
{
	char c;
	atomic_fetch_add(&ready, 1);
	syscall(SYS_read, fds[0], &c, 1); /* ROOMY */
	return NULL;
}

int main(int argc, char **argv)
{
	int n = 1, opt;
	while ((opt = getopt(argc, argv, "l:n:")) != -1) {
		if (opt == 'l')
			left = (size_t)atol(optarg);
		else if (opt == 'n')
			n = atoi(optarg);
	}
	pipe(fds);
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, PTHREAD_STACK_MIN);
	for (int i = 0; i < n; i++) {
		pthread_t t;
		pthread_create(&t, &a, spinner, NULL);
		pthread_create(&t, &a, sleeper, NULL);
		pthread_create(&t, &a, roomy, NULL);
	}
	while (atomic_load(&ready) < 3 * n)
		usleep(1000);
	usleep(20000);
	printf("main done\n");
	return 0;
}
