/* glibc's own helper threads, then a leak behind them: a timer whose notification function
 * returns (glibc starts its timer helper thread, adopted by the timer_create wrapper), then a
 * message queue notification whose function blocks for good (glibc's mq_notify helper, adopted
 * too, starts the thread that runs it). The exit check used to hang in pthread_getattr_np,
 * given an adopted thread's record (no pthread_t) as a thread: registry.c tl_thread_stack.
 * Expected: "main returns", one leak (the notification thread, untracked, blocked in
 * pthread_cond_wait), both helpers suppressed by the libc set. */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static sem_t ran;

static void returns(union sigval v)
{
}

static void blocks(union sigval v)
{
	sem_post(&ran);
	pthread_mutex_lock(&mu);
	for (;;)
		pthread_cond_wait(&never, &mu); /* NOTIFY_BLOCKS */
}

static void arm_timer(void)
{
	timer_t t;
	struct sigevent se;
	memset(&se, 0, sizeof(se));
	se.sigev_notify = SIGEV_THREAD;
	se.sigev_notify_function = returns;
	if (timer_create(CLOCK_MONOTONIC, &se, &t) != 0) {
		perror("timer_create");
		return;
	}
	struct itimerspec its = {{0, 0}, {0, 1000000}};
	timer_settime(t, 0, &its, NULL);
}

static void notify_and_send(void)
{
	char name[64];
	snprintf(name, sizeof(name), "/tlnotify.%d", (int)getpid());
	struct mq_attr attr = {.mq_maxmsg = 4, .mq_msgsize = 16};
	mqd_t q = mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
	if (q == (mqd_t)-1) {
		perror("mq_open");
		return;
	}
	mq_unlink(name);
	struct sigevent se;
	memset(&se, 0, sizeof(se));
	se.sigev_notify = SIGEV_THREAD;
	se.sigev_notify_function = blocks;
	if (mq_notify(q, &se) != 0 || mq_send(q, "x", 1, 0) != 0) {
		perror("mq_notify");
		return;
	}
	while (sem_wait(&ran) != 0 && errno == EINTR)
		;
}

int main(void)
{
	sem_init(&ran, 0, 0);
	arm_timer();
	usleep(10000);
	notify_and_send();
	usleep(10000);
	printf("main returns\n");
	return 0;
}
