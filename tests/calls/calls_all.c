/* One thread blocked in each blocking call, each named with pthread_setname_np so that
 * the test finds it in the report. main starts them one at a time, waits until each sleeps in
 * the kernel (so thread numbers are fixed: main is 1, the first thread 2, ...), then exits 0:
 * every thread is a leak, blocked in its call.
 *
 * IPC objects (POSIX message queues, a SysV queue) and child processes must outlive the check
 * (a thread blocked on a removed queue would wake up), so they are cleaned up by a reaper child
 * forked first: it and every other child read the "lifeline" pipe, whose only write end is
 * main's; when the process exits the children see EOF, the reaper removes the queues, and all
 * of them exit. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <mqueue.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/msg.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "calls_common.h"

static int pipe_fds[2];                    /* nobody ever writes: readers block */
static int sock_fds[2];
static int listen_fd;
static int ep_fd, ep_pipe[2], ep_event;
static int poll_pipe[2], poll_event;
static int sel_pipe[2];
static mqd_t mq_full, mq_empty;
static char mq_full_name[64], mq_empty_name[64];
static int msq_id = -1;
static sem_t empty_sem;
static pthread_rwlock_t the_rwlock = PTHREAD_RWLOCK_INITIALIZER;
static pthread_barrier_t the_barrier;
static pthread_t join_target;
static int fgets_pipe[2];
static int futex_word;
static pthread_mutex_t held_mutex = PTHREAD_MUTEX_INITIALIZER;
static int flock_fd2;
static int fcntl_fd;
static pid_t waited_child;
static char lock_path[64];

static void *t_pipe_read(void *a)
{
	char c;
	announce("pipe_read");
	read(pipe_fds[0], &c, 1);
	return NULL;
}

static void *t_sock_recv(void *a)
{
	char c;
	announce("sock_recv");
	recv(sock_fds[0], &c, 1, 0);
	return NULL;
}

static void *t_accept(void *a)
{
	announce("accept");
	accept(listen_fd, NULL, NULL);
	return NULL;
}

static void *t_epoll(void *a)
{
	struct epoll_event ev[4];
	announce("epoll_wait");
	epoll_wait(ep_fd, ev, 4, -1);
	return NULL;
}

static void *t_poll(void *a)
{
	struct pollfd p[2] = {{poll_pipe[0], POLLIN, 0}, {poll_event, POLLIN, 0}};
	announce("poll");
	poll(p, 2, -1);
	return NULL;
}

static void *t_select(void *a)
{
	fd_set r;
	FD_ZERO(&r);
	FD_SET(sel_pipe[0], &r);
	announce("select");
	select(sel_pipe[0] + 1, &r, NULL, NULL, NULL);
	return NULL;
}

static void *t_mq_send(void *a)
{
	announce("mq_send");
	mq_send(mq_full, "b", 1, 0);
	return NULL;
}

static void *t_mq_receive(void *a)
{
	char buf[64];
	announce("mq_receive");
	mq_receive(mq_empty, buf, sizeof(buf), NULL);
	return NULL;
}

static void *t_msgrcv(void *a)
{
	struct {
		long type;
		char text[16];
	} m;
	announce("msgrcv");
	msgrcv(msq_id, &m, sizeof(m.text), 0, 0);
	return NULL;
}

static void *t_sem_wait(void *a)
{
	announce("sem_wait");
	sem_wait(&empty_sem);
	return NULL;
}

static void *t_rw_holder(void *a)
{
	char c;
	pthread_rwlock_wrlock(&the_rwlock);
	announce("rw_holder");
	read(pipe_fds[0], &c, 1);
	return NULL;
}

static void *t_rw_wrlock(void *a)
{
	announce("rw_wrlock");
	pthread_rwlock_wrlock(&the_rwlock);
	return NULL;
}

static void *t_barrier(void *a)
{
	announce("barrier");
	pthread_barrier_wait(&the_barrier);
	return NULL;
}

static void *t_join(void *a)
{
	announce("join");
	pthread_join(join_target, NULL);
	return NULL;
}

static void *t_nanosleep(void *a)
{
	struct timespec ts = {3600, 0};
	announce("nanosleep");
	nanosleep(&ts, NULL);
	return NULL;
}

static void *t_sigwait(void *a)
{
	sigset_t set;
	int sig;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	announce("sigwait");
	sigwait(&set, &sig);
	return NULL;
}

static void *t_pause(void *a)
{
	announce("pause");
	pause();
	return NULL;
}

static void *t_sigsuspend(void *a)
{
	sigset_t set;
	sigfillset(&set);
	sigdelset(&set, SIGUSR2); /* wait for SIGUSR2 only */
	announce("sigsuspend");
	sigsuspend(&set);
	return NULL;
}

static void *t_fgets(void *a)
{
	char line[64];
	FILE *f = fdopen(fgets_pipe[0], "r");
	announce("fgets");
	fgets(line, sizeof(line), f); /* libc reads through its internal read: not interposable */
	return NULL;
}

static void *t_futex(void *a)
{
	announce("futex");
	syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	return NULL;
}

static void *t_mutex_holder(void *a)
{
	char c;
	pthread_mutex_lock(&held_mutex);
	announce("mutex_holder");
	read(pipe_fds[0], &c, 1);
	return NULL;
}

static void *t_mutex_lock(void *a)
{
	announce("mutex_lock");
	pthread_mutex_lock(&held_mutex); /* not wrapped: found from the kernel and the stack */
	return NULL;
}

static void *t_flock(void *a)
{
	announce("flock");
	flock(flock_fd2, LOCK_EX); /* held by another open file description of main's */
	return NULL;
}

static void *t_fcntl(void *a)
{
	struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
	announce("fcntl");
	fcntl(fcntl_fd, F_SETLKW, &l); /* held by a child process */
	return NULL;
}

static void *t_waitpid(void *a)
{
	int st;
	announce("waitpid");
	waitpid(waited_child, &st, 0);
	return NULL;
}

static void reap_ipc(void)
{
	/* runs in the reaper child, after main is gone */
	wait_main_gone();
	mq_unlink(mq_full_name);
	mq_unlink(mq_empty_name);
	if (msq_id >= 0)
		msgctl(msq_id, IPC_RMID, NULL);
	_exit(0);
}

static int ready_pipe[2];
static void lock_in_child(void)
{
	struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
	if (fcntl(fcntl_fd, F_SETLK, &l) != 0)
		_exit(3);
	write(ready_pipe[1], "r", 1);
}

int main(void)
{
	block_usr_signals();

	if (pipe2(lifeline, O_CLOEXEC) || pipe2(pipe_fds, O_CLOEXEC) || pipe2(ep_pipe, O_CLOEXEC) ||
	    pipe2(poll_pipe, O_CLOEXEC) || pipe2(sel_pipe, O_CLOEXEC) || pipe2(fgets_pipe, O_CLOEXEC) ||
	    pipe2(ready_pipe, O_CLOEXEC) || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sock_fds)) {
		perror("setup");
		return 2;
	}
	/* IPC objects, removed by the reaper after exit */
	snprintf(mq_full_name, sizeof(mq_full_name), "/calls_all.full.%d", (int)getpid());
	snprintf(mq_empty_name, sizeof(mq_empty_name), "/calls_all.empty.%d", (int)getpid());
	struct mq_attr attr = {.mq_maxmsg = 1, .mq_msgsize = 16};
	mq_full = mq_open(mq_full_name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600, &attr);
	mq_empty = mq_open(mq_empty_name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600, &attr);
	msq_id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	pid_t reaper = child(reap_ipc); /* never returns in the child */
	if (mq_full == (mqd_t)-1 || mq_empty == (mqd_t)-1 || msq_id < 0) {
		perror("ipc");
		return 2;
	}
	if (mq_send(mq_full, "a", 1, 0) != 0) { /* now full */
		perror("mq_send");
		return 2;
	}

	/* a listening TCP socket on the loopback */
	listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (bind(listen_fd, (struct sockaddr *)&sin, sizeof(sin)) || listen(listen_fd, 4)) {
		perror("listen");
		return 2;
	}

	ep_fd = epoll_create1(EPOLL_CLOEXEC);
	ep_event = eventfd(0, EFD_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN};
	ev.data.fd = ep_pipe[0];
	epoll_ctl(ep_fd, EPOLL_CTL_ADD, ep_pipe[0], &ev);
	ev.data.fd = ep_event;
	epoll_ctl(ep_fd, EPOLL_CTL_ADD, ep_event, &ev);
	poll_event = eventfd(0, EFD_CLOEXEC);

	sem_init(&empty_sem, 0, 0);
	pthread_barrier_init(&the_barrier, NULL, 2);

	/* file locks: flock held by another open file description; F_SETLK held by a child */
	snprintf(lock_path, sizeof(lock_path), "/tmp/calls_all.lock.XXXXXX");
	int flock_fd1 = mkostemp(lock_path, O_CLOEXEC);
	flock_fd2 = open(lock_path, O_RDWR | O_CLOEXEC);
	fcntl_fd = open(lock_path, O_RDWR | O_CLOEXEC);
	unlink(lock_path);
	if (flock_fd1 < 0 || flock_fd2 < 0 || fcntl_fd < 0 || flock(flock_fd1, LOCK_EX) != 0) {
		perror("lock file");
		return 2;
	}
	pid_t lock_child = child(lock_in_child);
	char c;
	if (read(ready_pipe[0], &c, 1) != 1) {
		fprintf(stderr, "lock child failed\n");
		return 2;
	}
	waited_child = child(NULL);

	/* what the test expects to see named */
	printf("setup pipe=%d sock=%d listen=%d epoll=%d ep_pipe=%d ep_event=%d poll_pipe=%d "
	       "poll_event=%d select=%d mq_full=%d mq_full_name=%s mq_empty=%d mq_empty_name=%s "
	       "msqid=%d fgets=%d flock=%d fcntl=%d lock_path=%s reaper=%d lock_child=%d "
	       "waited_child=%d\n",
	       pipe_fds[0], sock_fds[0], listen_fd, ep_fd, ep_pipe[0], ep_event, poll_pipe[0],
	       poll_event, sel_pipe[0], (int)mq_full, mq_full_name, (int)mq_empty, mq_empty_name,
	       msq_id, fgets_pipe[0], flock_fd2, fcntl_fd, lock_path, (int)reaper, (int)lock_child,
	       (int)waited_child);
	fflush(stdout);

	/* in this order: thread 2, 3, ... */
	join_target = start(t_pipe_read);
	start(t_sock_recv);
	start(t_accept);
	start(t_epoll);
	start(t_poll);
	start(t_select);
	start(t_mq_send);
	start(t_mq_receive);
	start(t_msgrcv);
	start(t_sem_wait);
	start(t_rw_holder);
	start(t_rw_wrlock);
	start(t_barrier);
	start(t_join);
	start(t_nanosleep);
	start(t_sigwait);
	start(t_pause);
	start(t_sigsuspend);
	start(t_fgets);
	start(t_futex);
	start(t_mutex_holder);
	start(t_mutex_lock);
	start(t_flock);
	start(t_fcntl);
	start(t_waitpid);
	printf("all blocked\n");
	return 0;
}
