/* Process start: the constructor (options, log, registry, the exit handlers of exit.c) and
 * fork. */
#include "tl.h"

#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

TL_START_DATA pid_t tl_pid;

/* Our handlers may be registered twice (tl_fork_handlers_install, a child that takes the
 * registration over): the second pair does nothing. glibc calls all of them in the forking
 * thread (the child's handlers in its copy), newest prepare handler first, oldest parent and
 * child handler first. */
static __thread int fork_depth __attribute__((tls_model("initial-exec")));
/* The forking thread held the registry already: a fork() from a signal handler that interrupted
 * it inside our bookkeeping (pthread_create's). Waiting for the lock would wait for itself, for
 * ever (a hang bare glibc does not have). The fork goes on without it; the child, whose table
 * may be half updated, starts a new one (registry.c). */
static __thread bool fork_lock_held __attribute__((tls_model("initial-exec")));

static void atfork_prepare(void)
{
	if (fork_depth++ > 0)
		return;
	tl_exit_before_fork();
	fork_lock_held = tl_registry_held_here();
	if (!fork_lock_held)
		tl_registry_lock();
}

static void atfork_parent(void)
{
	if (--fork_depth > 0)
		return;
	if (!fork_lock_held)
		tl_registry_unlock();
	fork_lock_held = false;
}

/* The child's reset, after our child handler or, for a child forked before the handlers
 * existed, before its first thread (tl_fork_child_missed). */
static void reset_child(bool consistent)
{
	tl_registry_after_fork_child(consistent);
	tl_check_after_fork();
	tl_capture_after_fork_child();
	tl_dump_after_fork_child();
	/* the child's only thread: its tid is the pid, even under a filter that denies getpid
	 * (tl_getpid would then answer the parent's) */
	tl_pid = tl_gettid();
	tl_exit_after_fork_child();
	tl_log_after_fork_child();
	atomic_store(&tl_checking, TL_NOT_CHECKING);
}

static void fork_handlers_registered(void);

static void atfork_child(void)
{
	fork_handlers_registered(); /* ours ran: a registration the fork cut short is done */
	if (--fork_depth > 0)
		return;
	bool consistent = !fork_lock_held;
	fork_lock_held = false;
	if (consistent)
		tl_registry_unlock();
	reset_child(consistent);
}

/* children=0: take ourselves out of LD_PRELOAD, so that programs this one starts run bare. */
static void unpreload_children(void)
{
	const char *env = getenv("LD_PRELOAD");
	if (env == NULL || tl_self_path() == NULL)
		return;
	size_t n = strlen(env);
	char *out = malloc(n + 1);
	if (out == NULL)
		return;
	size_t o = 0, len;
	const char *entry;
	bool ours;
	for (const char *p = env; tl_preload_next(&p, &entry, &len, &ours);) {
		if (!ours) {
			if (o) /* the separator the entry had: a list that used spaces keeps them */
				out[o++] = entry[-1];
			memcpy(out + o, entry, len);
			o += len;
		}
	}
	out[o] = '\0';
	if (o)
		setenv("LD_PRELOAD", out, 1);
	else
		unsetenv("LD_PRELOAD");
	free(out);
}

/* Our fork handlers, registered the first time they can matter: before the process's first
 * thread, before its first fork(), and before anyone else's fork handler (the wrapper below), so
 * that ours stay the oldest. glibc runs prepare handlers newest first, parent and child handlers
 * oldest first, and ours must be the oldest: a prepare handler that joins a library's workers
 * (OpenBLAS registers one from its constructor, then starts them) calls our join wrapper, which
 * takes the registry lock that our prepare handler holds until the fork is done. Not at start:
 * registering costs every process two page faults of libc's, its code and its list of handlers
 * (docs/internals.md, Process start). Straight to the next __register_atfork (libc's):
 * pthread_atfork is a stub of libc_nonshared.a at the end of our text, a page of its own. */
TL_START_DATA static char register_atfork_name[] = "__register_atfork";
/* 0 not registered, 1 being registered, 2 registered */
TL_START_DATA static _Atomic int fork_handlers_state;
/* The process whose threads register them: a child forked meanwhile by a fork that ran no
 * handler of ours (_Fork, a raw clone) finds 1 and another pid, and no thread of its own that
 * will finish; it registers them itself (again, perhaps: then the second pair does nothing). */
TL_START_DATA static _Atomic pid_t fork_handlers_registrar;
static __thread bool registering_fork_handlers __attribute__((tls_model("initial-exec")));

static void fork_handlers_registered(void)
{
	atomic_store_explicit(&fork_handlers_state, 2, memory_order_release);
}

static void register_them(void)
{
	__typeof__(tl_real.__register_atfork) next = tl_lookup_next(register_atfork_name);
	if (next == NULL)
		next = TL_REAL(__register_atfork);
	/* tied to no object: __cxa_finalize would take them away when _dl_fini runs our
	 * destructors, and a fork after that ran our prepare handler twice, locking the registry
	 * twice (tests/robust spawn forkexit hung under load) */
	if (next != NULL)
		next(atfork_prepare, atfork_parent, atfork_child, NULL);
}

void tl_fork_handlers_install(void)
{
	if (TL_LIKELY(atomic_load_explicit(&fork_handlers_state, memory_order_acquire) == 2) ||
	    registering_fork_handlers) /* an allocator's own registration, from inside ours */
		return;
	/* No signal handler of this thread's may fork or start a thread meanwhile: it would wait
	 * here for the registration it interrupted. Once per process, so the system calls do not
	 * matter; raw, past our sigprocmask wrapper. */
	uint64_t all = ~(uint64_t)0, old = 0;
	tl_raw_syscall6(SYS_rt_sigprocmask, SIG_BLOCK, (long)&all, (long)&old, sizeof(all), 0, 0);
	registering_fork_handlers = true;
	pid_t me = tl_getpid();
	atomic_store(&fork_handlers_registrar, me); /* every thread of a process writes the same */
	for (;;) {
		int state = atomic_load_explicit(&fork_handlers_state, memory_order_acquire);
		if (state == 2)
			break;
		if (state == 0) {
			if (atomic_compare_exchange_strong(&fork_handlers_state, &state, 1)) {
				register_them();
				fork_handlers_registered();
				break;
			}
			continue;
		}
		if (atomic_load(&fork_handlers_registrar) != me) { /* see fork_handlers_registrar */
			atomic_compare_exchange_strong(&fork_handlers_state, &state, 0);
			atomic_store(&fork_handlers_registrar, me);
			continue;
		}
		sched_yield(); /* another thread of ours registers them */
	}
	registering_fork_handlers = false;
	tl_raw_syscall6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&old, 0, sizeof(old), 0, 0);
}

/* A child forked before our handlers existed by a fork that passes no wrapper of ours (_Fork,
 * a raw clone or fork system call; daemon() and forkpty(), which fork inside libc, are
 * wrapped below): nothing ran our child handler, and the pid and the main thread's record are
 * the parent's. Told by the pid before the child's first thread (which it cannot have had: the
 * parent had none either, or the handlers would exist), and reset then. Until then its exit
 * path takes it for a vfork child (it cannot tell them apart without writing memory a vfork
 * child shares) and checks nothing: no JSON record of a clean run, as for such children of a
 * process that had threads, whose handlers never run either. */
void tl_fork_child_missed(void)
{
	if (!tl_own_process())
		reset_child(true);
}

/* What pthread_atfork calls: pthread_atfork itself is a stub of libc_nonshared.a, linked into
 * every caller. Ours first (see above), even when the caller is another library's constructor
 * that runs before ours (docs/internals.md, fork). */
static void handlers_first(void)
{
	tl_ensure_init();
	(void)tl_main_pid(); /* the parent's, before its child can inherit our memory */
	tl_fork_handlers_install();
}

int __register_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void),
                      void *dso_handle);
TL_EXPORT int __register_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void),
                                void *dso_handle)
{
	handlers_first();
	return TL_REAL(__register_atfork)(prepare, parent, child, dso_handle);
}

/* fork() itself, and the two calls that fork inside libc: the handlers before the first fork
 * of a process that has started no thread. daemon(), forkpty() and login_tty() move fds 0-2
 * inside libc, where our dup2 does not see it: what stderr was is read first (log.c). */
TL_EXPORT pid_t fork(void)
{
	handlers_first();
	return TL_REAL(fork)();
}

TL_EXPORT int login_tty(int fd)
{
	tl_log_fds_closing(0, 2);
	return TL_REAL(login_tty)(fd);
}

/* A thread that forbids itself the time-stamp counter (and the threads it makes after) would
 * fault in our wrappers' stamps: they go back to the clock first (real.c tl_stamp_off).
 * glibc's prctl passes four words on. */
TL_EXPORT int prctl(int option, ...)
{
	va_list ap;
	va_start(ap, option);
	unsigned long a2 = va_arg(ap, unsigned long), a3 = va_arg(ap, unsigned long),
	              a4 = va_arg(ap, unsigned long), a5 = va_arg(ap, unsigned long);
	va_end(ap);
	if (option == PR_SET_TSC && a2 != PR_TSC_ENABLE) {
		struct tl_thread *self = tl_self;
		if (self != NULL)
			self->tsc = false;
		tl_stamp_off();
	}
	return TL_REAL(prctl)(option, a2, a3, a4, a5);
}

TL_EXPORT int daemon(int nochdir, int noclose)
{
	handlers_first();
	if (!noclose)
		tl_log_fds_closing(0, 2); /* it sends them to /dev/null */
	return TL_REAL(daemon)(nochdir, noclose);
}

TL_EXPORT pid_t forkpty(int *amaster, char *name, const struct termios *termp,
                        const struct winsize *winp)
{
	handlers_first();
	/* its child's login_tty moves them inside libc: what stderr is, but no copy of ours (this
	 * process keeps its fd 2, and would have one descriptor fewer) */
	tl_log_note_stderr();
	return TL_REAL(forkpty)(amaster, name, termp, winp);
}

/* An interposer preloaded before us is initialised after us, and its destructor runs before
 * ours, that is before the exit check, which still calls its functions (through libdw and
 * libelf too). libfaketime's fstat initialises it when called first, before its constructor;
 * initialised twice, its shared semaphore stays mapped after its destructor, and the check's
 * fstat calls keep working. Start-up used to call fstat through our PLT anyway; it now does
 * only in this case (docs/internals.md, Process start). */
static void touch_earlier_interposers(void)
{
	struct stat st;
	if (!tl_preloaded_after_another())
		return;
	/* the first definition, the interposer's, as a call through our PLT would find it */
	int (*first)(int, struct stat *) = (int (*)(int, struct stat *))tl_lookup_global("fstat");
	if (first != NULL)
		first(2, &st);
}

/* Before the first thread (registry.c): one fstat through the next definition, an interposer
 * preloaded after us. libfaketime's destructor runs after ours, and the exit check that follows
 * it (a pool its library's destructor joins) called its fstat first: SIGSEGV in its semaphore;
 * called once while the program runs, it keeps working. The copy of stderr taken at the first
 * thread until 2026-12-05 made that call by accident (docs/internals.md, Process start;
 * tests/exit/test_destructors.py, pool with libfaketime). */
void tl_touch_later_interposers(void)
{
	struct stat st;
	(void)TL_REAL(fstat)(2, &st);
}

/* The pid of the process whose threads the registry holds, taken when first needed: before
 * its first thread (tl_fork_child_missed), a fork, a clone(), a dump or a check, not at start,
 * where the getpid would be a system call that every process pays (docs/internals.md, Process
 * start). Not to be taken by a vfork child, which would write its own pid into its parent's
 * memory: each caller comes after one of those events, or from the exit path of a process
 * that may have another task (exit.c never_threaded; the case left is in docs/internals.md,
 * "No system call at start or exit"). A child forked before it was taken takes its own: it
 * has nothing of its parent's to reset. */
pid_t tl_main_pid(void)
{
	if (TL_UNLIKELY(tl_pid == 0)) {
		pid_t pid = tl_getpid();
		tl_pid = pid > 0 ? pid : tl_gettid(); /* getpid denied: this thread's tid */
	}
	return tl_pid;
}

bool tl_own_process(void)
{
	if (TL_UNLIKELY(tl_pid == 0)) {
		(void)tl_main_pid();
		return true;
	}
	return tl_getpid() == tl_pid;
}

/* A JSON log records every process's exit, also a clean one without threads, and the dump
 * options answer a signal: those processes need the pid from the start, to tell a vfork
 * child's exit from their own. */
static bool pid_needed_from_start(void)
{
	return tl_exit_records_clean_run() || tl_opt.dump_on_signal || tl_opt.dump_signal;
}

static void init(void)
{
	tl_registry_init();
	touch_earlier_interposers();
	tl_options_load();
	if (pid_needed_from_start())
		(void)tl_main_pid();
	if (tl_opt.help)
		tl_options_print_help();
	if (!tl_opt.children)
		unpreload_children();
	tl_capture_init();
	tl_exit_install();
	if (tl_opt.dump_on_signal || tl_opt.dump_signal)
		tl_dump_init();
}

/* Once, as pthread_once, whose completion is a futex wake that every process would pay:
 * 0 not started, 1 running, 2 done. A thread that finds another one inside (a thread started
 * from another library's constructor) waits; init() itself reaching here again goes on. */
TL_START_DATA static _Atomic int init_state;
static __thread bool in_init __attribute__((tls_model("initial-exec")));

TL_START_CODE void tl_ensure_init(void)
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

/* DT_FINI (preload/meson.build: -Wl,-fini): the loader calls it at exit. The default, _fini,
 * is an empty function of crti.o/crtn.o at the very end of our code, a 64 KiB window of code
 * that every process would fault in at exit only to return from it. */
void tl_fini(void);
TL_START_CODE void tl_fini(void)
{
}

__attribute__((constructor)) static void constructor(int argc, char **argv, char **envp)
{
	(void)argc;
	(void)argv;
	tl_start_envp = envp;
	tl_ensure_init();
}
