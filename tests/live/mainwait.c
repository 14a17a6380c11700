/* The main thread waits in one timed call while it is dumped: the request's signal lands on it
 * (the kernel prefers the main thread for a signal sent to the process), and the call must
 * return what it would have without the request, neither EINTR nor early, nor wait its timeout
 * again from the start. A worker waits on a pipe meanwhile. Usage: mainwait CALL MS, CALL one
 * of sleep usleep nanosleep clock_nanosleep poll ppoll select epoll_wait epoll_pwait
 * sem_timedwait cond_timedwait (sleep: MS rounded to seconds). Prints "ready", waits, then
 * "CALL returned R errno E after T ms". */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

static int pipefd[2];

static void *worker(void *a)
{
	char c;
	while (read(pipefd[0], &c, 1) < 0 && errno == EINTR)
		;
	return a;
}

/* The time a call took is read on the clock its deadline is on: sem_timedwait and
 * pthread_cond_timedwait wait until a CLOCK_REALTIME time, and a machine whose time service
 * steps that clock during the wait (seen on CI: both 10 ms early on the monotonic clock, one
 * run in many) would otherwise look like a call the dump made return early. */
static clockid_t clock_of_call = CLOCK_MONOTONIC;

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(clock_of_call, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

static struct timespec in(long ms, clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += ms % 1000 * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return ts;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	const char *call = argv[1];
	long ms = atol(argv[2]);
	struct timespec rel = {ms / 1000, ms % 1000 * 1000000};
	pthread_t t;
	if (pipe(pipefd) != 0 || pthread_create(&t, NULL, worker, NULL) != 0)
		return 2;
	int ep = epoll_create1(0);
	struct epoll_event ev;
	sem_t sem;
	sem_init(&sem, 0, 0);
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
	printf("ready\n");
	fflush(stdout);
	if (strcmp(call, "sem_timedwait") == 0 || strcmp(call, "cond_timedwait") == 0)
		clock_of_call = CLOCK_REALTIME;
	long t0 = now_ms(), r = -2;
	errno = 0;
	if (strcmp(call, "sleep") == 0) {
		r = sleep((unsigned)(ms / 1000));
	} else if (strcmp(call, "usleep") == 0) {
		r = usleep((useconds_t)ms * 1000);
	} else if (strcmp(call, "nanosleep") == 0) {
		r = nanosleep(&rel, NULL);
	} else if (strcmp(call, "clock_nanosleep") == 0) {
		r = clock_nanosleep(CLOCK_MONOTONIC, 0, &rel, NULL);
		errno = r > 0 ? (int)r : 0;
	} else if (strcmp(call, "poll") == 0) {
		r = poll(NULL, 0, (int)ms);
	} else if (strcmp(call, "ppoll") == 0) {
		r = ppoll(NULL, 0, &rel, NULL);
	} else if (strcmp(call, "select") == 0) {
		struct timeval tv = {ms / 1000, ms % 1000 * 1000};
		r = select(0, NULL, NULL, NULL, &tv);
	} else if (strcmp(call, "epoll_wait") == 0) {
		r = epoll_wait(ep, &ev, 1, (int)ms);
	} else if (strcmp(call, "epoll_pwait") == 0) {
		r = epoll_pwait(ep, &ev, 1, (int)ms, NULL);
	} else if (strcmp(call, "sem_timedwait") == 0) {
		struct timespec until = in(ms, CLOCK_REALTIME);
		r = sem_timedwait(&sem, &until);
	} else if (strcmp(call, "cond_timedwait") == 0) {
		struct timespec until = in(ms, CLOCK_REALTIME);
		pthread_mutex_lock(&mu);
		r = pthread_cond_timedwait(&cv, &mu, &until);
		errno = r > 0 ? (int)r : 0;
		pthread_mutex_unlock(&mu);
	}
	int e = errno;
	printf("%s returned %ld errno %s after %ld ms\n", call, r, e ? strerrorname_np(e) : "0",
	       now_ms() - t0);
	fflush(stdout);
	close(pipefd[1]);
	pthread_join(t, NULL);
	return 0;
}
