/* The files the user names, away from the code every process runs at start (docs/internals.md,
 * Process start): relative paths made absolute, and whether a log file is this process's. */
#include "tl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* A relative log_path or suppressions file is the user's, typed where the program started:
 * made absolute at start, so that a program that changes its folder (a daemon's chdir("/"), an
 * atexit handler's) still writes its report there, in one piece, and reads its rules from there
 * (docs/internals.md, "Output"). The string is kept for the process's life. */
static const char *absolute(const char *path)
{
	if (path == NULL || path[0] == '\0' || path[0] == '/')
		return path;
	char *cwd = getcwd(NULL, 0), *out = NULL;
	if (cwd == NULL || asprintf(&out, "%s/%s", cwd, path) < 0)
		out = NULL;
	free(cwd);
	return out ? out : path;
}

/* "stderr" or "stdout" when p names the process's own fd 2 or 1 by a path (/dev/stderr,
 * /dev/fd/2, /proc/self/fd/2, ...), else NULL. Those are symlinks to whatever the fd is: a file
 * (2>err.txt) or a pipe made the report go to a new file "/dev/stderr.PID". */
static const char *stream_named(const char *p)
{
	static const char *const dirs[] = {"/dev/fd/", "/proc/self/fd/", "/proc/thread-self/fd/"};
	if (strcmp(p, "/dev/stderr") == 0)
		return "stderr";
	if (strcmp(p, "/dev/stdout") == 0)
		return "stdout";
	for (size_t i = 0; i < TL_ARRAY_SIZE(dirs); i++) {
		size_t n = strlen(dirs[i]);
		if (strncmp(p, dirs[i], n) == 0 && (p[n] == '1' || p[n] == '2') && p[n + 1] == '\0')
			return p[n] == '2' ? "stderr" : "stdout";
	}
	return NULL;
}

void tl_absolute_paths(void)
{
	const char *log = tl_opt.log_path;
	if (log && stream_named(log))
		log = tl_opt.log_path = stream_named(log);
	if (log && strcmp(log, "stdout") != 0 && strcmp(log, "stderr") != 0 &&
	    !(tl_opt.log_dir_id && tl_opt.log_dir_id[0]))
		tl_opt.log_path = absolute(log);
	for (int i = 0; i < tl_opt.nsuppressions; i++)
		tl_opt.suppressions[i] = absolute(tl_opt.suppressions[i]);
}

/* Was the log file last written by this process, in an earlier program image? exec() keeps the
 * pid, so the program it starts writes PATH.PID too: emptying it lost the reports written
 * before the exec (a test runner's mid-run checks). A file of an earlier process of the same pid
 * (a run before this one) was written before this process began. The process's start, from
 * /proc/self/stat (clock ticks since boot), on the kernel's clocks, not libc's: an interposer
 * such as libfaketime may fake those. */
bool tl_written_since_start(const struct stat *st)
{
	char buf[1024];
	ssize_t n = st->st_size > 0 ? tl_read_file("/proc/self/stat", buf, sizeof(buf) - 1) : -1;
	if (n <= 0)
		return false;
	buf[n] = '\0';
	char *p = strrchr(buf, ')'); /* after the name, which may hold spaces */
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	struct timespec boot, real;
	long tck = sysconf(_SC_CLK_TCK);
	if (p == NULL || tck <= 0 ||
	    tl_raw_syscall(SYS_clock_gettime, CLOCK_BOOTTIME, (long)&boot, 0) != 0 ||
	    tl_raw_syscall(SYS_clock_gettime, CLOCK_REALTIME, (long)&real, 0) != 0)
		return false;
	double ticks = strtod(p + 1, NULL);
	double started = (double)real.tv_sec + real.tv_nsec / 1e9 -
	                 ((double)boot.tv_sec + boot.tv_nsec / 1e9 - ticks / (double)tck);
	/* a tick of rounding, and the file system's timestamp granularity */
	return (double)st->st_mtim.tv_sec + st->st_mtim.tv_nsec / 1e9 >= started - 0.05;
}
