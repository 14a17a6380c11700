/* Where threadleak writes: the stderr the process started with (even after the program closed
 * or redirected fd 2), log_path.PID, or stdout. One function formats every message: a stack
 * buffer and write(2), prefix "threadleak: ". Every descriptor is checked against the file
 * it stood for at start (device and inode) before anything is written to it. */
#include "tl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

struct ident {
	bool known;
	dev_t dev;
	ino_t ino;
};

TL_START_DATA static struct ident err_id,
    out_id; /* fd 2 and fd 1 (note_stderr, tl_log_note_stdout) */
/* Ours, close-on-exec: a copy of stderr, or for a pipe an O_PATH reference (see below). */
static int err_fd = -1;
TL_START_DATA static bool err_reopen; /* err_fd is an O_PATH reference, reopened to write */
TL_START_DATA bool tl_log_quiet;

/* Raw system calls at start: libc's fstat (an fstatat of "" in libc's read-only data), getrlimit,
 * open and close would each cost the loader's lazy binding and a page of libc's (docs/internals.md,
 * Process start). */
static bool raw_fstat(int fd, struct stat *st)
{
	return tl_raw_syscall(SYS_fstat, fd, (long)st, 0) == 0;
}

static void ident_of(int fd, struct ident *id)
{
	struct stat st;
	id->known = raw_fstat(fd, &st);
	id->dev = st.st_dev;
	id->ino = st.st_ino;
}

/* Is fd still the file of id? 1 yes, 0 no, -1 cannot be told. By fstat, else the kernel's
 * fstat, else statx: a seccomp filter may deny one of them (glibc's fstat is newfstatat); when
 * it denies them all, -1 for a descriptor that is open. */
static int same_file(int fd, const struct ident *id)
{
	if (!id->known || fd < 0)
		return 0;
	struct stat st;
	/* libc's first: an interposer's fstat (libfaketime's) is thereby initialised before its
	 * constructor, which keeps it usable after its destructor (docs/internals.md, Process
	 * start, the paragraph on libfaketime; tests/exit/test_destructors.py) */
	if (TL_REAL(fstat)(fd, &st) == 0)
		return st.st_dev == id->dev && st.st_ino == id->ino;
	long r = tl_raw_syscall(SYS_fstat, fd, (long)&st, 0);
	if (r == 0)
		return st.st_dev == id->dev && st.st_ino == id->ino;
	if (r == -EBADF)
		return 0;
	struct statx sx;
	r = tl_raw_syscall6(SYS_statx, fd, (long)"", AT_EMPTY_PATH, STATX_INO, (long)&sx, 0);
	if (r == 0)
		return makedev(sx.stx_dev_major, sx.stx_dev_minor) == id->dev &&
		       sx.stx_ino == id->ino;
	return r != -EBADF && tl_raw_syscall(SYS_fcntl, fd, F_GETFD, 0) >= 0 ? -1 : 0;
}

/* A descriptor anyone may have put there (fd 2, a file opened by path): only when it is known
 * to be the file of id, never into a file of the program's */
static bool is(int fd, const struct ident *id)
{
	return same_file(fd, id) == 1;
}

static bool cloexec(int fd)
{
	int flags = TL_REAL(fcntl)(fd, F_GETFD);
	return flags >= 0 && (flags & FD_CLOEXEC);
}

/* A descriptor of ours (close-on-exec, checked by the caller) that was the file of id when we
 * made it: also when that cannot be told any more (a filter denies every stat call) */
static bool is_ours(int fd, const struct ident *id)
{
	return same_file(fd, id) != 0;
}

/* A high number, so that the program's own descriptors keep the numbers they would have had
 * without us (programs and tests often expect the next open() to return 3): from FD_SETSIZE
 * (1024) where the limit allows, out of select()'s reach (at 1000, a program that opened 1021
 * files got 1024 for its last one, and select() on it aborted), and no higher, as a number near
 * a limit of a million would grow the kernel's descriptor table; else 16 below the limit.
 * Under a small limit (ulimit -n 64), the top three numbers below it: a program with no thread
 * got 4 from its first open(), our copy of stderr having taken 3. */
TL_START_CODE int tl_high_fd(int fd)
{
	struct rlimit rl;
	int min = 3;
	if (tl_raw_syscall6(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, (long)&rl, 0, 0) == 0) {
		if (rl.rlim_cur > 64)
			min = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur - 16 > FD_SETSIZE
			          ? FD_SETSIZE
			          : (int)rl.rlim_cur - 16;
		else if (rl.rlim_cur > 6) /* the three we hold: the stderr copy, libunwind's pipe */
			min = (int)rl.rlim_cur - 3;
	}
	int high = (int)tl_raw_syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, min);
	return high >= 0 ? high : (int)tl_raw_syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 3);
}

/* A descriptor of ours (a log file) moved to a high number: not the number the program's next
 * open() gets (a program that checks its descriptors, or counts on their numbers, in an exit
 * handler or while a mid-run check writes), and never 0, 1 or 2: with stderr closed (`2>&-`) a
 * file we open would take fd 2, and the program's own writes to stderr, or its fclose(stderr)
 * at exit, would land on it. Where no higher number is free, the same. */
static int out_of_the_way(int fd)
{
	if (fd < 0)
		return fd;
	int high = tl_high_fd(fd);
	if (high > fd || fd <= 2) {
		/* ours: not a program's close of fd 2 (note_stderr) */
		tl_raw_syscall(SYS_close, fd, 0, 0);
		return high;
	}
	if (high >= 0)
		tl_raw_syscall(SYS_close, high, 0, 0);
	return fd;
}

TL_START_DATA static bool err_pipe;  /* stderr is a pipe (note_stderr) */
TL_START_DATA static bool err_named; /* a file or a terminal: err_path may reopen it */
/* Where a file or terminal stderr is, read before the first thread: a program that closes every
 * descriptor (close_range(0, ~0U)) closes our copy too, and the report reopens it by this path
 * (checking that it is still the same file). Empty: unknown, or too long. */
static char err_path[256];

/* Keep stderr reachable for a program that closes or redirects fd 2 before it exits. A pipe
 * or a socket is never held open by a copy: its reader waits for the last writer, so `cmd |
 * cat` would wait for a daemon that cmd started and that sent its own stdio to /dev/null.
 * For a pipe we keep an O_PATH reference, which is not a writer, and open it again to write
 * (possible only while the pipe still has a reader); for a file or a terminal, a copy and its
 * path; for a socket, nothing. Both are taken when the program, once it has a thread, is about
 * to close or replace fd 2 (keep_stderr), not before: held from the first thread on, the
 * descriptor was one fewer for the program (one that opened files until EMFILE counted one
 * fewer once it had started a thread; docs/internals.md, "Descriptors of our own").
 *
 * What fd 2 is (its identity) is read once, when first needed: before the program's first
 * thread, before a call of the program's that closes or replaces fd 2 (tl_log_fds_closing:
 * close, dup2, dup3, close_range, closefrom, fclose and freopen of a stream on it, daemon), or
 * at the first message. Not at start, where the fstat would be a system call that every
 * process pays, with or without threads: on a VM with page-table isolation and no PCID each one
 * empties the TLB (docs/internals.md, Process start). The caller may be a vfork child, which
 * shares our memory with its parent: nothing is written here that is not as true of the
 * parent (the file its fd 2 stands for, and its path), and no descriptor is made. */
TL_START_DATA static atomic_int err_state; /* 0 not read, 1 being published, 2 read */

/* Read into locals, then published by whichever caller claims it first: a caller that loses
 * (another task of ours, a raw clone(); a signal handler of the same thread, which must not wait
 * for what it interrupted) goes on without it. A descriptor the program opened itself is not
 * taken for stderr when that can be told: with stderr closed at start (`2>&-`), the program's
 * first file gets fd 2, so a read-only fd 2 counts as no stderr. A file the program opened for
 * writing cannot be told from a stderr it was given (close-on-exec proves nothing: Node.js sets
 * it on its own stderr); the program's own writes to stderr land there too, as a sanitizer's
 * report would. */
static void note_stderr(void)
{
	if (TL_LIKELY(atomic_load_explicit(&err_state, memory_order_acquire) != 0))
		return;
	struct stat st;
	struct ident id = {false, 0, 0};
	bool pipe = false, named = false;
	char path[sizeof(err_path)] = "";
	long flflags = tl_raw_syscall(SYS_fcntl, 2, F_GETFL, 0);
	if (flflags >= 0 && (flflags & O_ACCMODE) != O_RDONLY && !(flflags & O_PATH) &&
	    raw_fstat(2, &st)) {
		id = (struct ident){true, st.st_dev, st.st_ino};
		pipe = S_ISFIFO(st.st_mode);
		named = S_ISREG(st.st_mode) || S_ISCHR(st.st_mode);
	}
	if (named) { /* to open it again after the program moved fd 2 (stderr_fd) */
		long n = tl_raw_syscall(SYS_readlink, (long)"/proc/self/fd/2", (long)path,
		                        sizeof(path) - 1);
		bool whole = n > 0 && n < (long)sizeof(path) - 1 && path[0] == '/';
		path[whole ? n : 0] = '\0'; /* else unknown: no reopening */
	}
	int none = 0;
	if (!atomic_compare_exchange_strong(&err_state, &none, 1))
		return;
	err_id = id;
	err_pipe = pipe;
	err_named = named;
	memcpy(err_path, path, sizeof(err_path));
	atomic_store_explicit(&err_state, 2, memory_order_release);
}

static void keep_stderr(void);
/* A call of the program's closed or replaced fd 2 (also in a vfork child, or during the exit):
 * where no stat call can tell what fd 2 is (a seccomp filter denies them all), it is taken for
 * the original stderr only while this is false (stderr_fd). */
static atomic_bool fd2_moved;

/* The program is about to close or replace its descriptors lo..hi. Not once its exit has
 * begun: a process without threads has nothing to report then (exit.c never_threaded), and
 * coreutils' exit handler closes stderr in every command that a build or a test suite runs (a
 * process with threads read it before its first one). */
void tl_log_fds_closing(long lo, long hi)
{
	if (TL_LIKELY(lo > 2 || hi < 2))
		return;
	atomic_store_explicit(&fd2_moved, true, memory_order_relaxed);
	if (atomic_load_explicit(&tl_exit_begun, memory_order_relaxed))
		return;
	note_stderr();
	keep_stderr();
}

/* Before the program's first thread (registry.c): what fd 2 is, and its path, for a program
 * that moves it in a way no wrapper of ours sees (a system call of its own code). */
void tl_log_note_stderr(void)
{
	note_stderr();
}

/* log_path=stdout: what fd 1 is now, the standard output the report goes to. Taken once the
 * options are loaded (at start, or at the check for a hook found then), not for every process:
 * a system call that only this option needs. */
void tl_log_note_stdout(void)
{
	if (!out_id.known && strcmp(tl_opt.log_path, "stdout") == 0)
		ident_of(1, &out_id);
}

/* When the program is about to close or replace fd 2 (tl_log_fds_closing) after its first
 * thread, in the process itself, while fd 2 is still the original stderr: a copy of a file or
 * a terminal at a high number, or for a pipe an O_PATH reference. Not before the first thread:
 * a process without threads has nothing to report, and would hold the launcher's log or
 * terminal for nothing (a daemon); and its pid may not be known yet, where a vfork child
 * (Python's subprocess with stderr=DEVNULL: vfork, then dup2 onto fd 2) that took it would
 * write its own pid into its parent's memory. The pid is compared before anything is written:
 * a vfork child's descriptors are not its parent's. Once: two threads closing fd 2 at the same
 * time take one, and a signal handler that closes it while its thread is taking one goes
 * without. A program whose fd 2 moves before its first thread, or without a call we see, gets
 * its report by the path read then (a file or a terminal), or on fd 2 if that is the pipe again
 * at the report, else nowhere. */
static atomic_int keep_state; /* 0 none taken, 1 being taken, 2 taken */

static void keep_stderr(void)
{
	int none = 0;
	if (TL_LIKELY(atomic_load_explicit(&keep_state, memory_order_relaxed) != 0) ||
	    !atomic_load_explicit(&tl_threads_started, memory_order_relaxed) || tl_pid == 0 ||
	    tl_getpid() != tl_pid || !atomic_compare_exchange_strong(&keep_state, &none, 1))
		return;
	int fd = -1;
	bool reopen = false;
	if (is(2, &err_id)) {
		if (err_named) {
			fd = tl_high_fd(2);
		} else if (err_pipe) { /* a socket: nothing */
			int ref =
			    (int)tl_raw_syscall6(SYS_openat, AT_FDCWD, (long)"/proc/self/fd/2",
			                         O_PATH | O_CLOEXEC, 0, 0, 0);
			if (ref >= 0) { /* else no /proc: fd 2 only */
				fd = tl_high_fd(ref);
				tl_raw_syscall(SYS_close, ref, 0, 0);
				if (fd >= 0 && !is(fd, &err_id)) { /* fd 2 changed meanwhile */
					tl_raw_syscall(SYS_close, fd, 0, 0);
					fd = -1;
				}
				reopen = fd >= 0;
			}
		}
	}
	err_reopen = reopen;
	err_fd = fd;
	atomic_store(&keep_state, fd >= 0 ? 2 : 0);
}

/* The process is ending (exit.c, when the check before the teardown ends): a writing copy of fd 2,
 * if it is still the original stderr, held until _exit. The teardown may fclose(stderr) or move
 * fd 2 (a log file dup2'ed there, /dev/null), and a pipe whose last writer went away has lost
 * its reader by the time the report is written (`cmd 2>&1 | cat`: cat ends at end of file). The
 * copy is close-on-exec; only a child the teardown forks without exec would hold the pipe. */
static int ending_err_fd = -1, ending_out_fd = -1; /* the same for fd 1 (log_path=stdout) */

void tl_log_hold_stderr(void)
{
	note_stderr();
	if (ending_err_fd < 0 && is(2, &err_id))
		ending_err_fd = tl_high_fd(2);
	if (ending_out_fd < 0 && tl_opt.log_path && strcmp(tl_opt.log_path, "stdout") == 0 &&
	    is(1, &out_id))
		ending_out_fd = tl_high_fd(1);
}

/* A child the teardown forks (a daemon) must not hold the parent's stderr pipe: `cmd | cat`
 * would wait for it. */
void tl_log_after_fork_child(void)
{
	if (ending_err_fd >= 0)
		close(ending_err_fd);
	if (ending_out_fd >= 0)
		close(ending_out_fd);
	ending_err_fd = ending_out_fd = -1;
	/* forked while another thread was taking the copy of stderr: that thread is not here to
	 * finish it, and the child takes its own when it moves fd 2 */
	int taking = 1;
	atomic_compare_exchange_strong(&keep_state, &taking, 0);
}

static int reopened = -1; /* the last descriptor stderr_fd opened anew: checked again later */

/* The original stderr opened anew to write (by its path, or through /proc from the pipe's
 * reference), if it is still that file (`ours`: a reference of ours, trusted also when that
 * cannot be told, see is_ours); -1 otherwise. O_NONBLOCK for the open only: a pipe without a
 * reader fails at once (ENXIO) instead of waiting for one, a serial line does not wait for its
 * carrier; a slow terminal must still get the whole report. */
static int open_again(const char *path, bool ours)
{
	int fd =
	    out_of_the_way(open(path, O_WRONLY | O_APPEND | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
	if (fd >= 0 && (!(ours ? is_ours(fd, &err_id) : is(fd, &err_id)) ||
	                TL_REAL(fcntl)(fd, F_SETFL, O_APPEND) != 0)) {
		close(fd);
		fd = -1;
	}
	return reopened = fd;
}

/* Where a message goes: fd 2 while it is still the original stderr (where no stat call can tell,
 * while no call of the program's has closed or replaced it: fd2_moved); else our descriptor, if
 * it is still ours (a program that closes every descriptor and opens files until the table is
 * full gets our number for its own data, which must not receive the report); else, for a file
 * or terminal whose copy the program closed too (close_range(0, ~0U)), the same file by its
 * path; else nowhere (-1). The result is released with release(). */
static int stderr_fd(void)
{
	note_stderr();
	/* unless the teardown closed it (closefrom(3)) or gave its number to something else */
	if (ending_err_fd >= 0 && cloexec(ending_err_fd) && is_ours(ending_err_fd, &err_id))
		return ending_err_fd;
	int two = same_file(2, &err_id);
	if (two == 1 || (two < 0 && !atomic_load_explicit(&fd2_moved, memory_order_relaxed)))
		return 2;
	if (err_fd < 0 || !cloexec(err_fd) || !is_ours(err_fd, &err_id))
		return err_path[0] == '/' ? open_again(err_path, false) : -1;
	if (!err_reopen)
		return err_fd;
	if (!(TL_REAL(fcntl)(err_fd, F_GETFL) & O_PATH))
		return -1;
	char path[48];
	/* thread-self: once main has called pthread_exit, /proc/self's fds are gone (tl_open_maps)
	 */
	snprintf(path, sizeof(path), "/proc/thread-self/fd/%d", err_fd);
	return open_again(path, true);
}

/* log_path=stdout: fd 1 only while it is still the original stdout, else stderr. */
static int stdout_fd(void)
{
	if (ending_out_fd >= 0 && cloexec(ending_out_fd) && is_ours(ending_out_fd, &out_id))
		return ending_out_fd;
	if (is(1, &out_id))
		return 1;
	tl_warn("log_path=stdout: fd 1 is no longer the standard output the process started with; "
	        "writing the report to stderr");
	return stderr_fd();
}

/* The report's destination opened before the teardown, for the last handler: the same, or, for
 * stderr, where stderr_fd finds it now (the teardown may have closed our copy: closefrom(3)). */
int tl_output_again(int fd)
{
	if (fd >= 0 && (fd == ending_out_fd || fd == 1))
		return stdout_fd();
	/* one opened anew (by path, or from the pipe's reference) may have been closed by the
	 * teardown and its number given to a file of the program's: found again too */
	return fd >= 0 && (fd == ending_err_fd || fd <= 2 || fd == reopened) ? stderr_fd() : fd;
}

/* The log file opened for the report (open_log, open_run_log): a write to it that fails (a full
 * disk, a quota, an I/O error, a device such as /dev/full) puts the report on stderr instead,
 * with one line that says why: a report is never lost without a word. */
static int log_fd = -1;
static char log_name[256];
static bool log_failed; /* once failed: what follows goes to stderr too */

static void opened_log(int fd, const char *name)
{
	log_fd = fd;
	log_failed = false;
	tl_shown(name, strlen(name), sizeof(log_name) - 8, log_name, sizeof(log_name));
}

static void release(int fd)
{
	if (fd >= 0 && fd == log_fd)
		log_fd = -1;
	if (fd > 2 && fd != err_fd && fd != ending_err_fd && fd != ending_out_fd)
		close(fd);
}

/* Wait until fd takes more (a log that is a FIFO or a terminal, opened O_NONBLOCK so that opening
 * it cannot block): a second at a time, ten at most without progress. */
static bool writable_again(int fd, int *waits)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	return ++*waits <= 10 && TL_REAL(syscall)(SYS_poll, &p, 1, 1000) > 0 &&
	       !(p.revents & (POLLERR | POLLHUP | POLLNVAL));
}

/* Write it all; 0, or the errno that stopped it (EPIPE: the reader has gone). */
static int write_all(int fd, const char *buf, size_t len)
{
	int waits = 0;
	while (len > 0) {
		ssize_t w = TL_REAL(syscall)(SYS_write, fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN && writable_again(fd, &waits))
			continue;
		if (w <= 0)
			return w < 0 ? errno : EIO;
		buf += w;
		len -= (size_t)w;
		waits = 0;
	}
	return 0;
}

/* A reader that has gone (a pipe whose reader saw the program close it) must cost the report,
 * not the program: SIGPIPE is held while we write, and one we caused is taken back. The write
 * itself is the system call: at the very end of exit, another interposer's write() may no longer
 * work (see docs/internals.md, Exit), and everything here is async-signal-safe. */
void tl_output_write(int fd, const char *buf, size_t len)
{
	sigset_t pipe_set, old, pending;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigemptyset(&pending);
	tl_raw_syscall(SYS_rt_sigpending, (long)&pending, _NSIG / 8,
	               0); /* not our sigpending: dump.c */
	bool was_pending = sigismember(&pending, SIGPIPE);
	TL_REAL(pthread_sigmask)(SIG_BLOCK, &pipe_set, &old);
	bool to_log = fd >= 0 && fd == log_fd;
	int err = fd < 0 || (to_log && log_failed) ? 0 : write_all(fd, buf, len);
	if (err == EPIPE && !was_pending) {
		struct timespec zero = {0, 0};
		TL_REAL(sigtimedwait)(&pipe_set, NULL, &zero);
	}
	if (to_log && (err != 0 || log_failed)) {
		if (!log_failed) {
			log_failed = true;
			tl_warn("cannot write the report to %s: %s; writing it to stderr", log_name,
			        strerror(err));
		}
		int efd = stderr_fd();
		if (efd != fd) {
			write_all(efd, buf, len);
			release(efd);
		}
	}
	TL_REAL(pthread_sigmask)(SIG_SETMASK, &old, NULL);
}

void tl_warn(const char *fmt, ...)
{
	if (tl_log_quiet)
		return;
	int saved = errno;
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = snprintf(buf, sizeof(buf), "threadleak: ");
	int m = vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	size_t len = (size_t)n +
	             (m < 0 ? 0
	                    : ((size_t)m > sizeof(buf) - (size_t)n - 2 ? sizeof(buf) - (size_t)n - 2
	                                                               : (size_t)m));
	buf[len++] = '\n';
	int fd = stderr_fd();
	tl_output_write(fd, buf, len);
	release(fd);
	errno = saved;
}

/* A log file holds every report of the process, one after the other: the API's checks, then the
 * exit check's (one JSON document each). The first check of the process empties it; the exit
 * check taken again after the teardown replaces the early one's report (tl_output_replace_next).
 * Before, each check emptied it, and a leak found by a test's mid-run check was lost at exit. */
static pid_t log_owner;    /* the process that emptied its log file */
static off_t report_start; /* where the last report begins */
static bool replace_next;

void tl_output_replace_next(void)
{
	replace_next = true;
}

/* A newly opened log file: written only when it is a regular file of ours with no other name
 * (not a hard link to a file elsewhere); emptied only then, or written at its end (see
 * log_owner). -1 after a warning otherwise. */
static int claim(int fd, const char *path, const char *then)
{
	fd = out_of_the_way(fd);
	if (fd < 0)
		return -1;
	struct stat st;
	/* the kernel's answers on both sides: libc's fstat (TL_REAL skips an interposer preloaded
	 * before us) against the kernel's euid, not an interposer's (fakeroot's says 0) */
	if (TL_REAL(fstat)(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != (uid_t)tl_raw_syscall(SYS_geteuid, 0, 0, 0) || st.st_nlink != 1) {
		close(fd);
		tl_warn("log_path file %s is not a regular file of ours%s", path, then);
		return -1;
	}
	off_t at = 0;
	if (log_owner == tl_getpid())
		at = replace_next ? report_start : lseek(fd, 0, SEEK_END);
	else if (tl_written_since_start(&st))
		at = lseek(fd, 0, SEEK_END);
	if (at < 0 || ftruncate(fd, at) != 0 || lseek(fd, at, SEEK_SET) != at) {
		close(fd);
		return -1;
	}
	log_owner = tl_getpid();
	report_start = at;
	replace_next = false;
	return fd;
}

static bool parse_ull(const char **s, unsigned long long *v)
{
	const char *p = *s;
	*v = 0;
	while (*p >= '0' && *p <= '9')
		*v = *v * 10 + (unsigned)(*p++ - '0');
	if (p == *s)
		return false;
	*s = p;
	return true;
}

/* Under `threadleak run` (log_dir_id=DEV,INO): the folder of log_path must be the very folder
 * run made. run names it through its own descriptor (/proc/RUNPID/fd/N), so a process that
 * outlives run finds no folder, or the folder of whatever process now has that number, and
 * writes nothing: anything else would put a report in a folder of someone else's choosing,
 * or raw JSON on a terminal. System calls only, no errno: the exec wrappers call this in
 * vfork children (wrap_exec.c). */
int tl_run_dir_open(const char **leaf)
{
	const char *p = tl_opt.log_path, *id = tl_opt.log_dir_id;
	unsigned long long dev, ino;
	const char *slash = p ? strrchr(p, '/') : NULL;
	char dir[256]; /* run's is /proc/PID/fd/N: small, for the stack of a small thread */
	size_t n = slash ? (size_t)(slash - p) : 0;
	if (id == NULL || !parse_ull(&id, &dev) || *id++ != ',' || !parse_ull(&id, &ino) || *id ||
	    n == 0 || n >= sizeof(dir))
		return -EINVAL;
	memcpy(dir, p, n);
	dir[n] = '\0';
	*leaf = slash + 1;
	int dfd = (int)tl_raw_syscall6(SYS_openat, AT_FDCWD, (long)dir,
	                               O_PATH | O_DIRECTORY | O_CLOEXEC, 0, 0, 0);
	if (dfd < 0)
		return dfd;
	struct stat st;
	if (tl_raw_syscall(SYS_fstat, dfd, (long)&st, 0) != 0 || st.st_dev != (dev_t)dev ||
	    st.st_ino != (ino_t)ino || st.st_uid != (uid_t)tl_raw_syscall(SYS_geteuid, 0, 0, 0)) {
		tl_raw_syscall(SYS_close, dfd, 0, 0);
		return -ESTALE;
	}
	return dfd;
}

size_t tl_put_uint(char *buf, unsigned long v)
{
	char tmp[24];
	size_t n = 0, i = 0;
	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n)
		buf[i++] = tmp[--n];
	buf[i] = '\0';
	return i;
}

bool tl_run_first(const char *key)
{
	const char *leaf;
	int dfd = tl_run_dir_open(&leaf);
	if (dfd < 0)
		return true;
	/* "once.HASH" (FNV-1a of the key), made with O_EXCL; run removes it with the folder */
	uint64_t h = 14695981039346656037ULL;
	for (const char *c = key; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ULL;
	char name[32];
	snprintf(name, sizeof(name), "once.%016llx", (unsigned long long)h);
	long fd = tl_raw_syscall6(SYS_openat, dfd, (long)name,
	                          O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600, 0, 0);
	tl_raw_syscall(SYS_close, dfd, 0, 0);
	if (fd >= 0)
		tl_raw_syscall(SYS_close, fd, 0, 0);
	return fd != -EEXIST;
}

static int open_run_log(void)
{
	const char *leaf;
	char name[256];
	int dfd = tl_run_dir_open(&leaf);
	if (dfd == -EINVAL || (dfd >= 0 && snprintf(name, sizeof(name), "%s.%d", leaf,
	                                            (int)getpid()) >= (int)sizeof(name))) {
		if (dfd >= 0)
			close(dfd);
		tl_warn(
		    "log_path and log_dir_id are not those of threadleak run; report not written");
		return -1;
	}
	if (dfd < 0) {
		if (dfd != -ENOENT && dfd != -ESTALE)
			tl_warn(
			    "cannot open the report folder of threadleak run: %s; report of pid "
			    "%d not written",
			    strerror(-dfd), (int)getpid());
		else /* /proc/RUN/fd/N: in a PID namespace of its own, /proc shows no such pid */
			tl_warn(
			    "threadleak run's report folder is gone: run has ended (pid %d "
			    "outlived it), or this process is in another PID namespace (unshare "
			    "-p, a container), whose /proc does not show run; its report is not "
			    "written",
			    (int)getpid());
		return -1;
	}
	int fd = TL_REAL(openat)(dfd, name,
	                         O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);
	int err = errno;
	close(dfd);
	if (fd < 0) {
		tl_warn(err == ENOENT
		            ? "threadleak run's report folder is gone: run has ended (pid %d "
		              "outlived it), or this process is in another PID namespace "
		              "(unshare -p, a container), whose /proc does not show run; its "
		              "report is not written"
		            : "cannot write the report of pid %d for threadleak run: %s",
		        (int)getpid(), strerror(err));
		return -1;
	}
	fd = claim(fd, name, "; report not written");
	if (fd >= 0)
		opened_log(fd, "the report folder of threadleak run");
	return fd;
}

/* Open PATH.PID for the report: never through a symlink in the last component, never over a
 * file of another user. */
static int open_log(void)
{
	const char *p = tl_opt.log_path;
	if (strcmp(p, "stderr") == 0)
		return stderr_fd();
	if (strcmp(p, "stdout") == 0)
		return stdout_fd();
	if (tl_opt.log_dir_id && tl_opt.log_dir_id[0]) {
		const char *id = tl_opt.log_dir_id;
		unsigned long long dev, ino;
		if (parse_ull(&id, &dev) && *id++ == ',' && parse_ull(&id, &ino) && *id == '\0')
			return open_run_log();
		/* not run's (DEV,INO): a mistake of the user's, not a folder to refuse */
		char shown[64];
		tl_shown(tl_opt.log_dir_id, strlen(tl_opt.log_dir_id), 40, shown, sizeof(shown));
		tl_warn("invalid log_dir_id '%s' (set by threadleak run: DEV,INO); ignored", shown);
		tl_opt.log_dir_id = NULL;
	}
	/* a device or a named pipe is written as it is (log_path=/dev/null, a terminal, a FIFO
	 * someone reads), not as /dev/null.PID */
	struct stat st;
	if (TL_REAL(stat)(p, &st) == 0 && (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))) {
		int fd = open(p, O_WRONLY | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
		if (fd >= 0 && (fd = out_of_the_way(fd)) >= 0)
			opened_log(fd, p);
		if (fd >= 0)
			return fd;
	}
	/* a folder (log_path=logs/): logs/threadleak.PID, not a hidden logs/.PID */
	size_t plen = strlen(p);
	char path[4096];
	int n = snprintf(path, sizeof(path), "%s%s.%d", p,
	                 plen && p[plen - 1] == '/' ? "threadleak" : "", (int)getpid());
	if (n < 0 || (size_t)n >= sizeof(path)) {
		tl_warn("log_path is too long (%zu bytes); writing the report to stderr",
		        strlen(p));
		return stderr_fd();
	}
	/* no O_TRUNC before we know the file is ours */
	int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0644);
	if (fd < 0) {
		tl_warn(errno == ELOOP
		            ? "cannot open log_path file %s: %s (a symbolic link: refused, "
		              "see the README); writing the report to stderr"
		            : "cannot open log_path file %s: %s; writing the report to stderr",
		        path, strerror(errno));
		return stderr_fd();
	}
	fd = claim(fd, path, "; writing the report to stderr");
	if (fd >= 0)
		opened_log(fd, path);
	return fd >= 0 ? fd : stderr_fd();
}

/* The report's destination, opened now (the exit check opens it in our destructor and writes
 * at the very end, when other libraries' open() may no longer work); -1: nowhere. */
int tl_output_open(void)
{
	bool to_file = tl_opt.log_path && tl_opt.log_path[0];
	return to_file ? open_log() : stderr_fd();
}

void tl_output_close(int fd)
{
	release(fd);
}

void tl_output(const char *buf, size_t len)
{
	int fd = tl_output_open();
	tl_output_write(fd, buf, len);
	tl_output_close(fd);
}
