/* A program that keeps its log on a fixed descriptor number, after its first thread (when
 * libunwind's pipe is open at threadleak's high numbers):
 *   fdtaken LOG N [closeall]
 * dup2s LOG (created) onto N, first closing every descriptor from 3 up with closefrom() when
 * "closeall"; leaves a thread spinning (the exit check unwinds it), and at exit, in an atexit
 * handler, writes its last line to N and prints "fd N ok" when N is still LOG, else "fd N
 * moved". The log must read "started\nfinal log line\n". */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int log_fd;
static struct stat log_st;

static void *first(void *arg)
{
	return arg;
}

static void *spin(void *arg)
{
	for (volatile unsigned long n = 0;; n++)
		;
	return arg;
}

static void last_line(void)
{
	const char *m = "final log line\n";
	struct stat st;
	bool same =
	    fstat(log_fd, &st) == 0 && st.st_dev == log_st.st_dev && st.st_ino == log_st.st_ino;
	if (write(log_fd, m, strlen(m)) != (ssize_t)strlen(m))
		perror("final write");
	printf("fd %d %s\n", log_fd, same ? "ok" : "moved");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	log_fd = atoi(argv[2]);
	pthread_t t;
	pthread_create(&t, NULL, first, NULL); /* libunwind's pipe opens here */
	pthread_join(t, NULL);
	if (argc > 3 && strcmp(argv[3], "closeall") == 0)
		closefrom(3);
	int f = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (f < 0 || dup2(f, log_fd) != log_fd)
		return perror("log"), 2;
	if (f != log_fd)
		close(f);
	fstat(log_fd, &log_st);
	if (write(log_fd, "started\n", 8) != 8)
		return perror("write"), 2;
	atexit(last_line);
	pthread_create(&t, NULL, spin, NULL);
	usleep(20000);
	return 0;
}
