/* Leaks 3 threads blocked on a condition variable, then installs a seccomp filter that makes
 * the system calls named in argv[1] (comma-separated: getpid, fstat, newfstatat, statx) fail
 * with EPERM, and exits 0 ("mid" as argv[2]: a mid-run check first, which prints "mid N";
 * "data=PATH": fd 2 closed and PATH opened in its place, before the filter).
 * A container's or a sandbox's filter can deny any of them; the report must not be lost
 * (tests/robust/test_denied.py). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <threadleak.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int started;

static void *waiter(void *arg)
{
	pthread_mutex_lock(&mu);
	started++;
	pthread_cond_broadcast(&cv);
	for (;;)
		pthread_cond_wait(&cv, &mu);
	return arg;
}

static int number(const char *name)
{
	static const struct {
		const char *name;
		int nr;
	} known[] = {{"getpid", SYS_getpid},
	             {"fstat", SYS_fstat},
	             {"newfstatat", SYS_newfstatat},
	             {"statx", SYS_statx}};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(name, known[i].name) == 0)
			return known[i].nr;
	return -1;
}

static int deny(int nr)
{
	struct sock_filter f[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {sizeof(f) / sizeof(f[0]), f};
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	       prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: denied SYSCALL[,SYSCALL...] [mid]\n");
		return 2;
	}
	for (int i = 0; i < 3; i++) {
		pthread_t t;
		pthread_create(&t, NULL, waiter, NULL);
		pthread_detach(t);
	}
	pthread_mutex_lock(&mu);
	while (started < 3)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	if (argc > 2 && strncmp(argv[2], "data=", 5) == 0) {
		close(2);
		if (open(argv[2] + 5, O_WRONLY | O_CREAT | O_TRUNC, 0644) != 2)
			return 2;
	}
	for (char *s = strtok(argv[1], ","); s != NULL; s = strtok(NULL, ",")) {
		int nr = number(s);
		if (nr < 0 || deny(nr) != 0) {
			fprintf(stderr, "denied: cannot deny %s\n", s);
			return 2;
		}
	}
	if (argc > 2 && strcmp(argv[2], "mid") == 0)
		printf("mid %d\n", threadleak_verify_none());
	puts("done");
	return 0;
}
