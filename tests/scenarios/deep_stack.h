/* For the scenario programs that run a thread deep in its stack (tests/core/smallstack.c,
 * tests/live/deephost.c, tests/sampling/smallstack.c): the lowest address of the calling
 * thread's stack, and a descent that calls `then` once no more than `left` bytes are left
 * below its frame. Included by path ("../scenarios/deep_stack.h"). */
#ifndef TL_TEST_DEEP_STACK_H
#define TL_TEST_DEEP_STACK_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

static inline uintptr_t stack_low_end(void)
{
	pthread_attr_t a;
	void *lo = NULL;
	size_t size;
	if (pthread_getattr_np(pthread_self(), &a) == 0) {
		pthread_attr_getstack(&a, &lo, &size);
		pthread_attr_destroy(&a);
	}
	return (uintptr_t)lo;
}

/* 128 bytes and more a frame, down to `left` bytes above lo, then then() there */
static void __attribute__((noinline, unused))
go_down_to(uintptr_t lo, size_t left, void (*then)(void))
{
	volatile char frame[128];
	frame[0] = 1;
	if ((uintptr_t)frame - lo > left) {
		go_down_to(lo, left, then);
		frame[1] = frame[0]; /* not a tail call */
		return;
	}
	then();
}

#endif
