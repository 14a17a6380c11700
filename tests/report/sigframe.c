/* One leaked thread blocked in read() inside a signal handler: its stack runs through the
 * kernel's signal frame (the sa_restorer the handler returns to, glibc's __restore_rt).
 *   sigframe pause: the thread sleeps in pause() when SIGUSR1 comes;
 *   sigframe trap:  (x86_64) the thread runs into a ud2, the first instruction of trap_here, and
 *                   SIGILL's handler reads. The interrupted pc is trap_here's first byte: looked
 *                   up as a return address (pc-1) it would be named after the code before it.
 * main waits until the handler is in read (the kernel's view of the thread), then exits. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int fds[2];
static _Atomic pid_t worker_tid;

static void handler(int sig)
{
	char c;
	read(fds[0], &c, 1); /* HANDLER_READ */
}

static void *pauser(void *arg)
{
	worker_tid = (pid_t)syscall(SYS_gettid);
	for (;;)
		pause(); /* PAUSE */
	return arg;
}

#if defined(__x86_64__)
__attribute__((naked, noinline)) static void trap_here(void)
{
	__asm__ volatile("ud2"); /* TRAP */
}

static void *trapper(void *arg)
{
	worker_tid = (pid_t)syscall(SYS_gettid);
	trap_here(); /* CALL_TRAP */
	return arg;
}
#endif

/* Wait until the worker sleeps in system call nr (/proc/self/task/TID/syscall), up to 10 s. */
static bool wait_in(long nr)
{
	for (int i = 0; i < 10000; i++) {
		pid_t tid = worker_tid;
		char path[64], buf[256];
		snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
		FILE *f = tid ? fopen(path, "r") : NULL;
		bool in = f && fgets(buf, sizeof(buf), f) && strtol(buf, NULL, 10) == nr &&
		          strncmp(buf, "running", 7) != 0;
		if (f)
			fclose(f);
		if (in)
			return true;
		usleep(1000);
	}
	return false;
}

int main(int argc, char **argv)
{
	bool trap = argc == 2 && strcmp(argv[1], "trap") == 0;
	if (!trap && !(argc == 2 && strcmp(argv[1], "pause") == 0)) {
		fprintf(stderr, "usage: sigframe pause | sigframe trap\n");
		return 2;
	}
	if (pipe(fds) != 0)
		return 2;
	pthread_t t;
#if defined(__x86_64__)
	void *(*start)(void *) = trap ? trapper : pauser;
#else
	if (trap) {
		printf("no trap here\n");
		return 3;
	}
	void *(*start)(void *) = pauser;
#endif
	signal(trap ? SIGILL : SIGUSR1, handler);
	if (pthread_create(&t, NULL, start, NULL) != 0)
		return 2;
	if (!trap) {
#ifdef SYS_pause
		if (!wait_in(SYS_pause))
#else
		if (!wait_in(SYS_ppoll))
#endif
			return 4;
		pthread_kill(t, SIGUSR1);
	}
	if (!wait_in(SYS_read))
		return 4;
	printf("in handler\n");
	return 0;
}
