/* Threads glibc starts on its own and keeps (the default "libc" suppression set):
 *   timer   timer_create(SIGEV_THREAD): the timer helper thread; the timer fires once and its
 *           notification function runs (in a short-lived thread of glibc's)
 *   mq      mq_notify(SIGEV_THREAD): the helper thread that waits on a netlink socket
 *   aio     aio_read() of a file: a POSIX aio worker, idle for a minute after the request
 *           (aio_init)
 *   gai     getaddrinfo_a() of "127.0.0.1" (numeric: no network): a resolver worker, idle for
 *           a second after the request
 * Each mode waits for its request to complete, prints "done MODE" and returns 0 at once, so
 * that glibc's thread is still there at the exit check. Several modes may be given.
 * "timer-stuck": the timer's notification function blocks forever (a real leak in a thread
 * nobody saw created); then "aio" or another mode must not hide it. "timer-spawn": the
 * notification function starts a thread that blocks forever (created by a thread threadleak
 * did not track). "timer-deadlock": the notification function and a worker of main's lock two
 * mutexes in opposite orders (a deadlock through a thread threadleak did not see created). */
#define _GNU_SOURCE
#include <aio.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <netdb.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static sem_t fired;
static sem_t never;

static _Atomic pid_t notify_tid;

static int task_alive(pid_t tid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/task/%d", (int)tid);
	return access(path, F_OK) == 0;
}

static void timer_fired(union sigval v)
{
	notify_tid = gettid();
	sem_post(&fired);
}

static void timer_fired_stuck(union sigval v)
{
	sem_post(&fired);
	sem_wait(&never); /* blocks forever: glibc's notification thread leaks */
}

static void *spawned_waiter(void *arg)
{
	sem_wait(&never);
	return arg;
}

static void timer_fired_spawn(union sigval v)
{
	pthread_t t;
	pthread_create(&t, NULL, spawned_waiter, NULL);
	notify_tid = gettid();
	sem_post(&fired);
}

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER, lock_b = PTHREAD_MUTEX_INITIALIZER;
static sem_t a_taken, b_taken;

static void *a_then_b(void *arg)
{
	pthread_mutex_lock(&lock_a);
	sem_post(&a_taken);
	sem_wait(&b_taken);
	pthread_mutex_lock(&lock_b); /* held by the notification thread */
	return arg;
}

static void timer_fired_deadlock(union sigval v)
{
	pthread_mutex_lock(&lock_b);
	sem_post(&b_taken);
	sem_post(&fired);
	pthread_mutex_lock(&lock_a); /* held by a_then_b */
}

static int do_timer(int stuck)
{
	struct sigevent sev;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD;
	sev.sigev_notify_function = stuck == 1   ? timer_fired_stuck
	                            : stuck == 2 ? timer_fired_spawn
	                            : stuck == 3 ? timer_fired_deadlock
	                                         : timer_fired;
	if (stuck == 3) {
		pthread_t th;
		sem_init(&a_taken, 0, 0);
		sem_init(&b_taken, 0, 0);
		pthread_create(&th, NULL, a_then_b, NULL);
		sem_wait(&a_taken);
	}
	timer_t t;
	if (timer_create(CLOCK_MONOTONIC, &sev, &t) != 0) {
		perror("timer_create");
		return 1;
	}
	struct itimerspec its = {{0, 0}, {0, 10 * 1000 * 1000}};
	if (timer_settime(t, 0, &its, NULL) != 0) {
		perror("timer_settime");
		return 1;
	}
	while (sem_wait(&fired) != 0 && errno == EINTR)
		;
	/* glibc's notification thread returns from timer_fired and goes: wait until it has, so
	 * that the exit check sees only the helper, however slow the machine */
	if (stuck == 3)
		usleep(50000); /* both in their second lock */
	for (int i = 0; stuck != 1 && stuck != 3 && i < 10000 && task_alive(notify_tid); i++)
		usleep(1000);
	return 0;
}

static void mq_fired(union sigval v)
{
}

static int do_mq(void)
{
	char name[64];
	snprintf(name, sizeof(name), "/tlapi.%d", (int)getpid());
	struct mq_attr attr = {.mq_maxmsg = 4, .mq_msgsize = 16};
	mqd_t q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
	if (q == (mqd_t)-1) {
		perror("mq_open");
		return 1;
	}
	mq_unlink(name);
	struct sigevent sev;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD;
	sev.sigev_notify_function = mq_fired;
	if (mq_notify(q, &sev) != 0) {
		perror("mq_notify");
		return 1;
	}
	return 0;
}

static int do_aio(void)
{
	static char buf[64];
	/* the worker stays for a minute when idle (glibc's default is 1 s): still there at exit,
	 * however slow the machine */
	struct aioinit init;
	memset(&init, 0, sizeof(init));
	init.aio_threads = 2;
	init.aio_num = 4;
	init.aio_idle_time = 60;
	aio_init(&init);
	int fd = open("/proc/self/exe", O_RDONLY);
	if (fd < 0)
		return 1;
	struct aiocb cb;
	memset(&cb, 0, sizeof(cb));
	cb.aio_fildes = fd;
	cb.aio_buf = buf;
	cb.aio_nbytes = sizeof(buf);
	if (aio_read(&cb) != 0) {
		perror("aio_read");
		return 1;
	}
	const struct aiocb *list[1] = {&cb};
	while (aio_error(&cb) == EINPROGRESS)
		aio_suspend(list, 1, NULL);
	if (aio_return(&cb) != sizeof(buf))
		return 1;
	return 0;
}

static int do_gai(void)
{
	struct gaicb req;
	memset(&req, 0, sizeof(req));
	req.ar_name = "127.0.0.1";
	struct addrinfo hints;
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST;
	hints.ai_family = AF_INET;
	req.ar_request = &hints;
	struct gaicb *list[1] = {&req};
	int r = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL);
	if (r != 0) {
		fprintf(stderr, "getaddrinfo_a: %s\n", gai_strerror(r));
		return 1;
	}
	while ((r = gai_error(&req)) == EAI_INPROGRESS)
		gai_suspend((const struct gaicb *const *)list, 1, NULL);
	if (r != 0) {
		fprintf(stderr, "gai_error: %s\n", gai_strerror(r));
		return 1;
	}
	freeaddrinfo(req.ar_result);
	return 0;
}

int main(int argc, char **argv)
{
	sem_init(&fired, 0, 0);
	sem_init(&never, 0, 0);
	for (int i = 1; i < argc; i++) {
		const char *m = argv[i];
		int r = strcmp(m, "timer") == 0            ? do_timer(0)
		        : strcmp(m, "timer-stuck") == 0    ? do_timer(1)
		        : strcmp(m, "timer-spawn") == 0    ? do_timer(2)
		        : strcmp(m, "timer-deadlock") == 0 ? do_timer(3)
		        : strcmp(m, "mq") == 0             ? do_mq()
		        : strcmp(m, "aio") == 0            ? do_aio()
		        : strcmp(m, "gai") == 0            ? do_gai()
		                                : (fprintf(stderr, "unknown mode %s\n", m), 2);
		if (r != 0)
			return r;
		printf("done %s\n", m);
	}
	fflush(stdout);
	return 0;
}
