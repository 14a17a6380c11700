/* Source paths and symbols that are hostile to a JSON writer: the #line below gives
 * the code a file name with a quote, a backslash, a control character and an invalid UTF-8
 * byte, and the start routine is an assembly trampoline whose symbol has the same kinds of
 * bytes. One thread stays blocked in sem_wait under both; the JSON report must stay valid. */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>

static sem_t never, ready;

/* sem_wait below is the line WEIRD_LINE + 3 */
#line 100 "we\"ird\\dir\001ctl\xff/src e.c"
void *weird_start(void *arg);
void *weird_start(void *arg)
{
	sem_post(&ready);
	sem_wait(&never);
	return arg;
}

/* tramp"q\b<01><fe>: calls weird_start (with unwind info, so it shows in the stack) */
__asm__(".text\n"
	".globl \"tramp\\\"q\\\\b\x01\xfe\"\n"
	".type \"tramp\\\"q\\\\b\x01\xfe\", @function\n"
	"\"tramp\\\"q\\\\b\x01\xfe\":\n"
	"\t.cfi_startproc\n"
	"\tsubq $8, %rsp\n"
	"\t.cfi_def_cfa_offset 16\n"
	"\tcall weird_start\n"
	"\taddq $8, %rsp\n"
	"\t.cfi_def_cfa_offset 8\n"
	"\tret\n"
	"\t.cfi_endproc\n"
	".size \"tramp\\\"q\\\\b\x01\xfe\", .-\"tramp\\\"q\\\\b\x01\xfe\"\n"
	".section .data.rel,\"aw\"\n"
	".p2align 3\n"
	"tramp_ptr:\n"
	"\t.quad \"tramp\\\"q\\\\b\x01\xfe\"\n"
	".text\n");
extern void *(*const tramp_ptr)(void *);

int main(void)
{
	pthread_t t;
	sem_init(&never, 0, 0);
	sem_init(&ready, 0, 0);
	pthread_create(&t, NULL, tramp_ptr, NULL);
	sem_wait(&ready);
	printf("ready\n");
	return 0;
}
