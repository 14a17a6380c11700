/* Reports of a process that has not exited (TL_CHECK_HANG: every thread, the main thread
 * included): when it is asked to end (SIGTERM, SIGINT, SIGQUIT with dump_on_signal=1) and on
 * demand (the real-time signal dump_signal, which threadleak run --timeout and threadleak dump
 * send to one thread they chose from /proc, with rt_tgsigqueueinfo: tools/dump.c live_request).
 * After the report the signal does what it did before: the program's handler runs, an ignored
 * signal stays ignored, the default action ends the process with the same status; a request on
 * dump_signal is invisible to the program.
 *
 * Where the report is made (see docs/internals.md, "Reports of a live process"): in the signal
 * handler, on a thread that is inside one of our blocking wrappers and not in a handler of the
 * program: it waits in a system call and holds none of the locks the check takes (malloc's, the
 * loader's, our registry's). When the kernel picked another thread (running code that may hold
 * them), the handler hands the same signal to a thread waiting in a call that a signal leaves
 * alone (rt_tgsigqueueinfo with the same siginfo) and waits for its report; with no such thread,
 * it writes the reduced report (exit.c), which takes no lock and allocates nothing.
 *
 * The program's view: sigaction() and signal() on a signal we hold show the action the program
 * believes is installed (SIG_DFL at first); a handler the program installs is called by ours,
 * with its own mask and flags; SIG_IGN, or any action on dump_signal, hands the signal back. */
#include "tl.h"
#include "deps.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

const char *tl_hang_reason;
static char reason_buf[192];

#define NSIGS 65
static struct sigaction prog_act[NSIGS]; /* what the program believes is installed */
static _Atomic bool held[NSIGS];         /* our handler is installed on the signal */
static bool term_sig[NSIGS];             /* SIGTERM, SIGINT, SIGQUIT with dump_on_signal */

/* A request of threadleak run --timeout that ends the process next: the termination signal
 * run sends after it gets no second report. */
static atomic_bool final_dumped;

/* Reports of termination signals: odd while one is being made (on_signal) */
static _Atomic uint32_t term_gen;
#define TERM_WAIT_S 30

static bool is_held(int sig)
{
	return sig > 0 && sig < NSIGS && atomic_load(&held[sig]);
}

static const char *sig_name(int sig)
{
	return sig == SIGTERM   ? "SIGTERM"
	       : sig == SIGINT  ? "SIGINT"
	       : sig == SIGQUIT ? "SIGQUIT"
	                        : "a signal";
}

/* ---- where the report goes ---- */
/* The folder of the process that asked, /proc/PID/fd/FD, checked to be a private folder of
 * our user (0700): threadleak run's and threadleak dump's own. The report appears at once
 * under its final name (written under a temporary one first). */
static void write_to_requester(pid_t pid, int fd, const char *buf, size_t len)
{
	char dir[64], tmp[64], name[64];
	snprintf(dir, sizeof(dir), "/proc/%d/fd/%d", (int)pid, fd);
	int dfd = (int)tl_raw_syscall6(SYS_openat, AT_FDCWD, (long)dir,
	                               O_PATH | O_DIRECTORY | O_CLOEXEC, 0, 0, 0);
	if (dfd < 0)
		return;
	struct stat st;
	if (tl_raw_syscall(SYS_fstat, dfd, (long)&st, 0) != 0 ||
	    st.st_uid != (uid_t)tl_raw_syscall(SYS_geteuid, 0, 0, 0) || (st.st_mode & 077) != 0) {
		tl_raw_syscall(SYS_close, dfd, 0, 0);
		return;
	}
	snprintf(tmp, sizeof(tmp), ".hang.%d", (int)getpid());
	snprintf(name, sizeof(name), "hang.%d", (int)getpid());
	int out =
	    (int)tl_raw_syscall6(SYS_openat, dfd, (long)tmp,
	                         O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600, 0, 0);
	if (out >= 0) {
		tl_output_write(out, buf, len);
		tl_raw_syscall(SYS_close, out, 0, 0);
		tl_raw_syscall6(SYS_renameat, dfd, (long)tmp, dfd, (long)name, 0, 0);
	}
	tl_raw_syscall(SYS_close, dfd, 0, 0);
}

/* ---- making the report ---- */
/* Can this thread run the whole check now? Only inside one of our wrappers (a system call),
 * and not in a handler of the program that may have interrupted malloc or the loader. */
static bool thread_can_check(void)
{
	struct tl_thread *t = tl_self;
	/* not inside pthread_create: recorded as a call, but our code runs there (the creation
	 * stack's memo and unwinding, which malloc and load libunwind): a report made in the
	 * handler waited for malloc's lock that the interrupted code held (1 run of 150 hung on
	 * a SIGTERM in a program's first milliseconds, tests/live churn) */
	return t != NULL && (atomic_load(&t->blk.seq) & 1) && t->blk.depth == 1 &&
	       t->blk.kind != TL_OBJ_CREATING && !tl_check_running_here() &&
	       !tl_signal_frame_above(t->blk.frame);
}

/* The report as text or JSON (malloc'd), made here. Neither tl_opt.format nor tl_defer is
 * touched: an exit check may be running in another thread. */
static char *full_report(bool json)
{
	char *out = NULL;
	tl_check(TL_CHECK_HANG, json ? TL_HANG_JSON : 0, false, &out);
	return out;
}

/* The request a handler on the wrong thread handed to another one. */
static struct {
	_Atomic pid_t tid; /* who does it */
	_Atomic uint32_t done;
	_Atomic pid_t from;    /* the thread that handed it and waits meanwhile */
	void *_Atomic from_uc; /* the context its handler interrupted (its ucontext_t) */
} handoff;

/* While thread tid waits in our handler for the report it handed over, the report describes it
 * by the context the signal interrupted: its own call and stack, not our wait (preload/
 * capture.c). NULL for any other thread. */
/* Threads waiting in our handler for another thread's report of a termination signal
 * (on_signal), described the same way. */
#define TERM_WAITERS 4
static struct {
	_Atomic pid_t tid;
	void *_Atomic uc;
} term_waiter[TERM_WAITERS];

const void *tl_dump_handed_context(pid_t tid)
{
	if (tid <= 0)
		return NULL;
	if (atomic_load(&handoff.from) == tid)
		return atomic_load(&handoff.from_uc);
	for (int i = 0; i < TERM_WAITERS; i++)
		if (atomic_load(&term_waiter[i].tid) == tid)
			return atomic_load(&term_waiter[i].uc);
	return NULL;
}

/* Would a signal leave thread tid's system call alone (restarted unseen: docs/internals.md,
 * "Signals perturb")? From the kernel's view, as the sampling of stacks decides it. */
static bool call_is_quiet(pid_t tid)
{
	char path[64], buf[256];
	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
	if (tl_read_file(path, buf, sizeof(buf)) <= 0 || strncmp(buf, "running", 7) == 0)
		return false;
	struct tl_seen k; /* on the stack: handlers of several threads may look at once */
	char *p = buf;
	k.tid = tid;
	k.sysno = strtol(p, &p, 10);
	for (int i = 0; i < 6; i++)
		k.sysargs[i] = strtoul(p, &p, 16);
	return k.sysno >= 0 && tl_signal_is_transparent(&k);
}

/* buf: 2 KiB for the status file (a caller low on stack passes memory of its own) */
static bool blocks_signal_in(pid_t tid, int sig, char *buf, size_t len)
{
	char path[64] = "/proc/self/task/";
	size_t n = sizeof("/proc/self/task/") - 1;
	n += tl_put_uint(path + n, (unsigned long)tid); /* no snprintf: its stack */
	memcpy(path + n, "/status", sizeof("/status"));
	if (tl_read_status(path, buf, len) <= 0)
		return true;
	/* no strstr, no strtoull: a first call's lazy binding takes kilobytes of stack */
	static const char key[] = "\nSigBlk:\t";
	for (const char *b = buf; *b; b++) {
		size_t i = 0;
		while (key[i] && b[i] == key[i])
			i++;
		if (key[i])
			continue;
		uint64_t mask = 0;
		for (b += i;; b++) {
			int d = *b >= '0' && *b <= '9'   ? *b - '0'
			        : *b >= 'a' && *b <= 'f' ? *b - 'a' + 10
			                                 : -1;
			if (d < 0)
				break;
			mask = mask << 4 | (uint64_t)d;
		}
		return (mask >> (sig - 1)) & 1;
	}
	return true;
}

static bool blocks_signal(pid_t tid, int sig)
{
	char buf[2048];
	return blocks_signal_in(tid, sig, buf, sizeof(buf));
}

/* What a request takes of the stack of the thread that answers it before the check moves to its
 * own stack (measured: 9 KiB left crashed, 10 KiB did not). */
#define REQUEST_ROOM (16 * 1024)

/* Has thread t, asleep in a wrapped call, room for a request below its wrapper's frame? A bound
 * of its lowest address is known for every thread but main (registry.c tl_thread_started). */
static bool room_below(const struct tl_thread *t)
{
	return t->stack_lo == 0 ||
	       (t->blk.frame > t->stack_lo && t->blk.frame - t->stack_lo >= REQUEST_ROOM);
}

/* A thread that can run the check (inside one of our wrappers, in which no handler of the
 * program runs: depth 1) and that a signal leaves alone: its tid, or 0. */
static pid_t quiet_thread(int sig)
{
	pid_t found = 0, me = tl_gettid();
	if (!tl_registry_trylock_for(50))
		return 0;
	TL_REGISTRY_FOREACH (t) {
		pid_t tid = atomic_load(&t->tid);
		uint32_t seq = atomic_load(&t->blk.seq);
		if (tid <= 0 || tid == me || !(seq & 1) || t->blk.depth != 1 ||
		    (t->flags & TL_F_FINISHED) || !room_below(t))
			continue;
		if (!blocks_signal(tid, sig) && call_is_quiet(tid)) {
			found = tid;
			break;
		}
	}
	tl_registry_unlock();
	return found;
}

static long futex_op(_Atomic uint32_t *addr, int op, uint32_t val, const struct timespec *ts)
{
	return tl_raw_syscall6(SYS_futex, (long)addr, op | FUTEX_PRIVATE_FLAG, val, (long)ts, 0, 0);
}

#define HANDOFF_WAIT_S 10

/* Where a report goes: the folder of the process that asked, or the process's own output (under
 * threadleak run: hang.PID in run's folder, beside the exit reports). */
struct target {
	pid_t pid; /* requester; 0: the process's own output */
	int fd;
};

static void deliver(const struct target *to, char *text)
{
	if (text == NULL)
		return;
	if (to->pid > 0) {
		write_to_requester(to->pid, to->fd, text, strlen(text));
	} else {
		const char *leaf;
		int dfd = tl_run_dir_open(&leaf);
		if (dfd >= 0) { /* under threadleak run: beside the exit reports, as hang.PID */
			char name[64];
			snprintf(name, sizeof(name), "hang.%d", (int)getpid());
			int fd = (int)tl_raw_syscall6(
			    SYS_openat, dfd, (long)name,
			    O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600, 0, 0);
			if (fd >= 0) {
				tl_output_write(fd, text, strlen(text));
				tl_raw_syscall(SYS_close, fd, 0, 0);
			}
			tl_raw_syscall(SYS_close, dfd, 0, 0);
		} else {
			tl_output(text, strlen(text));
		}
	}
}

static bool report_json(const struct target *to)
{
	return to->pid > 0 || tl_opt.format == TL_FORMAT_JSON;
}

/* On the thread a signal was handed to: the report, then wake the thread that handed it. */
static void answer_handoff(const struct target *to)
{
	char *text = full_report(report_json(to));
	deliver(to, text);
	free(text);
	atomic_store(&handoff.tid, 0);
	atomic_store(&handoff.done, 1);
	futex_op(&handoff.done, FUTEX_WAKE, 1, NULL);
}

/* ---- a lock wait of the program's as the report's host ----
 * pthread_mutex_lock is not wrapped (wrap_sync.c), so a thread asleep there is in none of our
 * wrappers; when every thread is (main and a worker deadlocked on two mutexes), no thread could
 * make the whole report and it was reduced. A thread asleep in pthread_mutex_lock or mtx_lock
 * that the program's own code called holds none of the locks the check takes, as inside a
 * wrapper: glibc's malloc never calls pthread_mutex_lock, nor does the loader through these
 * entry points. So it makes the report when (docs/internals.md, "A lock wait as the host"):
 * the signal interrupted an untimed futex wait (restarted unseen); malloc is libc's (an
 * allocator of the program's may be waiting for its own lock); no signal frame is above (a
 * handler of the program's may have interrupted anything); and the return addresses on its
 * stack, within 4 KiB, are libc's inside those two functions, then one into the program or
 * another library (not the loader's, not ours). */
static bool program_lock_wait(const void *context)
{
#if defined(__x86_64__)
	static const char *const lock_calls[] = {"pthread_mutex_lock", "mtx_lock"};
	const ucontext_t *uc = context;
	const greg_t *g = uc->uc_mcontext.gregs;
	if (tl_interrupted_syscall(uc) != SYS_futex)
		return false;
	struct tl_seen k;
	memset(&k, 0, sizeof(k));
	k.tid = tl_gettid();
	k.sysno = SYS_futex;
	static const int args[6] = {REG_RDI, REG_RSI, REG_RDX, REG_R10, REG_R8, REG_R9};
	for (int i = 0; i < 6; i++)
		k.sysargs[i] = (uintptr_t)g[args[i]];
	if (!tl_signal_is_transparent(&k))
		return false;
	void *malloc_bound = tl_lookup_global("malloc");
	if (malloc_bound == NULL || malloc_bound != tl_lookup_libc("malloc"))
		return false;
	uintptr_t sp = (uintptr_t)g[REG_RSP];
	if (tl_signal_frame_above(sp))
		return false;
	/* copied with process_vm_readv, which stops at the first unmapped page: a stack of the
	 * program's own (a coroutine's) may end within the 4 KiB */
	uintptr_t words[512];
	struct iovec local = {words, sizeof(words)},
	             remote = {(void *)(sp & ~(uintptr_t)7), sizeof(words)};
	long got = tl_raw_syscall6(SYS_process_vm_readv, tl_raw_syscall(SYS_gettid, 0, 0, 0),
	                           (long)&local, 1, (long)&remote, 1, 0);
	int in_lock = 0;
	for (long i = 0; i < got / 8; i++) {
		uintptr_t w = words[i];
		switch (tl_code_owner(w)) {
		case TL_CODE_NONE:
			continue;
		case TL_CODE_LIBC:
			if (!tl_in_libc_function(w, lock_calls, (int)TL_ARRAY_SIZE(lock_calls)))
				return false;
			in_lock++;
			continue;
		case TL_CODE_OTHER:
			return in_lock > 0;
		default:
			return false;
		}
	}
#else
	(void)context;
#endif
	return false;
}

/* Make the report where it can be made: here, on a thread that can check, or the reduced one. */
static void make_report(int sig, siginfo_t *si, void *uc, const struct target *to)
{
	/* interrupted inside dlopen of a library of ours (the first pthread_create loads
	 * libunwind): the loader's lists are half made, and its pthread_once is ours to finish */
	if (tl_deps_loading_here()) {
		deliver(to, tl_reduced_hang_text(report_json(to), uc));
		return;
	}
	/* Not while another thread's exit check runs (its grace period): this thread would wait
	 * for it in tl_check, and the process ends before the report is made (dump waited for
	 * nothing; the exit check also left the waiting thread out, before tl_check recorded
	 * the wait). Another request's check is waited for (threadleak watch, whose requests
	 * may overlap on a loaded machine). */
	if (thread_can_check() && atomic_load(&tl_checking) != TL_CHECK_EXIT) {
		char *text = full_report(report_json(to));
		deliver(to, text);
		free(text);
		return;
	}
	/* While a check runs (maybe in this very thread, which the other one would wait for),
	 * nobody else can check: the reduced report, at once. */
	pid_t other = atomic_load(&tl_checking) != TL_NOT_CHECKING ? 0 : quiet_thread(sig);
	pid_t none = 0;
	if (other > 0 && atomic_compare_exchange_strong(&handoff.tid, &none, other)) {
		atomic_store(&handoff.done, 0);
		siginfo_t copy = *si;
		if (copy.si_code >= 0) /* the kernel takes only these from another thread */
			copy.si_code = SI_QUEUE;
		atomic_store(&handoff.from_uc, uc);
		atomic_store(&handoff.from, uc ? tl_gettid() : 0);
		if (tl_raw_syscall6(SYS_rt_tgsigqueueinfo, getpid(), other, sig, (long)&copy, 0,
		                    0) == 0) {
			struct timespec ts = {1, 0};
			for (int i = 0; i < HANDOFF_WAIT_S && !atomic_load(&handoff.done); i++)
				futex_op(&handoff.done, FUTEX_WAIT, 0, &ts);
			if (atomic_load(&handoff.done)) {
				atomic_store(&handoff.from, 0);
				return;
			}
		}
		atomic_store(&handoff.from, 0);
		atomic_store(&handoff.tid, 0);
	}
	/* Nobody to hand it to: here, when this thread sleeps in a lock the program asked for. The
	 * report describes it by the context the signal interrupted, as a thread that handed the
	 * request on (handoff.from: nobody else hands one meanwhile). */
	none = 0;
	if (uc != NULL && other <= 0 && atomic_load(&tl_checking) == TL_NOT_CHECKING &&
	    !tl_check_running_here() && program_lock_wait(uc) &&
	    atomic_compare_exchange_strong(&handoff.tid, &none, tl_gettid())) {
		atomic_store(&handoff.from_uc, uc);
		atomic_store(&handoff.from, tl_gettid());
		char *text = full_report(report_json(to));
		atomic_store(&handoff.from, 0);
		atomic_store(&handoff.tid, 0);
		deliver(to, text);
		free(text);
		return;
	}
	/* nobody can check safely: what needs no lock and no allocation (a static buffer) */
	deliver(to, tl_reduced_hang_text(report_json(to), uc));
}

/* ---- the call the request interrupted ---- */
/* Is the signal's EINTR that of system call nr, made by our wrapper named `call` (the thread's
 * only record: not in a handler of the program)? The wrapper names the call, and a mov of nr to
 * eax shortly before the syscall instruction at the pc confirms it (glibc may put other
 * instructions in between, as its epoll_pwait does: tl_repair_eintr looks only right before). */
static bool interrupted_in(const ucontext_t *uc, const char *call, int32_t nr)
{
	const greg_t *g = uc->uc_mcontext.gregs;
	const unsigned char *ip = (const unsigned char *)g[REG_RIP];
	struct tl_thread *t = tl_self;
	enum { SCAN = 24 };
	if (g[REG_RAX] != -EINTR || ((uintptr_t)ip & 0xfff) < SCAN || ip[-2] != 0x0f ||
	    ip[-1] != 0x05 || t == NULL || !(atomic_load(&t->blk.seq) & 1) || t->blk.depth != 1 ||
	    t->blk.call == NULL || strcmp(t->blk.call, call) != 0)
		return false;
	for (int back = 7; back <= SCAN; back++) {
		int32_t imm;
		memcpy(&imm, ip - back + 1, sizeof(imm));
		if (ip[-back] == 0xb8 && imm == nr) /* mov $nr,%eax */
			return true;
	}
	return false;
}

/* epoll_wait and epoll_pwait take a relative timeout that the kernel neither updates nor keeps
 * (no restart block): executed again as it was, the call would wait its whole timeout once more
 * after the report. The wrapper's entry time is known on the coarse clock: the call is executed
 * again here with its timeout register lowered by the time since, less one resolution of that
 * clock, so that it ends up to a few ms late, never early. A call outside our wrappers is left
 * to tl_repair_eintr, which restarts its timeout in full. */
static __thread struct {
	uint32_t seq; /* the wrapper's entry (blk.seq) whose call a request executed again */
	int timeout;  /* the timeout it had at that entry */
} epoll_first __attribute__((tls_model("initial-exec")));

static void redo_epoll(ucontext_t *uc, int sig)
{
	greg_t *g = uc->uc_mcontext.gregs;
	int32_t nr = interrupted_in(uc, "epoll_wait", SYS_epoll_wait)     ? SYS_epoll_wait
	             : interrupted_in(uc, "epoll_pwait", SYS_epoll_pwait) ? SYS_epoll_pwait
	                                                                  : -1;
	struct tl_thread *t = tl_self;
	if (nr < 0 || t->blk.obj != (uintptr_t)(int)g[REG_RDI] ||
	    tl_program_signal_pending(uc, sig))
		return;
	int timeout = (int)g[REG_R10];
	if (timeout > 0) {
		/* a second request in the same call: the register holds what the first one left */
		uint32_t seq = atomic_load(&t->blk.seq);
		if (epoll_first.seq != seq) {
			epoll_first.seq = seq;
			epoll_first.timeout = timeout;
		}
		/* on the coarse clock, the entry may be up to one tick later than its stamp says:
		 * the time gone is taken that much shorter, so as never to end the wait early */
		int64_t gone, since = t->blk.since;
		if (since > 0) { /* the counter's; 0 when it can no longer be read: none gone */
			int64_t at = tl_stamp_ns(since);
			gone = at > 0 ? tl_mono_ns() - at : 0;
		} else {
			struct timespec res = {0, 4000000};
			tl_raw_syscall(SYS_clock_getres, CLOCK_MONOTONIC_COARSE, (long)&res, 0);
			gone = tl_now_ns() + since - (res.tv_sec * 1000000000 + res.tv_nsec);
		}
		int64_t left_ms = epoll_first.timeout - (gone > 0 ? gone / 1000000 : 0);
		g[REG_R10] = left_ms > 0 ? left_ms : 0;
	}
	g[REG_RAX] = nr; /* the other arguments are still in their registers */
	g[REG_RIP] -= 2;
}

/* select, pselect6 and ppoll: the kernel wrote the time that was left into the timeout when the
 * signal came, and tl_repair_eintr executes the call again with it: less the time the report
 * took since, or the report's time would be added to the wait. */
static void shorten_updated_timeout(ucontext_t *uc, int64_t signal_ns)
{
	greg_t *g = uc->uc_mcontext.gregs;
	int64_t took = tl_mono_ns() - signal_ns;
	struct timespec *ts = NULL;
	if (interrupted_in(uc, "ppoll", SYS_ppoll))
		ts = (struct timespec *)g[REG_RDX];
	else if (interrupted_in(uc, "select", SYS_pselect6) ||
	         interrupted_in(uc, "pselect", SYS_pselect6))
		ts = (struct timespec *)g[REG_R8];
	else if (interrupted_in(uc, "select", SYS_select) && g[REG_R8] != 0) {
		struct timeval *tv = (struct timeval *)g[REG_R8];
		int64_t left = (tv->tv_sec * 1000000 + tv->tv_usec) - took / 1000;
		left = left > 0 ? left : 0;
		tv->tv_sec = left / 1000000, tv->tv_usec = left % 1000000;
	}
	if (ts != NULL) {
		int64_t left = (ts->tv_sec * 1000000000 + ts->tv_nsec) - took;
		left = left > 0 ? left : 0;
		ts->tv_sec = left / 1000000000, ts->tv_nsec = left % 1000000000;
	}
}

/* No handler runs on this thread during a request's report: the return of each one
 * (rt_sigreturn) resets the restart block that finish_interrupted_call needs, and the report
 * may send one itself (the sampling measures its frame with a signal to its own thread when it
 * chooses its signal). A signal of the program that comes meanwhile stays pending until our
 * handler returns, and then interrupts the call as it would have without us. Signals of a
 * fault are left alone: blocked, the kernel would kill the process instead. The handler's
 * return restores the mask. */
static void hold_signals(void)
{
	static const int faults[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS};
	sigset_t all;
	sigfillset(&all);
	for (size_t i = 0; i < TL_ARRAY_SIZE(faults); i++)
		sigdelset(&all, faults[i]);
	tl_raw_syscall6(SYS_rt_sigprocmask, SIG_BLOCK, (long)&all, 0, _NSIG / 8, 0, 0);
}

/* The sampling's signal, if it is pending now: not the program's. */
static void add_own_pending(sigset_t *set, int sig)
{
	sigset_t pending;
	if (tl_raw_syscall(SYS_rt_sigpending, (long)&pending, _NSIG / 8, 0) != 0)
		return;
	for (int s = 1; s < _NSIG; s++)
		if (s != sig && sigismember(&pending, s) && s == tl_capture_signal())
			sigaddset(set, s);
}

/* The program's call as if the request had never come: finished for the time that was left
 * (tl_repair_eintr, with the restart block the report left alone: see tl_nap_ns), or executed
 * again with its timeout lowered by the time gone. A sampling signal that came during the
 * report is not the program's: it waits, blocked, until the call is finished. */
static void finish_interrupted_call(ucontext_t *uc, int sig, int64_t signal_ns)
{
	sigset_t program_mask = uc->uc_sigmask;
	add_own_pending(&uc->uc_sigmask, sig);
	redo_epoll(uc, sig);
	shorten_updated_timeout(uc, signal_ns);
	tl_repair_eintr(uc, sig);
	uc->uc_sigmask = program_mask;
}

/* ---- the handler ---- */
void tl_signal_default_again(int sig)
{
	struct sigaction dfl;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	TL_REAL(sigaction)(sig, &dfl, NULL);
	tl_raw_syscall(SYS_tgkill, getpid(), tl_gettid(), sig);
}

static void chain(int sig, siginfo_t *si, void *uc)
{
	struct sigaction *p = &prog_act[sig];
	/* SIG_DFL and SIG_IGN whatever the flags say, as the kernel reads them */
	if (p->sa_handler == SIG_IGN)
		return;
	if (p->sa_handler == SIG_DFL) {
		atomic_store(&held[sig], false);
		tl_signal_default_again(sig);
		return;
	}
	struct sigaction act = *p;
	if (act.sa_flags & SA_RESETHAND) { /* as the kernel would have, before the handler */
		memset(&prog_act[sig], 0, sizeof(prog_act[sig]));
		prog_act[sig].sa_handler = SIG_DFL;
	}
	if (act.sa_flags & SA_SIGINFO)
		act.sa_sigaction(sig, si, uc);
	else
		act.sa_handler(sig);
}

/* Requests this thread took in our handler: a sigwait that fails with EINTR meanwhile goes on
 * (tl_sigtimedwait). */
static __thread uint32_t requests_here __attribute__((tls_model("initial-exec")));

/* Is this signal on dump_signal a request: handed to this thread by another one of ours, or
 * queued by threadleak run or dump, which puts its own pid in the value's high half? */
static bool is_request(const siginfo_t *si)
{
	uintptr_t v = (uintptr_t)si->si_value.sival_ptr;
	return atomic_load(&handoff.tid) == tl_gettid() ||
	       (si->si_code == SI_QUEUE &&
	        si->si_uid == (uid_t)tl_raw_syscall(SYS_getuid, 0, 0, 0) &&
	        (pid_t)(v >> 32) == si->si_pid && si->si_pid > 0);
}

/* A request on dump_signal (from threadleak run or dump, or handed to us by another thread):
 * the report, in a handler or in a sigwait of the program. Anything else on that signal is
 * dropped in our handler (a signal of the program's own, sent where it has no handler); a
 * sigwait of the program gets it (tl_sigtimedwait). */
static void take_request(int sig, siginfo_t *si, void *uc)
{
	pid_t me = tl_gettid();
	uintptr_t v = (uintptr_t)si->si_value.sival_ptr;
	if (atomic_load(&handoff.tid) == me) { /* handed to us by another thread */
		struct target to = {0, 0};
		if (si->si_code == SI_QUEUE) {
			to.pid = (pid_t)(v >> 32);
			to.fd = (int)(v & 0x7fffffff);
		}
		answer_handoff(&to);
	} else if (is_request(si) && tl_raw_syscall(SYS_kill, (pid_t)(v >> 32), 0, 0) != -ESRCH) {
		/* a requester still there: one that gave up and ended (every thread blocked the
		 * signal until now) gets no report, nor its sampling of every thread */
		struct target to = {(pid_t)(v >> 32), (int)(v & 0x7fffffff)};
		bool last = (v >> 31) & 1;
		snprintf(reason_buf, sizeof(reason_buf),
		         last ? "the --timeout of threadleak run (pid %d) expired"
		              : "threadleak dump (pid %d) asked for it",
		         (int)to.pid);
		tl_hang_reason = reason_buf;
		/* Before the report, which threadleak run's SIGTERM follows at once: no second
		 * report on that SIGTERM, whichever thread takes it (it replaced this one, as
		 * hang.PID). */
		if (last)
			atomic_store(&final_dumped, true);
		make_report(sig, si, uc, &to);
	}
}

/* A termination signal while another thread makes the report of one (term_gen odd: gen).
 * timeout(1) sends SIGTERM to the command and again to its process group, and the kernel gives
 * the second to another thread while the first one's handler blocks it. No second report: it
 * was the reduced one, and its default action ended the process before the whole one was
 * written. With the default action, the reporting thread's ends the process with the same
 * status: false, drop this one (waiting here could hold a lock the report needs: the code
 * the signal interrupted may be inside malloc). With a handler of the program's: true, after
 * waiting for the report (30 s at most) when this thread holds nothing the report needs
 * (inside a wrapper, or in a lock the program called), described meanwhile by its interrupted
 * call; else at once. */
static bool term_waits(void *uc, uint32_t gen, int sig)
{
	struct sigaction *p = &prog_act[sig];
	if (p->sa_handler == SIG_DFL)
		return false;
	if (uc == NULL || !(thread_can_check() || program_lock_wait(uc)))
		return true;
	int slot = -1;
	for (int i = 0; i < TERM_WAITERS && slot < 0; i++) {
		pid_t none = 0;
		if (atomic_compare_exchange_strong(&term_waiter[i].tid, &none, -1)) {
			atomic_store(&term_waiter[i].uc, uc); /* before its tid names it */
			atomic_store(&term_waiter[i].tid, tl_gettid());
			slot = i;
		}
	}
	struct timespec ts = {1, 0};
	for (int i = 0; i < TERM_WAIT_S && atomic_load(&term_gen) == gen; i++)
		futex_op(&term_gen, FUTEX_WAIT, gen, &ts);
	if (slot >= 0) {
		atomic_store(&term_waiter[slot].tid, -1);
		atomic_store(&term_waiter[slot].uc, NULL);
		atomic_store(&term_waiter[slot].tid, 0);
	}
	return true;
}

/* Our handler is running on this thread (reports made there keep other handlers out) */
static __thread int handler_depth __attribute__((tls_model("initial-exec")));

bool tl_dump_in_handler(void)
{
	return handler_depth > 0;
}

static void on_signal_body(int sig, siginfo_t *si, void *uc);

/* Is this thread too deep in its stack to take a request (a bound of its lowest address known:
 * any thread but main, registry.c tl_thread_started; below the bound is deeper still)? On an
 * alternate signal stack above the thread's own, it says no. */
static bool low_on_stack(void)
{
	struct tl_thread *t = tl_self;
	uintptr_t here = (uintptr_t)__builtin_frame_address(0);
	return t != NULL && t->stack_lo != 0 && here < (uintptr_t)pthread_self() &&
	       here < t->stack_lo + REQUEST_ROOM;
}

/* A request that landed on a thread deep in its stack (the kernel gives a process's signal to
 * any thread that does not block it): queued again, as it came, to one with room that does
 * not block it: main, or one asleep in a wrapped call with room below its wrapper. A thread on
 * 1 MiB with 9 KiB left crashed the process with SIGSEGV. False: none found. */
static bool pass_request_on(int sig, siginfo_t *si)
{
	static atomic_flag busy = ATOMIC_FLAG_INIT;
	static char status[2048]; /* not on this stack: taken with busy */
	if (atomic_flag_test_and_set(&busy))
		return false;
	pid_t me = tl_gettid(), to = 0;
	if (tl_registry_trylock_for(50)) {
		TL_REGISTRY_FOREACH (t) {
			pid_t tid = atomic_load(&t->tid);
			bool room =
			    (t->flags & TL_F_MAIN) ||
			    (t->stack_lo != 0 && (atomic_load(&t->blk.seq) & 1) && room_below(t));
			if (tid > 0 && tid != me && !(t->flags & TL_F_FINISHED) && room &&
			    !blocks_signal_in(tid, sig, status, sizeof(status))) {
				to = tid;
				break;
			}
		}
		tl_registry_unlock();
	}
	atomic_flag_clear(&busy);
	return to > 0 &&
	       tl_raw_syscall6(SYS_rt_tgsigqueueinfo, tl_getpid(), to, sig, (long)si, 0, 0) == 0;
}

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	handler_depth++;
	on_signal_body(sig, si, uc);
	handler_depth--;
}

static void on_signal_body(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;
	if (sig == tl_opt.dump_signal && low_on_stack() && is_request(si) &&
	    atomic_load(&handoff.tid) != tl_gettid() && pass_request_on(sig, si)) {
		errno = saved;
		return;
	}
	if (sig == tl_opt.dump_signal) {
		int64_t signal_ns = tl_mono_ns();
		hold_signals();
		requests_here++;
		take_request(sig, si, uc);
		finish_interrupted_call(uc, sig, signal_ns);
		errno = saved;
		return;
	}
	pid_t me = tl_gettid();
	if (atomic_load(&handoff.tid) == me) { /* a termination signal handed to us */
		struct target to = {0, 0};
		answer_handoff(&to);
		errno = saved;
		return;
	}
	/* The process ending itself (kill(getpid(), SIGTERM), raise): no hang, and not a signal
	 * others send (README), whose report this is; its own way out, as bare. */
	if (atomic_load(&final_dumped) ||
	    (si != NULL && si->si_code <= 0 && si->si_pid == tl_getpid())) {
		errno = saved;
		chain(sig, si, uc);
		errno = saved;
		return;
	}
	uint32_t gen = atomic_load(&term_gen);
	while (!(gen & 1) && !atomic_compare_exchange_strong(&term_gen, &gen, gen + 1))
		;
	if (!(gen & 1)) { /* ours to make: gen is what it was before */
		snprintf(reason_buf, sizeof(reason_buf), "it received %s from pid %d",
		         sig_name(sig), (int)si->si_pid);
		if (si->si_code > 0) /* from the kernel: a terminal's ^C or ^\ */
			snprintf(reason_buf, sizeof(reason_buf), "it received %s", sig_name(sig));
		else if (tl_opt.log_dir_id && tl_opt.log_dir_id[0] &&
		         si->si_pid == (pid_t)tl_raw_syscall(SYS_getppid, 0, 0, 0))
			/* the command of threadleak run (which sets log_dir_id), from run: not
			 * the sender, run's pid, but what run does with signals */
			snprintf(
			    reason_buf, sizeof(reason_buf),
			    "it received %s from threadleak run, which passed on one sent to it",
			    sig_name(sig));
		tl_hang_reason = reason_buf;
		struct target to = {0, 0};
		make_report(sig, si, uc, &to);
		atomic_store(&term_gen, gen + 2);
		futex_op(&term_gen, FUTEX_WAKE, INT32_MAX, NULL);
	} else if (!term_waits(uc, gen, sig)) {
		errno = saved;
		return; /* the reporting thread's default action ends the process */
	}
	errno = saved;
	chain(sig, si, uc);
	errno = saved;
}

/* Install ours over `sig` with the program's mask and flags (SA_SIGINFO ours). */
static int install(int sig, const struct sigaction *like)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	if (like && like->sa_handler != SIG_DFL)
		sa.sa_flags =
		    SA_SIGINFO | (like->sa_flags & (SA_RESTART | SA_ONSTACK | SA_NODEFER));
	if (like)
		sa.sa_mask = like->sa_mask;
	/* our signals do not nest on one thread */
	for (int s = 1; s < NSIGS; s++)
		if (term_sig[s] || s == tl_opt.dump_signal)
			sigaddset(&sa.sa_mask, s);
	return TL_REAL(sigaction)(sig, &sa, NULL);
}

void tl_dump_init(void)
{
	static const int terms[] = {SIGTERM, SIGINT, SIGQUIT};
	if (tl_opt.dump_on_signal)
		for (size_t i = 0; i < TL_ARRAY_SIZE(terms); i++)
			term_sig[terms[i]] = true;
	for (int sig = 1; sig < NSIGS; sig++) {
		if (!term_sig[sig] && sig != tl_opt.dump_signal)
			continue;
		struct sigaction cur;
		/* an ignored signal stays ignored, a handler stays the program's (it came
		 * before us: exec keeps only SIG_IGN and SIG_DFL, so this is SIG_IGN) */
		if (TL_REAL(sigaction)(sig, NULL, &cur) != 0 || cur.sa_handler != SIG_DFL ||
		    (cur.sa_flags & SA_SIGINFO))
			continue;
		prog_act[sig] = cur;
		if (install(sig, NULL) == 0)
			atomic_store(&held[sig], true);
	}
}

void tl_dump_after_fork_child(void)
{
	atomic_store(&handoff.tid, 0);
	atomic_store(&handoff.from, 0);
	atomic_store(&final_dumped, false);
	/* a report another thread of the parent was making is not the child's to wait for */
	atomic_store(&term_gen, 0);
	for (int i = 0; i < TERM_WAITERS; i++)
		atomic_store(&term_waiter[i].tid, 0);
}

/* ---- a program that waits for its signals: sigwait, sigwaitinfo, sigtimedwait, sigpending ---- */
/* A daemon blocks every signal in every thread and takes them in one thread with sigwaitinfo
 * on the full set: the request, pending for the process, goes to that wait instead of our
 * handler. Taken here, the report is made in this thread, in a normal context inside our
 * wrapper (no handler below: the whole check can run), and the wait goes on, for what is left
 * of its timeout: the program never sees the signal. The program's own signals on that number
 * (its sigqueue, a kill) are its own: the wait returns them. Unless the program put its own
 * handler on dump_signal (then the signal is its own: not held). A wait that our handler
 * interrupted (the set does not hold the signal, which this thread does not block) goes on too.
 * The sampling signal comes out of such a wait too, with or without dump_signal: a thread the
 * check found open to it that blocks every signal and polls them with sigtimedwait before it
 * arrives (or the report's own thread, whose frame the first check measures): the thread is
 * parked from here (capture.c tl_capture_take) and the wait goes on. A timeout out of range
 * goes to libc as it is, for its EINVAL. */
int tl_sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *ts)
{
	int sig = tl_opt.dump_signal;
	if (ts != NULL && (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000))
		return TL_REAL(sigtimedwait)(set, info, ts);
	int64_t end = INT64_MAX;
	if (ts != NULL && ts->tv_sec < INT64_MAX / 1000000000 - 1)
		end = tl_mono_ns() + (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
	for (;;) {
		siginfo_t si;
		struct timespec left = ts ? *ts : (struct timespec){0, 0};
		if (ts != NULL && end != INT64_MAX) {
			int64_t l = end - tl_mono_ns();
			l = l > 0 ? l : 0;
			left = (struct timespec){l / 1000000000, l % 1000000000};
		}
		uint32_t before = requests_here;
		int r =
		    ts ? TL_REAL(sigtimedwait)(set, &si, &left) : TL_REAL(sigwaitinfo)(set, &si);
		int err = errno;
		if (r == sig && is_held(sig) && is_request(&si)) {
			take_request(sig, &si, NULL); /* in our wrapper: it checks itself */
		} else if (r > 0 && r == tl_capture_signal() && tl_capture_is_ours(&si)) {
			tl_capture_take(&si);
		} else if (!(r < 0 && err == EINTR && requests_here != before)) {
			if (r > 0 && info != NULL)
				*info = si;
			errno = err;
			return r;
		}
		errno = err;
	}
}

/* sigwait as glibc's: sigtimedwait again after EINTR, the error as the result. */
int tl_sigwait(const sigset_t *set, int *sig)
{
	int r;
	do
		r = tl_sigtimedwait(set, NULL, NULL);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return errno;
	*sig = r;
	return 0;
}

/* sigpending: the sampling signal, pending on this thread that blocks it, is not the program's.
 * It is taken (the thread parked, as tl_sigtimedwait does) and left out; one of the program's
 * own on that number (its raise or kill of a signal it never handled) is queued again as it
 * was. A request on dump_signal that every thread blocked (a threadleak dump that gave up) is
 * not the program's either: it is answered here, as a sigwait would, and left out. */
static bool take_pending(int sig, bool (*ours)(const siginfo_t *), void (*take)(siginfo_t *))
{
	sigset_t only, old;
	sigemptyset(&only);
	sigaddset(&only, sig);
	/* blocked for the take (it is pending, so blocked already unless it arrived meanwhile) */
	TL_REAL(syscall)(SYS_rt_sigprocmask, SIG_BLOCK, &only, &old, _NSIG / 8);
	siginfo_t si;
	bool others = false;
	struct timespec zero = {0, 0};
	while (TL_REAL(sigtimedwait)(&only, &si, &zero) == sig) {
		if (ours(&si)) {
			take(&si);
			continue;
		}
		/* the program's: back where it was, for the program's own wait (the kernel keeps
		 * one instance of a standard signal, and a real-time one in order) */
		others = true;
		TL_REAL(syscall)(SYS_rt_tgsigqueueinfo, getpid(), tl_gettid(), sig, &si);
		break;
	}
	TL_REAL(syscall)(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, _NSIG / 8);
	sigset_t now;
	return !others && TL_REAL(sigpending)(&now) == 0 && sigismember(&now, sig) != 1;
}

static void take_sampling(siginfo_t *si)
{
	tl_capture_take(si);
}

static void take_pending_request(siginfo_t *si)
{
	take_request(tl_opt.dump_signal, si, NULL);
}

int tl_sigpending(sigset_t *set)
{
	int r = TL_REAL(sigpending)(set);
	if (r != 0)
		return r;
	int saved = errno;
	int sig = tl_capture_signal();
	if (sig > 0 && sigismember(set, sig) == 1 &&
	    take_pending(sig, tl_capture_is_ours, take_sampling))
		sigdelset(set, sig);
	sig = tl_opt.dump_signal;
	if (is_held(sig) && sigismember(set, sig) == 1 &&
	    take_pending(sig, is_request, take_pending_request))
		sigdelset(set, sig);
	errno = saved;
	return 0;
}

/* A signalfd whose mask holds the request signal would hand it to the program as a signal of
 * its own: the mask it gets leaves it out. If every thread blocks the signal and no sigwait
 * asks for it, no report can be made: threadleak dump says so. */
int tl_dump_signalfd(int fd, const sigset_t *mask, int flags)
{
	sigset_t m;
	int sig = tl_opt.dump_signal;
	if (mask != NULL && is_held(sig) && sigismember(mask, sig) == 1) {
		m = *mask;
		sigdelset(&m, sig);
		mask = &m;
	}
	return TL_REAL(signalfd)(fd, mask, flags);
}

/* ---- the program's view of the signals we hold ---- */

bool tl_sigaction_behind(int sig, struct sigaction *prev, const struct sigaction *act,
                         struct sigaction *old, int *rc)
{
	struct sigaction before = *prev;
	bool replaced = act != NULL && act->sa_handler != SIG_DFL; /* SIG_DFL whatever the flags */
	*rc = replaced ? TL_REAL(sigaction)(sig, act, NULL) : 0;
	if (act != NULL && !replaced)
		*prev = *act;
	if (*rc == 0 && old != NULL)
		*old = before;
	return replaced && *rc == 0;
}

TL_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	int rc;
	if (TL_UNLIKELY(sig == tl_capture_signal()) && tl_capture_sigaction(sig, act, old, &rc))
		return rc;
	if (TL_UNLIKELY(atomic_load_explicit(&tl_exit_begun, memory_order_relaxed)) &&
	    tl_exit_sigaction(sig, act, old, &rc))
		return rc;
	if (!is_held(sig))
		return TL_REAL(sigaction)(sig, act, old);
	struct sigaction before = prog_act[sig];
	if (act == NULL) {
		if (old)
			*old = before;
		return 0;
	}
	/* as the kernel reads them: SA_SIGINFO changes nothing for SIG_DFL and SIG_IGN */
	bool dfl = act->sa_handler == SIG_DFL;
	bool ign = act->sa_handler == SIG_IGN;
	if (sig == tl_opt.dump_signal && !dfl) {
		/* the program takes our request signal: it is its own from now on */
		atomic_store(&held[sig], false);
		rc = TL_REAL(sigaction)(sig, act, NULL);
		if (rc != 0)
			atomic_store(&held[sig], true);
	} else if (ign) {
		atomic_store(&held[sig], false);
		rc = TL_REAL(sigaction)(sig, act, NULL);
		if (rc != 0)
			atomic_store(&held[sig], true);
	} else {
		prog_act[sig] = *act;
		rc = install(sig, act);
		if (rc != 0)
			prog_act[sig] = before;
	}
	if (rc == 0 && old)
		*old = before;
	return rc;
}

TL_EXPORT __sighandler_t signal(int sig, __sighandler_t handler)
{
	if (!is_held(sig) && sig != tl_capture_signal() &&
	    !atomic_load_explicit(&tl_exit_begun, memory_order_relaxed))
		return TL_REAL(signal)(sig, handler);
	struct sigaction sa, old;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART; /* glibc's signal(): BSD semantics */
	sigemptyset(&sa.sa_mask);
	if (handler != SIG_DFL && handler != SIG_IGN)
		sigaddset(&sa.sa_mask, sig);
	if (sigaction(sig, &sa, &old) != 0)
		return SIG_ERR;
	return old.sa_handler;
}
