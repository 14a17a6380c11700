/* threadleak micro-benchmarks: the hot paths a preloaded libthreadleak.so could slow down.
 *
 *   tlbench CASE [ITERATIONS]   run one case, print one result line
 *   tlbench list                print the case names
 *   tlbench spawn-pair PAIRS A B
 *                               process start, two preloads compared spawn by spawn (below)
 *
 * Each case does a short warm-up (a tenth of the iterations: lazy binding, libunwind loaded
 * on first pthread_create, glibc's stack cache), then times a fixed amount of work with
 * CLOCK_MONOTONIC in SLICES equal slices and prints the median slice's time per operation
 * (a burst of another process's work spoils one slice, not the result):
 *
 *   CASE ITERATIONS ops ELAPSED s NS ns/op objects=a.so,b.so,...
 *
 * where objects lists the shared objects loaded, so that bench/run can check that a run it
 * meant to preload did have the library, and that a bare one did not.
 *
 * The iteration counts make each case take roughly 0.1 to 0.5 s on a 2-core VM.
 *
 * bench/run runs every case bare and under LD_PRELOAD, alternating, and prints the ratios.
 * Nothing here leaks a thread, so the library's exit check finds nothing. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <semaphore.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static void check(int r, const char *what)
{
	if (r != 0) {
		errno = r;
		die(what);
	}
}

/* ---- create-join: create a thread that returns at once, join it ---- */
static void *nop_thread(void *arg)
{
	return arg;
}

static void create_join_of(void *(*fn)(void *), long n)
{
	for (long i = 0; i < n; i++) {
		pthread_t t;
		check(pthread_create(&t, NULL, fn, NULL), "pthread_create");
		check(pthread_join(t, NULL), "pthread_join");
	}
}

static void create_join(long n)
{
	create_join_of(nop_thread, n);
}

/* ---- create-nested: a thread that starts and joins one thread of its own, started and joined:
 * the first creation by a new thread (a test harness's thread per test, a dispatcher per
 * request), which the warm-up of create-join does not show ---- */
static void *start_one(void *arg)
{
	create_join(1);
	return arg;
}

static void create_nested(long n)
{
	create_join_of(start_one, n);
}

/* ---- create-join-deep: the same, from 24 frames down (creation stacks are unwound) ---- */
static volatile int deep_sink;

__attribute__((noinline)) static void create_join_at(int depth, long n)
{
	if (depth > 0) {
		create_join_at(depth - 1, n);
		deep_sink++; /* not a tail call: keep every frame */
		return;
	}
	create_join(n);
}

static void create_join_deep(long n)
{
	create_join_at(24, n);
}

/* ---- pipe-pingpong: one byte back and forth between two threads over two pipes ---- */
struct pipes {
	int ab[2], ba[2];
	long n;
};

static void *pipe_echo(void *p)
{
	struct pipes *s = p;
	char c;
	for (long i = 0; i < s->n; i++) {
		if (read(s->ab[0], &c, 1) != 1)
			die("read");
		if (write(s->ba[1], &c, 1) != 1)
			die("write");
	}
	return NULL;
}

static void pipe_pingpong(long n)
{
	struct pipes s = {.n = n};
	if (pipe(s.ab) || pipe(s.ba))
		die("pipe");
	pthread_t t;
	check(pthread_create(&t, NULL, pipe_echo, &s), "pthread_create");
	char c = 'x';
	for (long i = 0; i < n; i++) {
		if (write(s.ab[1], &c, 1) != 1)
			die("write");
		if (read(s.ba[0], &c, 1) != 1)
			die("read");
	}
	check(pthread_join(t, NULL), "pthread_join");
	close(s.ab[0]);
	close(s.ab[1]);
	close(s.ba[0]);
	close(s.ba[1]);
}

/* ---- cond-pingpong: a turn passed back and forth with one mutex and two condvars ---- */
struct turn {
	pthread_mutex_t m;
	pthread_cond_t c[2];
	int turn;
	long n;
};

static void cond_player(struct turn *s, int me)
{
	pthread_mutex_lock(&s->m);
	for (long i = 0; i < s->n; i++) {
		while (s->turn != me)
			pthread_cond_wait(&s->c[me], &s->m);
		s->turn = !me;
		pthread_cond_signal(&s->c[!me]);
	}
	pthread_mutex_unlock(&s->m);
}

static void *cond_other(void *p)
{
	cond_player(p, 1);
	return NULL;
}

static void cond_pingpong(long n)
{
	struct turn s = {.m = PTHREAD_MUTEX_INITIALIZER,
	                 .c = {PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER},
	                 .n = n};
	pthread_t t;
	check(pthread_create(&t, NULL, cond_other, &s), "pthread_create");
	cond_player(&s, 0);
	check(pthread_join(t, NULL), "pthread_join");
}

/* ---- uncontended locks: one thread, nobody else wants the lock ---- */
static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t rwlock = PTHREAD_RWLOCK_INITIALIZER;
static volatile long counter;

static void mutex_uncontended(long n)
{
	for (long i = 0; i < n; i++) {
		pthread_mutex_lock(&mutex);
		counter++;
		pthread_mutex_unlock(&mutex);
	}
}

static void mutex_timedlock(long n)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 3600;
	for (long i = 0; i < n; i++) {
		check(pthread_mutex_timedlock(&mutex, &ts), "pthread_mutex_timedlock");
		counter++;
		pthread_mutex_unlock(&mutex);
	}
}

static void rwlock_rd(long n)
{
	for (long i = 0; i < n; i++) {
		check(pthread_rwlock_rdlock(&rwlock), "pthread_rwlock_rdlock");
		counter++;
		pthread_rwlock_unlock(&rwlock);
	}
}

static void sem_post_wait(long n)
{
	sem_t s;
	if (sem_init(&s, 0, 0))
		die("sem_init");
	for (long i = 0; i < n; i++) {
		sem_post(&s);
		if (sem_wait(&s))
			die("sem_wait");
	}
	sem_destroy(&s);
}

/* ---- write-devnull: the cheapest wrapped system call ---- */
static void write_devnull(long n)
{
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		die("/dev/null");
	char c = 'x';
	for (long i = 0; i < n; i++)
		if (write(fd, &c, 1) != 1)
			die("write");
	close(fd);
}

/* ---- what a run prints ---- */
static int print_object(struct dl_phdr_info *info, size_t size, void *data)
{
	int *n = data;
	const char *name = info->dlpi_name, *slash = strrchr(name, '/');
	if (name[0] == '\0')
		return 0; /* the program itself, or the vDSO */
	printf("%s%s", (*n)++ ? "," : " objects=", slash ? slash + 1 : name);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- spawn-pair: process start under two preloads, A and B (a library's path, or "" for
 * none), compared spawn by spawn: /bin/true with A, then with B (B first on odd pairs), each
 * child's own CPU time (user + system) from wait4. The ratio of a pair's two children is
 * measured a few milliseconds apart, so that the load of a shared machine, which moves the
 * time of a /bin/true by 5-10% from one second to the next, hits both alike; the median of the
 * pairs' ratios then settles to within about 0.5% in a few hundred pairs, where separate runs
 * of each mode spread over several percent. Prints
 *
 *   spawn-pair PAIRS ops ELAPSED s NS ns/op a_cpu=NS b_cpu=NS ratio=R q1=R q3=R objects=...
 *
 * a_cpu and b_cpu the medians of the children's CPU time, ratio the median of b/a over the
 * pairs, q1 and q3 its quartiles. tlbench itself runs bare. ---- */
static char **env_with_preload(const char *lib)
{
	size_t n = 0;
	while (environ[n])
		n++;
	char **env = calloc(n + 2, sizeof(*env));
	if (env == NULL)
		die("calloc");
	size_t o = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "LD_PRELOAD=", 11) != 0)
			env[o++] = environ[i];
	if (lib[0] != '\0') {
		size_t len = strlen(lib) + sizeof("LD_PRELOAD=");
		char *e = malloc(len);
		if (e == NULL)
			die("malloc");
		snprintf(e, len, "LD_PRELOAD=%s", lib);
		env[o++] = e;
	}
	return env;
}

static double spawn_cpu(char **env)
{
	char *argv[] = {"true", NULL};
	pid_t pid;
	int st;
	struct rusage ru;
	check(posix_spawn(&pid, "/bin/true", NULL, NULL, argv, env), "posix_spawn /bin/true");
	if (wait4(pid, &st, 0, &ru) != pid)
		die("wait4");
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "bench: /bin/true exited with status 0x%x\n", st);
		exit(2);
	}
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e9 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e3;
}

static int spawn_pair(long pairs, const char *lib_a, const char *lib_b)
{
	char **env[2] = {env_with_preload(lib_a), env_with_preload(lib_b)};
	double *cpu[2] = {calloc(pairs, sizeof(double)), calloc(pairs, sizeof(double))};
	double *ratio = calloc(pairs, sizeof(double));
	if (!cpu[0] || !cpu[1] || !ratio)
		die("calloc");
	for (int i = 0; i < 20; i++) /* warm-up: the page cache, the loader's cache */
		spawn_cpu(env[i & 1]);
	double t0 = now();
	for (long i = 0; i < pairs; i++) {
		int first = i & 1;
		cpu[first][i] = spawn_cpu(env[first]);
		cpu[!first][i] = spawn_cpu(env[!first]);
		ratio[i] = cpu[1][i] / (cpu[0][i] > 0 ? cpu[0][i] : 1);
	}
	double dt = now() - t0;
	qsort(cpu[0], pairs, sizeof(double), cmp_double);
	qsort(cpu[1], pairs, sizeof(double), cmp_double);
	qsort(ratio, pairs, sizeof(double), cmp_double);
	printf("spawn-pair %ld ops %.6f s %.2f ns/op a_cpu=%.2f b_cpu=%.2f ratio=%.5f q1=%.5f "
	       "q3=%.5f",
	       pairs, dt, dt * 1e9 / (double)(2 * pairs), cpu[0][pairs / 2], cpu[1][pairs / 2],
	       ratio[pairs / 2], ratio[pairs / 4], ratio[3 * pairs / 4]);
	int nobj = 0;
	dl_iterate_phdr(print_object, &nobj);
	printf("\n");
	return 0;
}

/* ---- proc-status: open, read and close this thread's /proc/self/task/TID/status, the unit of
 * the exit check's work per thread (bench/run measures it bare, to tell how fast this machine
 * is at what the check does: see PROC_READ_SLOW_US there). ---- */
static void proc_status(long n)
{
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/self/task/%d/status", (int)gettid());
	for (long i = 0; i < n; i++) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || read(fd, buf, sizeof(buf)) <= 0)
			die(path);
		close(fd);
	}
}

static const struct bench_case {
	const char *name;
	void (*fn)(long);
	long iterations;
	const char *what;
} cases[] = {
    {"create-join", create_join, 5000, "pthread_create + pthread_join of a thread that returns"},
    {"create-join-deep", create_join_deep, 5000, "the same, 24 frames deep"},
    {"create-nested", create_nested, 2000, "a thread that creates and joins one thread"},
    {"pipe-pingpong", pipe_pingpong, 50000, "round trip of one byte over two pipes"},
    {"cond-pingpong", cond_pingpong, 50000, "round trip of a turn with a mutex and two condvars"},
    {"mutex-uncontended", mutex_uncontended, 50000000, "pthread_mutex_lock + unlock"},
    {"mutex-timedlock", mutex_timedlock, 20000000, "pthread_mutex_timedlock + unlock"},
    {"rwlock-rd", rwlock_rd, 20000000, "pthread_rwlock_rdlock + unlock"},
    {"sem-post-wait", sem_post_wait, 20000000, "sem_post + sem_wait, never blocking"},
    {"write-devnull", write_devnull, 2000000, "write of one byte to /dev/null"},
    {"proc-status", proc_status, 20000, "open + read + close of /proc/self/task/TID/status"},
};

#define SLICES 11

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fprintf(stderr, "usage: %s CASE [ITERATIONS] | list\n", argv[0]);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "spawn-pair") == 0) {
		long pairs = argc == 5 ? strtol(argv[2], NULL, 10) : 0;
		if (pairs <= 0) {
			fprintf(stderr, "usage: %s spawn-pair PAIRS PRELOAD_A PRELOAD_B\n",
			        argv[0]);
			return 2;
		}
		return spawn_pair(pairs, argv[3], argv[4]);
	}
	if (strcmp(argv[1], "list") == 0) {
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			printf("%-18s %10ld  %s\n", cases[i].name, cases[i].iterations,
			       cases[i].what);
		return 0;
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bench_case *c = &cases[i];
		if (strcmp(argv[1], c->name) != 0)
			continue;
		long n = c->iterations;
		if (argc > 2) {
			char *end;
			n = strtol(argv[2], &end, 10);
			if (*end || n <= 0) {
				fprintf(stderr, "bench: bad iteration count '%s'\n", argv[2]);
				return 2;
			}
		}
		c->fn(n / 10 > 0 ? n / 10 : 1); /* warm-up */
		long per = n / SLICES > 0 ? n / SLICES : 1;
		double slice[SLICES], t0 = now();
		for (int k = 0; k < SLICES; k++) {
			double s0 = now();
			c->fn(per);
			slice[k] = (now() - s0) * 1e9 / (double)per;
		}
		double dt = now() - t0;
		qsort(slice, SLICES, sizeof(slice[0]), cmp_double);
		printf("%s %ld ops %.6f s %.2f ns/op", c->name, per * SLICES, dt,
		       slice[SLICES / 2]);
		int nobj = 0;
		dl_iterate_phdr(print_object, &nobj);
		printf("\n");
		return 0;
	}
	fprintf(stderr, "bench: unknown case '%s' (try: %s list)\n", argv[1], argv[0]);
	return 2;
}
