/* Where threadleak writes: its own close-on-exec copy of the original stderr (so a program that
 * closes or redirects fd 2 before exiting still gets its report), or log_path.PID. One
 * function formats every message: a stack buffer and write(2), prefix "threadleak: ". */
#include "tl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int err_fd = 2;
static dev_t err_dev;
static ino_t err_ino;
bool tl_log_quiet;

void tl_log_init(void)
{
	/* A high number, so that the program's own descriptors keep the numbers they would have
	 * had without us (programs and tests often expect the next open() to return 3); at most
	 * 1000, as a number near a limit of a million would grow the kernel's descriptor table. */
	struct rlimit rl;
	int min = 3;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur > 64)
		min = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur - 16 > 1000
		          ? 1000
		          : (int)rl.rlim_cur - 16;
	int fd = (int)tl_raw_syscall(SYS_fcntl, 2, F_DUPFD_CLOEXEC, min);
	if (fd < 0)
		fd = (int)tl_raw_syscall(SYS_fcntl, 2, F_DUPFD_CLOEXEC, 3);
	if (fd >= 0)
		err_fd = fd;
	struct stat st;
	if (fstat(err_fd, &st) == 0) {
		err_dev = st.st_dev;
		err_ino = st.st_ino;
	}
}

/* Our copy of stderr, if it is still ours: a program that closes every descriptor and opens
 * files until the table is full gets our number for its own data, which must not receive the
 * report. Then fd 2, if it is still the original stderr; else nowhere (-1). */
static int stderr_fd(void)
{
	struct stat st;
	int flags = fcntl(err_fd, F_GETFD);
	if (flags >= 0 && (err_fd == 2 || (flags & FD_CLOEXEC)) && fstat(err_fd, &st) == 0 &&
	    st.st_dev == err_dev && st.st_ino == err_ino)
		return err_fd;
	if (fstat(2, &st) == 0 && st.st_dev == err_dev && st.st_ino == err_ino)
		return 2;
	return -1;
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (fd >= 0 && len > 0) {
		ssize_t w = TL_REAL(write)(fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		buf += w;
		len -= (size_t)w;
	}
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
	write_all(stderr_fd(), buf, len);
	errno = saved;
}

/* Open PATH.PID for the report: never through a symlink, never over a file of another user. */
static int open_log(void)
{
	const char *p = tl_opt.log_path;
	if (strcmp(p, "stderr") == 0)
		return stderr_fd();
	if (strcmp(p, "stdout") == 0)
		return 1;
	char path[4096];
	int n = snprintf(path, sizeof(path), "%s.%d", p, (int)getpid());
	if (n < 0 || (size_t)n >= sizeof(path)) {
		tl_warn("log_path is too long (%zu bytes); writing the report to stderr",
		        strlen(p));
		return stderr_fd();
	}
	/* no O_TRUNC before we know the file is ours */
	int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0644);
	if (fd < 0) {
		tl_warn("cannot open log_path file %s: %s; writing the report to stderr", path,
		        strerror(errno));
		return stderr_fd();
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		close(fd);
		tl_warn(
		    "log_path file %s is not a regular file of ours; writing the report to stderr",
		    path);
		return stderr_fd();
	}
	if (ftruncate(fd, 0) != 0) {
		close(fd);
		return stderr_fd();
	}
	return fd;
}

void tl_output(const char *buf, size_t len)
{
	bool to_file = tl_opt.log_path && tl_opt.log_path[0];
	int fd = to_file ? open_log() : stderr_fd();
	write_all(fd, buf, len);
	if (fd > 2 && fd != err_fd)
		close(fd);
}
