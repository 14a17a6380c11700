/* The descriptor numbers a program gets do not move under threadleak: the number open() returns
 * before any thread, after the first thread (libunwind opens a pipe of its own then) and after a
 * check during the run is the same; and as many descriptors are left to the program as without
 * it (one that opens files until EMFILE counted three fewer once it had started a thread:
 * libunwind's pipe and threadleak's copy of stderr). Prints the three numbers and that count;
 * status 0 when the numbers are equal. With "report", a check that reports a leaked thread.
 * With "atexit" (and "atexit-leak", which leaves a thread blocked), an exit handler prints the
 * number open() returns there and every descriptor above 2: the exit check runs before the
 * handlers, and held the copy of stderr and the log file (at the lowest free number) through
 * them, also for a clean program. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <unistd.h>

#include "threadleak.h"

static int next_fd(void)
{
	int fd = open("/dev/null", O_RDONLY);
	close(fd);
	return fd;
}

static void *work(void *arg)
{
	return arg;
}

static void *wait_forever(void *arg)
{
	for (;;)
		pause();
	return arg;
}

/* Files it can still open, then closes. */
static int room(void)
{
	int cap = 1 << 16, n = 0;
	int *fds = malloc(sizeof(int) * (size_t)cap);
	while (fds != NULL && n < cap && (fds[n] = open("/dev/null", O_RDONLY)) >= 0)
		n++;
	for (int i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
	return n;
}

/* "report": the thread it starts is leaked, so the check during the run names frames (and
 * reads the modules' files); then every descriptor above 2 is listed, "fd N PATH". */
/* "full": a leaked thread, then a check while every descriptor is taken (libdw cannot be
 * loaded then), then all given back: the exit check must name the frames. */
static int full(void)
{
	pthread_t t;
	pthread_create(&t, NULL, wait_forever, NULL);
	int cap = 1 << 16, n = 0;
	int *fds = malloc(sizeof(int) * (size_t)cap);
	while (fds != NULL && n < cap && (fds[n] = open("/dev/null", O_RDONLY)) >= 0)
		n++;
	threadleak_verify_none();
	for (int i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
	puts("done");
	return 0;
}

/* Every descriptor above 2, "fd N PATH" */
static void list_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) {
		int fd = atoi(e->d_name);
		char path[4096];
		ssize_t n = readlink((snprintf(path, sizeof(path), "/proc/self/fd/%d", fd), path),
		                     path, sizeof(path) - 1);
		if (e->d_name[0] != '.' && fd > 2 && fd != dirfd(d) && n > 0)
			printf("fd %d %.*s\n", fd, (int)n, path);
	}
	if (d != NULL)
		closedir(d);
}

static void in_exit_handler(void)
{
	printf("atexit %d\n", next_fd());
	list_fds();
}

static int at_exit(int leak)
{
	atexit(in_exit_handler);
	pthread_t t;
	pthread_create(&t, NULL, leak ? wait_forever : work, NULL);
	if (!leak)
		pthread_join(t, NULL);
	printf("main %d\n", next_fd());
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "full") == 0)
		return full();
	if (argc > 1 && strncmp(argv[1], "atexit", 6) == 0)
		return at_exit(strcmp(argv[1], "atexit-leak") == 0);
	int report = argc > 1 && strcmp(argv[1], "report") == 0;
	int before = next_fd();
	pthread_t t;
	pthread_create(&t, NULL, report ? wait_forever : work, NULL);
	if (!report)
		pthread_join(t, NULL);
	/* calls on fd 2 that change nothing: no copy of stderr may be taken for them */
	dup2(2, 2);
	dup2(777, 2);
	dup3(2, 2, 0);
	int after_thread = next_fd();
	threadleak_verify_none();
	int after_check = next_fd();
	printf("%d %d %d %d\n", before, after_thread, after_check, room());
	if (report)
		list_fds();
	if (report)
		threadleak_set_exit_check(0);
	return before == after_thread && after_thread == after_check ? 0 : 1;
}
