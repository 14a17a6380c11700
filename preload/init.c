/* Process lifecycle: the constructor, fork, and the exit check.
 *
 * Exit order (PLATFORM-NOTES): application atexit handlers and destructors, other libraries'
 * destructors, and last the on_exit handler registered here, in our constructor, which also
 * receives the exit status. So the check sees the program after all its own cleanup (a C++
 * static thread pool joined by its destructor is not a leak). To change the exit status the
 * way LeakSanitizer does, we flush stdio ourselves and _exit(). */
#include "tl.h"

#include <dlfcn.h>
#include <sched.h>
#include <sys/auxv.h>
#include <sys/single_threaded.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

pid_t tl_pid;
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

/* A process that never started a thread (glibc clears __libc_single_threaded at the first
 * pthread_create, in this process or since fork) and has no other task now (a raw clone()
 * thread) has nothing to report: most processes a CI job starts. The check would still
 * allocate and walk the registry. A JSON log file is still written, to record a clean run. */
static bool nothing_to_check(void)
{
	pid_t tid;
	return __libc_single_threaded &&
	       !(tl_opt.format == TL_FORMAT_JSON && tl_opt.log_path && tl_opt.log_path[0]) &&
	       tl_list_tasks(&tid, 1) == 1;
}

static void at_exit(int status, void *arg)
{
	(void)arg;
	if (getpid() == tl_pid && tl_opt.check_at_exit && !atomic_exchange(&exit_checked, true) &&
	    !nothing_to_check()) {
		int leaked = tl_check(TL_CHECK_EXIT, status, true, NULL);
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
	while (getpid() == tl_pid && !atomic_load(&exit_check_done)) {
		struct timespec ts = {0, 1000000};
		TL_REAL(nanosleep)(&ts, NULL);
	}
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
		for (;;) {
			struct timespec ts = {3600, 0};
			TL_REAL(nanosleep)(&ts, NULL);
		}
	}
	TL_REAL(exit)(status);
	__builtin_unreachable();
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

/* Hooks the program may define, the LeakSanitizer way. The dynamic symbol tables have them
 * when the program exports them (-rdynamic, or -Wl,--export-dynamic-symbol=threadleak_default_*
 * as the pkg-config file adds); with a symbolizer at hand we also look in the symbol table.
 * Not dlsym: an absent hook is the common case, and dlsym's error path allocates. */
const char *tl_hook_string(const char *name, struct tl_symbolizer *sym)
{
	const char *(*fn)(void) = (const char *(*)(void))tl_lookup_global(name);
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
}

/* Once, as pthread_once, whose completion is a futex wake that every process would pay:
 * 0 not started, 1 running, 2 done. A thread that finds another one inside (a thread started
 * from another library's constructor) waits; init() itself reaching here again goes on. */
static _Atomic int init_state;
static __thread bool in_init __attribute__((tls_model("initial-exec")));

void tl_ensure_init(void)
{
	if (TL_LIKELY(atomic_load_explicit(&init_state, memory_order_acquire) == 2) || in_init)
		return;
	int idle = 0;
	if (atomic_compare_exchange_strong(&init_state, &idle, 1)) {
		in_init = true;
		init();
		in_init = false;
		atomic_store_explicit(&init_state, 2, memory_order_release);
		return;
	}
	while (atomic_load_explicit(&init_state, memory_order_acquire) != 2)
		sched_yield();
}

__attribute__((constructor)) static void constructor(void)
{
	tl_ensure_init();
}
