/* fork() from a signal handler that lands in the library's own code, its registry lock perhaps
 * held (pthread_create's bookkeeping): a timer every 100 us whose handler forks (the child
 * _exits) when the interrupted instruction is in libthreadleak.so's code, while main creates
 * and joins argv[1] threads. Prints "ok FORKS" ("skip" where the interrupted instruction's
 * register is not known: x86_64 only). Only there: a handler that forks inside glibc's
 * pthread_create or malloc hangs bare glibc too (fork is not async-signal-safe in a threaded
 * process: its stack-cache and malloc locks), so the program also brings its own lock-free
 * allocator (a bump arena). Bare, the handler never forks. */
#define _GNU_SOURCE
#include <errno.h>
#include <link.h>
#include <malloc.h>
#include <ucontext.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static _Alignas(64) char arena[64 << 20];
static atomic_size_t used;

/* each block's size in the 16 bytes before it */
void *memalign(size_t align, size_t n)
{
	if (align < 16)
		align = 16;
	size_t need = n + align + 16;
	size_t at = atomic_fetch_add(&used, need);
	if (at + need > sizeof(arena)) {
		errno = ENOMEM;
		return NULL;
	}
	uintptr_t p = ((uintptr_t)arena + at + 16 + align - 1) & ~(uintptr_t)(align - 1);
	((size_t *)p)[-2] = n;
	return (void *)p;
}

void *malloc(size_t n)
{
	return memalign(16, n);
}

void free(void *p)
{
	(void)p;
}

void *calloc(size_t a, size_t b)
{
	return malloc(a * b); /* the arena is zero and never reused */
}

void *realloc(void *p, size_t n)
{
	void *q = malloc(n);
	if (p != NULL && q != NULL) {
		size_t old = ((size_t *)p)[-2];
		memcpy(q, p, old < n ? old : n);
	}
	return q;
}

int posix_memalign(void **out, size_t align, size_t n)
{
	*out = memalign(align, n);
	return *out ? 0 : ENOMEM;
}

void *aligned_alloc(size_t align, size_t n)
{
	return memalign(align, n);
}

static volatile sig_atomic_t forks;
static uintptr_t lib_lo, lib_hi; /* libthreadleak.so's executable segment */

static int find_lib(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	(void)data;
	if (info->dlpi_name == NULL || strstr(info->dlpi_name, "libthreadleak") == NULL)
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
			lib_lo = info->dlpi_addr + ph->p_vaddr;
			lib_hi = lib_lo + ph->p_memsz;
		}
	}
	return 1;
}

static void on_alarm(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)si;
#if defined(__x86_64__)
	uintptr_t pc = (uintptr_t)((ucontext_t *)ctx)->uc_mcontext.gregs[REG_RIP];
#else
	uintptr_t pc = 0;
	(void)ctx;
#endif
	/* not more than four times in a row at one pc: a fork and its wait can outlast the timer's
	 * period, and the signal pending meanwhile then lands on the same instruction, again and
	 * again (the main thread starved: 60 s, thousands of forks, in one run of twenty on a slow
	 * VM) */
	static uintptr_t last_pc;
	static int same;
	if (pc < lib_lo || pc >= lib_hi)
		return;
	if (pc != last_pc)
		same = 0;
	last_pc = pc;
	if (++same > 4)
		return;
	int saved = errno;
	pid_t p = fork();
	if (p == 0)
		_exit(0);
	if (p > 0 && waitpid(p, NULL, 0) == p)
		forks++;
	errno = saved;
}

static void *quick(void *arg)
{
	return arg;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 300;
#if !defined(__x86_64__)
	puts("skip");
	return 0;
#endif
	dl_iterate_phdr(find_lib, NULL);
	struct sigaction sa = {.sa_sigaction = on_alarm, .sa_flags = SA_RESTART | SA_SIGINFO};
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = {{0, 1000}, {0, 1000}};
	setitimer(ITIMER_REAL, &it, NULL);
	for (int i = 0; i < n; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, quick, NULL) == 0)
			pthread_join(t, NULL);
	}
	struct itimerval off = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &off, NULL);
	printf("ok %d\n", (int)forks);
	return 0;
}
