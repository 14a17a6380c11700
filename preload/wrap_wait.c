/* Overridden libc: sleeps, signal waits, child waits, file locks, raw futex waits. */
#include "tl.h"

#include <errno.h>

#include <fcntl.h>
#include <linux/futex.h>
#include <stdarg.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <unistd.h>

static uintptr_t ms_of(const struct timespec *ts)
{
	return ts ? (uintptr_t)(ts->tv_sec * 1000 + ts->tv_nsec / 1000000) : (uintptr_t)-1;
}

/* A sleep's second word (objects.c): its microseconds when under a millisecond, 0 else. */
static uintptr_t sub_ms_us(const struct timespec *ts)
{
	return ts && ts->tv_sec == 0 && ts->tv_nsec < 1000000 ? (uintptr_t)ts->tv_nsec / 1000 : 0;
}

/* An absolute sleep as the relative one it is at the call (TL_SLEEP_ABSOLUTE in the second
 * word): the clock is read once, only for these. */
static uintptr_t abs_ms_of(clockid_t clk, const struct timespec *until)
{
	struct timespec now;
	if (until == NULL || TL_REAL(clock_gettime)(clk, &now) != 0)
		return (uintptr_t)-1;
	int64_t ms = (until->tv_sec - now.tv_sec) * 1000 + (until->tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? (uintptr_t)ms : 0;
}

TL_EXPORT int nanosleep(const struct timespec *req, struct timespec *rem)
{
	TL_BLOCKING(int, "nanosleep", TL_OBJ_SLEEP, ms_of(req), sub_ms_us(req),
	            TL_REAL(nanosleep)(req, rem));
}

TL_EXPORT int clock_nanosleep(clockid_t clk, int flags, const struct timespec *req,
                              struct timespec *rem)
{
	bool abs = flags & TIMER_ABSTIME;
	TL_BLOCKING(int, "clock_nanosleep", TL_OBJ_SLEEP, abs ? abs_ms_of(clk, req) : ms_of(req),
	            abs ? TL_SLEEP_ABSOLUTE : sub_ms_us(req),
	            TL_REAL(clock_nanosleep)(clk, flags, req, rem));
}

/* glibc's thrd_sleep calls its clock_nanosleep inside libc, past our wrapper */
TL_EXPORT int thrd_sleep(const struct timespec *req, struct timespec *rem)
{
	TL_BLOCKING(int, "thrd_sleep", TL_OBJ_SLEEP, ms_of(req), sub_ms_us(req),
	            TL_REAL(thrd_sleep)(req, rem));
}

TL_EXPORT unsigned int sleep(unsigned int s)
{
	TL_BLOCKING(unsigned int, "sleep", TL_OBJ_SLEEP, (uintptr_t)s * 1000, 0, TL_REAL(sleep)(s));
}

TL_EXPORT int usleep(useconds_t us)
{
	TL_BLOCKING(int, "usleep", TL_OBJ_SLEEP, us / 1000, us < 1000 ? us : 0,
	            TL_REAL(usleep)(us));
}

TL_EXPORT int pause(void)
{
	TL_BLOCKING(int, "pause", TL_OBJ_SIGNALS, 0, 0, TL_REAL(pause)()); /* any signal */
}

/* Neither the request signal (dump_signal) nor the sampling signal is the program's: dump.c
 * takes them out of the waits' results. */
TL_EXPORT int sigwait(const sigset_t *set, int *sig)
{
	TL_BLOCKING(int, "sigwait", TL_OBJ_SIGNALS, set, 0, tl_sigwait(set, sig));
}

TL_EXPORT int sigwaitinfo(const sigset_t *set, siginfo_t *info)
{
	TL_BLOCKING(int, "sigwaitinfo", TL_OBJ_SIGNALS, set, 0, tl_sigtimedwait(set, info, NULL));
}

TL_EXPORT int sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *ts)
{
	TL_BLOCKING(int, "sigtimedwait", TL_OBJ_SIGNALS, set, 0, tl_sigtimedwait(set, info, ts));
}

TL_EXPORT int sigpending(sigset_t *set)
{
	return tl_sigpending(set);
}

TL_EXPORT int signalfd(int fd, const sigset_t *mask, int flags)
{
	return tl_opt.dump_signal ? tl_dump_signalfd(fd, mask, flags)
	                          : TL_REAL(signalfd)(fd, mask, flags);
}

TL_EXPORT int sigsuspend(const sigset_t *set)
{
	/* obj2 1: the set is the mask during the wait; it waits for the other signals */
	TL_BLOCKING(int, "sigsuspend", TL_OBJ_SIGNALS, set, 1, TL_REAL(sigsuspend)(set));
}

TL_EXPORT pid_t wait(int *status)
{
	TL_BLOCKING(pid_t, "wait", TL_OBJ_PID, -1, 0, TL_REAL(wait)(status));
}

TL_EXPORT pid_t waitpid(pid_t pid, int *status, int options)
{
	if (options & WNOHANG)
		return TL_REAL(waitpid)(pid, status, options);
	TL_BLOCKING(pid_t, "waitpid", TL_OBJ_PID, pid, 0, TL_REAL(waitpid)(pid, status, options));
}

TL_EXPORT int waitid(idtype_t type, id_t id, siginfo_t *info, int options)
{
	if (options & WNOHANG)
		return TL_REAL(waitid)(type, id, info, options);
	if ((int)type == TL_P_PIDFD) /* the child's pidfd */
		TL_BLOCKING(int, "waitid", TL_OBJ_FD, id, 0,
		            TL_REAL(waitid)(type, id, info, options));
	/* obj: the pid, -pgid for a process group (as waitpid), -1 for any child */
	TL_BLOCKING(int, "waitid", TL_OBJ_PID,
	            type == P_PID              ? (intptr_t)id
	            : type == P_PGID && id > 1 ? -(intptr_t)id
	                                       : -1,
	            0, TL_REAL(waitid)(type, id, info, options));
}

TL_EXPORT pid_t wait3(int *status, int options, struct rusage *ru)
{
	if (options & WNOHANG)
		return TL_REAL(wait3)(status, options, ru);
	TL_BLOCKING(pid_t, "wait3", TL_OBJ_PID, -1, 0, TL_REAL(wait3)(status, options, ru));
}

TL_EXPORT pid_t wait4(pid_t pid, int *status, int options, struct rusage *ru)
{
	if (options & WNOHANG)
		return TL_REAL(wait4)(pid, status, options, ru);
	TL_BLOCKING(pid_t, "wait4", TL_OBJ_PID, pid, 0, TL_REAL(wait4)(pid, status, options, ru));
}

TL_EXPORT int flock(int fd, int op)
{
	if (op & LOCK_NB)
		return TL_REAL(flock)(fd, op);
	TL_BLOCKING(int, "flock", TL_OBJ_FD, fd, 0, TL_REAL(flock)(fd, op));
}

TL_EXPORT int lockf(int fd, int cmd, off_t len)
{
	if (cmd != F_LOCK)
		return TL_REAL(lockf)(fd, cmd, len);
	TL_BLOCKING(int, "lockf", TL_OBJ_FD, fd, 0, TL_REAL(lockf)(fd, cmd, len));
}

TL_EXPORT int lockf64(int fd, int cmd, off_t len)
{
	if (cmd != F_LOCK)
		return TL_REAL(lockf64)(fd, cmd, len);
	TL_BLOCKING(int, "lockf", TL_OBJ_FD, fd, 0, TL_REAL(lockf64)(fd, cmd, len));
}

/* fcntl is variadic; every command takes at most one argument, passed through as a pointer-
 * sized integer (what glibc itself does). Only the waiting lock commands are recorded. */
static bool fcntl_waits(int cmd)
{
	return cmd == F_SETLKW || cmd == F_OFD_SETLKW
#ifdef F_SETLKW64
	       || cmd == F_SETLKW64
#endif
	    ;
}

/* The wait named by its command: a record lock of the process (F_SETLKW) or of the open file
 * description (F_OFD_SETLKW, which a thread of the same process can block). */
static const char *fcntl_name(int cmd)
{
	return cmd == F_OFD_SETLKW ? "fcntl(F_OFD_SETLKW)" : "fcntl(F_SETLKW)";
}

TL_EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	if (!fcntl_waits(cmd))
		return TL_REAL(fcntl)(fd, cmd, arg);
	TL_BLOCKING(int, fcntl_name(cmd), TL_OBJ_FD, fd, 0, TL_REAL(fcntl)(fd, cmd, arg));
}

TL_EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	if (!fcntl_waits(cmd))
		return TL_REAL(fcntl64)(fd, cmd, arg);
	TL_BLOCKING(int, fcntl_name(cmd), TL_OBJ_FD, fd, 0, TL_REAL(fcntl64)(fd, cmd, arg));
}

/* syscall() is variadic too: the kernel takes six register arguments, so pass six through.
 * Only futex waits are recorded (Rust's Mutex, Condvar and channels block this way). */
TL_EXPORT long syscall(long nr, ...)
{
	va_list ap;
	va_start(ap, nr);
	long a1 = va_arg(ap, long), a2 = va_arg(ap, long), a3 = va_arg(ap, long);
	long a4 = va_arg(ap, long), a5 = va_arg(ap, long), a6 = va_arg(ap, long);
	va_end(ap);
	if (TL_UNLIKELY(nr == SYS_write) &&
	    tl_unwinder_fd((int)a1, (uintptr_t)__builtin_return_address(0)) == 1) {
		return tl_unwinder_write((const void *)a2, (size_t)a3); /* checking memory */
	} else if (TL_UNLIKELY(nr == SYS_close || nr == SYS_dup2 || nr == SYS_dup3 ||
	                       nr == SYS_close_range)) {
		tl_fds_touched_by_syscall(nr, a1, a2, a3);
	} else if (TL_UNLIKELY(nr == SYS_clone || nr == SYS_clone3)) {
		tl_clone_before();
	}
	if (nr == SYS_futex) {
		int op = (int)a2 & FUTEX_CMD_MASK;
		bool wait = op == FUTEX_WAIT || op == FUTEX_WAIT_BITSET;
		if (wait || op == FUTEX_LOCK_PI ||
		    op == FUTEX_WAIT_REQUEUE_PI) /* a4: the timeout */
			TL_BLOCKING(long, "futex", TL_OBJ_FUTEX, a1,
			            wait &&a4 == 0 ? TL_FUTEX_UNTIMED : 0,
			            TL_REAL(syscall)(nr, a1, a2, a3, a4, a5, a6));
	}
	return TL_REAL(syscall)(nr, a1, a2, a3, a4, a5, a6);
}
