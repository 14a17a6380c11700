/* A program that keeps its log on a fixed descriptor number, after its first thread (when
 * libunwind's pipe is open at threadleak's high numbers):
 *   fdtaken LOG N [closeall] [seccomp] [recheck]
 * dup2s LOG (created) onto N, first closing every descriptor from 3 up with closefrom() when
 * "closeall"; with "seccomp", first puts itself under a seccomp filter that allows every
 * system call (libunwind then gets a real pipe: without a filter its pipe has no descriptor,
 * docs/internals.md "Descriptors of our own"); with "recheck", first starts the spinning
 * thread and has a check report it (the symbolizer keeps libc's debug file open at a high
 * number), and after the dup2 loads a library and checks again (which ends that symbolizer:
 * libdw closed the descriptors it had, whatever they had become); leaves a thread spinning (the
 * exit check unwinds it), and at exit, in an atexit handler, writes its last line to N and prints
 * "fd N ok" when N is still LOG, else "fd N moved". The log must read "started\nfinal log line\n".
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "threadleak.h"

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
	bool closeall = false, recheck = false;
	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "closeall") == 0) {
			closeall = true;
		} else if (strcmp(argv[i], "recheck") == 0) {
			recheck = true;
		} else if (strcmp(argv[i], "seccomp") == 0) {
			struct sock_filter allow[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
			struct sock_fprog prog = {1, allow};
			if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
			    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
				return perror("seccomp"), 2;
		}
	}
	pthread_t t;
	pthread_create(&t, NULL, first, NULL); /* libunwind's pipe opens here */
	pthread_join(t, NULL);
	if (recheck) {
		pthread_create(&t, NULL, spin, NULL);
		threadleak_verify_none();
	}
	if (closeall)
		closefrom(3);
	int f = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (f < 0 || dup2(f, log_fd) != log_fd)
		return perror("log"), 2;
	if (f != log_fd)
		close(f);
	fstat(log_fd, &log_st);
	if (recheck) {
		if (dlopen("libanl.so.1", RTLD_NOW) == NULL &&
		    dlopen("libutil.so.1", RTLD_NOW) == NULL)
			return fprintf(stderr, "no library to load\n"), 2;
		threadleak_verify_none();
	}
	if (write(log_fd, "started\n", 8) != 8)
		return perror("write"), 2;
	atexit(last_line);
	if (!recheck)
		pthread_create(&t, NULL, spin, NULL);
	usleep(20000);
	return 0;
}
