/* Overridden libc: file descriptors, sockets, polling, message queues. FORTIFY builds call the
 * __*_chk variants instead of the plain functions, so those are wrapped too and report under
 * the plain name. libc's calls to itself (fgets -> read) are not interposable: check.c falls
 * back to the kernel's view for those. */
#include "tl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

/* glibc declares these only inside its FORTIFY headers */
ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen);
ssize_t __pread_chk(int fd, void *buf, size_t n, off_t off, size_t buflen);
ssize_t __pread64_chk(int fd, void *buf, size_t n, off_t off, size_t buflen);
ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags, struct sockaddr *a,
                       socklen_t *alen);
int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen);
int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *m,
                size_t fdslen);

#define FD_CALL(type, name, fd, realcall) TL_BLOCKING(type, name, TL_OBJ_FD, fd, 0, realcall)

/* libunwind's pipe (docs/internals.md, "Descriptors of our own"). libunwind checks memory by
 * writing a byte of it to a pipe (EFAULT: unreadable), which it opens when it starts and again
 * when a read of it fails. A pipe costs the program two descriptors: one that opens files until
 * EMFILE got two fewer once it had started a thread. So libunwind is given two numbers that no
 * descriptor can have (above the kernel's largest, fs.nr_open's maximum 2147483584), and its calls
 * on them are answered here: its write of a byte is a process_vm_readv of that byte (the same
 * answer, the same one system call), its read of the pipe finds it empty (EAGAIN), its close does
 * nothing. Under a seccomp filter, or where process_vm_readv is refused, libunwind gets a real
 * pipe, moved to high numbers so that the program's next open() still returns 3. The program may
 * then take those numbers (dup2 of its log onto 1001, a close of every descriptor, then opens):
 * libunwind would write its bytes into the program's file, read the program's data, or close the
 * program's descriptor to open its pipe again. So the numbers libunwind holds stand for a pipe
 * of ours: its read, write (through syscall()) and close of them are served by that pipe,
 * which is made again when the program has touched its numbers (close, dup2, dup3,
 * close_range, closefrom, or their system calls). */
#define UNW_NO_FD_READ (INT_MAX - 2) /* + 1 must not overflow: tl_real.unwinder_read */
#define UNW_NO_FD_WRITE (INT_MAX - 1)
static bool unw_no_fd;             /* libunwind holds the two numbers above, no pipe */
static int unw_nums[2] = {-1, -1}; /* what libunwind holds */
static int unw_real[2] = {-1, -1}; /* the pipe they stand for */
static _Atomic bool unw_touched;   /* the program closed or replaced a number of unw_real */
static pthread_mutex_t unw_lock = PTHREAD_MUTEX_INITIALIZER;
static dev_t unw_dev;
static ino_t unw_ino; /* both ends of a pipe are one inode */

static bool unw_end_ours(int fd)
{
	struct stat st;
	return fd >= 0 && tl_raw_syscall(SYS_fstat, fd, (long)&st, 0) == 0 &&
	       st.st_dev == unw_dev && st.st_ino == unw_ino;
}

static bool unw_record(const int fds[2])
{
	struct stat st;
	if (tl_raw_syscall(SYS_fstat, fds[0], (long)&st, 0) != 0)
		return false;
	unw_dev = st.st_dev;
	unw_ino = st.st_ino;
	unw_real[0] = fds[0];
	unw_real[1] = fds[1];
	return true;
}

/* A pipe's two ends moved to high numbers (tl_high_fd). */
static void move_high(int fds[2])
{
	for (int i = 0; i < 2; i++) {
		int high = tl_high_fd(fds[i]);
		if (high > fds[i]) {
			tl_raw_syscall(SYS_close, fds[i], 0, 0);
			fds[i] = high;
		} else if (high >= 0) { /* no higher number free: a lower one, not kept */
			tl_raw_syscall(SYS_close, high, 0, 0);
		}
	}
}

/* A pipe at high numbers, libunwind's flags. */
static bool high_pipe(int fds[2])
{
	if (tl_raw_syscall(SYS_pipe2, (long)fds, O_NONBLOCK | O_CLOEXEC, 0) != 0)
		return false;
	move_high(fds);
	return true;
}

/* The descriptor that libunwind's number for `end` stands for now, -1 when there is none. */
static int unw_fd(int end)
{
	if (!atomic_load(&unw_touched))
		return unw_real[end];
	pthread_mutex_lock(&unw_lock);
	if (atomic_exchange(&unw_touched, false) &&
	    !(unw_end_ours(unw_real[0]) && unw_end_ours(unw_real[1]))) {
		for (int i = 0; i < 2; i++) /* what is left of ours */
			if (unw_end_ours(unw_real[i]))
				tl_raw_syscall(SYS_close, unw_real[i], 0, 0);
		int fds[2];
		if (!high_pipe(fds) || !unw_record(fds))
			unw_real[0] = unw_real[1] = -1;
	}
	int fd = unw_real[end];
	pthread_mutex_unlock(&unw_lock);
	return fd;
}

/* Does the program's close, dup2... of lo..hi reach our pipe? */
static void fds_touched(long lo, long hi)
{
	tl_log_fds_closing(lo, hi); /* fd 2 among them: what it was, first */
	for (int i = 0; i < 2; i++)
		if (unw_real[i] >= 0 && unw_real[i] >= lo && unw_real[i] <= hi)
			atomic_store(&unw_touched, true);
}

/* Does dup2/dup3(old, new) close or replace new? Not when old is new (dup2 returns it, dup3
 * fails), nor when old is no descriptor (EBADF): a call that changes nothing must not make the
 * copy of stderr (log.c keep_stderr). old is looked at only for fd 2. */
static bool dup_replaces(long old, long new)
{
	return old != new && (new != 2 || tl_raw_syscall(SYS_fcntl, old, F_GETFD, 0) >= 0);
}

void tl_fds_touched_by_syscall(long nr, long a1, long a2, long a3)
{
	if (nr == SYS_close)
		fds_touched(a1, a1);
	else if ((nr == SYS_dup2 || nr == SYS_dup3) && dup_replaces(a1, a2))
		fds_touched(a2, a2);
	else if (nr == SYS_close_range && !(a3 & CLOSE_RANGE_CLOEXEC))
		fds_touched((unsigned)a1, (unsigned)a2);
}

/* libunwind's call on one of its numbers: which of ours it is (0 read end, 1 write end), -1 for
 * any other call. */
int tl_unwinder_fd(int fd, uintptr_t caller)
{
	if ((fd != unw_nums[0] && fd != unw_nums[1]) || fd < 0 || !tl_pc_in_unwinder(caller))
		return -1;
	return fd == unw_nums[0] ? 0 : 1;
}

/* libunwind opening its pipe: two numbers without descriptors, when process_vm_readv answers
 * (true: fds is set, no pipe is made). Not under a seccomp filter, which may kill the process
 * for a system call it does not allow (systemd's SystemCallFilter does by default) rather than
 * refuse it: there, the pipe as libunwind would have had it. */
static bool unwinder_pipe_no_fd(int *fds, uintptr_t caller)
{
	char probe = 1, copy = 0;
	if (!tl_pc_in_unwinder(caller) || tl_seccomp_filtered() ||
	    !tl_copy_mapped(&copy, (uintptr_t)&probe, 1))
		return false;
	pthread_mutex_lock(&unw_lock);
	unw_nums[0] = fds[0] = UNW_NO_FD_READ;
	unw_nums[1] = fds[1] = UNW_NO_FD_WRITE;
	tl_real.unwinder_read = UNW_NO_FD_READ + 1;
	unw_real[0] = unw_real[1] = -1;
	unw_no_fd = true;
	pthread_mutex_unlock(&unw_lock);
	return true;
}

/* libunwind's check of n bytes at addr, its write to the pipe's write end: 1 when the
 * kernel can read them (as the pipe's write returned), else -1 with errno EFAULT. Without the
 * numbers above, -2: the caller writes to the pipe they stand for. A process_vm_readv refused
 * (a seccomp filter installed since) makes that pipe: the numbers stand for it from then on,
 * as for a pipe libunwind opened (unw_fd). */
static long unwinder_check_mem(long addr, long n)
{
	if (!unw_no_fd)
		return -2;
	char byte;
	long r = n < 1 ? -EFAULT : tl_vm_read(&byte, (uintptr_t)addr, 1);
	if (r == 1)
		return 1;
	if (r == -EPERM || r == -ENOSYS) {
		pthread_mutex_lock(&unw_lock);
		int fds[2];
		if (unw_no_fd && high_pipe(fds) && unw_record(fds))
			unw_no_fd = false;
		pthread_mutex_unlock(&unw_lock);
		if (!unw_no_fd)
			return -2;
	}
	errno = EFAULT;
	return -1;
}

/* libunwind's write of n bytes at buf to its pipe's write end (by write() or
 * syscall(SYS_write)): answered without a descriptor, or written to the pipe its number stands
 * for. */
long tl_unwinder_write(const void *buf, size_t n)
{
	long r = unwinder_check_mem((long)buf, (long)n);
	if (r != -2)
		return r;
	int real = unw_fd(1);
	if (real < 0) {
		errno = EBADF;
		return -1;
	}
	return TL_REAL(write)(real, buf, n);
}

static void unwinder_pipe(int *fds, uintptr_t caller)
{
	if (!tl_pc_in_unwinder(caller))
		return;
	move_high(fds);
	pthread_mutex_lock(&unw_lock);
	unw_nums[0] = fds[0];
	unw_nums[1] = fds[1];
	tl_real.unwinder_read = fds[0] + 1;
	if (!unw_record(fds))
		unw_real[0] = unw_real[1] = -1;
	unw_no_fd = false;
	atomic_store(&unw_touched, false);
	pthread_mutex_unlock(&unw_lock);
}

TL_EXPORT int pipe2(int fds[2], int flags)
{
	if (TL_UNLIKELY(unwinder_pipe_no_fd(fds, (uintptr_t)__builtin_return_address(0))))
		return 0;
	int r = TL_REAL(pipe2)(fds, flags);
	if (r == 0)
		unwinder_pipe(fds, (uintptr_t)__builtin_return_address(0));
	return r;
}

TL_EXPORT int pipe(int fds[2])
{
	if (TL_UNLIKELY(unwinder_pipe_no_fd(fds, (uintptr_t)__builtin_return_address(0))))
		return 0;
	int r = TL_REAL(pipe)(fds);
	if (r == 0)
		unwinder_pipe(fds, (uintptr_t)__builtin_return_address(0));
	return r;
}

TL_EXPORT int close(int fd)
{
	int end = tl_unwinder_fd(fd, (uintptr_t)__builtin_return_address(0));
	if (end >= 0) { /* libunwind opening its pipe again: ours goes, not the number's owner */
		int real = unw_fd(end);
		if (real >= 0 && unw_end_ours(real))
			tl_raw_syscall(SYS_close, real, 0, 0);
		return 0;
	}
	fds_touched(fd, fd);
	return TL_REAL(close)(fd);
}

TL_EXPORT int dup2(int old, int new)
{
	if (dup_replaces(old, new))
		fds_touched(new, new);
	return TL_REAL(dup2)(old, new);
}

TL_EXPORT int dup3(int old, int new, int flags)
{
	if (dup_replaces(old, new))
		fds_touched(new, new);
	return TL_REAL(dup3)(old, new, flags);
}

TL_EXPORT int close_range(unsigned lo, unsigned hi, int flags)
{
	if (!(flags & CLOSE_RANGE_CLOEXEC)) /* that only marks them */
		fds_touched(lo, hi);
	return TL_REAL(close_range)(lo, hi, flags);
}

TL_EXPORT void closefrom(int lo)
{
	fds_touched(lo, INT_MAX);
	TL_REAL(closefrom)(lo);
}

/* Streams that close or replace their descriptor inside libc, past the wrappers above: for fd
 * 2, what it was is read first (log.c, note_stderr). The stream's descriptor is read from the
 * FILE itself, as fileno() would (a call of libc's would cost its lazy binding). */
static void stream_closing(FILE *f)
{
	if (f != NULL)
		tl_log_fds_closing(f->_fileno, f->_fileno);
}

TL_EXPORT int fclose(FILE *f)
{
	stream_closing(f);
	return TL_REAL(fclose)(f);
}

TL_EXPORT int fcloseall(void)
{
	tl_log_fds_closing(0, 2);
	return TL_REAL(fcloseall)();
}

TL_EXPORT FILE *freopen(const char *path, const char *mode, FILE *f)
{
	stream_closing(f);
	return TL_REAL(freopen)(path, mode, f);
}

TL_EXPORT FILE *freopen64(const char *path, const char *mode, FILE *f)
{
	stream_closing(f);
	return TL_REAL(freopen64)(path, mode, f);
}

TL_EXPORT ssize_t read(int fd, void *buf, size_t n)
{
	if (TL_UNLIKELY(fd + 1 == tl_real.unwinder_read) &&
	    tl_unwinder_fd(fd, (uintptr_t)__builtin_return_address(0)) == 0) {
		if (unw_no_fd) { /* libunwind draining its pipe: empty */
			errno = EAGAIN;
			return -1;
		}
		int real = unw_fd(0);
		if (real < 0) {
			errno = EBADF;
			return -1;
		}
		return TL_REAL(read)(real, buf, n);
	}
	FD_CALL(ssize_t, "read", fd, TL_REAL(read)(fd, buf, n));
}

TL_EXPORT ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen)
{
	FD_CALL(ssize_t, "read", fd, TL_REAL(__read_chk)(fd, buf, n, buflen));
}

TL_EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
	/* a libunwind built without syscall() checks memory with write() (the constant costs no
	 * load: one compare on this path) */
	if (TL_UNLIKELY(fd == UNW_NO_FD_WRITE) &&
	    tl_unwinder_fd(fd, (uintptr_t)__builtin_return_address(0)) == 1)
		return tl_unwinder_write(buf, n);
	FD_CALL(ssize_t, "write", fd, TL_REAL(write)(fd, buf, n));
}

TL_EXPORT ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
	FD_CALL(ssize_t, "readv", fd, TL_REAL(readv)(fd, iov, cnt));
}

TL_EXPORT ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	FD_CALL(ssize_t, "writev", fd, TL_REAL(writev)(fd, iov, cnt));
}

TL_EXPORT ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	FD_CALL(ssize_t, "pread", fd, TL_REAL(pread)(fd, buf, n, off));
}

TL_EXPORT ssize_t pread64(int fd, void *buf, size_t n, off_t off)
{
	FD_CALL(ssize_t, "pread", fd, TL_REAL(pread64)(fd, buf, n, off));
}

TL_EXPORT ssize_t __pread_chk(int fd, void *buf, size_t n, off_t off, size_t buflen)
{
	FD_CALL(ssize_t, "pread", fd, TL_REAL(__pread_chk)(fd, buf, n, off, buflen));
}

TL_EXPORT ssize_t __pread64_chk(int fd, void *buf, size_t n, off_t off, size_t buflen)
{
	FD_CALL(ssize_t, "pread", fd, TL_REAL(__pread64_chk)(fd, buf, n, off, buflen));
}

TL_EXPORT ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	FD_CALL(ssize_t, "pwrite", fd, TL_REAL(pwrite)(fd, buf, n, off));
}

TL_EXPORT ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	FD_CALL(ssize_t, "pwrite", fd, TL_REAL(pwrite64)(fd, buf, n, off));
}

TL_EXPORT ssize_t recv(int fd, void *buf, size_t n, int flags)
{
	FD_CALL(ssize_t, "recv", fd, TL_REAL(recv)(fd, buf, n, flags));
}

TL_EXPORT ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags)
{
	FD_CALL(ssize_t, "recv", fd, TL_REAL(__recv_chk)(fd, buf, n, buflen, flags));
}

TL_EXPORT ssize_t recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *a,
                           socklen_t *alen)
{
	FD_CALL(ssize_t, "recvfrom", fd, TL_REAL(recvfrom)(fd, buf, n, flags, a, alen));
}

TL_EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags,
                                 struct sockaddr *a, socklen_t *alen)
{
	FD_CALL(ssize_t, "recvfrom", fd,
	        TL_REAL(__recvfrom_chk)(fd, buf, n, buflen, flags, a, alen));
}

TL_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	FD_CALL(ssize_t, "recvmsg", fd, TL_REAL(recvmsg)(fd, msg, flags));
}

TL_EXPORT int recvmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags, struct timespec *ts)
{
	FD_CALL(int, "recvmmsg", fd, TL_REAL(recvmmsg)(fd, v, n, flags, ts));
}

TL_EXPORT ssize_t send(int fd, const void *buf, size_t n, int flags)
{
	FD_CALL(ssize_t, "send", fd, TL_REAL(send)(fd, buf, n, flags));
}

TL_EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *a,
                         socklen_t alen)
{
	FD_CALL(ssize_t, "sendto", fd, TL_REAL(sendto)(fd, buf, n, flags, a, alen));
}

TL_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	FD_CALL(ssize_t, "sendmsg", fd, TL_REAL(sendmsg)(fd, msg, flags));
}

TL_EXPORT int accept(int fd, struct sockaddr *a, socklen_t *alen)
{
	FD_CALL(int, "accept", fd, TL_REAL(accept)(fd, a, alen));
}

TL_EXPORT int accept4(int fd, struct sockaddr *a, socklen_t *alen, int flags)
{
	FD_CALL(int, "accept4", fd, TL_REAL(accept4)(fd, a, alen, flags));
}

TL_EXPORT int connect(int fd, const struct sockaddr *a, socklen_t alen)
{
	FD_CALL(int, "connect", fd, TL_REAL(connect)(fd, a, alen));
}

TL_EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	TL_BLOCKING(int, "poll", TL_OBJ_POLL, fds, n, TL_REAL(poll)(fds, n, timeout));
}

TL_EXPORT int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen)
{
	TL_BLOCKING(int, "poll", TL_OBJ_POLL, fds, n, TL_REAL(__poll_chk)(fds, n, timeout, fdslen));
}

TL_EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *m)
{
	TL_BLOCKING(int, "ppoll", TL_OBJ_POLL, fds, n, TL_REAL(ppoll)(fds, n, ts, m));
}

TL_EXPORT int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *ts,
                          const sigset_t *m, size_t fdslen)
{
	TL_BLOCKING(int, "ppoll", TL_OBJ_POLL, fds, n, TL_REAL(__ppoll_chk)(fds, n, ts, m, fdslen));
}

/* select records the first fd set it is given, tagged in its low bits (0 read, 1 write,
 * 2 except; an fd_set is 8-byte aligned), for objects.c to name the fds. */
#define SELECT_SET(r, w, e) \
	((r) ? (uintptr_t)(r) : (w) ? (uintptr_t)(w) | 1 : (e) ? (uintptr_t)(e) | 2 : 0)

TL_EXPORT int select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv)
{
	TL_BLOCKING(int, "select", TL_OBJ_SELECT, n, SELECT_SET(r, w, e),
	            TL_REAL(select)(n, r, w, e, tv));
}

TL_EXPORT int pselect(int n, fd_set *r, fd_set *w, fd_set *e, const struct timespec *ts,
                      const sigset_t *m)
{
	TL_BLOCKING(int, "pselect", TL_OBJ_SELECT, n, SELECT_SET(r, w, e),
	            TL_REAL(pselect)(n, r, w, e, ts, m));
}

TL_EXPORT int epoll_wait(int ep, struct epoll_event *ev, int max, int timeout)
{
	TL_BLOCKING(int, "epoll_wait", TL_OBJ_EPOLL, ep, 0,
	            TL_REAL(epoll_wait)(ep, ev, max, timeout));
}

TL_EXPORT int epoll_pwait(int ep, struct epoll_event *ev, int max, int timeout, const sigset_t *m)
{
	TL_BLOCKING(int, "epoll_pwait", TL_OBJ_EPOLL, ep, 0,
	            TL_REAL(epoll_pwait)(ep, ev, max, timeout, m));
}

TL_EXPORT int epoll_pwait2(int ep, struct epoll_event *ev, int max, const struct timespec *ts,
                           const sigset_t *m)
{
	TL_BLOCKING(int, "epoll_pwait2", TL_OBJ_EPOLL, ep, 0,
	            TL_REAL(epoll_pwait2)(ep, ev, max, ts, m));
}

TL_EXPORT int mq_send(mqd_t q, const char *msg, size_t n, unsigned int prio)
{
	TL_BLOCKING(int, "mq_send", TL_OBJ_MQ, q, 0, TL_REAL(mq_send)(q, msg, n, prio));
}

TL_EXPORT ssize_t mq_receive(mqd_t q, char *msg, size_t n, unsigned int *prio)
{
	TL_BLOCKING(ssize_t, "mq_receive", TL_OBJ_MQ, q, 0, TL_REAL(mq_receive)(q, msg, n, prio));
}

TL_EXPORT int mq_timedsend(mqd_t q, const char *msg, size_t n, unsigned int prio,
                           const struct timespec *ts)
{
	TL_BLOCKING(int, "mq_timedsend", TL_OBJ_MQ, q, 0,
	            TL_REAL(mq_timedsend)(q, msg, n, prio, ts));
}

TL_EXPORT ssize_t mq_timedreceive(mqd_t q, char *msg, size_t n, unsigned int *prio,
                                  const struct timespec *ts)
{
	TL_BLOCKING(ssize_t, "mq_timedreceive", TL_OBJ_MQ, q, 0,
	            TL_REAL(mq_timedreceive)(q, msg, n, prio, ts));
}

TL_EXPORT int msgsnd(int id, const void *msg, size_t n, int flags)
{
	TL_BLOCKING(int, "msgsnd", TL_OBJ_MSGQ, id, 0, TL_REAL(msgsnd)(id, msg, n, flags));
}

TL_EXPORT int semop(int id, struct sembuf *ops, size_t n)
{
	TL_BLOCKING(int, "semop", TL_OBJ_SEMSET, id, 0, TL_REAL(semop)(id, ops, n));
}

TL_EXPORT int semtimedop(int id, struct sembuf *ops, size_t n, const struct timespec *ts)
{
	TL_BLOCKING(int, "semtimedop", TL_OBJ_SEMSET, id, 0, TL_REAL(semtimedop)(id, ops, n, ts));
}

TL_EXPORT ssize_t msgrcv(int id, void *msg, size_t n, long type, int flags)
{
	TL_BLOCKING(ssize_t, "msgrcv", TL_OBJ_MSGQ, id, 0,
	            TL_REAL(msgrcv)(id, msg, n, type, flags));
}
