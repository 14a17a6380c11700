/* What a blocked thread waits on: the call the kernel reports for a thread outside our
 * wrappers, the call its top frames reveal (a futex wait under __lll_lock_wait is
 * pthread_mutex_lock), the object in words (fd kinds, symbols of global locks), and who holds
 * it (glibc records mutex owners and rwlock writers). */
#include "tl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <mqueue.h>
#include <poll.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/select.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

/* The kernel's word for a thread outside our wrappers. */
void tl_kernel_call(struct tl_seen *s)
{
	if (s->sysno < 0)
		return;
	s->call = tl_syscall_word(s->sysno, s->call_buf, sizeof(s->call_buf));
	uintptr_t a0 = s->sysargs[0];
	switch (s->sysno) {
	case SYS_read:
	case SYS_write:
	case SYS_readv:
	case SYS_writev:
	case SYS_pread64:
	case SYS_pwrite64:
	case SYS_recvfrom:
	case SYS_recvmsg:
	case SYS_sendto:
	case SYS_sendmsg:
	case SYS_accept:
	case SYS_accept4:
	case SYS_connect:
	case SYS_flock:
	case SYS_fcntl:
	case SYS_preadv:
	case SYS_pwritev:
	case SYS_preadv2:
	case SYS_pwritev2:
	case SYS_sendmmsg:
	case SYS_recvmmsg:
	case SYS_sendfile: /* the fd written to: the one that usually waits */
	case SYS_splice:   /* the fd read from */
	case SYS_tee:
	case SYS_vmsplice:
	case SYS_copy_file_range:
	case SYS_ioctl:
	case SYS_close:
	case SYS_fsync:
	case SYS_fdatasync:
	case SYS_sync_file_range:
	case SYS_syncfs:
	case SYS_io_uring_enter: /* the ring's fd */
		s->kind = TL_OBJ_FD;
		s->obj = a0;
		break;
	case SYS_open: /* waits for a FIFO's other end (or a device) */
		s->kind = TL_OBJ_PATH;
		s->obj = a0;
		s->obj2 = (uintptr_t)AT_FDCWD;
		break;
	case SYS_openat:
		s->kind = TL_OBJ_PATH;
		s->obj = s->sysargs[1];
		s->obj2 = a0;
		break;
	case SYS_poll:
	case SYS_ppoll:
		s->kind = TL_OBJ_POLL;
		s->obj = a0;
		s->obj2 = s->sysargs[1];
		break;
	case SYS_select:
	case SYS_pselect6: {
		/* obj2: the first fd set given, tagged in its low bits as wrap_io.c does */
		uintptr_t r = s->sysargs[1], w = s->sysargs[2], e = s->sysargs[3];
		s->kind = TL_OBJ_SELECT;
		s->obj = a0;
		s->obj2 = r ? r : w ? (w | 1) : e ? (e | 2) : 0;
		break;
	}
	case SYS_epoll_wait:
	case SYS_epoll_pwait:
#ifdef SYS_epoll_pwait2
	case SYS_epoll_pwait2:
#endif
		s->kind = TL_OBJ_EPOLL;
		s->obj = a0;
		break;
	case SYS_pause:
		s->kind = TL_OBJ_SIGNALS;
		s->obj = 0;
		break;
	case SYS_rt_sigtimedwait:
		s->kind = TL_OBJ_SIGNALS;
		s->obj = a0;
		break;
	case SYS_rt_sigsuspend: /* a0 is the mask: the signals it waits for are the others */
		s->kind = TL_OBJ_SIGNALS;
		s->obj = a0;
		s->obj2 = 1;
		break;
	case SYS_futex:
	case SYS_futex_wait:
		s->kind = TL_OBJ_FUTEX;
		s->obj = a0;
		break;
	case SYS_futex_waitv: { /* (waiters, n, ...): the first waiter's word */
		struct futex_waitv w;
		s->kind = TL_OBJ_NONE;
		if (s->sysargs[1] >= 1 && tl_read_own(a0, &w, sizeof(w))) {
			s->kind = TL_OBJ_FUTEX;
			s->obj = (uintptr_t)w.uaddr;
		}
		break;
	}
	case SYS_mq_timedsend:
	case SYS_mq_timedreceive:
		s->kind = TL_OBJ_MQ;
		s->obj = a0;
		break;
	case SYS_msgsnd:
	case SYS_msgrcv:
		s->kind = TL_OBJ_MSGQ;
		s->obj = a0;
		break;
	case SYS_semop:
	case SYS_semtimedop:
		s->kind = TL_OBJ_SEMSET;
		s->obj = a0;
		break;
	case SYS_wait4:
		s->kind = TL_OBJ_PID;
		s->obj = a0;
		break;
	case SYS_waitid: /* (idtype, id, ...): as the waitid wrapper records it */
		if (a0 == TL_P_PIDFD) {
			s->kind = TL_OBJ_FD;
			s->obj = s->sysargs[1];
			break;
		}
		s->kind = TL_OBJ_PID;
		s->obj = a0 == P_PID ? s->sysargs[1]
		         : a0 == P_PGID && (intptr_t)s->sysargs[1] > 1
		             ? (uintptr_t) - (intptr_t)s->sysargs[1]
		             : (uintptr_t)-1;
		break;
	case SYS_nanosleep:
	case SYS_clock_nanosleep:
		s->kind = TL_OBJ_SLEEP;
		s->obj = (uintptr_t)-1;
		break;
	default:
		s->kind = TL_OBJ_NONE;
	}
}

/* Could a thread inside the wrapped call s records be in the system call the kernel shows
 * (k, its kernel view named by tl_kernel_call)? Wrapped lock, semaphore, condition and join
 * waits are futex waits; a call restarted after a signal shows as restart_syscall. */
static bool kernel_agrees(const struct tl_seen *s, const struct tl_seen *k)
{
	if (k->sysno == SYS_restart_syscall)
		return true;
	switch (s->kind) {
	case TL_OBJ_COND:
	case TL_OBJ_MUTEX:
	case TL_OBJ_RWLOCK:
	case TL_OBJ_SEM:
	case TL_OBJ_BARRIER:
	case TL_OBJ_THREAD:
	case TL_OBJ_FUTEX:
		return k->sysno == SYS_futex || k->sysno == SYS_futex_waitv ||
		       k->sysno == SYS_futex_wait;
	case TL_OBJ_FD:
	case TL_OBJ_EPOLL:
	case TL_OBJ_MQ:
	case TL_OBJ_MSGQ:
	case TL_OBJ_SEMSET:
	case TL_OBJ_POLL:
	case TL_OBJ_SELECT:
		return k->kind == s->kind && k->obj == s->obj;
	case TL_OBJ_PID:
	case TL_OBJ_SIGNALS:
	case TL_OBJ_SLEEP:
		return k->kind == s->kind;
	default:
		return true;
	}
}

/* A wrapped call this young, with its thread seen running, is one of a loop of short calls. */
#define SHORT_CALL_NS (50 * 1000000LL)

bool tl_block_running_inside(const struct tl_seen *s)
{
	return s->in_wrapper && s->sysno == TL_SYSNO_RUNNING &&
	       tl_mono_ns() - s->since_ns >= SHORT_CALL_NS;
}

void tl_block_validate(struct tl_seen *s)
{
	if (!s->in_wrapper || s->sysno == TL_SYSNO_UNKNOWN || s->sysno == TL_SYSNO_BLOCKED)
		return; /* no kernel view, or blocked outside a system call (a page fault) */
	/* Running at both looks, inside a call that began moments ago: a thread that makes
	 * short calls in a loop (a poller) and waits for a CPU between them. */
	if (s->sysno == TL_SYSNO_RUNNING && !tl_block_running_inside(s))
		return;
	if (s->sysno >= 0) {
		struct tl_seen k;
		k.sysno = s->sysno;
		memcpy(k.sysargs, s->sysargs, sizeof(k.sysargs));
		k.kind = TL_OBJ_NONE;
		k.obj = k.obj2 = 0;
		tl_kernel_call(&k);
		if (kernel_agrees(s, &k))
			return;
	}
	/* The record outlived its call (a siglongjmp out of it), or a signal handler runs or
	 * waits elsewhere inside it: the kernel's view is the truth. */
	s->in_wrapper = false;
	s->since_ns = 0;
	s->obj = s->obj2 = 0;
	s->kind = TL_OBJ_NONE;
	s->call = NULL;
	s->state = TL_ST_RUNNING;
	if (s->sysno >= 0) {
		tl_kernel_call(s);
		s->state = TL_ST_BLOCKED;
	}
}

/* k is sorted by tid (check.c gather) */
static uint64_t number_of_tid(const struct tl_known *k, size_t n, pid_t tid)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (k[mid].tid < tid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && k[lo].tid == tid ? k[lo].number : 0;
}

/* An rwlock without a writer waits for its readers, which glibc counts but does not name: the
 * other threads whose records hold it for reading (wrap_sync.c read_taken), the first as the
 * holder and the next TL_READERS_NAMED named, else the waiter itself (a read lock it wants to
 * upgrade: a deadlock of one). */
static void reader_of(const struct tl_known *k, size_t nk, struct tl_seen *s)
{
	const struct tl_known *self = NULL;
	int readers = 0; /* the others: all of them hold the waiter back */
	for (size_t i = 0; i < nk; i++) {
		if (k[i].tid <= 0)
			continue;
		for (int j = 0; j < TL_READ_HELD; j++) {
			if (k[i].read_held[j] != s->obj)
				continue;
			if (k[i].tid == s->tid) {
				self = &k[i];
				break;
			}
			if (readers == 0) {
				s->held_by_tid = k[i].tid;
				s->held_by = k[i].number;
			} else if (readers <= TL_READERS_NAMED) {
				s->other_readers[readers - 1] = k[i].number;
				s->other_reader_tids[readers - 1] = k[i].tid;
			}
			readers++;
			break;
		}
	}
	if (readers > 0) {
		s->held_by_readers = readers;
		return;
	}
	if (self != NULL && s->call != NULL) { /* a writer: readers go to queued_writer */
		s->held_by_tid = self->tid;
		s->held_by = self->number;
	}
}

/* A reader blocked on an rwlock without a writer: a writer-preferring one (glibc's default
 * lets readers pass waiting writers) that a writer waits for, which holds it back; found
 * among the check's threads (a recursive read behind it is then a cycle). */
static void queued_writer(const struct tl_report *r, struct tl_seen *s)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct tl_seen *w = &r->v[i];
		if (w != s && w->kind == TL_OBJ_RWLOCK && w->obj == s->obj &&
		    w->state == TL_ST_BLOCKED && w->call && strstr(w->call, "wrlock")) {
			s->held_by_tid = w->tid;
			s->held_by = w->number;
			return;
		}
	}
}

static bool frame_is(const struct tl_frame *f, const char *const *names)
{
	if (f->function == NULL)
		return false;
	for (; *names; names++)
		if (strcmp(f->function, *names) == 0)
			return true;
	return false;
}

/* A thread outside our wrappers asleep in pthread_cond_wait (one glibc started: a timer's or
 * mq_notify's notification function) waits, as the kernel sees it, on a word inside the
 * condition variable: __g_signals[0] or [1] (a cond is 8-aligned: the address says which), or,
 * inside __condvar_acquire_lock (a waiter leaving, a signaller), its internal lock in
 * __g1_orig_size. It read "futex cv+40". The object is the condition variable. */
static void cond_of_futex(struct tl_seen *s, bool internal_lock)
{
	const uintptr_t g = offsetof(struct __pthread_cond_s, __g_signals),
	                l = offsetof(struct __pthread_cond_s, __g1_orig_size);
	uintptr_t base = internal_lock           ? s->obj - l
	                 : (s->obj - g) % 8 == 0 ? s->obj - g
	                                         : s->obj - g - sizeof(unsigned int);
	if (s->obj < g + sizeof(unsigned int) || base % 8 != 0)
		return;
	s->kind = TL_OBJ_COND;
	s->obj = base;
	s->obj2 = 0; /* its mutex is not known */
}

/* C11's mtx_lock calls glibc's mutex lock: a thread blocked in it is headlined as the program
 * called it (it read "blocked in pthread_mutex_lock" in a C11 program). The frames just
 * outside frame `from`. */
static bool c11_lock_above(struct tl_report *r, const struct tl_seen *s, int from)
{
	static const char *const c11_fns[] = {"mtx_lock", "__mtx_lock", NULL};
	for (int i = from + 1; i < s->stack.n && i <= from + 3; i++) {
		struct tl_frame fr[8];
		int k = tl_sym_pc(r->sym, s->stack.pcs[i], (s->stack.exact >> i) & 1, fr, 8);
		for (int j = 0; j < k; j++)
			if (frame_is(&fr[j], c11_fns))
				return true;
	}
	return false;
}

/* A futex wait seen from outside is usually a lock: say which, from the top frames. */
void tl_refine_from_stack(struct tl_report *r, struct tl_seen *s)
{
	static const char *const mutex_fns[] = {
	    "__lll_lock_wait",           "___pthread_mutex_lock",     "__pthread_mutex_lock",
	    "pthread_mutex_lock",        "__pthread_mutex_lock_full", "lll_mutex_lock_optimized",
	    "__GI___pthread_mutex_lock", "__GI___lll_lock_wait",      NULL};
	static const char *const cond_fns[] = {"___pthread_cond_wait",        "__pthread_cond_wait",
	                                       "__pthread_cond_wait_common",  "pthread_cond_wait",
	                                       "___pthread_cond_timedwait64", NULL};
	static const char *const join_fns[] = {"__pthread_clockjoin_ex", NULL};
	/* A thread past its start routine: the report must not read as if it were still in it. */
	static const char *const dtor_fns[] = {
	    "__nptl_deallocate_tsd", "__GI___nptl_deallocate_tsd", "__call_tls_dtors", NULL};
	for (int i = 0; i < s->stack.n && s->stack_note == NULL; i++) {
		struct tl_frame fr[8];
		int k = tl_sym_pc(r->sym, s->stack.pcs[i], (s->stack.exact >> i) & 1, fr, 8);
		for (int j = 0; j < k; j++)
			if (frame_is(&fr[j], dtor_fns))
				s->stack_note = strstr(fr[j].function, "tls")
				                    ? "in a thread_local destructor"
				                    : "in a thread-specific data destructor";
	}
	if (s->in_wrapper || s->kind != TL_OBJ_FUTEX || s->stack.n == 0)
		return;
	static const char *const cond_lock_fns[] = {"__condvar_acquire_lock",
	                                            "__condvar_cancel_waiting", NULL};
	bool internal_lock = false;
	for (int i = 0; i < s->stack.n && i < 4; i++) {
		struct tl_frame fr[8];
		int k = tl_sym_pc(r->sym, s->stack.pcs[i], (s->stack.exact >> i) & 1, fr, 8);
		for (int j = 0; j < k; j++) {
			internal_lock |= frame_is(&fr[j], cond_lock_fns);
			if (frame_is(&fr[j], mutex_fns)) {
				s->call =
				    c11_lock_above(r, s, i) ? "mtx_lock" : "pthread_mutex_lock";
				s->kind = TL_OBJ_MUTEX;
				return;
			}
			if (frame_is(&fr[j], cond_fns)) {
				s->call = "pthread_cond_wait";
				s->kind = TL_OBJ_FUTEX;
				cond_of_futex(s, internal_lock);
				return;
			}
			if (frame_is(&fr[j], join_fns)) {
				s->call = "pthread_join";
				return;
			}
		}
	}
}

/* ---- small /proc readers for the descriptions below (the checking thread only) ---- */

/* Call fn on every line of a file of any size; stops when fn returns false. */
static void each_line(const char *path, bool (*fn)(char *line, void *arg), void *arg)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	char buf[4096];
	size_t have = 0;
	for (;;) {
		ssize_t n = TL_REAL(read)(fd, buf + have, sizeof(buf) - 1 - have);
		if (n <= 0)
			break;
		have += (size_t)n;
		buf[have] = '\0';
		char *start = buf, *nl;
		while ((nl = strchr(start, '\n')) != NULL) {
			*nl = '\0';
			if (!fn(start, arg))
				goto out;
			start = nl + 1;
		}
		have -= (size_t)(start - buf);
		memmove(buf, start, have);
		if (have == sizeof(buf) - 1) /* a line longer than the buffer: drop it */
			have = 0;
	}
out:
	close(fd);
}

/* " (comm)" of a process, or "". ours: pid is in our PID namespace, else in /proc's. */
static void comm_of(pid_t pid, bool ours, char *buf, size_t len)
{
	char path[64], c[32];
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	/* a pid of our PID namespace: in /proc of another one it names another process */
	ssize_t n = ours && tl_proc_foreign() ? -1 : tl_read_file(path, c, sizeof(c));
	if (n <= 0) {
		buf[0] = '\0';
		return;
	}
	if (c[n - 1] == '\n')
		c[n - 1] = '\0';
	snprintf(buf, len, " (%s)", c);
}

/* Append to a fixed buffer; `used` may pass the end (then nothing more is written). */
static void add(char *buf, size_t len, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void add(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
	if (*used >= len)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + *used, len - *used, fmt, ap);
	va_end(ap);
	if (n > 0)
		*used += (size_t)n;
}

/* The fds an epoll instance watches: "tfd: N" lines of /proc/self/task/TID/fdinfo/EPFD, in
 * the kernel's order (by file address, which differs from run to run): the report names the
 * lowest EPOLL_SHOWN fds, in order, so two runs of a program print the same line. */
enum { EPOLL_SHOWN = 4 };

struct epoll_list {
	int fds[EPOLL_SHOWN]; /* the lowest seen so far, ascending */
	int count;
};

static bool epoll_line(char *line, void *arg)
{
	struct epoll_list *l = arg;
	if (strncmp(line, "tfd:", 4) != 0)
		return true;
	int fd = atoi(line + 4), n = l->count < EPOLL_SHOWN ? l->count : EPOLL_SHOWN;
	l->count++;
	if (n == EPOLL_SHOWN && fd >= l->fds[n - 1])
		return true;
	int i = n == EPOLL_SHOWN ? n - 1 : n;
	for (; i > 0 && l->fds[i - 1] > fd; i--)
		l->fds[i] = l->fds[i - 1];
	l->fds[i] = fd;
	return true;
}

static void describe_epoll(pid_t tid, int epfd, char *buf, size_t len)
{
	char path[80], d[160];
	size_t used = 0;
	tl_describe_fd(tid, epfd, d, sizeof(d));
	add(buf, len, &used, "epoll %s", d);
	tl_fd_proc_path(tid, epfd, "fdinfo", path, sizeof(path));
	struct epoll_list l = {{0}, 0};
	each_line(path, epoll_line, &l);
	for (int i = 0; i < l.count && i < EPOLL_SHOWN; i++) {
		tl_describe_fd(tid, l.fds[i], d, sizeof(d));
		add(buf, len, &used, "%s %s", i ? "," : " watching", d);
	}
	if (l.count > EPOLL_SHOWN)
		add(buf, len, &used, ", and %d more", l.count - EPOLL_SHOWN);
	else if (l.count == 0)
		add(buf, len, &used, " watching no fd");
}

/* Who holds the file lock an fd waits for: /proc/locks lines
 * "1: POSIX  ADVISORY  WRITE 4610 00:2d:61560 0 EOF" (waiters have "->" after the number). */
struct lock_query {
	unsigned maj, min;
	unsigned long ino;
	bool flock; /* FLOCK entries, else POSIX and OFDLCK */
	pid_t holders[4];
	char rw[4][8];
	int count;
};

static bool lock_line(char *line, void *arg)
{
	struct lock_query *q = arg;
	char *p = strchr(line, ':');
	if (p == NULL)
		return true;
	char type[16], mode[16], rw[16];
	int pid;
	unsigned maj, min;
	unsigned long ino;
	if (strstr(p, "->") != NULL)
		return true;
	if (TL_REAL(__isoc99_sscanf)(p + 1, "%15s %15s %15s %d %x:%x:%lu", type, mode, rw, &pid,
	                             &maj, &min, &ino) != 7)
		return true;
	if (maj != q->maj || min != q->min || ino != q->ino)
		return true;
	if ((strcmp(type, "FLOCK") == 0) != q->flock)
		return true;
	if (q->count < 4) {
		q->holders[q->count] = pid;
		snprintf(q->rw[q->count], sizeof(q->rw[0]), "%s",
		         strcmp(rw, "READ") == 0 ? "read" : "write");
	}
	q->count++;
	return true;
}

static bool is_lock_call(const char *call, bool *flock)
{
	if (call == NULL)
		return false;
	*flock = strcmp(call, "flock") == 0;
	return *flock || strncmp(call, "fcntl", 5) == 0 || strcmp(call, "lockf") == 0;
}

static void describe_lock_holders(pid_t tid, int fd, bool flock, char *buf, size_t len)
{
	struct stat st;
	char path[80];
	tl_fd_proc_path(tid, fd, "fd", path, sizeof(path));
	if (TL_REAL(stat)(path, &st) != 0) /* the file itself, through the thread's own fd table */
		return;
	struct lock_query q = {
	    major(st.st_dev), minor(st.st_dev), (unsigned long)st.st_ino, flock, {0}, {{0}}, 0};
	each_line("/proc/locks", lock_line, &q);
	size_t used = strlen(buf);
	for (int i = 0; i < q.count && i < 4; i++) {
		char c[48];
		add(buf, len, &used, "%s", i ? ", " : ", ");
		if (q.holders[i] == tl_proc_tid(getpid())) { /* /proc/locks: /proc's pids */
			add(buf, len, &used, "%s lock held by this process", q.rw[i]);
		} else if (q.holders[i] <= 0) {
			add(buf, len, &used, "%s lock held by an open file description", q.rw[i]);
		} else {
			comm_of(q.holders[i], false, c, sizeof(c));
			add(buf, len, &used, "%s lock held by pid %d%s", q.rw[i], (int)q.holders[i],
			    c);
		}
	}
	if (q.count > 4)
		add(buf, len, &used, ", and %d more", q.count - 4);
}

/* A signal's name: "SIGUSR1", "SIGRTMIN+3". */
static void signal_name(int sig, char *buf, size_t len)
{
	const char *abbrev = sig < SIGRTMIN ? TL_REAL(sigabbrev_np)(sig) : NULL;
	if (abbrev)
		snprintf(buf, len, "SIG%s", abbrev);
	else if (sig >= SIGRTMIN && sig <= SIGRTMAX)
		snprintf(buf, len, "SIGRTMIN+%d", sig - SIGRTMIN);
	else
		snprintf(buf, len, "signal %d", sig);
}

/* Signals a program can wait for: not SIGKILL/SIGSTOP, not glibc's internal 32 and 33. */
static bool waitable_signal(int sig)
{
	return sig != SIGKILL && sig != SIGSTOP && !(sig >= 32 && sig < SIGRTMIN);
}

static void list_signals(const bool *in, bool want, char *buf, size_t len, size_t *used)
{
	for (int sig = 1; sig < NSIG; sig++) {
		if (!waitable_signal(sig) || in[sig] != want)
			continue;
		char n[24];
		signal_name(sig, n, sizeof(n));
		add(buf, len, used, " %s", n);
	}
}

/* What a signal wait waits for. `set` is the set waited for, or, when `is_mask`, the mask
 * in force during the wait (sigsuspend): then it waits for every other signal. */
static void describe_signals(const sigset_t *set, bool is_mask, char *buf, size_t len)
{
	bool in[NSIG] = {false};
	int n = 0, all = 0;
	for (int sig = 1; sig < NSIG; sig++) {
		if (!waitable_signal(sig))
			continue;
		all++;
		bool member = set ? sigismember(set, sig) == 1 : false;
		in[sig] = is_mask || set == NULL ? !member : member;
		n += in[sig];
	}
	size_t used = 0;
	if (n == all)
		add(buf, len, &used, "any signal");
	else if (n == 0)
		add(buf, len, &used, "no signal (all blocked)");
	else if (n <= 6) {
		add(buf, len, &used, "signal%s", n == 1 ? "" : "s");
		list_signals(in, true, buf, len, &used);
	} else if (all - n <= 6) {
		add(buf, len, &used, "any signal but");
		list_signals(in, false, buf, len, &used);
	} else {
		add(buf, len, &used, "%d signals", n);
	}
}

/* select: obj is nfds, obj2 the first non-null fd set, tagged in its low bits: 0 read,
 * 1 write, 2 except (fd_set is 8-byte aligned). */
static void describe_select(struct tl_seen *s, char *buf, size_t len)
{
	int nfds = (int)s->obj;
	const fd_set *set = (const fd_set *)(s->obj2 & ~(uintptr_t)3);
	static const char *const what[] = {"to read", "to write", "for exceptions", "?"};
	size_t used = 0;
	if (set == NULL || nfds <= 0 || nfds > FD_SETSIZE) {
		add(buf, len, &used, "no fd (nfds %d)", nfds);
		return;
	}
	int count = 0;
	for (int fd = 0; fd < nfds; fd++)
		count += FD_ISSET(fd, set) ? 1 : 0;
	if (count == 0) {
		add(buf, len, &used, "no fd %s", what[s->obj2 & 3]);
		return;
	}
	add(buf, len, &used, "%d fd%s %s:", count, count == 1 ? "" : "s", what[s->obj2 & 3]);
	int shown = 0;
	for (int fd = 0; fd < nfds && shown < 3; fd++) {
		if (!FD_ISSET(fd, set))
			continue;
		char d[160];
		tl_describe_fd(s->tid, fd, d, sizeof(d));
		add(buf, len, &used, "%s %s", shown ? "," : "", d);
		shown++;
	}
	if (count > shown)
		add(buf, len, &used, ", ...");
}

/* ---- what the threads of one check share ----
 * Thousands of threads wait on the same few objects, with the same few reasons, created from
 * the same few places: each text and each creation stack is kept once per check (a chunked
 * arena and an open-addressing set of its entries), so a pass holds pointers, not copies.
 * Everything is freed when the next check starts (tl_check, under its lock). */
struct intern_chunk {
	struct intern_chunk *next;
	size_t used, cap;
	uintptr_t data[]; /* aligned for pcs */
};
struct interned {
	const void *p; /* NULL: a free slot */
	size_t len;
};
static struct intern_chunk *chunks;
static struct interned *iset;
static size_t iset_cap, iset_n;

void tl_intern_reset(void)
{
	while (chunks) {
		struct intern_chunk *c = chunks;
		chunks = c->next;
		free(c);
	}
	free(iset);
	iset = NULL;
	iset_cap = iset_n = 0;
}

/* In a child of fork(): the parent's check may have been halfway through one of these (see
 * tl_kernel_after_fork_child): forgotten, not freed. */
void tl_intern_forget(void)
{
	chunks = NULL;
	iset = NULL;
	iset_cap = iset_n = 0;
}

static struct interned *iset_slot(struct interned *set, size_t cap, const void *p, size_t len)
{
	for (size_t at = (size_t)tl_hash_bytes(p, len) & (cap - 1);; at = (at + 1) & (cap - 1))
		if (set[at].p == NULL || (set[at].len == len && memcmp(set[at].p, p, len) == 0))
			return &set[at];
}

/* The check's copy of len bytes at p, 8-byte aligned; NULL when out of memory. */
const void *tl_intern_mem(const void *p, size_t len)
{
	if (2 * (iset_n + 1) > iset_cap) {
		size_t cap = iset_cap ? iset_cap * 2 : 64;
		struct interned *set = calloc(cap, sizeof(*set));
		if (set == NULL)
			return NULL;
		for (size_t i = 0; i < iset_cap; i++)
			if (iset[i].p)
				*iset_slot(set, cap, iset[i].p, iset[i].len) = iset[i];
		free(iset);
		iset = set;
		iset_cap = cap;
	}
	struct interned *slot = iset_slot(iset, iset_cap, p, len);
	if (slot->p)
		return slot->p;
	size_t words = (len + sizeof(uintptr_t) - 1) / sizeof(uintptr_t);
	if (chunks == NULL || chunks->cap - chunks->used < words) {
		size_t cap = words > 2048 ? words : 2048;
		struct intern_chunk *c = malloc(sizeof(*c) + cap * sizeof(uintptr_t));
		if (c == NULL)
			return NULL;
		*c = (struct intern_chunk){.next = chunks, .cap = cap};
		chunks = c;
	}
	uintptr_t *copy = chunks->data + chunks->used;
	memcpy(copy, p, len);
	chunks->used += words;
	iset_n++;
	*slot = (struct interned){copy, len};
	return copy;
}

/* The check's copy of t ("" when out of memory: the text is lost, not the thread). */
const char *tl_intern(const char *t)
{
	const char *c = t && t[0] ? tl_intern_mem(t, strlen(t) + 1) : NULL;
	return c ? c : "";
}

/* Many threads wait on the same few objects: their names are looked up once per check
 * (direct-mapped by address; the symbolizer identifies the check). */
#define NAME_CACHE_SIZE 256
struct name_entry {
	const struct tl_symbolizer *sym;
	uintptr_t addr;
	size_t size;
	bool found;
	char name[128];
};
static unsigned name_cache_check; /* the check the entries belong to */
static unsigned name_cache_gen[NAME_CACHE_SIZE];

void tl_objects_new_check(void)
{
	name_cache_check++;
}

/* The known threads by handle, built once per check when a join is described (many threads
 * may join). NULL when out of memory: then looked up one by one. */
static const struct tl_known **by_handle;
static size_t nby_handle;
static unsigned by_handle_check;

static int cmp_handle(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)(*(const struct tl_known *const *)a)->handle;
	uintptr_t y = (uintptr_t)(*(const struct tl_known *const *)b)->handle;
	return (x > y) - (x < y);
}

static const struct tl_known *known_of_handle(const struct tl_known *k, size_t n, pthread_t h)
{
	if (by_handle_check != name_cache_check || nby_handle != n) {
		free(by_handle);
		by_handle = malloc(sizeof(*by_handle) * (n + 1));
		nby_handle = n;
		by_handle_check = name_cache_check;
		for (size_t i = 0; by_handle && i < n; i++)
			by_handle[i] = &k[i];
		if (by_handle)
			qsort(by_handle, n, sizeof(*by_handle), cmp_handle);
	}
	if (by_handle == NULL) {
		for (size_t i = 0; i < n; i++)
			if (k[i].handle == h)
				return &k[i];
		return NULL;
	}
	struct tl_known key = {.handle = h};
	const struct tl_known *kp = &key;
	const struct tl_known **hit = bsearch(&kp, by_handle, n, sizeof(*by_handle), cmp_handle);
	return hit ? *hit : NULL;
}

static bool data_name(struct tl_report *r, uintptr_t addr, size_t size, char *sym, size_t len)
{
	size_t i = (addr >> 3) % NAME_CACHE_SIZE;
	TL_LAZY_ARRAY(struct name_entry, name_cache, NAME_CACHE_SIZE);
	if (name_cache == NULL)
		return tl_sym_data(r->sym, addr, size, sym, len);
	if (name_cache_gen[i] == name_cache_check && name_cache[i].sym == r->sym &&
	    name_cache[i].addr == addr && name_cache[i].size == size) {
		snprintf(sym, len, "%s", name_cache[i].name);
		return name_cache[i].found;
	}
	bool found = tl_sym_data(r->sym, addr, size, sym, len);
	name_cache_gen[i] = name_cache_check;
	name_cache[i].sym = r->sym;
	name_cache[i].addr = addr;
	name_cache[i].size = size;
	name_cache[i].found = found;
	snprintf(name_cache[i].name, sizeof(name_cache[i].name), "%s", found ? sym : "");
	return found;
}

/* what: "mutex", ..., of size bytes at addr (a mutex that is a struct's first member is that
 * member, not the struct: tl_sym_data) */
static void describe_addr(struct tl_report *r, const char *what, size_t size, uintptr_t addr,
                          char *buf, size_t len)
{
	char sym[128];
	if (data_name(r, addr, size, sym, sizeof(sym)))
		snprintf(buf, len, "%s %s (0x%lx)", what, sym, (unsigned long)addr);
	else
		snprintf(buf, len, "%s 0x%lx", what, (unsigned long)addr);
}

/* A named semaphore (sem_open) is the first page of a file of /dev/shm mapped at addr: glibc
 * makes it as a temporary "sem.XXXXXX", which it links to "sem.NAME" and removes, so the
 * mapping names the removed file; the name is the link of the same inode. "/NAME", as the
 * program opened it; false when it was removed (sem_unlink) or addr is no such page. Only for
 * a page-aligned semaphore no symbol names: a readlink and a stat of /proc/self/map_files,
 * and a look through /dev/shm. */
static bool named_sem(uintptr_t addr, char *buf, size_t len)
{
	static const char dir[] = "/dev/shm/sem.";
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	char path[64], target[256];
	struct stat st;
	if (addr == 0 || addr % page != 0)
		return false;
	snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx", (unsigned long)addr,
	         (unsigned long)(addr + page));
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	if (n <= (ssize_t)sizeof(dir) - 1)
		return false;
	target[n] = '\0';
	if (strncmp(target, dir, sizeof(dir) - 1) != 0 || TL_REAL(stat)(path, &st) != 0)
		return false;
	const char *name = NULL;
	DIR *d = opendir("/dev/shm");
	struct dirent *e;
	while (d != NULL && name == NULL && (e = readdir(d)) != NULL)
		if (e->d_ino == st.st_ino && strncmp(e->d_name, "sem.", 4) == 0)
			name = e->d_name + 4;
	size_t n2 = name ? strlen(name) : 0;
	if (n2 + 2 > len)
		n2 = len - 2;
	if (n2 > 0) {
		buf[0] = '/';
		memcpy(buf + 1, name, n2);
		buf[n2 + 1] = '\0';
	}
	if (d != NULL)
		closedir(d);
	return n2 > 0;
}

/* ---- mutex owners ---- */

/* A NUL-terminated string of the program's at addr into buf (cut to len - 1), read a page at
 * a time: false when nothing could be read. */
static bool read_cstr(uintptr_t addr, char *buf, size_t len)
{
	size_t have = 0;
	while (have + 1 < len) {
		uintptr_t at = addr + have;
		size_t room = 4096 - (at & 4095), want = len - 1 - have;
		if (want > room)
			want = room;
		if (!tl_read_own(at, buf + have, want))
			break;
		char *nul = memchr(buf + have, '\0', want);
		if (nul)
			return have + (size_t)(nul - (buf + have)) > 0;
		have += want;
	}
	buf[have] = '\0';
	return have > 0;
}

/* Copy memory of our own process that may not be mapped (an address found on a stack): the
 * kernel checks it, no fault. Named by the calling thread's id, not the process's: once main
 * has called pthread_exit, the process id names a zombie task without memory, and
 * process_vm_readv fails with ESRCH (docs/internals.md). */
bool tl_read_own(uintptr_t addr, void *buf, size_t len)
{
	struct iovec local = {buf, len}, remote = {(void *)addr, len};
	return addr != 0 &&
	       TL_REAL(process_vm_readv)(tl_self_tid(), &local, 1, &remote, 1, 0) == (ssize_t)len;
}

static bool read_mutex(uintptr_t addr, struct __pthread_mutex_s *m)
{
	return (addr & (__alignof__(pthread_mutex_t) - 1)) == 0 && tl_read_own(addr, m, sizeof(*m));
}

/* glibc's internal mutex kind bits (nptl/pthreadP.h, see docs/internals.md): the type in the low
 * bits, then robust, priority inheritance, priority protection, process-shared, elision. */
#define MUTEX_ROBUST 16
#define MUTEX_PI 32
#define MUTEX_PP 64
#define MUTEX_PSHARED 128
#define MUTEX_ELISION (256 | 512)
#define MUTEX_KNOWN (3 | MUTEX_ROBUST | MUTEX_PI | MUTEX_PP | MUTEX_PSHARED | MUTEX_ELISION)

/* The owner's tid as glibc records it: in __owner for the plain kinds, in the futex word
 * (__lock, FUTEX_TID_MASK) for robust and PI mutexes, the kernel's own format. False when the
 * words cannot be a mutex. */
static bool mutex_owner(const struct __pthread_mutex_s *m, pid_t *owner, bool *died)
{
	int kind = m->__kind;
	if (kind < 0 || (kind & ~MUTEX_KNOWN) != 0)
		return false;
	*died = false;
	if (kind & (MUTEX_ROBUST | MUTEX_PI)) {
		unsigned lock = (unsigned)m->__lock;
		*owner = (pid_t)(lock & FUTEX_TID_MASK);
		*died = (lock & FUTEX_OWNER_DIED) != 0;
	} else {
		*owner = m->__owner;
	}
	return *owner >= 0;
}

static bool task_exists(pid_t tid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/task/%d", (int)tl_proc_tid(tid));
	return access(path, F_OK) == 0 || errno != ENOENT;
}

static bool is_our_thread(const struct tl_known *k, size_t nk, pid_t tid)
{
	return number_of_tid(k, nk, tid) != 0 || task_exists(tid);
}

/* ---- owners in other processes ----
 * A process-shared mutex (or rwlock) records its owner's tid as the owner's gettid() gave it,
 * which names a thread of another process when the memory is shared with one, or when fork
 * copied a locked mutex. Where the tid is now: */
enum owner_place {
	OWNER_GONE,    /* no such task, a zombie, or a task that cannot reach the lock */
	OWNER_OTHER,   /* a live thread of process *pid that maps the same memory */
	OWNER_COPIED,  /* a live thread of process *pid; ours is a private copy made by fork */
	OWNER_UNKNOWN, /* /proc is another PID namespace's: the tid cannot be looked up */
};

/* Which object, and where in it, an address of ours lies: a /proc/PID/maps line
 * "lo-hi perms offset dev inode path". */
struct map_spot {
	uintptr_t addr; /* ours, to find; or 0 to match `want` in another process */
	const struct map_spot *want;
	bool found, any, shared;
	char dev[16];
	unsigned long ino, off; /* off: the address's offset in the object */
};

static bool map_line(char *line, void *arg)
{
	struct map_spot *m = arg;
	unsigned long lo, hi, off, ino;
	char perms[8], dev[16];
	m->any = true;
	if (TL_REAL(__isoc99_sscanf)(line, "%lx-%lx %7s %lx %15s %lu", &lo, &hi, perms, &off, dev,
	                             &ino) != 6)
		return true;
	bool shared = perms[3] == 's';
	if (m->want == NULL) {
		if (m->addr < lo || m->addr >= hi)
			return true;
		m->shared = shared;
		m->ino = ino;
		m->off = off + (m->addr - lo);
		snprintf(m->dev, sizeof(m->dev), "%s", dev);
	} else if (!shared || ino != m->want->ino || strcmp(dev, m->want->dev) != 0 ||
	           m->want->off < off || m->want->off - off >= hi - lo) {
		return true;
	}
	m->found = true;
	return false;
}

/* tid owns the lock at addr and is no thread of ours: is it alive, and in which process?
 * What cannot be known: a tid is only a number. When the owner exited, a later task of any
 * process may have its tid; one that does not map the lock's memory (shared, same object and
 * offset) cannot be the owner, so the owner is taken as gone. One that does may still be a
 * later thread of the same process (the owner exited, its tid reused within the process that
 * shares the lock): nothing tells those apart. A process whose maps we may not read (another
 * user's) is believed. An owner in another PID namespace (a container sharing memory) has a
 * tid that names another task here, or none: it is taken as gone too. */
static enum owner_place foreign_owner(uintptr_t addr, pid_t tid, pid_t *pid, char *comm, size_t len)
{
	*pid = 0;
	comm[0] = '\0';
	if (tl_proc_foreign()) /* /proc's tids are not the ones the lock holds */
		return OWNER_UNKNOWN;
	char path[64], status[2048];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	if (tl_read_status(path, status, sizeof(status)) <= 0)
		return OWNER_GONE;
	const char *st = strstr(status, "\nState:\t"), *tg = strstr(status, "\nTgid:\t");
	if (st == NULL || tg == NULL || st[8] == 'Z' || st[8] == 'X')
		return OWNER_GONE; /* a zombie leader: its threads are gone */
	*pid = (pid_t)atoi(tg + 7);
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)*pid);
	ssize_t n = tl_read_file(path, comm, len);
	if (n > 0 && comm[n - 1] == '\n')
		comm[n - 1] = '\0';
	struct map_spot ours = {.addr = addr};
	each_line("/proc/self/maps", map_line, &ours);
	if (ours.found && !ours.shared)
		return OWNER_COPIED;
	if (!ours.found)
		return OWNER_OTHER;
	struct map_spot theirs = {.want = &ours};
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)*pid);
	each_line(path, map_line, &theirs);
	return theirs.any && !theirs.found ? OWNER_GONE : OWNER_OTHER;
}

/* The futex word is a local of the waiter (just above its stack pointer), not a lock. */
static bool on_own_stack(const struct tl_seen *s)
{
	return s->sys_sp != 0 && s->obj >= s->sys_sp && s->obj - s->sys_sp < 2048;
}

/* A priority-inheritance lock the kernel refused with EDEADLK (a deadlock it detected) or
 * ESRCH (its owner exited without unlocking it) is not returned to a caller of
 * pthread_mutex_lock: glibc waits forever on a local word instead (see docs/internals.md). The
 * mutex is often still in the frames of pthread_mutex_lock, just above: take the first word
 * there that points to a PI mutex owned by another thread, of ours or gone. */
static uintptr_t pi_mutex_on_stack(const struct tl_seen *s, const struct tl_known *k, size_t nk)
{
	uintptr_t words[256];
	if (!on_own_stack(s) || !tl_read_own(s->sys_sp, words, sizeof(words)))
		return 0;
	for (size_t i = 0; i < TL_ARRAY_SIZE(words); i++) {
		struct __pthread_mutex_s m;
		pid_t owner = 0;
		bool died;
		if (words[i] == s->obj || !read_mutex(words[i], &m) || !(m.__kind & MUTEX_PI) ||
		    !mutex_owner(&m, &owner, &died))
			continue;
		if (owner > 0 && owner != s->tid &&
		    (number_of_tid(k, nk, owner) != 0 || !is_our_thread(k, nk, owner)))
			return words[i];
	}
	return 0;
}

void tl_describe_object(struct tl_report *r, const struct tl_known *k, size_t nk, struct tl_seen *s)
{
	char o[TL_OBJECT_MAX] = "";
	char a[160], b[160];
	switch (s->kind) {
	case TL_OBJ_COND: {
		describe_addr(r, "cond", sizeof(pthread_cond_t), s->obj, a, sizeof(a));
		if (s->obj2 == 0) { /* a thread outside our wrappers (cond_of_futex) */
			snprintf(o, sizeof(o), "%s", a);
			break;
		}
		describe_addr(r, "mutex", sizeof(pthread_mutex_t), s->obj2, b, sizeof(b));
		/* Woken (signalled, or its time is up) and locking the mutex again inside
		 * pthread_cond_wait: the kernel shows it waiting on the mutex's lock word (the
		 * first of pthread_mutex_t), no longer on the condition variable. It waits for
		 * the mutex's owner now, which may wait for it (docs/internals.md, Mutex and
		 * lock owners). */
		struct __pthread_mutex_s m;
		bool died = false;
		pid_t owner = 0;
		if (s->obj2 != 0 && s->sysno == SYS_futex && s->sysargs[0] == s->obj2 &&
		    s->kstate != 'R' && read_mutex(s->obj2, &m) && mutex_owner(&m, &owner, &died) &&
		    owner > 0 && owner != s->tid && is_our_thread(k, nk, owner) && !died) {
			snprintf(o, sizeof(o), "%s, woken; now locking %s", a, b);
			s->held_by_tid = owner;
			s->held_by = number_of_tid(k, nk, owner);
		} else {
			snprintf(o, sizeof(o), "%s, %s", a, b);
		}
		break;
	}
	case TL_OBJ_MUTEX: {
		/* Threads waiting on one mutex are described alike: the last description is kept
		 * for the next thread on the same mutex in this check (10,000 waiters: a read of
		 * the mutex and its name each, 30 ms) */
		static struct {
			unsigned check;
			uintptr_t obj;
			char o[TL_OBJECT_MAX];
			pid_t owner, held_by_pid;
			bool gone;
			char held_by_process[sizeof(s->held_by_process)];
		} last;
		if (last.check == name_cache_check && last.obj == s->obj && s->obj != 0 &&
		    !on_own_stack(s)) {
			memcpy(o, last.o, sizeof(o));
			s->held_by_pid = last.held_by_pid;
			memcpy(s->held_by_process, last.held_by_process,
			       sizeof(s->held_by_process));
			if (last.owner > 0) {
				s->held_by_tid = last.owner;
				s->held_by = last.gone ? 0 : number_of_tid(k, nk, last.owner);
			}
			break;
		}
		struct __pthread_mutex_s m;
		bool died = false;
		pid_t owner = 0;
		bool direct =
		    !on_own_stack(s) && read_mutex(s->obj, &m) && mutex_owner(&m, &owner, &died);
		if (!direct) {
			/* not a mutex: a PI lock glibc gave up on (the kernel said EDEADLK) waits
			 * forever on a local; find the mutex it wanted on its stack */
			uintptr_t found = pi_mutex_on_stack(s, k, nk);
			if (found != 0 && read_mutex(found, &m) && mutex_owner(&m, &owner, &died)) {
				s->obj = found;
			} else {
				owner = 0;
				if (on_own_stack(s)) { /* not in its frames (an -O2 caller) */
					snprintf(
					    o, sizeof(o),
					    "a priority-inheritance mutex the kernel refused (a "
					    "deadlock, or its owner exited without unlocking it): "
					    "glibc waits forever");
					s->obj = 0;
					break;
				}
			}
		}
		describe_addr(r, "mutex", sizeof(pthread_mutex_t), s->obj, o, sizeof(o));
		size_t used = strlen(o);
		char owner_state = '?';
		bool gone = false;
		if (died) {
			add(o, sizeof(o), &used, " (its owner died)");
		} else if (owner > 0 && owner == tl_main_pid() && owner != s->tid &&
		           tl_kernel_stamp(owner, &owner_state) >= 0 && owner_state == 'Z') {
			/* main after pthread_exit stays a zombie task while the process lives
			 * (another thread's task is gone once it ends): one look, for main only */
			add(o, sizeof(o), &used, " (its owner has exited)");
			gone = true;
		} else if (owner > 0 && owner != s->tid && number_of_tid(k, nk, owner) != 0 &&
		           !task_exists(owner)) {
			/* a thread of ours that ended holding it, not joined yet: still named */
			add(o, sizeof(o), &used, " (its owner has exited)");
		} else if (owner > 0 && !is_our_thread(k, nk, owner)) {
			switch (foreign_owner(s->obj, owner, &s->held_by_pid, s->held_by_process,
			                      sizeof(s->held_by_process))) {
			case OWNER_GONE:
				add(o, sizeof(o), &used, " (its owner has exited)");
				s->held_by_pid = 0;
				break;
			case OWNER_COPIED: /* the owner unlocks its own copy, never this one */
				add(o, sizeof(o), &used,
				    " (copied locked from another process by fork: nothing unlocks "
				    "this copy)");
				break;
			case OWNER_UNKNOWN:
				add(o, sizeof(o), &used,
				    " (its owner is no thread of this process)");
				break;
			case OWNER_OTHER:
				break;
			}
		}
		if (owner > 0) {
			s->held_by_tid = owner;
			s->held_by = gone ? 0 : number_of_tid(k, nk, owner);
		}
		if (direct) {
			last.check = name_cache_check;
			last.obj = s->obj;
			memcpy(last.o, o, sizeof(o));
			last.owner = owner;
			last.gone = gone;
			last.held_by_pid = s->held_by_pid;
			memcpy(last.held_by_process, s->held_by_process,
			       sizeof(last.held_by_process));
		}
		break;
	}
	case TL_OBJ_RWLOCK: {
		describe_addr(r, "rwlock", sizeof(pthread_rwlock_t), s->obj, o, sizeof(o));
		struct __pthread_rwlock_arch_t l;
		pid_t writer = tl_read_own(s->obj, &l, sizeof(l)) ? l.__cur_writer : 0;
		if (writer > 0 && is_our_thread(k, nk, writer)) {
			s->held_by_tid = writer;
			s->held_by = number_of_tid(k, nk, writer);
		} else if (writer > 0 &&
		           foreign_owner(s->obj, writer, &s->held_by_pid, s->held_by_process,
		                         sizeof(s->held_by_process)) == OWNER_OTHER) {
			s->held_by_tid = writer; /* a process-shared rwlock's writer elsewhere */
		} else {
			s->held_by_pid = 0;
			if (writer == 0 && s->call && strstr(s->call, "rdlock"))
				queued_writer(r, s);
			else if (writer == 0)
				reader_of(k, nk, s);
		}
		break;
	}
	case TL_OBJ_SEM: {
		int val = 0;
		char name[120];
		if (named_sem(s->obj, name, sizeof(name)))
			snprintf(a, sizeof(a), "semaphore %s (0x%lx)", name, (unsigned long)s->obj);
		else
			describe_addr(r, "semaphore", sizeof(sem_t), s->obj, a, sizeof(a));
		/* read through the kernel, not sem_getvalue: the memory may be gone or PROT_NONE
		 * by now (the exit check died of SIGSEGV there). glibc's 64-bit semaphore keeps
		 * its value in the low 32 bits of its first word (SEM_VALUE_MASK). */
		uint64_t data;
		if (tl_read_own(s->obj, &data, sizeof(data))) {
			val = (int)(uint32_t)data;
			snprintf(o, sizeof(o), "%s (value %d)", a, val);
		} else {
			snprintf(o, sizeof(o), "%s (its memory is no longer readable)", a);
		}
		break;
	}
	case TL_OBJ_BARRIER:
		describe_addr(r, "barrier", sizeof(pthread_barrier_t), s->obj, o, sizeof(o));
		break;
	case TL_OBJ_FUTEX:
		if (s->obj == (uintptr_t)&tl_runtime_end_word) { /* wrap_thread.c */
			snprintf(o, sizeof(o),
			         "the interpreter's end: bare, CPython ends the thread "
			         "here (it finalized while the thread lived)");
			break;
		}
		describe_addr(r, "futex", sizeof(uint32_t), s->obj, o, sizeof(o));
		/* libstdc++ (12) waits for std::atomic<T>::wait of a T that is not 4 bytes,
		 * std::atomic_flag::wait and std::barrier on a slot of a pool its objects share by
		 * their address's hash, and keeps no trace of the object itself: say so, or threads
		 * waiting on different objects read as waiting on one futex */
		if (strstr(o, "__waiter_pool_base::_S_for(") != NULL)
			snprintf(o, sizeof(o),
			         "a slot of libstdc++'s waiter pool (0x%lx), shared by the objects "
			         "hashed to it: std::atomic<T>::wait, std::atomic_flag::wait, "
			         "std::barrier (the object waited on is not recorded)",
			         (unsigned long)s->obj);
		break;
	case TL_OBJ_THREAD: {
		const struct tl_known *joined = known_of_handle(k, nk, (pthread_t)s->obj);
		uint64_t n = joined ? joined->number : 0;
		if (n) {
			s->held_by = n;
			s->held_by_tid = joined->tid;
			snprintf(o, sizeof(o), "thread %llu (tid %d)", (unsigned long long)n,
			         (int)s->held_by_tid);
		} else {
			snprintf(o, sizeof(o), "thread 0x%lx", (unsigned long)s->obj);
		}
		break;
	}
	case TL_OBJ_FD: {
		bool flock;
		tl_describe_fd(s->tid, (int)s->obj, o, sizeof(o));
		if (is_lock_call(s->call, &flock))
			describe_lock_holders(s->tid, (int)s->obj, flock, o, sizeof(o));
		break;
	}
	case TL_OBJ_EPOLL:
		describe_epoll(s->tid, (int)s->obj, o, sizeof(o));
		break;
	case TL_OBJ_MQ: {
		struct mq_attr at;
		tl_describe_fd(s->tid, (int)s->obj, a, sizeof(a));
		if (tl_fd_shared(s->tid, (int)s->obj) &&
		    TL_REAL(mq_getattr)((mqd_t)s->obj, &at) == 0)
			snprintf(o, sizeof(o), "message queue %s holding %ld of %ld messages", a,
			         (long)at.mq_curmsgs, (long)at.mq_maxmsg);
		else
			snprintf(o, sizeof(o), "message queue %s", a);
		break;
	}
	case TL_OBJ_POLL: {
		const struct pollfd *p = (const struct pollfd *)s->obj;
		size_t n = s->obj2, used = 0;
		if (n == 0) { /* poll(NULL, 0, ms): a sleep */
			snprintf(o, sizeof(o), "no fd");
			break;
		}
		add(o, sizeof(o), &used, "%zu fd%s:", n, n == 1 ? "" : "s");
		for (size_t i = 0; i < n && i < 3; i++) {
			tl_describe_fd(s->tid, p[i].fd, a, sizeof(a));
			add(o, sizeof(o), &used, "%s %s", i ? "," : "", a);
		}
		if (n > 3)
			add(o, sizeof(o), &used, ", ...");
		break;
	}
	case TL_OBJ_SELECT:
		describe_select(s, o, sizeof(o));
		break;
	case TL_OBJ_MSGQ: {
		struct msqid_ds ds;
		if (msgctl((int)s->obj, IPC_STAT, &ds) == 0)
			snprintf(o, sizeof(o), "SysV message queue %d holding %lu messages",
			         (int)s->obj, (unsigned long)ds.msg_qnum);
		else
			snprintf(o, sizeof(o), "SysV message queue %d", (int)s->obj);
		break;
	}
	case TL_OBJ_SEMSET: {
		struct semid_ds ds;
		union {
			int val;
			struct semid_ds *buf;
		} arg = {.buf = &ds};
		if (semctl((int)s->obj, 0, IPC_STAT, arg) == 0)
			snprintf(o, sizeof(o), "SysV semaphore set %d of %lu semaphore%s",
			         (int)s->obj, (unsigned long)ds.sem_nsems,
			         ds.sem_nsems == 1 ? "" : "s");
		else
			snprintf(o, sizeof(o), "SysV semaphore set %d", (int)s->obj);
		break;
	}
	case TL_OBJ_PID: {
		intptr_t pid = (intptr_t)s->obj;
		if (pid > 0) {
			comm_of((pid_t)pid, true, a, sizeof(a));
			snprintf(o, sizeof(o), "child pid %d%s", (int)pid, a);
		} else if (pid < -1) {
			snprintf(o, sizeof(o), "any child in process group %d", (int)-pid);
		} else {
			snprintf(o, sizeof(o), "any child");
		}
		break;
	}
	case TL_OBJ_PATH: {
		/* the path is the program's string, in place while the call waits */
		char path[256];
		if (!read_cstr(s->obj, path, sizeof(path)))
			break;
		struct stat st;
		int dfd = (int)(intptr_t)s->obj2;
		bool fifo = TL_REAL(fstatat)(path[0] == '/' ? AT_FDCWD : dfd, path, &st, 0) == 0 &&
		            S_ISFIFO(st.st_mode);
		if (path[0] != '/' && dfd != AT_FDCWD)
			snprintf(o, sizeof(o), "%s %.200s (relative to fd %d)%s",
			         fifo ? "FIFO" : "path", path, dfd,
			         fifo ? ": no process has its other end open" : "");
		else
			snprintf(o, sizeof(o), "%s %.200s%s", fifo ? "FIFO" : "path", path,
			         fifo ? ": no process has its other end open" : "");
		break;
	}
	case TL_OBJ_SIGNALS:
		describe_signals((const sigset_t *)s->obj, s->obj2 == 1, o, sizeof(o));
		break;
	case TL_OBJ_SLEEP: {
		/* an absolute sleep is named by what it was at the call */
		const char *until = s->obj2 == TL_SLEEP_ABSOLUTE ? " (to an absolute time)" : "";
		/* whole seconds within a millisecond (std::chrono's hour came as 3599999 ms) */
		if (s->obj != (uintptr_t)-1 && s->obj >= 10000 && (s->obj + 1) % 1000 <= 2)
			snprintf(o, sizeof(o), "a sleep of %lus%s",
			         (unsigned long)(s->obj + 1) / 1000, until);
		else if (s->obj == 0 && s->obj2 > 0 && s->obj2 < 1000) /* usleep(200) */
			snprintf(o, sizeof(o), "a sleep of %luus", (unsigned long)s->obj2);
		else if (s->obj != (uintptr_t)-1)
			snprintf(o, sizeof(o), "a sleep of %lums%s", (unsigned long)s->obj, until);
		break;
	}
	default:
		break;
	}
	s->object = tl_intern(o);
}
