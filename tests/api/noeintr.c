/* Mid-run checks must not disturb the threads they inspect. Six threads block with
 * long timeouts (TIMEOUT_S): epoll_wait, poll, nanosleep, sem_timedwait, read on a pipe and
 * read on a socket with SO_RCVTIMEO. The main thread waits until the kernel shows all six
 * asleep, runs N checks (threadleak_verify_none() and threadleak_report_json() in turn; each
 * must count 6 leaked threads, all "blocked"), then sets `woken` and wakes each thread
 * deliberately (a byte, sem_post, or SIGUSR1 for nanosleep). A thread whose call returned
 * before `woken`, or with anything else than what waking it gives, counts a disturbance.
 * Usage: noeintr [N [raw]]: N rounds of the two checks (default 1000). With "raw", each thread
 * makes its call as a bare system call (the syscall instruction: no libc, no threadleak
 * wrapper), so the check sees it only from the kernel; sem_timedwait becomes a futex wait with
 * a timeout, what sem_timedwait does inside. Prints a summary; exits 0 only when undisturbed. */
#define _GNU_SOURCE
#include <threadleak.h>

#include <errno.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "task_state.h"

#define TIMEOUT_S 60
#define NTHREADS 6

static atomic_int woken;
static int raw_mode;
static int futex_word;

#if defined(__x86_64__)
/* a system call that no wrapper sees; returns -errno on failure */
static long raw_syscall(long n, long a, long b, long c, long d, long e, long f)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
	                 : "=a"(ret)
	                 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
	                 : "rcx", "r11", "memory");
	return ret;
}
#define RAW(n, a, b, c, d, e, f) \
	raw_syscall(n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))
#else
#define RAW(...) (-ENOSYS)
#endif

/* a raw call's result the libc way: -1 and errno */
static long unraw(long r, int *err)
{
	if (r < 0 && r > -4096) {
		*err = (int)-r;
		return -1;
	}
	return r;
}
static atomic_int nready;
static int ep, ep_pipe[2], poll_pipe[2], read_pipe[2], sock[2];
static sem_t sem;

struct slot {
	const char *call;
	pid_t tid;
	pthread_t handle;
	long ret;
	int err;
	int early; /* returned before `woken` */
	double seconds;
	long expect; /* expected return value once woken */
	int expect_err;
};
static struct slot slots[NTHREADS];

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void started(struct slot *s)
{
	s->tid = (pid_t)syscall(SYS_gettid);
	atomic_fetch_add(&nready, 1);
}

static void finished(struct slot *s, long ret, int err, double t0)
{
	s->ret = ret;
	s->err = ret < 0 ? err : 0;
	s->seconds = now() - t0;
	s->early = !atomic_load(&woken);
}

static void *in_epoll_wait(void *arg)
{
	struct slot *s = arg;
	struct epoll_event ev;
	started(s);
	double t0 = now();
	int err = 0;
	long r = raw_mode ? unraw(RAW(SYS_epoll_wait, ep, &ev, 1, TIMEOUT_S * 1000, 0, 0), &err)
	                  : epoll_wait(ep, &ev, 1, TIMEOUT_S * 1000);
	finished(s, r, raw_mode ? err : errno, t0);
	return NULL;
}

static void *in_poll(void *arg)
{
	struct slot *s = arg;
	struct pollfd p = {.fd = poll_pipe[0], .events = POLLIN};
	started(s);
	double t0 = now();
	int err = 0;
	long r = raw_mode ? unraw(RAW(SYS_poll, &p, 1, TIMEOUT_S * 1000, 0, 0, 0), &err)
	                  : poll(&p, 1, TIMEOUT_S * 1000);
	finished(s, r, raw_mode ? err : errno, t0);
	return NULL;
}

static void *in_nanosleep(void *arg)
{
	struct slot *s = arg;
	struct timespec ts = {TIMEOUT_S, 0}, rem;
	started(s);
	double t0 = now();
	int err = 0;
	long r = raw_mode ? unraw(RAW(SYS_nanosleep, &ts, &rem, 0, 0, 0, 0), &err)
	                  : nanosleep(&ts, &rem);
	finished(s, r, raw_mode ? err : errno, t0);
	return NULL;
}

static void *in_sem_timedwait(void *arg)
{
	struct slot *s = arg;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += TIMEOUT_S;
	started(s);
	double t0 = now();
	int err = 0;
	struct timespec rel = {TIMEOUT_S, 0};
	long r = raw_mode
	             ? unraw(RAW(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, &rel, 0, 0), &err)
	             : sem_timedwait(&sem, &ts);
	finished(s, r, raw_mode ? err : errno, t0);
	return NULL;
}

static void *in_read(void *arg)
{
	struct slot *s = arg;
	char c;
	started(s);
	double t0 = now();
	int err = 0;
	long r = raw_mode ? unraw(RAW(SYS_read, read_pipe[0], &c, 1, 0, 0, 0), &err)
	                  : read(read_pipe[0], &c, 1);
	finished(s, r, raw_mode ? err : errno, t0);
	return NULL;
}

static void *in_read_socket(void *arg)
{
	struct slot *s = arg;
	char c;
	started(s);
	double t0 = now();
	int err = 0;
	long r =
	    raw_mode ? unraw(RAW(SYS_read, sock[0], &c, 1, 0, 0, 0), &err) : read(sock[0], &c, 1);
	finished(s, r, raw_mode ? err : errno, t0);
	return NULL;
}

static void on_usr1(int sig)
{
	(void)sig;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 1000;
	raw_mode = argc > 2 && strcmp(argv[2], "raw") == 0;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1; /* no SA_RESTART: waking nanosleep gives EINTR, as expected */
	sigaction(SIGUSR1, &sa, NULL);
	ep = epoll_create1(0);
	if (ep < 0 || pipe(ep_pipe) || pipe(poll_pipe) || pipe(read_pipe) ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, sock) || sem_init(&sem, 0, 0))
		return 2;
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = ep_pipe[0]};
	epoll_ctl(ep, EPOLL_CTL_ADD, ep_pipe[0], &ev);
	struct timeval tv = {TIMEOUT_S, 0};
	setsockopt(sock[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

	void *(*fns[NTHREADS])(void *) = {in_epoll_wait,    in_poll, in_nanosleep,
	                                  in_sem_timedwait, in_read, in_read_socket};
	const char *names[NTHREADS] = {"epoll_wait",    "poll", "nanosleep",
	                               "sem_timedwait", "read", "read(socket)"};
	long expect[NTHREADS] = {1, 1, -1, 0, 1, 1};
	int expect_err[NTHREADS] = {0, 0, EINTR, 0, 0, 0};
	for (int i = 0; i < NTHREADS; i++) {
		slots[i].call = names[i];
		slots[i].expect = expect[i];
		slots[i].expect_err = expect_err[i];
		pthread_create(&slots[i].handle, NULL, fns[i], &slots[i]);
	}
	double t0 = now();
	for (;;) {
		int n = 0;
		if (atomic_load(&nready) == NTHREADS)
			for (int i = 0; i < NTHREADS; i++)
				n += asleep(slots[i].tid);
		if (n == NTHREADS)
			break;
		if (now() - t0 > 20) {
			printf("threads never all asleep\n");
			return 3;
		}
		usleep(1000);
	}
	usleep(10000);

	int bad_counts = 0, not_blocked = 0;
	double c0 = now();
	int nchecks = 0;
	for (int i = 0; i < rounds; i++) {
		int leaked = threadleak_verify_none();
		nchecks++;
		if (leaked != NTHREADS && bad_counts++ < 3)
			printf("check %d: %d leaked, expected %d\n", nchecks, leaked, NTHREADS);
		leaked = -1;
		char *json = threadleak_report_json(&leaked);
		nchecks++;
		if (leaked != NTHREADS && bad_counts++ < 3)
			printf("check %d: %d leaked, expected %d\n", nchecks, leaked, NTHREADS);
		int blocked = json ? count(json, "\"state\": \"blocked\"") : -1;
		if (blocked != NTHREADS && not_blocked++ < 3)
			printf("check %d: %d threads blocked in the JSON report:\n%s\n", nchecks,
			       blocked, json ? json : "(null)");
		free(json);
	}
	double checks_s = now() - c0;

	atomic_store(&woken, 1);
	char c = 'x';
	int wrote = 0;
	wrote += write(ep_pipe[1], &c, 1) == 1;
	wrote += write(poll_pipe[1], &c, 1) == 1;
	wrote += write(read_pipe[1], &c, 1) == 1;
	wrote += write(sock[1], &c, 1) == 1;
	sem_post(&sem);
	__atomic_store_n(&futex_word, 1, __ATOMIC_SEQ_CST);
	RAW(SYS_futex, &futex_word, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0);
	pthread_kill(slots[2].handle, SIGUSR1);
	int disturbed = 0;
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(slots[i].handle, NULL);
		struct slot *s = &slots[i];
		int bad = s->early || s->ret != s->expect || s->err != s->expect_err;
		disturbed += bad;
		printf("%s: returned %ld (%s) after %.2fs%s%s\n", s->call, s->ret,
		       s->err ? strerror(s->err) : "ok", s->seconds,
		       s->early ? ", before being woken" : "", bad ? ": DISTURBED" : "");
	}
	printf("checks %d in %.2fs, bad counts %d, not blocked %d, wrote %d, disturbed %d\n",
	       nchecks, checks_s, bad_counts, not_blocked, wrote, disturbed);
	return disturbed || bad_counts || not_blocked || wrote != 4 ? 1 : 0;
}
