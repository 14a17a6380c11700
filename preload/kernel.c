/* What the kernel says about our threads: /proc/self/task/TID/{syscall,status,comm} and
 * /proc/self/task/TID/fd/N. Used at the check only, for threads that are not inside one of our
 * wrappers (libc calling itself, raw syscalls, untracked threads) and to name fds. */
#include "tl.h"

#include <linux/futex.h>
#include <sched.h>
#include <sys/prctl.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* How read_raw reads. ONE_SHOW: a file the kernel writes in one piece (a /proc/PID/task/TID
 * file made by single_open: status, syscall, stat): a read that returns less than asked reached
 * its end, and the read that would return 0 is saved (10,000 threads, two files each). STATUS: a
 * status file, whose long lines are dropped when it does not fit (see keep_lines). */
enum { READ_ONE_SHOW = 1, READ_STATUS = 2 };

/* A line of a status file that grows with the system or the user rather than with anything we
 * read: the supplementary groups (up to 65,536 numbers: a directory's user with a few hundred
 * groups has a 4 KiB file), the masks of CPUs and memory nodes (300 characters on a kernel
 * built for 1,024 nodes), and any line longer than every field we read. The fields read
 * (State, Tgid, NSpid, Threads, SigPnd, SigBlk, the context switches, VmRSS) are short, and
 * all but the first two come after Groups: a read cut at the buffer's end lost them
 * (tests/sampling/test_nosignal.py, groups). Written without libc calls (see put_text). */
static bool long_line(const char *l, size_t n, bool complete)
{
	static const char *const keys[] = {"Groups:", "Cpus_allowed", "Mems_allowed"};
	if (n > 512)
		return true;
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		size_t i = 0;
		while (keys[k][i] && i < n && l[i] == keys[k][i])
			i++;
		/* a line cut where it could still be one of them ("Mems") counts as one: no field
		 * read begins that way, and keeping it would stop the reading there */
		if (keys[k][i] == '\0' || (!complete && i == n))
			return true;
	}
	return false;
}

/* buf[*whole..total) read since the last call (buf[0..*whole) is whole lines, kept): drops
 * the long lines in it, *dropping saying that it starts inside one, and moves the rest down.
 * The new length; an incomplete last line that is kept is looked at again with what follows. */
static size_t keep_lines(char *buf, size_t *whole, size_t total, bool *dropping)
{
	size_t w = *whole, r = *whole;
	while (r < total) {
		size_t end = r;
		while (end < total && buf[end] != '\n')
			end++;
		bool complete = end < total;
		end += complete;
		if (*dropping || long_line(buf + r, end - r, complete)) {
			*dropping = !complete;
		} else {
			for (size_t i = r; i < end; i++)
				buf[w++] = buf[i];
			if (complete)
				*whole = w;
		}
		r = end;
	}
	return w;
}

/* path (relative to dir, AT_FDCWD: as it is) into buf, NUL-terminated: its length, or -errno.
 * Raw system calls only: never through our own read wrapper, and safe in the helper thread of
 * the views (see put_text below). A file longer than buf is cut, but for READ_STATUS: when buf
 * fills, its long lines are dropped and the reading goes on (the kernel made the whole file at
 * the first read: the rest is that same text). */
static long read_raw(int dir, const char *path, char *buf, size_t len, unsigned how)
{
	long fd = tl_raw_syscall6(SYS_openat, dir, (long)path, O_RDONLY | O_CLOEXEC, 0, 0, 0);
	if (fd < 0)
		return fd;
	size_t total = 0, whole = 0;
	bool dropping = false, compacted = false;
	for (;;) {
		if (total == len - 1) {
			if (!(how & READ_STATUS))
				break;
			size_t kept = keep_lines(buf, &whole, total, &dropping);
			compacted = true;
			if (kept == total)
				break; /* all of it kept: cut there */
			total = kept;
		}
		long n = tl_raw_syscall(SYS_read, fd, (long)(buf + total), (long)(len - 1 - total));
		if (n <= 0)
			break;
		total += (size_t)n;
		if ((how & READ_ONE_SHOW) && total < len - 1)
			break;
	}
	if (compacted)
		total = keep_lines(buf, &whole, total, &dropping);
	tl_raw_syscall(SYS_close, fd, 0, 0);
	buf[total] = '\0';
	return (long)total;
}

/* Read a whole small file (NUL-terminated). */
static ssize_t read_file(const char *path, char *buf, size_t len, unsigned how)
{
	long n = read_raw(AT_FDCWD, path, buf, len, how);
	if (n < 0) {
		errno = (int)-n;
		return -1;
	}
	return n;
}

ssize_t tl_read_file(const char *path, char *buf, size_t len)
{
	return read_file(path, buf, len, 0);
}

ssize_t tl_read_status(const char *path, char *buf, size_t len)
{
	return read_file(path, buf, len, READ_STATUS);
}

/* Each timer is four lines ("ID: 3", "signal: 14/...", "notify: signal/pid.12", "ClockID: 1"),
 * about 70 bytes. The kernel's ids, not glibc's timer_t: for a SIGEV_THREAD timer that is a
 * pointer of glibc's, but the raw system calls take the kernel's id whatever the notification. */
int tl_posix_timers(int *ids, int max)
{
	enum { size = 4096 };
	char *buf = malloc(size); /* not on the stack: exit() may come from a 16 KiB one */
	ssize_t len = buf ? tl_read_file("/proc/self/timers", buf, size) : -1;
	if (len < 0) {
		free(buf);
		return -1;
	}
	int n = 0;
	for (const char *p = buf; p != NULL && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, "ID: ", 4) != 0)
			continue;
		if (n == max)
			break;
		ids[n++] = atoi(p + 4);
	}
	bool more = n == max || (size_t)len + 1 >= size;
	free(buf);
	return more ? max + 1 : n;
}

/* /proc/self/task, open while a check runs: each thread's files are opened relative to it, a
 * third cheaper than by the whole path (the kernel walks "/proc/self/task" once). The program
 * may close the fd meanwhile (a loop closing every fd); then the number is no longer ours,
 * whatever it names now, and only the whole path is used (docs/internals.md, "The exit check's
 * cost"). */
static int task_dir = -1;
static dev_t task_dir_dev;
static ino_t task_dir_ino;

static bool task_dir_ours(void)
{
	struct stat st;
	return task_dir >= 0 && TL_REAL(fstat)(task_dir, &st) == 0 && st.st_dev == task_dir_dev &&
	       st.st_ino == task_dir_ino && S_ISDIR(st.st_mode);
}

static void tasks_buf_release(void);

static void sched_clock_tie(void);

void tl_kernel_check_begin(void)
{
	struct stat st;
	sched_clock_tie();
	task_dir = open("/proc/self/task", O_PATH | O_DIRECTORY | O_CLOEXEC);
	/* at a high number (docs/internals.md, "Descriptors of our own"): at the lowest free one it
	 * took the number of a descriptor the program had closed under a thread blocked reading it,
	 * and that thread was taken for one whose descriptor is still open (fd_closed) */
	int high = task_dir >= 0 ? tl_high_fd(task_dir) : -1;
	if (high >= 0 && high != task_dir) {
		close(task_dir);
		task_dir = high;
	}
	if (task_dir >= 0 && TL_REAL(fstat)(task_dir, &st) == 0) {
		task_dir_dev = st.st_dev;
		task_dir_ino = st.st_ino;
	} else if (task_dir >= 0) {
		close(task_dir);
		task_dir = -1;
	}
}

void tl_kernel_check_end(void)
{
	if (task_dir_ours())
		close(task_dir);
	task_dir = -1;
	tasks_buf_release();
}

/* What the helper thread of the views runs (tl_kernel_view_all) is written without libc
 * calls that could touch errno, a lock or a lazy binding: the helper shares this thread's
 * thread pointer, so those would be this thread's. Raw system calls, and libc's string
 * functions only once this thread has called them (their bindings are then done). */
static char *put_text(char *p, const char *t)
{
	while (*t)
		*p++ = *t++;
	return p;
}

static char *put_decimal(char *p, long v)
{
	char digits[24];
	int k = 0;
	do
		digits[k++] = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	while (k > 0)
		*p++ = digits[--k];
	return p;
}

/* /proc/self/task/TID/<what> into buf, as read_raw, relative to dir (-1: by the whole
 * path). */
static long read_task_raw(int dir, pid_t tid, const char *what, char *buf, size_t len)
{
	char path[64], *p = path;
	if (dir < 0)
		p = put_text(p, "/proc/self/task/");
	p = put_decimal(p, tl_proc_tid(tid));
	*p++ = '/';
	p = put_text(p, what);
	*p = '\0';
	/* READ_STATUS for every task file: its rule acts only when buf fills, and only the
	 * status file has long lines then (the others are one short line) */
	return read_raw(dir < 0 ? AT_FDCWD : dir, path, buf, len, READ_ONE_SHOW | READ_STATUS);
}

/* /proc/self/task/TID/<what> into buf, as tl_read_file. */
ssize_t tl_read_task_file(pid_t tid, const char *what, char *buf, size_t len)
{
	long n = -EBADF;
	if (task_dir >= 0) {
		n = read_task_raw(task_dir, tid, what, buf, len);
		if (n == -EBADF || n == -ENOTDIR) /* the number is not ours any more */
			task_dir = -1;
	}
	if (n == -EBADF || n == -ENOTDIR)
		n = read_task_raw(-1, tid, what, buf, len);
	if (n < 0) {
		errno = (int)-n;
		return -1;
	}
	return n;
}

/* A socket of another fd table cannot be asked: say it may have one (then the thread is not
 * signalled, which is always safe). */
static bool socket_has_timeout(pid_t tid, int fd, int opt)
{
	struct timeval tv = {0, 0};
	socklen_t len = sizeof(tv);
	if (!tl_fd_shared(tid, fd))
		return true;
	if (getsockopt(fd, SOL_SOCKET, opt, &tv, &len) != 0)
		return false; /* not a socket */
	return tv.tv_sec != 0 || tv.tv_usec != 0;
}

/* A futex call the kernel would fail or end if a signal restarted it: the restarted call reads
 * the word again. Unmapped or made PROT_NONE since the wait began (a mutex freed under its
 * waiters), it fails with EFAULT and glibc aborts the process ("The futex facility returned an
 * unexpected error code"); changed, a wait returns EAGAIN and a lock's loop takes a lock that
 * is no longer there. Bare, the thread sleeps on. */
/* The last word read, within one pass of tl_capture_stacks on this thread (tl_futex_words_pass):
 * 10,000 threads waiting on one mutex are one read, not 10,000 system calls. `valid` is cleared
 * before and set after the other fields, so that a handler that interrupts an update reads
 * afresh. */
static __thread struct {
	uintptr_t at;
	uint32_t word;
	bool readable, valid, on;
} words;

void tl_futex_words_pass(bool on)
{
	words.valid = false;
	atomic_signal_fence(memory_order_seq_cst);
	words.on = on;
}

static bool futex_word_lost(const struct tl_seen *s)
{
	if (s->sysno != SYS_futex)
		return false;
	int op = (int)s->sysargs[1] & FUTEX_CMD_MASK;
	uintptr_t at = s->sysargs[0];
	uint32_t word = 0;
	bool readable;
	if (words.on && words.valid && words.at == at && at != 0) {
		word = words.word;
		readable = words.readable;
	} else {
		readable = tl_read_own(at, &word, sizeof(word));
		if (words.on) {
			words.valid = false;
			atomic_signal_fence(memory_order_seq_cst);
			words.at = at;
			words.word = word;
			words.readable = readable;
			atomic_signal_fence(memory_order_seq_cst);
			words.valid = true;
		}
	}
	if (!readable)
		return true;
	return op != FUTEX_LOCK_PI && op != FUTEX_LOCK_PI2 && word != (uint32_t)s->sysargs[2];
}

/* A call on a descriptor the program has closed since (another thread's close() does not wake
 * a read on a pipe or socket: a shutdown pattern that leaks the reader): the restarted call
 * fails with EBADF, or works on whatever file took the number since, where bare the thread
 * stays in its call on the old file. The restartable calls whose first argument is an fd. */
static bool fd_closed(const struct tl_seen *s)
{
	return s->sysno >= 0 && tl_syscall_on_fd(s->sysno) && tl_syscall_restarts(s->sysno) > 0 &&
	       TL_REAL(syscall)(SYS_fcntl, (int)s->sysargs[0], F_GETFD) < 0 && errno == EBADF;
}

/* What a signal with a SA_RESTART handler would do to a thread in this state: nothing
 * (TL_HARM_NONE), or why it would show (the call fails with EINTR, or its restart finds what
 * it waited on gone). */
enum tl_harm tl_signal_harm(const struct tl_seen *s)
{
	if (s->sysno == TL_SYSNO_RUNNING)
		return TL_HARM_NONE; /* running in user space */
	int restarts = tl_syscall_restarts(s->sysno);
	if (restarts < 0 || !restarts)
		return TL_HARM_INTERRUPTS;
	if (fd_closed(s))
		return TL_HARM_FD_CLOSED;
	bool restarted = true;
	/* socket calls with a timeout return EINTR (socket(7)) */
	switch (s->sysno) {
	case SYS_futex: {
		/* A wait with a timeout is restarted through the restart block, which a
		 * handler turns into EINTR (sem_timedwait, timed condition waits); so is
		 * FUTEX_WAIT_REQUEUE_PI. A plain wait restarts: glibc and Rust retry it;
		 * the PI locks always restart (ERESTARTNOINTR). */
		int op = (int)s->sysargs[1] & FUTEX_CMD_MASK;
		if (op == FUTEX_WAIT_REQUEUE_PI ||
		    (op != FUTEX_LOCK_PI && op != FUTEX_LOCK_PI2 && s->sysargs[3] != 0))
			restarted = false;
		else if (futex_word_lost(s))
			return TL_HARM_WORD_LOST;
		break;
	}
	case SYS_recvfrom:
	case SYS_recvmsg:
	case SYS_accept:
	case SYS_accept4:
	case SYS_read:
	case SYS_readv:
		restarted = !socket_has_timeout(s->tid, (int)s->sysargs[0], SO_RCVTIMEO);
		break;
	case SYS_sendto:
	case SYS_sendmsg:
	case SYS_write:
	case SYS_writev:
	case SYS_connect:
		restarted = !socket_has_timeout(s->tid, (int)s->sysargs[0], SO_SNDTIMEO);
		break;
	default:
		break;
	}
	return restarted ? TL_HARM_NONE : TL_HARM_INTERRUPTS;
}

bool tl_signal_is_transparent(const struct tl_seen *s)
{
	return tl_signal_harm(s) == TL_HARM_NONE;
}

/* A syscall file's line into s (sysno, arguments, sp, pc). */
static void parse_syscall(const char *buf, struct tl_seen *s)
{
	s->sysno = TL_SYSNO_UNKNOWN;
	if (strncmp(buf, "running", 7) == 0) {
		s->sysno = TL_SYSNO_RUNNING;
		return;
	}
	char *p = (char *)buf;
	long nr = strtol(p, &p, 10);
	uintptr_t v[8] = {0};
	int k = 0;
	while (k < 8 && *p) {
		char *q;
		unsigned long x = strtoul(p, &q, 16);
		if (q == p)
			break;
		v[k++] = x;
		p = q;
	}
	if (nr >= 0 && k == 8) {
		s->sysno = nr;
		for (int i = 0; i < 6; i++)
			s->sysargs[i] = v[i];
		s->sys_sp = v[6];
		s->sys_pc = v[7];
	} else if (nr == -1 && k >= 2) { /* blocked, but not in a syscall */
		s->sysno = TL_SYSNO_BLOCKED;
		s->sys_sp = v[0];
		s->sys_pc = v[1];
	}
}

/* Asleep in a system call with a timeout (a sleep, a timed futex wait, a poll that returns by
 * itself): it leaves the call on its own, where an untimed wait is left only when something
 * wakes it. s: as tl_kernel_view left it. */
bool tl_kernel_timed(const struct tl_seen *s)
{
	const uintptr_t *a = s->sysargs;
	switch (s->sysno) {
	case SYS_nanosleep:
	case SYS_clock_nanosleep:
		return true;
	case SYS_futex:
		return a[3] != 0;
	case SYS_poll:
		return (int)a[2] >= 0;
	case SYS_epoll_wait:
	case SYS_epoll_pwait:
		return (int)a[3] >= 0;
	case SYS_ppoll:
		return a[2] != 0;
	case SYS_select:
	case SYS_pselect6:
		return a[4] != 0;
	case SYS_rt_sigtimedwait:
		return a[2] != 0;
	case SYS_semtimedop:
		return a[3] != 0;
	case SYS_mq_timedreceive:
	case SYS_mq_timedsend:
		return a[4] != 0;
	default:
		return false;
	}
}

/* Asleep in a futex wait without a timeout, on a word that only this process can wake: the
 * operation is FUTEX_PRIVATE_FLAG's (the kernel keys the wait by our address space), or
 * shared_ok (a join: glibc waits on the joined thread's tid word with a shared operation,
 * for the kernel's CLONE_CHILD_CLEARTID wake; the word is in our own private memory, see
 * docs/internals.md). A woken thread shows "running" until it leaves the call. s: as
 * tl_kernel_view left it. */
bool tl_kernel_waits_forever(const struct tl_seen *s, bool shared_ok)
{
	if (s->sysno != SYS_futex)
		return false;
	int op = (int)s->sysargs[1];
	int cmd = op & FUTEX_CMD_MASK;
	return (cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET) && s->sysargs[3] == 0 &&
	       ((op & FUTEX_PRIVATE_FLAG) || shared_ok);
}

/* From a status file: the state letter and a number that changes whenever the task is
 * switched out (its voluntary and involuntary context switches), -1 when not found. */
static long status_stamp(const char *buf, char *state)
{
	const char *st = strstr(buf, "\nState:");
	const char *vol = strstr(buf, "\nvoluntary_ctxt_switches:");
	const char *inv = strstr(buf, "\nnonvoluntary_ctxt_switches:");
	*state = '?';
	if (st == NULL || vol == NULL || inv == NULL)
		return -1;
	st += 7;
	while (*st == ' ' || *st == '\t')
		st++;
	*state = *st;
	return strtol(vol + 26, NULL, 10) * 1000003 + strtol(inv + 29, NULL, 10);
}

long tl_kernel_stamp(pid_t tid, char *state)
{
	char buf[2048];
	*state = '?';
	if (tl_read_task_file(tid, "status", buf, sizeof(buf)) <= 0)
		return -1;
	return status_stamp(buf, state);
}

/* getrusage(RUSAGE_SELF) adds up the context switches of every thread of the process, the
 * dead ones' included (docs/internals.md, "The exit check's cost"); the caller's own are taken
 * away, read before and after: when they moved in between, the sum is not used. */
static long switches(int who)
{
	struct rusage ru;
	if (getrusage(who, &ru) != 0)
		return -1;
	return ru.ru_nvcsw * 1000003L + ru.ru_nivcsw;
}

/* The context switches of the helper threads of the views that have ended (see below), as
 * each counted them last: not the program's threads' */
static _Atomic long helpers_switches;

long tl_kernel_others_stamp(void)
{
	for (int try = 0; try < 4; try++) {
		long before = switches(RUSAGE_THREAD), all = switches(RUSAGE_SELF),
		     after = switches(RUSAGE_THREAD);
		if (before < 0 || all < 0)
			return -1;
		if (before == after)
			return all - after - atomic_load(&helpers_switches);
	}
	return -1;
}

/* ---- how long an unwrapped call has waited ----
 * A thread in a call no wrapper of ours saw begin (a mutex wait: pthread_mutex_lock is not
 * wrapped; a raw system call) had no "blocked for". The scheduler knows: se.exec_start of the
 * task's sched file (kernels built with CONFIG_SCHED_DEBUG, as Debian's, Ubuntu's and Fedora's
 * are) is when it last accounted the task's run time, for a sleeping task its going to sleep;
 * in its own clock, tied to ours once per check by the checker's own line (about now, within a
 * tick). Read in the look, before any signal of ours wakes the thread; at most ASLEEP_MAX
 * reads a check (10,000 mutex waiters would cost 60 ms more). docs/internals.md, "How long an
 * unwrapped call has waited". */
#define ASLEEP_MAX 1000
static int64_t sched_to_now; /* add to the scheduler's clock for tl_mono_ns's; 0: unknown */
static atomic_int asleep_reads;
/* When a thread was last sent our signal (tl_mono_ns): a thread asleep since then may have been
 * woken by it, by an earlier check or dump (threadleak watch asks every second), and its sleep
 * is ours, not its call's. Those are left unknown; the margin covers the clocks' ticks. */
static _Atomic int64_t last_signal_ns;
#define SIGNAL_MARGIN_NS (20 * 1000000LL)

void tl_kernel_signal_sent(void)
{
	atomic_store_explicit(&last_signal_ns, tl_mono_ns(), memory_order_relaxed);
}

/* se.exec_start (in ms, with ns decimals) of a sched file's text, in ns, -1 without. Written
 * without libc calls (see put_text). */
static int64_t exec_start_of(const char *buf)
{
	static const char key[] = "\nse.exec_start";
	const char *p = buf;
	for (; *p; p++) {
		size_t i = 0;
		while (key[i] && p[i] == key[i])
			i++;
		if (key[i] == '\0')
			break;
	}
	while (*p && *p != ':')
		p++;
	if (*p != ':')
		return -1;
	for (p++; *p == ' '; p++)
		;
	int64_t ms = 0, ns = 0, scale = 100000;
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++)
		ms = ms * 10 + (*p - '0');
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9' && scale > 0; p++, scale /= 10)
			ns += (*p - '0') * scale;
	return ms * 1000000 + ns;
}

static void sched_clock_tie(void)
{
	char buf[256];
	atomic_store(&asleep_reads, 0);
	sched_to_now = 0;
	int64_t own =
	    tl_read_task_file(tl_gettid(), "sched", buf, sizeof(buf)) > 0 ? exec_start_of(buf) : -1;
	if (own > 0)
		sched_to_now = tl_mono_ns() - own;
}

static void asleep_look(int dir, struct tl_seen *s)
{
	char buf[256];
	if (sched_to_now == 0 || atomic_fetch_add(&asleep_reads, 1) >= ASLEEP_MAX ||
	    read_task_raw(dir, s->tid, "sched", buf, sizeof(buf)) <= 0)
		return;
	int64_t then = exec_start_of(buf), last = atomic_load(&last_signal_ns);
	if (then > 0 && (last == 0 || then + sched_to_now < last - SIGNAL_MARGIN_NS))
		s->asleep_since_ns = then + sched_to_now;
}

/* One look at a task, relative to dir (as read_task_raw): the status file first, then the
 * syscall file, then comm when status could not name it. 1: seen; 0: gone, or a zombie;
 * -errno: the syscall file could not be read (ENOENT, ESRCH: gone). Safe in the helper
 * thread (see put_text). */
static int look(int dir, struct tl_seen *s)
{
	char status[2048];
	bool named = false;
	s->stamp = -1;
	s->kstate = '?';
	s->sysno = TL_SYSNO_UNKNOWN;
	if (read_task_raw(dir, s->tid, "status", status, sizeof(status)) > 0) {
		char *b = strstr(status, "\nSigBlk:");
		if (b)
			s->sig_mask = strtoull(b + 8, NULL, 16);
		s->stamp = status_stamp(status, &s->kstate);
		if (s->kstate == 'Z' || s->kstate == 'X')
			return 0;
		/* the name, from the same file: one read fewer per thread. status escapes
		 * backslashes and control characters (see docs/internals.md): comm has it as is */
		if (strncmp(status, "Name:\t", 6) == 0) {
			size_t len = strcspn(status + 6, "\n");
			if (len < sizeof(s->name) && memchr(status + 6, '\\', len) == NULL) {
				for (size_t i = 0; i < len; i++)
					s->name[i] = status[6 + i];
				s->name[len] = '\0';
				named = true;
			}
		}
	}
	char buf[512];
	long n = read_task_raw(dir, s->tid, "syscall", buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	parse_syscall(buf, s);
	if (s->sysno >= 0 && !s->in_wrapper && s->since_ns == 0 && s->kstate != 'R')
		asleep_look(dir, s);
	if (!named) {
		n = read_task_raw(dir, s->tid, "comm", s->name, sizeof(s->name));
		if (n > 0 && s->name[n - 1] == '\n')
			s->name[n - 1] = '\0';
	}
	return 1;
}

/* A task's name (comm) into buf, without its newline. False when it is gone or has none. */
bool tl_kernel_comm(pid_t tid, char *buf, size_t len)
{
	ssize_t n = tl_read_task_file(tid, "comm", buf, len);
	if (n <= 0) {
		buf[0] = '\0';
		return false;
	}
	if (buf[n - 1] == '\n')
		n--;
	buf[(size_t)n < len ? (size_t)n : len - 1] = '\0';
	return buf[0] != '\0';
}

/* The status file first, then the syscall file: a stamp taken later that equals this one
 * (tl_kernel_stamp) says the task was not switched out since, so that what the syscall file
 * said is still true then (docs/internals.md, "The exit check's cost"). */
bool tl_kernel_view(struct tl_seen *s)
{
	int r = -EBADF;
	if (task_dir >= 0) {
		r = look(task_dir, s);
		if (r == -EBADF || r == -ENOTDIR) /* the number is not ours any more */
			task_dir = -1;
	}
	if (r == -EBADF || r == -ENOTDIR)
		r = look(-1, s);
	return r > 0 || (r < 0 && r != -ENOENT && r != -ESRCH); /* gone, or /proc unavailable */
}

/* ---- the views of many tasks, on two CPUs ----
 * Two files a task, opened by path: about 20 us a task on a 2-CPU VM, 200 ms of the exit
 * check of 10,000 threads. With many tasks and a second CPU, a helper thread shares the work
 * (docs/internals.md, "Views on two CPUs"): made with clone, not pthread_create, it shares
 * this thread's thread pointer and runs only look(); it blocks every signal; it has an fd
 * table of its own, emptied first, so that its opens never take a descriptor the program
 * could want; its last context-switch counts are taken out of the process's sum
 * (tl_kernel_others_stamp); and this thread waits until it is gone from /proc/self/task. */
#define VIEW_HELPER_MIN 256 /* tasks: fewer take a few milliseconds alone */
#define VIEW_HELPER_STACK (64 * 1024)

struct view_job {
	struct tl_seen *v;
	size_t n, from;
	bool until_awake;
	int dir;
	_Atomic size_t next;   /* the next to take, counted from `from` */
	_Atomic size_t awake;  /* the index of the first task found awake (until_awake), n: none */
	unsigned char *done;   /* by the count from `from`: 1 once looked at */
	_Atomic pid_t helper;  /* the helper's tid; the kernel clears it when the helper ends */
	_Atomic size_t helped; /* looks the helper did */
	_Atomic long switches; /* the helper's context switches, as it counted them last */
};

_Atomic size_t tl_kernel_helped;

/* Not asleep for good, as far as this look tells: running, unreadable, or in a call that may
 * end by itself or be ended from outside the process. */
static bool awake_now(const struct tl_seen *s)
{
	bool join = s->state == TL_ST_BLOCKED && s->kind == TL_OBJ_THREAD;
	return s->stamp < 0 || s->kstate == 'R' || !tl_kernel_waits_forever(s, join);
}

static void view_one(struct view_job *j, size_t k, bool helper)
{
	size_t i = (j->from + k) % j->n;
	struct tl_seen *s = &j->v[i];
	if (s->state != TL_ST_EXITED && !s->viewed) {
		bool alive = false; /* no tid: not started, it may do anything */
		if (s->tid != 0 && helper) {
			int r = look(j->dir, s);
			if (r < 0 && r != -ENOENT && r != -ESRCH)
				return; /* not done: this thread does it again */
			alive = r > 0;
			atomic_fetch_add_explicit(&j->helped, 1, memory_order_relaxed);
		} else if (s->tid != 0) {
			alive = tl_kernel_view(s);
		}
		s->looked = s->tid != 0;
		s->look_alive = alive;
		if (j->until_awake && (!alive || awake_now(s))) {
			size_t none = j->n;
			atomic_compare_exchange_strong(&j->awake, &none, i);
		}
	}
	if (j->done)
		j->done[k] = 1;
}

static void view_share(struct view_job *j, bool helper)
{
	for (;;) {
		if (j->until_awake && atomic_load(&j->awake) != j->n)
			return;
		size_t k = atomic_fetch_add(&j->next, 1);
		if (k >= j->n)
			return;
		view_one(j, k, helper);
	}
}

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

static int view_helper(void *arg)
{
	struct view_job *j = arg;
	/* its copy of the fd table: all but the task directory closed (a kernel without
	 * close_range keeps the copy, whose references last as long as the helper) */
	if (j->dir > 0)
		tl_raw_syscall(SYS_close_range, 0, (unsigned)j->dir - 1, 0);
	tl_raw_syscall(SYS_close_range, (unsigned)j->dir + 1, ~0U, 0);
	view_share(j, true);
	struct rusage ru;
	if (tl_raw_syscall(SYS_getrusage, RUSAGE_THREAD, (long)&ru, 0) == 0)
		atomic_store(&j->switches, ru.ru_nvcsw * 1000003L + ru.ru_nivcsw);
	return 0;
}

/* The helper only pays with a second CPU to run on, and valgrind runs a process's threads one
 * at a time (and takes such a process for a thread). */
static bool helper_worth_it(size_t n)
{
	if (n < VIEW_HELPER_MIN || task_dir < 0 || tl_proc_foreign())
		return false;
	/* not under a seccomp filter: one that kills on a clone it does not expect would end
	 * the program (systemd's SystemCallFilter=, sandboxes) */
	if (tl_seccomp_filtered())
		return false;
	/* raw: libc's sched_getaffinity and CPU_COUNT would add two symbol versions for the
	 * loader to check at every process's start */
	uint64_t mask[16] = {0};
	long len = tl_raw_syscall(SYS_sched_getaffinity, 0, sizeof(mask), (long)mask);
	int cpus = 0;
	for (long i = 0; i < len / 8; i++)
		cpus += __builtin_popcountll(mask[i]);
	if (cpus < 2)
		return false;
	const char *preload = getenv("LD_PRELOAD");
	return preload == NULL || strstr(preload, "vgpreload") == NULL;
}

static void *start_helper(struct view_job *j, pid_t *tid_out)
{
	void *stack = mmap(NULL, VIEW_HELPER_STACK, PROT_READ | PROT_WRITE,
	                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		return NULL;
	/* every signal blocked in the helper (it inherits this thread's mask): a signal sent to
	 * the process is taken by another thread, and no handler of the program runs there */
	uint64_t all = ~0ULL, old;
	tl_raw_syscall6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&all, (long)&old, 8, 0, 0);
	int e = errno;
	/* a thread (no fd table shared: CLONE_FILES left out); a process that unshared its PID
	 * namespace cannot make one (EINVAL), and the looks are then all taken here */
	pid_t tid = clone(view_helper, (char *)stack + VIEW_HELPER_STACK,
	                  CLONE_VM | CLONE_FS | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
	                      CLONE_UNTRACED | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID,
	                  j, &j->helper, NULL, &j->helper);
	errno = e;
	tl_raw_syscall6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&old, 0, 8, 0, 0);
	if (tid <= 0) {
		munmap(stack, VIEW_HELPER_STACK);
		return NULL;
	}
	*tid_out = tid;
	return stack;
}

/* The kernel clears j->helper and wakes it when the helper leaves its memory
 * (CLONE_CHILD_CLEARTID), then reaps it a moment later: until then the task is still listed,
 * and a later pass would take it for a thread of the program's. */
static void end_helper(struct view_job *j, void *stack, pid_t tid)
{
	pid_t now;
	while ((now = atomic_load(&j->helper)) != 0) {
		struct timespec ts = {0, 100000000};
		tl_raw_syscall6(SYS_futex, (long)&j->helper, FUTEX_WAIT, now, (long)&ts, 0, 0);
	}
	char path[24], *p = put_decimal(path, tl_proc_tid(tid));
	*p = '\0';
	for (int spin = 0; spin < 100000; spin++) {
		long fd = tl_raw_syscall6(SYS_openat, j->dir, (long)path,
		                          O_PATH | O_DIRECTORY | O_CLOEXEC, 0, 0, 0);
		if (fd < 0)
			break;
		tl_raw_syscall(SYS_close, fd, 0, 0);
		tl_raw_syscall(SYS_sched_yield, 0, 0, 0);
	}
	atomic_fetch_add(&helpers_switches, atomic_load(&j->switches));
	munmap(stack, VIEW_HELPER_STACK);
}

size_t tl_kernel_view_all(struct tl_seen *v, size_t n, size_t from, bool until_awake)
{
	if (n == 0)
		return 0;
	struct view_job j = {.v = v,
	                     .n = n,
	                     .from = from % n,
	                     .until_awake = until_awake,
	                     .dir = task_dir,
	                     .next = 0,
	                     .awake = n,
	                     .done = calloc(n, 1)};
	/* the first look here (out of memory: every look here) */
	view_one(&j, atomic_fetch_add(&j.next, 1), false);
	bool more = !until_awake || atomic_load(&j.awake) == n;
	void *stack = NULL;
	pid_t tid = 0;
	if (more && j.done && helper_worth_it(n)) {
		/* a look at this thread binds the string functions look() calls before the
		 * helper runs them (a lazy binding writes to the calling thread's TCB) */
		struct tl_seen self = {.tid = tl_gettid()};
		(void)look(j.dir, &self);
		stack = start_helper(&j, &tid);
	}
	view_share(&j, false);
	if (stack != NULL)
		end_helper(&j, stack, tid);
	for (size_t k = 0; j.done && k < n; k++)
		if (!j.done[k] && (!until_awake || atomic_load(&j.awake) == n))
			view_one(&j, k, false);
	free(j.done);
	atomic_fetch_add(&tl_kernel_helped, atomic_load(&j.helped));
	return atomic_load(&j.awake);
}

/* /proc/self/task/TID/<what>/FD: the fd as thread TID sees it. A thread may have a table of its
 * own (unshare(CLONE_FILES)), so the checking thread's view of the same number can be another
 * file. tid 0: the calling thread. */
void tl_fd_proc_path(pid_t tid, int fd, const char *what, char *buf, size_t len)
{
	if (tid <= 0)
		snprintf(buf, len, "/proc/thread-self/%s/%d", what, fd);
	else
		snprintf(buf, len, "/proc/self/task/%d/%s/%d", (int)tl_proc_tid(tid), what, fd);
}

static ssize_t fd_target(pid_t tid, int fd, char *target, size_t len)
{
	char path[80];
	tl_fd_proc_path(tid, fd, "fd", path, sizeof(path));
	ssize_t n = readlink(path, target, len - 1);
	if (n >= 0)
		target[n] = '\0';
	return n;
}

/* Does the calling thread's fd N name the same file as thread tid's fd N? Only then may it be
 * used to ask about that file (getsockopt, fstat, mq_getattr). */
bool tl_fd_shared(pid_t tid, int fd)
{
	char mine[256], theirs[256];
	if (tid <= 0 || tid == tl_gettid())
		return true;
	return fd_target(tid, fd, theirs, sizeof(theirs)) >= 0 &&
	       fd_target(0, fd, mine, sizeof(mine)) >= 0 && strcmp(mine, theirs) == 0;
}

/* "pipe:[5882]", "socket:[1234] (unix stream)", "anon_inode:[eventfd]", "/path", as thread tid
 * sees fd (tid 0: the calling thread). */
void tl_describe_fd(pid_t tid, int fd, char *buf, size_t len)
{
	char target[256];
	if (fd_target(tid, fd, target, sizeof(target)) < 0) {
		/* a thread's call outlives a close() of its descriptor by another thread */
		bool closed = TL_REAL(syscall)(SYS_fcntl, fd, F_GETFD) < 0 && errno == EBADF;
		snprintf(buf, len, closed ? "fd %d (closed since)" : "fd %d", fd);
		return;
	}
	if (strncmp(target, "socket:", 7) == 0) {
		if (!tl_fd_shared(tid, fd)) {
			snprintf(buf, len, "fd %d (%s, in the thread's own fd table)", fd, target);
			return;
		}
		int type = 0, dom = 0;
		socklen_t sl = sizeof(int);
		getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &sl);
		sl = sizeof(int);
		getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &sl);
		const char *d = dom == AF_UNIX      ? "unix"
		                : dom == AF_INET    ? "inet"
		                : dom == AF_INET6   ? "inet6"
		                : dom == AF_NETLINK ? "netlink"
		                                    : "socket";
		const char *t = type == SOCK_STREAM      ? "stream"
		                : type == SOCK_DGRAM     ? "dgram"
		                : type == SOCK_SEQPACKET ? "seqpacket"
		                : type == SOCK_RAW       ? "raw"
		                                         : "?";
		int listening = 0;
		sl = sizeof(int);
		getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &sl);
		snprintf(buf, len, "fd %d (%s, %s %s%s)", fd, target, d, t,
		         listening ? ", listening" : "");
		return;
	}
	snprintf(buf, len, "fd %d (%s)", fd, target);
}

/* What tl_lazy_map mapped, for the conservative scan to leave out of its roots (it holds
 * copies of the program's pointers): more than LAZY_MAX, and the rest are roots (fewer proofs,
 * none wrong) */
#define LAZY_MAX 24
static struct {
	_Atomic uintptr_t lo, hi;
} lazy[LAZY_MAX];
static atomic_int nlazy;

bool tl_lazy_region(int i, uintptr_t *lo, uintptr_t *hi)
{
	if (i < 0 || i >= LAZY_MAX || i >= atomic_load(&nlazy))
		return false;
	*lo = atomic_load(&lazy[i].lo);
	*hi = atomic_load(&lazy[i].hi);
	if (*lo == 0 || *hi <= *lo) /* still being written (or by a fork at that moment): none */
		*lo = *hi = 0;
	return true;
}

void *tl_lazy_map(void *_Atomic *slot, size_t size)
{
	void *p = atomic_load_explicit(slot, memory_order_acquire);
	if (p != NULL)
		return p;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	void *was = NULL;
	if (atomic_compare_exchange_strong(slot, &was, p)) {
		int i = atomic_fetch_add(&nlazy, 1);
		if (i < LAZY_MAX) { /* hi first: a reader sees lo set only with its hi */
			atomic_store(&lazy[i].hi, (uintptr_t)p + size);
			atomic_store(&lazy[i].lo, (uintptr_t)p);
		}
		return p;
	}
	munmap(p, size); /* another thread mapped it first */
	return was;
}

/* Is this the process's only thread? unshare(CLONE_THREAD) succeeds, doing nothing, exactly
 * when it is: two raw system calls instead of reading /proc/self/task at every single-threaded
 * process's exit (most processes a CI job starts; raw, so that this costs such a process no
 * lazy binding and no stack page). Not under a seccomp filter, which might answer unshare with
 * a signal. */
TL_START_CODE bool tl_only_task(void)
{
	return !tl_seccomp_filtered() && tl_raw_syscall(SYS_unshare, CLONE_THREAD, 0, 0) == 0;
}

/* Under a seccomp filter (or in strict mode)? Then a system call the program does not make
 * itself (a clone, an open of /proc, unshare) may end it, whatever the filter answers others. */
TL_START_CODE bool tl_seccomp_filtered(void)
{
	return tl_raw_syscall6(SYS_prctl, PR_GET_SECCOMP, 0, 0, 0, 0, 0) != 0;
}

bool tl_tid_listed(const pid_t *v, int n, pid_t tid)
{
	for (int i = 0; i < n; i++)
		if (v[i] == tid)
			return true;
	return false;
}

/* PID namespaces. In a PID namespace whose /proc was not remounted (unshare --pid --fork),
 * /proc/self/task lists the tids of /proc's namespace while gettid() answers in the thread's
 * own: each task's "NSpid:" status line gives both (first field /proc's, last field ours).
 * tl_list_tasks builds the map (see docs/internals.md); the /proc paths of a thread go through
 * tl_proc_tid. */
#define NS_MAP_MAX 4096
struct ns_map {
	int n;
	struct {
		pid_t ours, procs;
	} e[NS_MAP_MAX];
};
/* Any thread may list tasks (libc-thread adoption) while the checking thread reads the map: a
 * listing fills the map not in use and then publishes it; one listing at a time fills. The two
 * maps (64 KiB), only in a PID namespace: tl_lazy_map. */
static void *_Atomic ns_maps_slot;
static _Atomic(struct ns_map *) ns_active; /* NULL: /proc is in our namespace */
static atomic_flag ns_filling = ATOMIC_FLAG_INIT;

static void forget_check(void);

/* In a child of fork(). What a check of the parent's held is not freed, only forgotten: the
 * parent's checking thread may have been between realloc() and the store of its result, and the
 * child's first check freed the old block again ("double free or corruption", a round of forks
 * during mid-run checks). The descriptor is the child's copy of ours. */
void tl_kernel_after_fork_child(void)
{
	atomic_flag_clear(&ns_filling);
	forget_check();
}

/* The NSpid line of a status file: its first and last field. False without one. */
static bool nspid(const char *path, pid_t *first, pid_t *last, int *fields)
{
	char status[2048];
	if (tl_read_status(path, status, sizeof(status)) <= 0)
		return false;
	char *p = strstr(status, "\nNSpid:");
	if (p == NULL)
		return false;
	p += 7;
	*fields = 0;
	for (;;) {
		char *q;
		long v = strtol(p, &q, 10);
		if (q == p)
			break;
		if ((*fields)++ == 0)
			*first = (pid_t)v;
		*last = (pid_t)v;
		p = q;
		if (*p == '\n')
			break;
	}
	return *fields > 0;
}

bool tl_proc_foreign(void)
{
	return atomic_load(&ns_active) != NULL;
}

pid_t tl_proc_tid(pid_t tid)
{
	const struct ns_map *m = atomic_load(&ns_active);
	for (int i = 0; m != NULL && i < m->n && i < NS_MAP_MAX; i++)
		if (m->e[i].ours == tid)
			return m->e[i].procs;
	return tid;
}

/* Is /proc in another PID namespace than ours? Then our NSpid line has more than one field. */
static bool proc_elsewhere(void)
{
	pid_t first = 0, last = 0;
	int fields = 0;
	return nspid("/proc/self/status", &first, &last, &fields) && fields > 1;
}

/* /proc's name of a task -> ours, recorded in m (when not NULL). */
static pid_t map_task(pid_t procs, struct ns_map *m)
{
	char path[64];
	pid_t first = 0, last = 0;
	int fields = 0;
	snprintf(path, sizeof(path), "/proc/self/task/%d/status", (int)procs);
	if (!nspid(path, &first, &last, &fields))
		return procs; /* gone meanwhile: a name no thread of ours has */
	if (m != NULL && m->n < NS_MAP_MAX) {
		m->e[m->n].ours = last;
		m->e[m->n++].procs = procs;
	}
	return last;
}

/* The task ids of one getdents64 buffer into tids (n so far; max at most); the new n. */
static int list_entries(const char *buf, long got, pid_t *tids, int max, int n, bool foreign,
                        struct ns_map *m)
{
	for (long off = 0; off < got;) {
		unsigned short reclen = *(const unsigned short *)(buf + off + 16);
		const char *name = buf + off + 19;
		if (name[0] >= '0' && name[0] <= '9') {
			if (n < max)
				tids[n] =
				    foreign ? map_task((pid_t)atoi(name), m) : (pid_t)atoi(name);
			n++;
		}
		off += reclen;
	}
	return n;
}

/* List our tasks. Returns their count (tids holds the first max), or -1 if /proc is not
 * there. */
int tl_list_tasks(pid_t *tids, int max)
{
	if (max >= 1 && tl_only_task()) {
		tids[0] = tl_gettid();
		return 1;
	}
	bool foreign = proc_elsewhere(), filling = false;
	struct ns_map *m = NULL;
	if (!foreign) {
		atomic_store(&ns_active, NULL);
	} else if (!atomic_flag_test_and_set(&ns_filling)) {
		struct ns_map *ns_maps = tl_lazy_map(&ns_maps_slot, 2 * sizeof(struct ns_map));
		if (ns_maps != NULL) {
			filling = true;
			m = atomic_load(&ns_active) == &ns_maps[0] ? &ns_maps[1] : &ns_maps[0];
			m->n = 0;
		} else {
			atomic_flag_clear(&ns_filling);
		}
	}
	char buf[8192];
	int n = -1;
	/* A program that closes every fd while the check runs (close_range in a loop) can close
	 * ours between two getdents: the list is then cut short, and every thread after the cut
	 * was taken for gone ("exited"). A failed read lists again (the fd, no longer ours, is
	 * left alone); three failures: unknown. */
	for (int attempt = 0; attempt < 3 && n < 0; attempt++) {
		int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			break;
		n = 0;
		if (m != NULL)
			m->n = 0;
		long got;
		while ((got = TL_REAL(syscall)(SYS_getdents64, fd, buf, sizeof(buf))) > 0)
			n = list_entries(buf, got, tids, max, n, foreign, m);
		if (got < 0)
			n = -1;
		else
			close(fd);
	}
	if (filling) {
		atomic_store(&ns_active, m);
		atomic_flag_clear(&ns_filling);
	}
	return n;
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return (x > y) - (x < y);
}

/* The check lists the tasks several times: one buffer, grown to fit and kept until the check
 * ends (tl_kernel_check_end), so that a listing is one walk of /proc/self/task (each entry
 * costs the kernel a dentry: with 10,000 threads a walk is milliseconds). */
static pid_t *tasks_buf;
static int tasks_cap;

int tl_list_tasks_sorted(pid_t **tids)
{
	/* room for the tasks status counts (one small read), so that the first listing of a
	 * check is one walk of /proc/self/task, not one to count and one to fill (10,000 tasks:
	 * 11-16 ms each) */
	int count = tasks_buf == NULL ? tl_count_tasks() : -1;
	if (count > 0) {
		int cap = count + count / 4 + 256;
		pid_t *p = malloc(sizeof(pid_t) * (size_t)cap);
		if (p != NULL) {
			tasks_buf = p;
			tasks_cap = cap;
		}
	}
	for (int tries = 0; tries < 4; tries++) {
		int n = tl_list_tasks(tasks_buf, tasks_cap);
		if (n < 0)
			return -1; /* no /proc */
		if (n <= tasks_cap && tasks_buf != NULL) {
			qsort(tasks_buf, (size_t)n, sizeof(pid_t), cmp_pid);
			*tids = tasks_buf;
			return n;
		}
		int cap = n + n / 4 + 256;
		pid_t *p = realloc(tasks_buf, sizeof(pid_t) * (size_t)cap);
		if (p == NULL)
			return -2;
		tasks_buf = p;
		tasks_cap = cap;
	}
	return -2; /* growing faster than we list */
}

static void tasks_buf_release(void)
{
	free(tasks_buf);
	tasks_buf = NULL;
	tasks_cap = 0;
}

static void forget_check(void)
{
	if (task_dir_ours()) /* the number may be the program's again */
		tl_raw_syscall(SYS_close, task_dir, 0, 0);
	task_dir = -1;
	tasks_buf = NULL;
	tasks_cap = 0;
}

/* How many tasks the process has (status's Threads:, one small read), -1 unknown. The lines
 * before it grow with the process's supplementary groups (Groups:, dropped by tl_read_status),
 * and a read cut inside "Threads:\t112" would say 11 or 1: the number only when its line ends
 * within what was read (tests/sampling/test_forgotten.py, groups). */
int tl_count_tasks(void)
{
	char buf[2048];
	if (tl_read_status("/proc/self/status", buf, sizeof(buf)) <= 0)
		return -1;
	const char *t = strstr(buf, "\nThreads:");
	if (t == NULL)
		return -1;
	char *end;
	long n = strtol(t + 9, &end, 10);
	return end > t + 9 && *end == '\n' && n > 0 && n < INT_MAX ? (int)n : -1;
}
