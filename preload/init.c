/* Process start: the constructor (options, log, registry, the exit handlers of exit.c) and
 * fork. */
#include "tl.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

TL_START_DATA pid_t tl_pid;

static void atfork_prepare(void)
{
	tl_exit_before_fork();
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
	tl_capture_after_fork_child();
	tl_dump_after_fork_child();
	tl_pid = tl_getpid();
	tl_exit_after_fork_child();
	tl_log_after_fork_child();
	atomic_store(&tl_checking, TL_NOT_CHECKING);
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
			if (o)
				out[o++] = ':';
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

/* Our fork handlers, registered first thing in init(), before anything of ours that may call
 * into another library (an allocator registers its own handlers on first use). Straight to the
 * next __register_atfork (libc's): calling pthread_atfork (libc_nonshared.a, at the end of our
 * text) would cost every process a page fault there, and so would the table of names TL_REAL
 * looks up in; the name is kept with the start data (docs/internals.md, Process start). */
TL_START_DATA static char register_atfork_name[] = "__register_atfork";

static void register_fork_handlers(void)
{
	__typeof__(tl_real___register_atfork) next = tl_lookup_next(register_atfork_name);
	if (next == NULL)
		next = TL_REAL(__register_atfork);
	if (next != NULL)
		next(atfork_prepare, atfork_parent, atfork_child, NULL);
}

/* What pthread_atfork calls: pthread_atfork itself is a stub of libc_nonshared.a, linked into
 * every caller. glibc runs prepare handlers newest first, parent and child handlers oldest
 * first. Ours must be the oldest: a prepare handler that joins a library's workers (OpenBLAS,
 * registered from its constructor, which may run before ours) calls our join wrapper, which
 * takes the registry lock that our prepare handler holds until the fork is done. Initialising
 * on the first registration of anyone else's makes ours the oldest (docs/internals.md, fork). */
int __register_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void),
                      void *dso_handle);
TL_EXPORT int __register_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void),
                                void *dso_handle)
{
	tl_ensure_init();
	return TL_REAL(__register_atfork)(prepare, parent, child, dso_handle);
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
	if (tl_preloaded_after_another())
		fstat(2, &st);
}

static void init(void)
{
	/* the registry before the fork handlers that lock it, and those before anything else */
	tl_pid = tl_getpid();
	tl_registry_init();
	/* Tied to no object, so that nothing takes them away (we are never unloaded). They used
	 * to be tied to ours, which __cxa_finalize unregisters when _dl_fini runs our
	 * destructors, and registered again for the exit check after the teardown: when they had
	 * not been taken away yet, a fork ran our prepare handler twice and locked the registry
	 * twice, and the process hung (tests/robust spawn forkexit under load: 3 runs in 600 of
	 * the library before, none in 800 after). */
	register_fork_handlers();
	touch_earlier_interposers();
	tl_log_init();
	tl_options_load();
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

/* DT_FINI (preload/meson.build: -Wl,-fini): the loader calls it at exit. The default, _fini,
 * is an empty function of crti.o/crtn.o at the very end of our code, a 64 KiB window of code
 * that every process would fault in at exit only to return from it. */
void tl_fini(void);
void tl_fini(void)
{
}

__attribute__((constructor)) static void constructor(void)
{
	tl_ensure_init();
}
