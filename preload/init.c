/* Process lifecycle: the constructor, fork, and the exit check.
 *
 * Exit order (docs/internals.md): application atexit handlers and destructors, then _dl_fini runs
 * the destructors of every object in turn - the executable's, ours, then those of the libraries
 * preloaded after us and of the program's own shared libraries (a C++ static thread pool there
 * is joined now) - and last the on_exit handler registered in our constructor, which also
 * receives the exit status. The check that needs other objects (libdw, libunwind, the files it
 * opens, the clock) runs in our destructor, before those objects' destructors tear them down
 * (libfaketime frees its semaphore there). The last handler only confirms, with raw system
 * calls, that the threads reported are all still there, then writes the report; when one went
 * away meanwhile (a library's destructor joined it), the check runs again there, as a whole. To
 * change the exit status the way LeakSanitizer does, we flush stdio ourselves and _exit(). */
#include "tl.h"

#include <dlfcn.h>
#include <sys/auxv.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

pid_t tl_pid;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static atomic_bool exit_checked;

/* Flush what the program buffered, as exit() would after us. fflush(NULL) is not an option:
 * it locks every stream, and a leaked thread blocked in fgets() holds stdin's lock forever.
 * glibc's own exit-time flush takes no locks either; flush only streams with pending output
 * (fflush on an input stream would move a shared file offset). */
extern FILE *_IO_list_all; /* exported by glibc; the head of its list of open streams */

static void flush_stdio(void)
{
	for (FILE *f = _IO_list_all; f != NULL; f = f->_chain)
		if (f->_IO_write_ptr > f->_IO_write_base || f->_mode > 0)
			fflush_unlocked(f);
}

static atomic_bool exit_check_done;

/* System calls that reach the kernel whatever other libraries interpose, for the last exit
 * handler, which runs after their destructors. */
static long raw_syscall(long nr, long a, long b, long c)
{
#if defined(__x86_64__)
	long ret;
	register long r10 __asm__("r10") = 0;
	__asm__ volatile("syscall"
	                 : "=a"(ret)
	                 : "0"(nr), "D"(a), "S"(b), "d"(c), "r"(r10)
	                 : "rcx", "r11", "memory");
	return ret;
#else
	long ret = TL_REAL(syscall)(nr, a, b, c);
	return ret < 0 ? -errno : ret;
#endif
}

static int clock_gettime_syscall(clockid_t clock, struct timespec *ts)
{
	long r = raw_syscall(SYS_clock_gettime, clock, (long)ts, 0);
	return r < 0 ? (errno = (int)-r, -1) : 0;
}

int (*tl_clock_gettime)(clockid_t, struct timespec *) = clock_gettime_syscall;

/* libc's clock_gettime (the vDSO's speed), not whichever library comes next after us */
static void resolve_libc_clock(void)
{
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	void *fn = libc ? dlsym(libc, "clock_gettime") : NULL;
	if (fn)
		tl_clock_gettime = (int (*)(clockid_t, struct timespec *))fn;
}

static void raw_nap_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	raw_syscall(SYS_nanosleep, (long)&ts, 0, 0);
}

static void raw_write_all(int fd, const char *buf, size_t len)
{
	while (fd >= 0 && len > 0) {
		long w = raw_syscall(SYS_write, fd, (long)buf, (long)len);
		if (w == -EINTR)
			continue;
		if (w <= 0)
			return;
		buf += w;
		len -= (size_t)w;
	}
}

/* The status the program passed to exit() through our wrapper; a return from main reaches glibc's
 * exit directly, and is taken as 0 until the last handler says otherwise. */
static atomic_int exit_status_arg;

/* The check taken in our destructor: EARLY_NONE, EARLY_RUNNING, EARLY_DONE (early_result and
 * early_fd valid), EARLY_SKIPPED (the last handler came first, or the destructor did not run). */
enum { EARLY_NONE, EARLY_RUNNING, EARLY_DONE, EARLY_SKIPPED };
static atomic_int early_state;
static struct tl_deferred early_result;
static int early_status, early_leaked, early_fd = -1;

__attribute__((destructor)) static void exit_check_early(void)
{
	int none = EARLY_NONE;
	if (getpid() != tl_pid || !tl_opt.check_at_exit || atomic_load(&exit_checked) ||
	    !atomic_compare_exchange_strong(&early_state, &none, EARLY_RUNNING))
		return;
	/* Children forked while the check waits must not inherit the program's buffered output
	 * (they would write it again when they exit). */
	flush_stdio();
	early_status = atomic_load(&exit_status_arg);
	tl_defer = &early_result;
	early_leaked = tl_check(TL_CHECK_EXIT, early_status, true, NULL);
	tl_defer = NULL;
	if (early_result.out)
		early_fd = tl_output_open();
	atomic_store(&early_state, EARLY_DONE);
}

/* Does the early check's verdict still hold? Not when a destructor that ran after ours joined
 * or detached a thread it reported (a C++ static pool in the program's own library). A thread
 * that ended on its own (detached) meanwhile stays reported: it was still there after the
 * grace period, as with grace_ms=0. Our own registry only: no call into other objects. */
static bool early_result_holds(int status)
{
	if (status != early_status || (size_t)early_leaked != early_result.n)
		return false;
	bool holds = true;
	tl_registry_lock();
	for (size_t i = 0; i < early_result.n && holds; i++) {
		struct tl_deferred_thread *d = &early_result.v[i];
		if (d->number == 0) /* untracked: nobody joins it through us */
			continue;
		bool found = false;
		TL_REGISTRY_FOREACH (t) {
			if (t->number != d->number)
				continue;
			found = true;
			if ((t->flags & TL_F_JOINED) ||
			    ((t->flags & TL_F_DETACHED) && !(d->flags & TL_F_DETACHED)))
				holds = false;
		}
		/* a record goes once joined, or once detached and finished */
		if (!found && !(d->flags & TL_F_DETACHED))
			holds = false;
	}
	tl_registry_unlock();
	return holds;
}

static void at_exit(int status, void *arg)
{
	(void)arg;
	if (getpid() == tl_pid && tl_opt.check_at_exit && !atomic_exchange(&exit_checked, true)) {
		int none = EARLY_NONE;
		if (!atomic_compare_exchange_strong(&early_state, &none, EARLY_SKIPPED))
			while (atomic_load(&early_state) == EARLY_RUNNING) /* in another thread */
				raw_nap_ms(1);
		int leaked;
		if (none == EARLY_NONE || !early_result_holds(status)) {
			tl_output_close(early_fd);
			flush_stdio();
			leaked = tl_check(TL_CHECK_EXIT, status, true, NULL);
		} else {
			leaked = early_leaked;
			raw_write_all(early_fd, early_result.out, early_result.len);
			tl_output_close(early_fd);
		}
		if (leaked > 0 && status == 0 && tl_opt.exitcode != 0) {
			flush_stdio();
			_exit(tl_opt.exitcode);
		}
	}
	atomic_store(&exit_check_done, true);
}

/* When two threads call exit() at once, glibc lets both run the handler list, each taking
 * the next handler: one runs the check while the other would reach _exit() first and end
 * the process with no report. This handler is registered before the check's, so it runs
 * after it in whichever thread takes it, and holds that thread until the check is done. */
static void exit_gate(int status, void *arg)
{
	(void)status;
	(void)arg;
	if (getpid() == tl_pid && !atomic_load(&exit_check_done))
		tl_thread_exiting(); /* itself in exit(): not a leak */
	while (getpid() == tl_pid && !atomic_load(&exit_check_done))
		raw_nap_ms(1);
}

/* exit() from several threads at once: glibc hands each caller the next exit handler, so with
 * more callers than handlers a third thread finds the list empty and ends the process while the
 * first is still checking. Only the first caller goes on; the others wait here for the end of
 * the process, as they would inside glibc, marked as exiting so the check does not count them.
 * A nested exit() (from an atexit handler) in the first caller goes on too. The main thread
 * returning from main calls glibc's internal exit and is met by exit_gate instead. */
static _Atomic pid_t exit_owner;

TL_EXPORT void exit(int status)
{
	pid_t me = tl_gettid(), none = 0;
	if (getpid() == tl_pid && !atomic_compare_exchange_strong(&exit_owner, &none, me) &&
	    none != me) {
		tl_thread_exiting();
		for (;;)
			raw_nap_ms(3600 * 1000);
	}
	atomic_store(&exit_status_arg, status);
	TL_REAL(exit)(status);
	__builtin_unreachable();
}

/* quick_exit() runs only the at_quick_exit handlers, ours last (registered in our constructor):
 * the check runs there, after the program's own. It gets no status: our wrapper keeps it. It
 * flushes nothing either, and neither do we: output the program left buffered is lost, as bare. */
static atomic_int quick_status;

static void at_quick(void)
{
	if (getpid() == tl_pid && tl_opt.check_at_exit && !atomic_exchange(&exit_checked, true)) {
		int status = atomic_load(&quick_status);
		if (tl_check(TL_CHECK_EXIT, status, true, NULL) > 0 && status == 0 &&
		    tl_opt.exitcode != 0)
			_exit(tl_opt.exitcode);
	}
}

TL_EXPORT void quick_exit(int status)
{
	static void (*real)(int);
	atomic_store(&quick_status, status);
	if (real == NULL)
		real = (void (*)(int))dlsym(RTLD_NEXT, "quick_exit");
	if (real != NULL)
		real(status);
	_exit(status);
}

static void atfork_prepare(void)
{
	tl_registry_lock();
}

static void atfork_parent(void)
{
	tl_registry_unlock();
}

static void atfork_child(void)
{
	tl_registry_unlock();
	tl_registry_after_fork_child();
	tl_check_after_fork();
	tl_pid = getpid();
	atomic_store(&exit_checked, false);
	atomic_store(&exit_check_done, false);
	atomic_store(&exit_owner, 0);
	atomic_store(&early_state, EARLY_NONE);
	atomic_store(&exit_status_arg, 0);
	early_result = (struct tl_deferred){0};
	early_leaked = 0;
	early_fd = -1;
	atomic_store(&tl_checking, false);
}

/* children=0: take ourselves out of LD_PRELOAD, so that programs this one starts run bare. */
static void unpreload_children(void)
{
	Dl_info info;
	const char *env = getenv("LD_PRELOAD");
	if (env == NULL || !dladdr((void *)unpreload_children, &info) || info.dli_fname == NULL)
		return;
	const char *base = strrchr(info.dli_fname, '/');
	base = base ? base + 1 : info.dli_fname;
	size_t n = strlen(env);
	char *out = malloc(n + 1);
	if (out == NULL)
		return;
	size_t o = 0;
	for (const char *p = env; *p;) {
		while (*p == ' ' || *p == ':')
			p++;
		const char *q = p;
		while (*q && *q != ' ' && *q != ':')
			q++;
		size_t len = (size_t)(q - p);
		const char *slash = memrchr(p, '/', len);
		const char *b = slash ? slash + 1 : p;
		bool ours =
		    len && (size_t)(q - b) == strlen(base) && memcmp(b, base, strlen(base)) == 0;
		if (len && !ours) {
			if (o)
				out[o++] = ':';
			memcpy(out + o, p, len);
			o += len;
		}
		p = q;
	}
	out[o] = '\0';
	if (o)
		setenv("LD_PRELOAD", out, 1);
	else
		unsetenv("LD_PRELOAD");
	free(out);
}

/* Hooks the program may define, the LeakSanitizer way. dlsym finds them when the program
 * exports them (-rdynamic, or -Wl,--export-dynamic-symbol=threadleak_default_* as the
 * pkg-config file adds); with a symbolizer at hand we also look in the symbol table. */
const char *tl_hook_string(const char *name, struct tl_symbolizer *sym)
{
	const char *(*fn)(void) = (const char *(*)(void))dlsym(RTLD_DEFAULT, name);
	if (fn == NULL && sym != NULL)
		fn = (const char *(*)(void))tl_sym_find_function(sym, name);
	return fn ? fn() : NULL;
}

/* Under secure execution (setuid, setgid, file capabilities) the environment is not to be
 * trusted with file names: an attacker could make a privileged program write or read them. */
static void secure_execution(void)
{
	if (!getauxval(AT_SECURE))
		return;
	if ((tl_opt.log_path && tl_opt.log_path[0]) || tl_opt.nsuppressions) {
		tl_warn(
		    "secure execution: ignoring log_path and suppressions from THREADLEAK_OPTIONS");
		tl_opt.log_path = NULL;
		tl_opt.nsuppressions = 0;
	}
}

static bool options_hook_done;

/* Options: defaults, then threadleak_default_options(), then THREADLEAK_OPTIONS. */
static void load_options(struct tl_symbolizer *sym)
{
	const char *hook = tl_hook_string("threadleak_default_options", sym);
	if (hook == NULL)
		return;
	options_hook_done = true;
	tl_options_defaults();
	tl_options_parse(hook, "threadleak_default_options()");
	bool quiet = tl_log_quiet;
	tl_log_quiet =
	    true; /* THREADLEAK_OPTIONS was already checked, and warned about, at start-up */
	tl_options_parse(getenv("THREADLEAK_OPTIONS"), "THREADLEAK_OPTIONS");
	tl_log_quiet = quiet;
	secure_execution();
}

/* At the check, for programs that do not export their hook: look in the symbol table. */
void tl_options_apply_hook(struct tl_symbolizer *sym)
{
	if (!options_hook_done) {
		options_hook_done = true;
		load_options(sym);
	}
}

static void init(void)
{
	tl_real_resolve();
	resolve_libc_clock();
	tl_options_defaults();
	tl_log_init();
	tl_pid = getpid();
	tl_options_parse(getenv("THREADLEAK_OPTIONS"), "THREADLEAK_OPTIONS");
	load_options(NULL);
	secure_execution();
	if (tl_opt.help)
		tl_options_print_help();
	if (!tl_opt.children)
		unpreload_children();
	tl_capture_init();
	tl_registry_init();
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
	on_exit(exit_gate, NULL);
	on_exit(at_exit, NULL);
	at_quick_exit(at_quick);
}

void tl_ensure_init(void)
{
	pthread_once(&init_once, init);
}

__attribute__((constructor)) static void constructor(void)
{
	tl_ensure_init();
}
