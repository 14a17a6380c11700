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
#include <unistd.h>

static int err_fd = 2;
bool tl_log_quiet;

void tl_log_init(void)
{
	/* A high number, so that the program's own descriptors keep the numbers they would have
	 * had without us (programs and tests often expect the next open() to return 3). */
	struct rlimit rl;
	int min = 3;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur > 64)
		min = (int)rl.rlim_cur - 16;
	else if (rl.rlim_cur == RLIM_INFINITY)
		min = 1000;
	int fd = fcntl(2, F_DUPFD_CLOEXEC, min);
	if (fd < 0)
		fd = fcntl(2, F_DUPFD_CLOEXEC, 3);
	if (fd >= 0)
		err_fd = fd;
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
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
	size_t len = (size_t)n + (m < 0 ? 0 : ((size_t)m > sizeof(buf) - (size_t)n - 2 ? sizeof(buf) - (size_t)n - 2 : (size_t)m));
	buf[len++] = '\n';
	write_all(err_fd, buf, len);
	errno = saved;
}

/* Open PATH.PID for the report: never through a symlink, never over a file of another user. */
static int open_log(void)
{
	const char *p = tl_opt.log_path;
	if (strcmp(p, "stderr") == 0)
		return err_fd;
	if (strcmp(p, "stdout") == 0)
		return 1;
	char path[4096];
	snprintf(path, sizeof(path), "%s.%d", p, (int)getpid());
	/* no O_TRUNC before we know the file is ours */
	int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0644);
	if (fd < 0) {
		tl_warn("cannot open log_path file %s: %s; writing the report to stderr", path,
			strerror(errno));
		return err_fd;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		close(fd);
		tl_warn("log_path file %s is not a regular file of ours; writing the report to stderr",
			path);
		return err_fd;
	}
	if (ftruncate(fd, 0) != 0) {
		close(fd);
		return err_fd;
	}
	return fd;
}

void tl_output(const char *buf, size_t len)
{
	int fd = (tl_opt.log_path && tl_opt.log_path[0]) ? open_log() : err_fd;
	write_all(fd, buf, len);
	if (fd != err_fd && fd != 1)
		close(fd);
}
