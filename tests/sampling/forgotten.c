/* A forgotten thread still on its way out while thousands of threads are created and joined.
 * Thread S is detached and blocks in a thread-specific data destructor after threadleak's own
 * (its record is freed, its tid kept as "gone": it stands for a thread stuck in glibc's exit
 * path on the stack cache lock). Then, by MODE, one record that says "not finished" for a task
 * that is gone:
 *   none     nothing of the kind;
 *   rawexit  a detached thread that leaves by the raw exit system call (glibc's exit path, and
 *            ours, never run);
 *   aio      glibc's aio worker, adopted during aio_read, which ends after 1 s idle.
 * Then 5000 creations and joins (the list of gone tids fills: 4096), then main lets S go and
 * returns; S takes 2 s to leave, beyond the exit check's grace period. Nothing leaked: a report
 * of S as an untracked thread means its tid was forgotten while its task was alive.
 * MODE sandbox instead: a seccomp filter that kills the process on openat (a sandbox that
 * allows threads), then 10000 creations and joins, then _exit (no check): the list is cut
 * without opening anything of /proc.
 * MODE groups OFFSET (needs CAP_SETGID; prints "skipped" without it): as none, with 110 threads
 * parked (the task count has three digits) and as many supplementary groups as put the count's
 * first digit at byte OFFSET of /proc/self/status: a read of the file cut there must not be
 * taken for a smaller count. */
#define _GNU_SOURCE
#include <aio.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>
#include <grp.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static pthread_key_t key;
static sem_t in_dtor;
static int rounds;
static int block_pipe[2];

static void dtor(void *v)
{
	if (++rounds < 4) { /* again in glibc's next round, after threadleak's destructor ran */
		pthread_setspecific(key, v);
		return;
	}
	sem_post(&in_dtor);
	char c = 0;
	if (read(block_pipe[0], &c, 1) != 1)
		return;
	struct timespec a, b; /* slow to leave: 2 s of work, no wrapped call */
	clock_gettime(CLOCK_MONOTONIC, &a);
	do
		clock_gettime(CLOCK_MONOTONIC, &b);
	while ((b.tv_sec - a.tv_sec) * 1000000000L + b.tv_nsec - a.tv_nsec < 2000000000L);
}

static void *stuck(void *a)
{
	pthread_setspecific(key, a);
	return NULL;
}

static void *rawexit(void *a)
{
	(void)a;
	syscall(SYS_exit, 0);
	return NULL;
}

static void *nop(void *a)
{
	return a;
}

static int park_pipe[2];

static void *park(void *a)
{
	char c;
	if (read(park_pipe[0], &c, 1) != 1)
		return NULL;
	return a;
}

/* Where the first digit of "Threads:" is in /proc/self/status */
static long threads_offset(void)
{
	static char buf[65536];
	int fd = open("/proc/self/status", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	char *t = strstr(buf, "\nThreads:\t");
	return t ? (t - buf) + 10 : -1;
}

/* Supplementary groups that put it at `want` (7-digit gids, then one shorter) */
static int place_threads_count(long want)
{
	static gid_t g[1024];
	for (int k = 0; k < 1000; k++)
		for (int last = 0; last <= 7; last++) {
			int ng = 0;
			for (int i = 0; i < k; i++)
				g[ng++] = 1000000 + i;
			if (last) {
				long v = 1;
				for (int i = 1; i < last; i++)
					v *= 10;
				g[ng++] = (gid_t)(v + 1);
			}
			if (setgroups(ng, g) != 0)
				return -1;
			if (threads_offset() == want)
				return 0;
		}
	return 1;
}

static int sandboxed(void)
{
	pthread_t t;
	pthread_create(&t, NULL, nop, NULL);
	pthread_join(t, NULL);
	struct sock_filter f[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog p = {sizeof(f) / sizeof(f[0]), f};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &p) != 0)
		return 2;
	for (int i = 0; i < 10000; i++) {
		pthread_create(&t, NULL, nop, NULL);
		pthread_join(t, NULL);
	}
	if (write(1, "mode sandbox: done\n", 19) != 19)
		return 2;
	_exit(0);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "none";
	if (strcmp(mode, "sandbox") == 0)
		return sandboxed();
	if (pipe(block_pipe) != 0)
		return 2;
	sem_init(&in_dtor, 0, 0);
	pthread_t t;
	pthread_create(&t, NULL, nop, NULL); /* threadleak's key first: ours runs before the dtor */
	pthread_join(t, NULL);
	pthread_key_create(&key, dtor);
	pthread_attr_t det;
	pthread_attr_init(&det);
	pthread_attr_setdetachstate(&det, PTHREAD_CREATE_DETACHED);
	pthread_create(&t, &det, stuck, (void *)1);
	sem_wait(&in_dtor);
	usleep(10000);
	pthread_t parked[110];
	bool groups = strcmp(mode, "groups") == 0;
	if (groups) {
		if (pipe(park_pipe) != 0)
			return 2;
		for (int i = 0; i < 110; i++)
			pthread_create(&parked[i], NULL, park, NULL);
		int r = place_threads_count(argc > 2 ? atol(argv[2]) : 2045);
		if (r != 0) {
			printf("mode groups: %s\n", r < 0 ? "skipped" : "offset not reached");
			return r < 0 ? 0 : 2;
		}
	}
	if (strcmp(mode, "rawexit") == 0) {
		pthread_create(&t, &det, rawexit, NULL);
		usleep(10000);
	} else if (strcmp(mode, "aio") == 0) {
		static char buf[16];
		static struct aiocb cb;
		cb.aio_fildes = open("/dev/zero", O_RDONLY);
		cb.aio_buf = buf;
		cb.aio_nbytes = sizeof(buf);
		aio_read(&cb);
		while (aio_error(&cb) == EINPROGRESS)
			usleep(1000);
		sleep(2); /* glibc's aio worker ends after 1 s idle */
	}
	for (int i = 0; i < 5000; i++) {
		pthread_create(&t, NULL, nop, NULL);
		pthread_join(t, NULL);
	}
	printf("mode %s: done\n", mode);
	fflush(stdout);
	if (groups) {
		for (int i = 0; i < 110; i++)
			if (write(park_pipe[1], "x", 1) != 1)
				return 2;
		for (int i = 0; i < 110; i++)
			pthread_join(parked[i], NULL);
	}
	if (write(block_pipe[1], "b", 1) != 1) /* S may go: it leaves within 2 s */
		return 2;
	return 0;
}
