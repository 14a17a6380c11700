/* A thread started with a raw clone() (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
 * CLONE_THREAD | CLONE_SYSVSEM), not pthread_create: threadleak never sees it created. It
 * blocks in a raw read system call on a pipe nobody writes (no libc call: it has no TLS of
 * its own). main waits until the kernel shows it in read, prints its tid and exits 0.
 * Expected: 1 leak, state "untracked", blocked in "read" on the pipe, exit status 23.
 *   rawclone [__clone]   (glibc's other name for clone(), exported too) */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define STACK_SIZE (256 * 1024)

static int pipe_fds[2];

int __clone(int (*fn)(void *), void *stack, int flags, void *arg, ...);

/* read(fd, buf, 1) without libc, forever */
static int raw_reader(void *arg)
{
	char c;
	for (;;) {
		long ret;
		__asm__ volatile("syscall" /* RAW_READ */
		                 : "=a"(ret)
		                 : "0"((long)SYS_read), "D"((long)pipe_fds[0]), "S"(&c), "d"(1L)
		                 : "rcx", "r11", "memory");
		(void)ret;
	}
	return 0;
}

/* "S" and system call 0 (read) in /proc/self/task/TID/{stat,syscall} */
static int in_read(pid_t tid)
{
	char path[64], buf[512];
	int ok = 0;
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), f)) {
		char *p = strrchr(buf, ')');
		ok = p && p[1] == ' ' && p[2] == 'S';
	}
	fclose(f);
	if (!ok)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
	f = fopen(path, "r");
	if (f == NULL)
		return 1; /* no syscall file (no CONFIG_HAVE_ARCH_TRACEHOOK): the state will do */
	ok = fgets(buf, sizeof(buf), f) && strncmp(buf, "0 ", 2) == 0;
	fclose(f);
	return ok;
}

int main(int argc, char **argv)
{
	if (pipe(pipe_fds) != 0) {
		perror("pipe");
		return 2;
	}
	char *stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
	                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	int flags =
	    CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM;
	int (*start)(int (*)(void *), void *, int, void *, ...) =
	    argc > 1 && strcmp(argv[1], "__clone") == 0 ? __clone : clone;
	pid_t tid = start(raw_reader, stack + STACK_SIZE, flags, NULL); /* RAW_CLONE */
	if (tid < 0) {
		perror("clone");
		return 2;
	}
	int asleep = 0;
	for (int i = 0; i < 10000 && asleep < 3; i++) {
		struct timespec ms = {0, 1000000};
		asleep = in_read(tid) ? asleep + 1 : 0;
		nanosleep(&ms, NULL);
	}
	if (asleep < 3) {
		fprintf(stderr, "rawclone: task %d never blocked in read\n", (int)tid);
		return 2;
	}
	printf("tid=%d pipe=%d\n", (int)tid, pipe_fds[0]);
	return 0;
}
