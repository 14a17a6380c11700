/* Overridden libc: the exec family and posix_spawn. Under `threadleak run` only, a program
 * about to start without the library (statically linked, in secure execution, or given an
 * environment without it) leaves a note in run's folder, note.PID (reason, caller, path),
 * which run prints: such a program would otherwise be silently unchecked. glibc's system() and
 * popen() spawn /bin/sh internally (not interposable); the shell gets the library and its own
 * execs come here.
 *
 * The exec may run in a vfork child, which shares our memory and the parent thread's errno:
 * everything here is a system call that returns -errno (tl_raw_syscall), on the stack, with
 * no lock and no allocation; errno and the exec's result are the real call's. */
#include "tl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

static bool under_run(void)
{
	return TL_UNLIKELY(tl_opt.log_dir_id != NULL) && tl_opt.log_dir_id[0] && tl_opt.children;
}

/* NAME's value in envp (NAME with its '='), or NULL. No libc: see above. */
static const char *env_value(char *const envp[], const char *name)
{
	for (size_t i = 0; envp != NULL && envp[i] != NULL; i++) {
		const char *e = envp[i], *n = name;
		while (*n && *e == *n)
			e++, n++;
		if (*n == '\0')
			return e;
	}
	return NULL;
}

static bool preloads_us(const char *list)
{
	const char *entry;
	size_t len;
	bool ours = false;
	if (list == NULL)
		return false;
	if (tl_self_path() == NULL)
		return true; /* cannot tell: say nothing */
	while (!ours && tl_preload_next(&list, &entry, &len, &ours))
		;
	return ours;
}

/* What the new program will lack: the library (from the file or the environment), or only
 * run's options. */
static enum tl_unchecked judge(const char *path, int fd, char *const envp[])
{
	enum tl_unchecked why = tl_unchecked_program(AT_FDCWD, path, fd);
	if (why != TL_UNCHECKED_NO)
		return why;
	if (!preloads_us(env_value(envp, "LD_PRELOAD=")))
		return TL_UNCHECKED_NOENV;
	const char *opts = env_value(envp, "THREADLEAK_OPTIONS="), *id = tl_opt.log_dir_id;
	for (const char *p = opts; p != NULL && (p = strstr(p, "log_dir_id=")) != NULL; p++) {
		const char *v = p + strlen("log_dir_id="), *w = id;
		while (*w && *v == *w)
			v++, w++;
		if (*w == '\0' && (*v == '\0' || *v == ':'))
			return TL_UNCHECKED_NO;
	}
	return TL_UNCHECKED_NOOPTS;
}

/* A file name as execvp finds it: with a '/', itself; else the first executable regular file
 * of that name in the caller's PATH (glibc's default "/bin:/usr/bin" when unset). Like
 * execvp we skip what cannot be executed; unlike it we do not retry a file that fails with
 * ENOEXEC through /bin/sh. NULL: none. */
static const char *search(const char *file, char *buf, size_t size)
{
	if (strchr(file, '/') != NULL)
		return file;
	const char *path = env_value(tl_environ(), "PATH=");
	if (path == NULL)
		path = "/bin:/usr/bin";
	size_t flen = strlen(file);
	for (const char *p = path;; p++) {
		const char *end = strchrnul(p, ':');
		size_t dlen = (size_t)(end - p);
		if (dlen + flen + 2 <= size) {
			memcpy(buf, p, dlen);
			size_t at = dlen;
			if (dlen) /* an empty entry: the current folder */
				buf[at++] = '/';
			memcpy(buf + at, file, flen + 1);
			struct stat st;
			if (tl_raw_syscall6(SYS_newfstatat, AT_FDCWD, (long)buf, (long)&st, 0, 0,
			                    0) == 0 &&
			    S_ISREG(st.st_mode) &&
			    tl_raw_syscall6(SYS_faccessat, AT_FDCWD, (long)buf, X_OK, 0, 0, 0) == 0)
				return buf;
		}
		if (*end == '\0')
			return NULL;
		p = end;
	}
}

struct note {
	int dfd;
	char name[32];
};

/* Write run's note for process PID: "REASON\nCALLER\nPATH" (PATH made absolute when it can
 * be, and last: it may hold any byte). false when not under run or on any failure. */
static bool write_note(struct note *n, long pid, enum tl_unchecked why, const char *path, int fd)
{
	const char *leaf;
	n->dfd = tl_run_dir_open(&leaf);
	if (n->dfd < 0)
		return false;
	memcpy(n->name, "note.", 5);
	tl_put_uint(n->name + 5, (unsigned long)pid);
	int out =
	    (int)tl_raw_syscall6(SYS_openat, n->dfd, (long)n->name,
	                         O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600, 0, 0);
	if (out < 0) {
		tl_raw_syscall(SYS_close, n->dfd, 0, 0);
		return false;
	}
	/* one buffer: an fd's path (absolute) or the current folder (for a relative path); the
	 * stack may be a small thread's */
	char reason[8], cwd[PATH_MAX], *fdpath = cwd, link[40] = "/proc/thread-self/fd/";
	size_t rlen = tl_put_uint(reason, (unsigned long)why);
	reason[rlen++] = '\n';
	if (fd >= 0) {
		tl_put_uint(link + 21, (unsigned long)fd); /* thread-self: see tl_open_maps */
		long len = tl_raw_syscall6(SYS_readlinkat, AT_FDCWD, (long)link, (long)fdpath,
		                           sizeof(cwd) - 1, 0, 0);
		fdpath[len > 0 ? len : 0] = '\0';
		path = len > 0 ? fdpath : link;
	}
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	long clen =
	    path[0] == '/' || fd >= 0 ? -1 : tl_raw_syscall(SYS_getcwd, (long)cwd, sizeof(cwd), 0);
	const char *caller = tl_program_name(true);
	struct iovec v[] = {
	    {reason, rlen},
	    {(void *)caller, strlen(caller)},
	    {(void *)"\n", 1},
	    {cwd, clen > 1 ? (size_t)clen : 0}, /* the length counts the NUL: make it the '/' */
	    {(void *)path, strlen(path)},
	};
	if (clen > 1)
		cwd[clen - 1] = '/';
	bool ok = tl_raw_syscall(SYS_writev, out, (long)v, TL_ARRAY_SIZE(v)) > 0;
	tl_raw_syscall(SYS_close, out, 0, 0);
	if (!ok) {
		tl_raw_syscall(SYS_unlinkat, n->dfd, (long)n->name, 0);
		tl_raw_syscall(SYS_close, n->dfd, 0, 0);
	}
	return ok;
}

static void note_done(struct note *n, bool keep)
{
	if (!keep)
		tl_raw_syscall(SYS_unlinkat, n->dfd, (long)n->name, 0);
	tl_raw_syscall(SYS_close, n->dfd, 0, 0);
}

/* Before an exec in this process: the note, if one is due (its folder descriptor is
 * close-on-exec, so a successful exec closes it). */
static bool note_exec(struct note *n, const char *file, bool use_path, int fd, char *const envp[])
{
	char buf[PATH_MAX];
	const char *path = fd >= 0 ? "" : use_path ? search(file, buf, sizeof(buf)) : file;
	if (path == NULL)
		return false;
	enum tl_unchecked why = judge(path, fd, envp);
	return why != TL_UNCHECKED_NO &&
	       write_note(n, tl_raw_syscall(SYS_getpid, 0, 0, 0), why, path, fd);
}

/* The exec itself; a failed one takes its note back, with errno as the exec left it. */
#define TL_EXEC(file, use_path, fd, envp, realcall)                                  \
	do {                                                                         \
		struct note n;                                                       \
		bool noted = under_run() && note_exec(&n, file, use_path, fd, envp); \
		int ret = realcall;                                                  \
		if (noted) {                                                         \
			int e = errno;                                               \
			note_done(&n, false);                                        \
			errno = e;                                                   \
		}                                                                    \
		return ret;                                                          \
	} while (0)

TL_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	TL_EXEC(path, false, -1, envp, TL_REAL(execve)(path, argv, envp));
}

TL_EXPORT int execv(const char *path, char *const argv[])
{
	TL_EXEC(path, false, -1, tl_environ(), TL_REAL(execv)(path, argv));
}

TL_EXPORT int execvp(const char *file, char *const argv[])
{
	TL_EXEC(file, true, -1, tl_environ(), TL_REAL(execvp)(file, argv));
}

TL_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	TL_EXEC(file, true, -1, envp, TL_REAL(execvpe)(file, argv, envp));
}

TL_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	TL_EXEC(NULL, false, fd, envp, TL_REAL(fexecve)(fd, argv, envp));
}

/* execl, execlp, execle: the arguments as an array on the stack, as glibc builds it, then the
 * vector call glibc itself makes. */
#define TL_ARGS_ARRAY(arg, ap, argv, envp_out)   \
	size_t argc = 1;                         \
	va_start(ap, arg);                       \
	while (va_arg(ap, const char *) != NULL) \
		argc++;                          \
	va_end(ap);                              \
	char *argv[argc + 1];                    \
	argv[0] = (char *)arg;                   \
	va_start(ap, arg);                       \
	for (size_t i = 1; i <= argc; i++)       \
		argv[i] = va_arg(ap, char *);    \
	envp_out;                                \
	va_end(ap)

TL_EXPORT int execl(const char *path, const char *arg, ...)
{
	va_list ap;
	TL_ARGS_ARRAY(arg, ap, argv, (void)0);
	return execve(path, argv, tl_environ());
}

TL_EXPORT int execlp(const char *file, const char *arg, ...)
{
	va_list ap;
	TL_ARGS_ARRAY(arg, ap, argv, (void)0);
	return execvp(file, argv);
}

TL_EXPORT int execle(const char *path, const char *arg, ...)
{
	va_list ap;
	char *const *envp;
	TL_ARGS_ARRAY(arg, ap, argv, envp = va_arg(ap, char *const *));
	return execve(path, argv, envp);
}

/* posix_spawn: the child's pid is known once it has started (glibc reports a failed exec),
 * so the note is written after. */
static int spawn(int (*real)(pid_t *, const char *, const posix_spawn_file_actions_t *,
                             const posix_spawnattr_t *, char *const[], char *const[]),
                 pid_t *pid, const char *file, bool use_path, const posix_spawn_file_actions_t *fa,
                 const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	enum tl_unchecked why = TL_UNCHECKED_NO;
	char buf[PATH_MAX];
	const char *path = NULL;
	if (under_run()) {
		int saved = errno;
		path = use_path ? search(file, buf, sizeof(buf)) : file;
		why = path ? judge(path, -1, envp) : TL_UNCHECKED_NO;
		errno = saved;
	}
	pid_t child;
	int ret = real(&child, file, fa, attr, argv, envp);
	if (ret == 0 && pid != NULL)
		*pid = child;
	if (ret == 0 && why != TL_UNCHECKED_NO) {
		struct note n;
		int saved = errno;
		if (write_note(&n, child, why, path, -1))
			note_done(&n, true);
		errno = saved;
	}
	return ret;
}

TL_EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
                          const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	return spawn(TL_REAL(posix_spawn), pid, path, false, fa, attr, argv, envp);
}

TL_EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
                           const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	return spawn(TL_REAL(posix_spawnp), pid, file, true, fa, attr, argv, envp);
}
