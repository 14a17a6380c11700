/* Threads blocked on a mutex at exit, their stacks to be taken without a signal: each worker
 * recurses to its own depth (named "ns<depth>"), then locks a mutex main holds; the odd ones
 * first block every signal, so that only a stack read without threadleak's signal can be whole.
 * Built twice (meson.build): -O2 without frame pointers, and -O0 with them, where the innermost
 * frame's CFA is the rbp nobody knows and the stack needs the signal (docs/internals.md,
 * "Stacks without a signal").
 *   nosignal N        N workers, then exit() once all are asleep on the mutex
 *   nosignal N fifo   the same, but each worker blocks in open() of a FIFO nobody writes (a
 *                     call a signal would end with EINTR: no signal is sent there)
 *   nosignal N raw    the same, but each worker sleeps in syscall(SYS_nanosleep) (through
 *                     threadleak's syscall() wrapper, a frame-pointer frame of ours)
 *   nosignal N groups [G]  as the first, with G (400) supplementary groups of 7-digit gids:
 *                     a status file of 4.6 KiB, whose SigBlk and context switches lie beyond
 *                     the first 2 KiB (needs CAP_SETGID: says "groups: skipped" on stderr) */
#define _GNU_SOURCE
#include <dirent.h>
#include <grp.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static const char *fifo; /* NULL: the workers lock mu */
static bool raw;
static atomic_int arrived;
static volatile int sink;

__attribute__((noinline)) static void descend(int depth)
{
	if (depth > 1)
		descend(depth - 1);
	else if (fifo)
		sink = open(fifo, O_RDONLY);
	else if (raw) {
		struct timespec ts = {3600, 0};
		sink = (int)syscall(SYS_nanosleep, &ts, NULL);
	} else
		pthread_mutex_lock(&mu);
	sink = depth; /* not a tail call */
}

static void *worker(void *arg)
{
	int depth = (int)(long)arg;
	char name[16];
	snprintf(name, sizeof(name), "ns%d", depth);
	pthread_setname_np(pthread_self(), name);
	if (depth % 2) {
		sigset_t all;
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, NULL);
	}
	atomic_fetch_add(&arrived, 1);
	descend(depth);
	return NULL;
}

/* Tasks of this process that the kernel shows asleep ('S'), the calling one aside. */
static int sleeping_tasks(void)
{
	DIR *d = opendir("/proc/self/task");
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL) {
		char path[300], buf[512];
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/stat", e->d_name);
		FILE *f = fopen(path, "r");
		if (f == NULL)
			continue;
		size_t got = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[got] = '\0';
		const char *p = strrchr(buf, ')');
		n += p != NULL && p[1] == ' ' && p[2] == 'S';
	}
	if (d)
		closedir(d);
	return n;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 8;
	char path[64];
	if (argc > 2 && strcmp(argv[2], "fifo") == 0) {
		snprintf(path, sizeof(path), "/tmp/tlnosignal.%d", (int)getpid());
		if (mkfifo(path, 0600) != 0)
			return 2;
		fifo = path;
	}
	raw = argc > 2 && strcmp(argv[2], "raw") == 0;
	if (argc > 2 && strcmp(argv[2], "groups") == 0) {
		static gid_t g[65536];
		int ng = argc > 3 ? atoi(argv[3]) : 400;
		for (int i = 0; i < ng; i++)
			g[i] = 1000000 + i;
		if (setgroups((size_t)ng, g) != 0)
			fprintf(stderr, "groups: skipped\n");
	}
	pthread_mutex_lock(&mu);
	for (int i = 0; i < n; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, worker, (void *)(long)(1 + i % 6)) != 0)
			return 2;
	}
	while (atomic_load(&arrived) < n)
		usleep(1000);
	/* every worker asleep in the kernel's futex wait, up to 5 s */
	for (int tries = 0; tries < 500 && sleeping_tasks() < n; tries++)
		usleep(10000);
	if (fifo)
		unlink(fifo); /* the openers stay blocked */
	printf("main done\n");
	fflush(stdout);
	exit(0);
}
