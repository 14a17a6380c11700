/* More blocking calls (the ones calls_all.c does not cover): one thread blocked in each, named
 * with pthread_setname_np so that the test finds it in the report. As in calls_all.c, main
 * starts them one at a time and waits until each sleeps in the kernel (thread numbers are then
 * fixed: main is 1, the first thread 2, ...), then exits 0: every thread is a leak.
 *
 * Every blocking call sits on its own line, marked with a comment "AT_<name>": the test
 * checks that the top frame of each blocked thread is its t_ function at that line.
 *
 * IPC objects (two POSIX message queues, two SysV queues with keys derived from our pid) must
 * outlive the check: threadleak's check runs after the program's atexit handlers, so an
 * atexit handler removing them would wake the blocked threads before the check. They are
 * removed by a reaper child instead, forked first, that (like every child here) reads the
 * "lifeline" pipe whose only write end is main's: when the process is gone the reaper sees
 * EOF, removes exactly the queues this process created, and every child exits.
 *
 * pread blocks only on a seekable file that can make a reader wait: /dev/kmsg at its end
 * (needs CAP_SYSLOG, or dmesg_restrict=0). Without it the thread is not started and the setup
 * line says kmsg=-1. A kernel message wakes that reader: it loops and waits again. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/msg.h>
#include <sys/select.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

#include "calls_common.h"

static int never_pipe[2]; /* nobody ever writes: the lock holders block reading it */
static int readv_pipe[2];
static int full_pipe[2]; /* [1] is full: writev blocks */
static int kmsg_fd = -1;
static int dgram_fds[3][2];  /* recvfrom, recvmsg, recvmmsg: unix dgram pairs, nothing sent */
static int full_socks[3][2]; /* send, sendto, sendmsg: [0]'s buffer is full */
static int listen_fd;        /* unix stream, listening: accept4 blocks */
static int conn_listen_fd;   /* unix stream, backlog 0, one connection pending */
static int conn_fd;          /* connect blocks on it */
static struct sockaddr_un conn_addr;
static socklen_t conn_addr_len;
static int ppoll_pipe[2], pselect_pipe[2], ep_pipe[2], ep2_pipe[2];
static int ep_fd, ep2_fd;
static mqd_t mq_full, mq_empty;
static char mq_full_name[64], mq_empty_name[64];
static int msq_full = -1, msq_empty = -1, sem_set = -1;
static int msq_full_count;
static char lock_path[64];
static int lockf_fd;
static pid_t waited_child;
static pthread_mutex_t timed_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t clock_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t held_rwlock = PTHREAD_RWLOCK_INITIALIZER;
static sem_t timed_sem;
static sem_t clock_sem;
static pthread_mutex_t cv_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t timed_cond = PTHREAD_COND_INITIALIZER;
static pthread_cond_t clock_cond = PTHREAD_COND_INITIALIZER;
static pthread_t readv_thread, recvfrom_thread;

/* An absolute time an hour from now on clock clk. */
static struct timespec far(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	ts.tv_sec += 3600;
	return ts;
}

static void *t_readv(void *a)
{
	char c;
	struct iovec v = {&c, 1};
	announce("readv");
	readv(readv_pipe[0], &v, 1); /* AT_readv */
	return NULL;
}

static void *t_writev(void *a)
{
	char c = 'x';
	struct iovec v = {&c, 1};
	announce("writev");
	writev(full_pipe[1], &v, 1); /* AT_writev */
	return NULL;
}

static void *t_pread(void *a)
{
	char buf[8192];
	announce("pread");
	for (;;)
		pread(kmsg_fd, buf, sizeof(buf), 0); /* AT_pread */
	return NULL;
}

static void *t_recvfrom(void *a)
{
	char c;
	struct sockaddr_un from;
	socklen_t len = sizeof(from);
	announce("recvfrom");
	recvfrom(dgram_fds[0][0], &c, 1, 0, (struct sockaddr *)&from, &len); /* AT_recvfrom */
	return NULL;
}

static void *t_recvmsg(void *a)
{
	char c;
	struct iovec v = {&c, 1};
	struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1};
	announce("recvmsg");
	recvmsg(dgram_fds[1][0], &m, 0); /* AT_recvmsg */
	return NULL;
}

static void *t_recvmmsg(void *a)
{
	char c[2];
	struct iovec v[2] = {{&c[0], 1}, {&c[1], 1}};
	struct mmsghdr m[2] = {{.msg_hdr = {.msg_iov = &v[0], .msg_iovlen = 1}},
	                       {.msg_hdr = {.msg_iov = &v[1], .msg_iovlen = 1}}};
	announce("recvmmsg");
	recvmmsg(dgram_fds[2][0], m, 2, 0, NULL); /* AT_recvmmsg */
	return NULL;
}

static void *t_send(void *a)
{
	announce("send");
	send(full_socks[0][0], "x", 1, 0); /* AT_send */
	return NULL;
}

static void *t_sendto(void *a)
{
	announce("sendto");
	sendto(full_socks[1][0], "x", 1, 0, NULL, 0); /* AT_sendto */
	return NULL;
}

static void *t_sendmsg(void *a)
{
	char c = 'x';
	struct iovec v = {&c, 1};
	struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1};
	announce("sendmsg");
	sendmsg(full_socks[2][0], &m, 0); /* AT_sendmsg */
	return NULL;
}

static void *t_accept4(void *a)
{
	announce("accept4");
	accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC); /* AT_accept4 */
	return NULL;
}

static void *t_connect(void *a)
{
	announce("connect");
	connect(conn_fd, (struct sockaddr *)&conn_addr, conn_addr_len); /* AT_connect */
	return NULL;
}

static void *t_ppoll(void *a)
{
	struct pollfd p = {ppoll_pipe[0], POLLIN, 0};
	announce("ppoll");
	ppoll(&p, 1, NULL, NULL); /* AT_ppoll */
	return NULL;
}

static void *t_ppoll_none(void *a)
{
	announce("ppoll_none");
	ppoll(NULL, 0, NULL, NULL); /* AT_ppoll_none */
	return NULL;
}

static void *t_pselect(void *a)
{
	fd_set r;
	FD_ZERO(&r);
	FD_SET(pselect_pipe[0], &r);
	announce("pselect");
	pselect(pselect_pipe[0] + 1, &r, NULL, NULL, NULL, NULL); /* AT_pselect */
	return NULL;
}

static void *t_epoll_pwait(void *a)
{
	struct epoll_event ev[2];
	announce("epoll_pwait");
	epoll_pwait(ep_fd, ev, 2, -1, NULL); /* AT_epoll_pwait */
	return NULL;
}

static void *t_epoll_pwait2(void *a)
{
	struct epoll_event ev[2];
	announce("epoll_pwait2");
	epoll_pwait2(ep2_fd, ev, 2, NULL, NULL); /* AT_epoll_pwait2 */
	return NULL;
}

static void *t_mq_timedsend(void *a)
{
	struct timespec ts = far(CLOCK_REALTIME);
	announce("mq_timedsend");
	mq_timedsend(mq_full, "b", 1, 0, &ts); /* AT_mq_timedsend */
	return NULL;
}

static void *t_mq_timedreceive(void *a)
{
	char buf[64];
	struct timespec ts = far(CLOCK_REALTIME);
	announce("mq_timedreceive");
	mq_timedreceive(mq_empty, buf, sizeof(buf), NULL, &ts); /* AT_mq_timedreceive */
	return NULL;
}

struct msgbuf1k {
	long type;
	char text[1024];
};

static void *t_msgsnd(void *a)
{
	static struct msgbuf1k m = {1, "x"};
	announce("msgsnd");
	msgsnd(msq_full, &m, sizeof(m.text), 0); /* AT_msgsnd */
	return NULL;
}

static void *t_msgrcv(void *a)
{
	static struct msgbuf1k m;
	announce("msgrcv");
	msgrcv(msq_empty, &m, sizeof(m.text), 0, 0); /* AT_msgrcv */
	return NULL;
}

static void *t_semop(void *a)
{
	struct sembuf op = {0, -1, 0};
	announce("semop");
	semop(sem_set, &op, 1); /* AT_semop */
	return NULL;
}

static void *t_semtimedop(void *a)
{
	struct sembuf op = {0, -1, 0};
	struct timespec ts = {3600, 0};
	announce("semtimedop");
	semtimedop(sem_set, &op, 1, &ts); /* AT_semtimedop */
	return NULL;
}

static void *t_thrd_sleep(void *a)
{
	/* an hour a nanosecond short, as a conversion from another unit may give: "3600s" */
	struct timespec ts = {3599, 999999999};
	announce("thrd_sleep");
	thrd_sleep(&ts, NULL); /* AT_thrd_sleep */
	return NULL;
}

static void *t_clock_nanosleep(void *a)
{
	struct timespec ts = {3600, 0};
	announce("clock_nanosleep");
	clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL); /* AT_clock_nanosleep */
	return NULL;
}

static void *t_clock_abs(void *a)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += 3600;
	announce("clock_abs");
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL); /* AT_clock_abs */
	return NULL;
}

/* a record lock of an open file description, held by another one of this process */
static int ofd_fd;

static void *t_ofd(void *a)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	announce("ofd");
	fcntl(ofd_fd, F_OFD_SETLKW, &fl); /* AT_ofd */
	return NULL;
}

/* open() of a FIFO that no process has open for writing: it waits for a writer */
static char fifo_path[64];

static void *t_fifo_open(void *a)
{
	announce("fifo_open");
	open(fifo_path, O_RDONLY | O_CLOEXEC); /* AT_fifo_open */
	return NULL;
}

static void *t_sigtimedwait(void *a)
{
	sigset_t set;
	siginfo_t info;
	struct timespec ts = {3600, 0};
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	announce("sigtimedwait");
	sigtimedwait(&set, &info, &ts); /* AT_sigtimedwait */
	return NULL;
}

static void *t_sigwaitinfo(void *a)
{
	sigset_t set;
	siginfo_t info;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	announce("sigwaitinfo");
	sigwaitinfo(&set, &info); /* AT_sigwaitinfo */
	return NULL;
}

static void *t_wait(void *a)
{
	int st;
	announce("wait");
	wait(&st); /* AT_wait */
	return NULL;
}

static void *t_waitid(void *a)
{
	siginfo_t info;
	announce("waitid");
	waitid(P_PID, (id_t)waited_child, &info, WEXITED); /* AT_waitid */
	return NULL;
}

static void *t_lockf(void *a)
{
	announce("lockf");
	lockf(lockf_fd, F_LOCK, 0); /* AT_lockf */
	return NULL;
}

static void *t_mutex_holder(void *a)
{
	char c;
	pthread_mutex_lock(&timed_mutex);
	pthread_mutex_lock(&clock_mutex);
	announce("mutex_holder");
	read(never_pipe[0], &c, 1); /* AT_mutex_holder */
	return NULL;
}

static void *t_mutex_timedlock(void *a)
{
	struct timespec ts = far(CLOCK_REALTIME);
	announce("mutex_timedlock");
	pthread_mutex_timedlock(&timed_mutex, &ts); /* AT_mutex_timedlock */
	return NULL;
}

static void *t_mutex_clocklock(void *a)
{
	struct timespec ts = far(CLOCK_MONOTONIC);
	announce("mutex_clocklock");
	pthread_mutex_clocklock(&clock_mutex, CLOCK_MONOTONIC, &ts); /* AT_mutex_clocklock */
	return NULL;
}

static void *t_rw_writer(void *a)
{
	char c;
	pthread_rwlock_wrlock(&held_rwlock);
	announce("rw_writer");
	read(never_pipe[0], &c, 1); /* AT_rw_writer */
	return NULL;
}

static void *t_rw_rdlock(void *a)
{
	announce("rw_rdlock");
	pthread_rwlock_rdlock(&held_rwlock); /* AT_rw_rdlock */
	return NULL;
}

static void *t_rw_timedwrlock(void *a)
{
	struct timespec ts = far(CLOCK_REALTIME);
	announce("rw_timedwrlock");
	pthread_rwlock_timedwrlock(&held_rwlock, &ts); /* AT_rw_timedwrlock */
	return NULL;
}

static void *t_sem_timedwait(void *a)
{
	struct timespec ts = far(CLOCK_REALTIME);
	announce("sem_timedwait");
	sem_timedwait(&timed_sem, &ts); /* AT_sem_timedwait */
	return NULL;
}

static void *t_sem_clockwait(void *a)
{
	struct timespec ts = far(CLOCK_MONOTONIC);
	announce("sem_clockwait");
	sem_clockwait(&clock_sem, CLOCK_MONOTONIC, &ts); /* AT_sem_clockwait */
	return NULL;
}

static void *t_cond_timedwait(void *a)
{
	struct timespec ts = far(CLOCK_REALTIME);
	pthread_mutex_lock(&cv_mutex);
	announce("cond_timedwait");
	pthread_cond_timedwait(&timed_cond, &cv_mutex, &ts); /* AT_cond_timedwait */
	pthread_mutex_unlock(&cv_mutex);
	return NULL;
}

static void *t_cond_clockwait(void *a)
{
	struct timespec ts = far(CLOCK_MONOTONIC);
	pthread_mutex_lock(&cv_mutex);
	announce("cond_clockwait");
	clockid_t clk = CLOCK_MONOTONIC;
	pthread_cond_clockwait(&clock_cond, &cv_mutex, clk, &ts); /* AT_cond_clockwait */
	pthread_mutex_unlock(&cv_mutex);
	return NULL;
}

static void *t_timedjoin(void *a)
{
	struct timespec ts = far(CLOCK_REALTIME);
	announce("timedjoin");
	pthread_timedjoin_np(readv_thread, NULL, &ts); /* AT_timedjoin */
	return NULL;
}

static void *t_clockjoin(void *a)
{
	struct timespec ts = far(CLOCK_MONOTONIC);
	announce("clockjoin");
	pthread_clockjoin_np(recvfrom_thread, NULL, CLOCK_MONOTONIC, &ts); /* AT_clockjoin */
	return NULL;
}

static void reap_ipc(void)
{
	/* runs in the reaper child, after main is gone: only what this process created */
	wait_main_gone();
	mq_unlink(mq_full_name);
	mq_unlink(mq_empty_name);
	if (msq_full >= 0)
		msgctl(msq_full, IPC_RMID, NULL);
	if (msq_empty >= 0)
		msgctl(msq_empty, IPC_RMID, NULL);
	if (sem_set >= 0)
		semctl(sem_set, 0, IPC_RMID);
	_exit(0);
}

static int ready_pipe[2];
static void lock_in_child(void)
{
	if (lockf(lockf_fd, F_TLOCK, 0) != 0)
		_exit(3);
	write(ready_pipe[1], "r", 1);
}

/* Fill a nonblocking fd until it says EAGAIN, with big then single-byte writes. */
static void fill_pipe(int fd)
{
	static char big[4096];
	int fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	while (write(fd, big, sizeof(big)) > 0)
		;
	while (write(fd, big, 1) > 0)
		;
	if (errno != EAGAIN)
		die("fill pipe");
	fcntl(fd, F_SETFL, fl);
}

static void fill_socket(int fd)
{
	static char big[4096];
	while (send(fd, big, sizeof(big), MSG_DONTWAIT) > 0)
		;
	while (send(fd, big, 1, MSG_DONTWAIT) > 0)
		;
	if (errno != EAGAIN)
		die("fill socket");
}

int main(void)
{
	block_usr_signals();

	if (pipe2(lifeline, O_CLOEXEC) || pipe2(never_pipe, O_CLOEXEC) ||
	    pipe2(readv_pipe, O_CLOEXEC) || pipe2(full_pipe, O_CLOEXEC) ||
	    pipe2(ppoll_pipe, O_CLOEXEC) || pipe2(pselect_pipe, O_CLOEXEC) ||
	    pipe2(ep_pipe, O_CLOEXEC) || pipe2(ep2_pipe, O_CLOEXEC) || pipe2(ready_pipe, O_CLOEXEC))
		die("pipe");
	for (int i = 0; i < 3; i++) {
		if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, dgram_fds[i]) ||
		    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, full_socks[i]))
			die("socketpair");
		fill_socket(full_socks[i][0]);
	}
	fill_pipe(full_pipe[1]);

	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_CLOEXEC);
	if (kmsg_fd >= 0 && lseek(kmsg_fd, 0, SEEK_END) < 0) {
		close(kmsg_fd);
		kmsg_fd = -1;
	}

	/* IPC objects, removed by the reaper after exit */
	snprintf(mq_full_name, sizeof(mq_full_name), "/calls_more.full.%d", (int)getpid());
	snprintf(mq_empty_name, sizeof(mq_empty_name), "/calls_more.empty.%d", (int)getpid());
	struct mq_attr attr = {.mq_maxmsg = 1, .mq_msgsize = 16};
	mq_full = mq_open(mq_full_name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600, &attr);
	mq_empty = mq_open(mq_empty_name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600, &attr);
	/* keys: 0x7c + pid and 0x7d + pid, so that the test's cleanup removes only ours */
	msq_full = msgget((key_t)(0x7c000000 | getpid()), IPC_CREAT | IPC_EXCL | 0600);
	msq_empty = msgget((key_t)(0x7d000000 | getpid()), IPC_CREAT | IPC_EXCL | 0600);
	sem_set = semget((key_t)(0x7e000000 | getpid()), 1, IPC_CREAT | IPC_EXCL | 0600);
	pid_t reaper = child(reap_ipc); /* never returns in the child */
	if (mq_full == (mqd_t)-1 || mq_empty == (mqd_t)-1 || msq_full < 0 || msq_empty < 0 ||
	    sem_set < 0)
		die("ipc");
	if (mq_send(mq_full, "a", 1, 0) != 0) /* now full */
		die("mq_send");
	static struct msgbuf1k m = {1, "fill"};
	while (msgsnd(msq_full, &m, sizeof(m.text), IPC_NOWAIT) == 0)
		msq_full_count++;
	if (errno != EAGAIN || msq_full_count == 0)
		die("msgsnd fill");

	/* sockets: a listener for accept4; a listener with backlog 0 and one pending
	 * connection for connect */
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (bind(listen_fd, (struct sockaddr *)&sun, sizeof(sa_family_t)) || listen(listen_fd, 4))
		die("listen"); /* autobind: an abstract address */
	conn_listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (bind(conn_listen_fd, (struct sockaddr *)&sun, sizeof(sa_family_t)) ||
	    listen(conn_listen_fd, 0))
		die("listen 0");
	conn_addr_len = sizeof(conn_addr);
	if (getsockname(conn_listen_fd, (struct sockaddr *)&conn_addr, &conn_addr_len))
		die("getsockname");
	int first = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (connect(first, (struct sockaddr *)&conn_addr, conn_addr_len)) /* fills the backlog */
		die("connect first");
	conn_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ep_fd = epoll_create1(EPOLL_CLOEXEC);
	ep2_fd = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN};
	ev.data.fd = ep_pipe[0];
	epoll_ctl(ep_fd, EPOLL_CTL_ADD, ep_pipe[0], &ev);
	ev.data.fd = ep2_pipe[0];
	epoll_ctl(ep2_fd, EPOLL_CTL_ADD, ep2_pipe[0], &ev);

	sem_init(&timed_sem, 0, 0);
	sem_init(&clock_sem, 0, 0);

	/* lockf: a POSIX lock held by a child process */
	snprintf(lock_path, sizeof(lock_path), "/tmp/calls_more.lock.XXXXXX");
	lockf_fd = mkostemp(lock_path, O_CLOEXEC);
	if (lockf_fd < 0)
		die("lock file");
	unlink(lock_path);
	pid_t lock_child = child(lock_in_child);
	char c;
	if (read(ready_pipe[0], &c, 1) != 1) {
		fprintf(stderr, "calls_more: lock child failed\n");
		return 2;
	}
	waited_child = child(NULL);
	snprintf(fifo_path, sizeof(fifo_path), "/tmp/tlfifo.%d", (int)getpid());
	if (mkfifo(fifo_path, 0600) != 0)
		die("mkfifo");

	printf("setup never=%d readv=%d full_pipe=%d kmsg=%d recvfrom=%d recvmsg=%d recvmmsg=%d "
	       "send=%d sendto=%d sendmsg=%d listen=%d connect=%d ppoll=%d pselect=%d epoll=%d "
	       "ep_pipe=%d epoll2=%d ep2_pipe=%d mq_full=%d mq_full_name=%s mq_empty=%d "
	       "mq_empty_name=%s msq_full=%d msq_full_count=%d msq_empty=%d lockf=%d "
	       "lock_path=%s reaper=%d lock_child=%d waited_child=%d sem_set=%d fifo=%s pid=%d\n",
	       never_pipe[0], readv_pipe[0], full_pipe[1], kmsg_fd, dgram_fds[0][0],
	       dgram_fds[1][0], dgram_fds[2][0], full_socks[0][0], full_socks[1][0],
	       full_socks[2][0], listen_fd, conn_fd, ppoll_pipe[0], pselect_pipe[0], ep_fd,
	       ep_pipe[0], ep2_fd, ep2_pipe[0], (int)mq_full, mq_full_name, (int)mq_empty,
	       mq_empty_name, msq_full, msq_full_count, msq_empty, lockf_fd, lock_path, (int)reaper,
	       (int)lock_child, (int)waited_child, sem_set, fifo_path, (int)getpid());
	fflush(stdout);

	/* in this order: thread 2, 3, ... */
	readv_thread = start(t_readv);
	start(t_writev);
	recvfrom_thread = start(t_recvfrom);
	start(t_recvmsg);
	start(t_recvmmsg);
	start(t_send);
	start(t_sendto);
	start(t_sendmsg);
	start(t_accept4);
	start(t_connect);
	start(t_ppoll);
	start(t_ppoll_none);
	start(t_pselect);
	start(t_epoll_pwait);
	start(t_epoll_pwait2);
	start(t_mq_timedsend);
	start(t_mq_timedreceive);
	start(t_msgsnd);
	start(t_msgrcv);
	start(t_semop);
	start(t_semtimedop);
	start(t_thrd_sleep);
	start(t_clock_nanosleep);
	start(t_clock_abs);
	{
		char ofd_path[] = "/tmp/tlofdXXXXXX";
		int held = mkostemp(ofd_path, O_CLOEXEC);
		struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
		if (held < 0 || fcntl(held, F_OFD_SETLK, &fl) != 0)
			die("ofd lock");
		ofd_fd = open(ofd_path, O_RDWR | O_CLOEXEC);
		unlink(ofd_path);
		if (ofd_fd < 0)
			die("ofd open");
	}
	start(t_ofd);
	start(t_fifo_open);
	start(t_sigtimedwait);
	start(t_sigwaitinfo);
	start(t_wait);
	start(t_waitid);
	start(t_lockf);
	start(t_mutex_holder);
	start(t_mutex_timedlock);
	start(t_mutex_clocklock);
	start(t_rw_writer);
	start(t_rw_rdlock);
	start(t_rw_timedwrlock);
	start(t_sem_timedwait);
	start(t_sem_clockwait);
	start(t_cond_timedwait);
	start(t_cond_clockwait);
	start(t_timedjoin);
	start(t_clockjoin);
	if (kmsg_fd >= 0)
		start(t_pread); /* last: a kernel message may wake it for a moment */
	printf("all blocked\n");
	return 0;
}
