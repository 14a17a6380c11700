/* An interposer whose functions must not be called once its destructor has run (as
 * libfaketime's, whose destructor frees the semaphore its fstat and clock_gettime take): after
 * that, any call says which function was called, and aborts. */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <execinfo.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static volatile int poisoned;

static void *next(const char *name)
{
	if (poisoned) {
		static const char msg[] = "libpoison: called after its destructor: ";
		write(2, msg, sizeof(msg) - 1);
		write(2, name, strlen(name));
		write(2, "\n", 1);
		void *pcs[32];
		backtrace_symbols_fd(pcs, backtrace(pcs, 32), 2);
		abort();
	}
	return dlsym(RTLD_NEXT, name);
}

__attribute__((destructor)) static void poison(void)
{
	poisoned = 1;
}

int fstat(int fd, struct stat *st)
{
	return ((int (*)(int, struct stat *))next("fstat"))(fd, st);
}

int stat(const char *p, struct stat *st)
{
	return ((int (*)(const char *, struct stat *))next("stat"))(p, st);
}

int lstat(const char *p, struct stat *st)
{
	return ((int (*)(const char *, struct stat *))next("lstat"))(p, st);
}

int clock_gettime(clockid_t c, struct timespec *ts)
{
	return ((int (*)(clockid_t, struct timespec *))next("clock_gettime"))(c, ts);
}

int open(const char *p, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t mode = va_arg(ap, mode_t);
	va_end(ap);
	return ((int (*)(const char *, int, mode_t))next("open"))(p, flags, mode);
}

int openat(int dir, const char *p, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t mode = va_arg(ap, mode_t);
	va_end(ap);
	return ((int (*)(int, const char *, int, mode_t))next("openat"))(dir, p, flags, mode);
}

DIR *opendir(const char *p)
{
	return ((DIR * (*)(const char *)) next("opendir"))(p);
}

int nanosleep(const struct timespec *a, struct timespec *b)
{
	return ((int (*)(const struct timespec *, struct timespec *))next("nanosleep"))(a, b);
}
