/* The exit paths and the exit check: the end of main, exit(), quick_exit(), our destructor, the
 * last on_exit handler, exit from a signal handler (the reduced check), and whether a thread is
 * in a handler.
 *
 * The check is taken before the program's teardown, where goleak's VerifyNone would run: when
 * main returns (our __libc_start_main hands glibc our own main) or at the call of exit(), before
 * atexit handlers, C++ static destructors and thread_local destructors run. A leaked thread
 * keeps running while the check waits out its grace period, and after the teardown it would
 * run into freed tables and destroyed objects (docs/internals.md, "Where the check runs"). Its
 * report is kept (tl_defer), not written.
 *
 * Exit order after that: application atexit handlers and destructors, then _dl_fini runs the
 * destructors of every object in turn - the executable's, ours, then those of the libraries
 * preloaded after us and of the program's own shared libraries (a C++ static thread pool there
 * is joined now) - and last the on_exit handler registered in our constructor, which also
 * receives the exit status. When the process ends another way (the last thread's pthread_exit
 * from main), the check runs in our destructor, before the other objects' destructors tear down
 * what it needs (libdw, libunwind, the files it opens; libfaketime frees its semaphore there).
 * The last handler only confirms, from our own registry, that the threads reported are all still
 * there and unchanged, then writes the report; when the teardown joined or woke one, the check
 * runs again there, waiting only for the threads that changed. To change the exit status the
 * way LeakSanitizer does, we flush stdio ourselves and _exit(). */
#include "tl.h"
#include "deps.h"

#include <dlfcn.h>
#include <link.h>
#include <sched.h>
#include <sys/single_threaded.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <ucontext.h>
#include <unistd.h>

TL_START_DATA static atomic_bool exit_checked;
/* a fork()ed child under children=0 */
TL_START_DATA static atomic_bool child_unchecked;

/* Flush what the program buffered, as exit() would after us. fflush(NULL) is not an option:
 * it locks every stream, and a leaked thread blocked in fgets() holds stdin's lock forever.
 * glibc's own exit-time flush takes no locks either; flush only streams with pending output
 * (fflush on an input stream would move a shared file offset). */
static void flush_stdio(bool others_run)
{
	for (FILE *f = tl_stdio_streams(); f != NULL; f = f->_chain) {
		if (!(f->_IO_write_ptr > f->_IO_write_base || f->_mode > 0))
			continue;
		/* others_run: other threads still write (a fork during the check); a stream
		 * locked by one stuck on a pipe is skipped */
		if (!others_run)
			fflush_unlocked(f);
		else if (ftrylockfile(f) == 0) {
			fflush_unlocked(f);
			funlockfile(f);
		}
	}
}

TL_START_DATA static atomic_bool exit_check_done;

static void raw_nap_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	tl_raw_syscall(SYS_nanosleep, (long)&ts, 0, 0);
}

/* Is this thread running a signal handler? Then the code it interrupted may hold the malloc
 * arena's lock, the loader's, stdio's or our registry's, and the check, which takes them all,
 * would wait forever. On the alternate signal stack, the kernel says so. Else we look for the
 * frame the kernel pushed: the handler's return address is the sa_restorer of an installed
 * handler (glibc's __restore_rt), followed by the ucontext of the interrupted code; we scan
 * the stack from here up to its top (main: __libc_stack_end; other threads: glibc keeps the
 * thread descriptor at the top of their stack), reading through process_vm_readv so that a
 * stack we misjudged cannot fault. No allocation, no lock: see docs/internals.md. */
extern void *__libc_stack_end;

struct ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	unsigned long mask;
};

#define TL_SA_RESTORER 0x04000000

static int handler_restorers(uintptr_t *out, int max)
{
	int n = 0;
	for (int sig = 1; sig <= 64; sig++) {
		struct ksigaction ka;
		if (tl_raw_syscall6(SYS_rt_sigaction, sig, 0, (long)&ka, 8, 0, 0) != 0)
			continue;
		if (ka.handler == SIG_DFL || ka.handler == SIG_IGN ||
		    !(ka.flags & TL_SA_RESTORER) || ka.restorer == NULL)
			continue;
		bool seen = false;
		for (int i = 0; i < n; i++)
			seen |= out[i] == (uintptr_t)ka.restorer;
		if (!seen && n < max)
			out[n++] = (uintptr_t)ka.restorer;
	}
	return n;
}

#if defined(__x86_64__)
/* rt_sigframe: the return address (pretcode), then the ucontext, whose first fields glibc's
 * ucontext_t shares with the kernel's. On the alternate stack the interrupted rsp is anywhere
 * (rsp_near false). */
static bool plausible_frame(uintptr_t at, const uintptr_t *w, size_t nw, const stack_t *ss,
                            bool rsp_near)
{
	/* words after pretcode: uc_flags, uc_link, uc_stack (sp, flags, size: the alternate stack
	 * as configured when the signal came, which a handler rarely changes; the kernel's flags
	 * differ from what sigaltstack says), then gregs (rsp 15, rip 16) */
	if (nw < 1 + 5 + 17)
		return false;
	uintptr_t uc_flags = w[1], uc_link = w[2], rsp = w[6 + 15], rip = w[6 + 16];
	bool same_altstack = w[3] == (uintptr_t)ss->ss_sp && w[5] == ss->ss_size;
	return uc_flags < 16 && uc_link == 0 && rip != 0 &&
	       (!rsp_near || (rsp > at && rsp - at < (1u << 20))) && same_altstack;
}
#endif

/* The innermost signal frame above `from` (tl_signal_frame_above); with rip non-NULL, the
 * interrupted rip and rax it holds (0 and -1 when not found). */
static bool frame_above(uintptr_t from, uintptr_t *rip, long *rax)
{
	stack_t ss;
	if (rip != NULL)
		*rip = 0, *rax = -1;
	if (tl_raw_syscall(SYS_sigaltstack, 0, (long)&ss, 0) != 0)
		return false;
	bool on_alt = !(ss.ss_flags & SS_DISABLE) && from >= (uintptr_t)ss.ss_sp &&
	              from - (uintptr_t)ss.ss_sp < ss.ss_size;
	if (on_alt && rip == NULL)
		return true;
#if defined(__x86_64__)
	uintptr_t restorers[8];
	int nr = handler_restorers(restorers, (int)TL_ARRAY_SIZE(restorers));
	if (nr == 0)
		return on_alt;
	uintptr_t sp = from & ~(uintptr_t)7;
	uintptr_t top = on_alt                         ? (uintptr_t)ss.ss_sp + ss.ss_size
	                : tl_gettid() == tl_main_pid() ? (uintptr_t)__libc_stack_end
	                                               : (uintptr_t)pthread_self();
	if (top <= sp || top - sp > (64u << 20))
		return on_alt;
	/* 1 KiB at a time: the caller may be exit() on a 16 KiB stack (a 4 KiB buffer here was
	 * half of what such a thread had left: SIGSEGV, tests/core smallstack exit_deep) */
	static const size_t chunk = 1024;
	uintptr_t buf[(1024 + 256) / sizeof(uintptr_t)];
	pid_t pid = (pid_t)tl_raw_syscall(SYS_gettid, 0, 0, 0); /* see read_mem in objects.c */
	for (uintptr_t at = sp; at < top; at += chunk) {
		/* each chunk with 256 bytes more, so that a frame across the boundary is whole */
		size_t want = top - at < chunk + 256 ? top - at : chunk + 256;
		struct iovec local = {buf, want}, remote = {(void *)at, want};
		long got = tl_raw_syscall6(SYS_process_vm_readv, pid, (long)&local, 1,
		                           (long)&remote, 1, 0);
		if (got <= 0)
			return on_alt;
		size_t nw = (size_t)got / sizeof(uintptr_t);
		for (size_t i = 0; i < nw && i < chunk / sizeof(uintptr_t); i++)
			for (int r = 0; r < nr; r++)
				if (buf[i] == restorers[r] &&
				    plausible_frame(at + i * sizeof(uintptr_t), buf + i, nw - i,
				                    &ss, !on_alt)) {
					if (rip != NULL)
						*rip = buf[i + 6 + 16],
						*rax = (long)buf[i + 6 + 13];
					return true;
				}
	}
#endif
	return on_alt;
}

bool tl_signal_frame_above(uintptr_t from)
{
	return frame_above(from, NULL, NULL);
}

/* exit() from a signal handler that interrupted this thread asleep in one of these system calls,
 * made from code that holds no lock the full check takes (the loader's, malloc's, stdio's, our
 * registry's: none of them is held across such a call): the check can run in full, with stacks
 * and suppressions, as it does for a daemon that exits on SIGTERM while its main thread waits
 * in pause(), sigsuspend(), a sleep or its event loop. Anything else (computing, malloc, a read
 * that may hold stdin's lock, a futex wait, a call whose number the context does not say) gets
 * the reduced check. The number: a call the kernel restarts has rip on its syscall instruction
 * and the number in rax; one that returns EINTR has rip after it, and glibc's wrappers load the
 * number right before it (tl_syscall_loaded_before). */
static bool interrupted_asleep(void)
{
#if defined(__x86_64__)
	uintptr_t rip;
	long rax;
	if (!frame_above((uintptr_t)__builtin_frame_address(0), &rip, &rax) || rip < 16)
		return false;
	/* copied, not read in place: the frame was found by its shape, and its rip is not
	 * trusted to be mapped */
	unsigned char code[9]; /* rip - 7 .. rip + 1 */
	struct iovec local = {code, sizeof(code)}, remote = {(void *)(rip - 7), sizeof(code)};
	pid_t tid = (pid_t)tl_raw_syscall(SYS_gettid, 0, 0, 0);
	if (tl_raw_syscall6(SYS_process_vm_readv, tid, (long)&local, 1, (long)&remote, 1, 0) !=
	    (long)sizeof(code))
		return false;
	long nr = code[7] == 0x0f && code[8] == 0x05 && rax >= 0 ? rax /* restarted */
	          : rax == -EINTR                                ? tl_syscall_loaded_before(code)
	                                                         : -1;
	switch (nr) {
	case SYS_pause:
	case SYS_rt_sigsuspend:
	case SYS_rt_sigtimedwait:
	case SYS_nanosleep:
	case SYS_clock_nanosleep:
	case SYS_poll:
	case SYS_ppoll:
	case SYS_select:
	case SYS_pselect6:
	case SYS_epoll_wait:
	case SYS_epoll_pwait:
	case SYS_wait4:
	case SYS_waitid:
	case SYS_accept:
	case SYS_accept4:
		return true;
	default:
		return false;
	}
#else
	return false;
#endif
}

bool tl_in_signal_handler(void)
{
	stack_t ss;
	if (tl_raw_syscall(SYS_sigaltstack, 0, (long)&ss, 0) != 0)
		return false;
	if (ss.ss_flags & SS_ONSTACK)
		return true;
	return tl_signal_frame_above((uintptr_t)__builtin_frame_address(0));
}

/* What the parent sees of exit(status): its low 8 bits. exit(256) ends the process with status
 * 0, and -1 with 255: the report says so, and a status of 0 becomes exitcode. */
static int seen_status(int status)
{
	return status & 0xff;
}

/* The status the program passed to exit() through our wrapper, or returned from main; taken as 0
 * when the process ends another way, until the last handler says otherwise. */
TL_START_DATA static atomic_int exit_status_arg;
TL_START_DATA static atomic_bool exit_reduced; /* exit() was called from a signal handler */

/* The check taken before the teardown or in our destructor: EARLY_NONE, EARLY_RUNNING,
 * EARLY_DONE (early_result and early_fd valid), EARLY_SKIPPED (nothing to check then, or the last
 * handler came first). */
enum { EARLY_NONE, EARLY_RUNNING, EARLY_DONE, EARLY_SKIPPED };
/* When the early check began (tl_mono_ns). A thread that calls exit() while it runs, coming
 * out of a sleep or timed wait, at least LATE_EXIT_MS later, would not have got there bare (the
 * process had ended): it is still a leaked thread, a watchdog whose timer fired during the
 * grace period. Whether the sleep began before the check is not asked: a thread that began it
 * after main returned was alive then too (a watchdog started just before, which had not run
 * yet on a loaded machine, was missed; and on the coarse clock the two times were one tick).
 * Other calls are the program's own race of exits (tests/robust exitrace: eight threads leave
 * a barrier and call exit(), one of them 50 ms late on a busy machine). */
static int64_t early_began_ns;
static int64_t early_check_ns; /* how long the check before the teardown took */
enum { LATE_EXIT_MS = 50 };

static bool timer_fired_late(const struct tl_thread *t)
{
	const struct tl_block *b = &t->blk; /* its last wrapped call: kept after it returns */
	return b->call && tl_mono_ns() - early_began_ns >= LATE_EXIT_MS * 1000000LL &&
	       (b->kind == TL_OBJ_SLEEP || strstr(b->call, "timed") || strstr(b->call, "clock"));
}

TL_START_DATA static atomic_int early_state;
static struct tl_deferred early_result;
static int early_status, early_leaked, early_fd = -1;

/* A process that never started a thread (tl_threads_started: set before the first thread our
 * wrappers start, and after a libc call that started its own; inherited by fork children) and
 * has no other task now (a raw clone() thread, or a libc helper thread in the moment before we
 * adopt it) has nothing to report: most processes a CI job starts. The check would still
 * allocate and walk the registry. A JSON log file is still written, to record a clean run. */
TL_START_DATA static bool nothing_seen_early; /* the early check found nothing to check */

/* A process whose clean run is recorded too (a JSON log file) is checked whatever it did. */
TL_START_CODE bool tl_exit_records_clean_run(void)
{
	return tl_opt.format == TL_FORMAT_JSON && tl_opt.log_path && tl_opt.log_path[0];
}

/* No task but this one can exist, told without a system call: no thread started through our
 * wrappers or by libc's calls that start helper threads (tl_threads_started), no clone() or
 * clone system call through our wrappers, and glibc's own flag, which its pthread_create
 * clears for every thread it starts, its helper threads included, says so too (looked up here
 * rather than bound at load, which would cost every process a lookup and a version need; through
 * the first definition: a program that names it has a copy that libc writes). What this misses
 * is a thread started by a clone system call of a program's own assembly. Reads only, pid
 * not taken: a vfork child's exit runs this in memory its parent shares. (Before: getpid, then
 * prctl and unshare to count the tasks, three system calls at the exit of every process; on a
 * VM with page-table isolation and no PCID each one empties the TLB: docs/internals.md, Process
 * start.) */
TL_START_CODE static bool never_threaded(void)
{
	TL_START_DATA static void *_Atomic single_cache;
	/* with the start data: a constant would cost a page of our read-only data */
	TL_START_DATA static char name[] = "__libc_single_threaded";
	if (atomic_load_explicit(&tl_threads_started, memory_order_relaxed) ||
	    atomic_load_explicit(&tl_clone_called, memory_order_relaxed))
		return false;

	const volatile char *single = tl_lookup_global_once(&single_cache, name);
	return single != NULL && *single;
}

/* Nothing to check at this exit, and nothing to record: see never_threaded. */
TL_START_CODE static bool quiet_exit(void)
{
	return never_threaded() && !tl_exit_records_clean_run();
}

/* The destructor's look found nothing, and no thread can have started since without clearing
 * the flag: no system call (the exit handlers ask this before their getpid). */
TL_START_CODE static bool nothing_since_early(void)
{
	return (nothing_seen_early &&
	        !atomic_load_explicit(&tl_threads_started, memory_order_relaxed)) ||
	       quiet_exit();
}

TL_START_CODE static bool nothing_to_check(void)
{
	pid_t tid;
	if (nothing_since_early())
		return true;
	return !atomic_load_explicit(&tl_threads_started, memory_order_relaxed) &&
	       !tl_exit_records_clean_run() && (tl_only_task() || tl_list_tasks(&tid, 1) == 1);
}

/* A fork()ed child (the flag of tl_exit_after_fork_child); death_test_child's answer */
TL_START_DATA static bool forked_child;
static int death_child_known = -1;

/* GoogleTest's death tests run their statement in a child process, meant to end there (with
 * exit(0) too) with the status the test compares: a check would change that status
 * (ExitedWithCode(0) gets 23) and report the test binary's own background threads, which are
 * the parent's to answer for. Such a child is not checked. The threadsafe style runs the binary
 * again with --gtest_internal_run_death_test (/proc/self/cmdline keeps it; InitGoogleTest takes
 * it out of argv); the fast style fork()s, and gtest's InDeathTestChild() says so, found in the
 * dynamic symbols or, for a test linked with gtest statically, in the program's symbol table.
 * Asked once, at exit, in a process with threads left (not in a signal handler). */
static bool death_test_child(void)
{
	int known = death_child_known;
	if (known >= 0)
		return known;
	static const char flag[] = "--gtest_internal_run_death_test";
	/* static: exit() may come from a thread with 16 KiB of stack, this frame before the check
	 * moves to its own stack (it had 8 KiB here: SIGSEGV, tests/core smallstack exit_deep);
	 * one thread gets here, the exit's owner, once */
	static char cmd[8192];
	ssize_t n = tl_read_file("/proc/self/cmdline", cmd, sizeof(cmd));
	known = n > 0 && memmem(cmd, (size_t)n, flag, sizeof(flag) - 1) != NULL;
	/* the reduced check: no symbols (the symbolizer may be in the middle of a check's work
	 * this exit interrupted) */
	if (known || !forked_child || atomic_load(&exit_reduced))
		return (death_child_known = known) != 0;
	static const char name[] = "_ZN7testing8internal16InDeathTestChildEv";
	bool (*in_child)(void) = (bool (*)(void))tl_lookup_global(name);
	if (in_child == NULL && tl_loader_enter(500)) {
		in_child = (bool (*)(void))tl_sym_find_function(tl_sym_get(), name);
		tl_loader_leave();
	}
	return (death_child_known = in_child != NULL && in_child()) != 0;
}

/* Is this process's exit to be checked at all? */
static bool checks_exit(void)
{
	return tl_own_process() && tl_opt.check_at_exit && !atomic_load(&child_unchecked);
}

/* The check taken before the teardown, for the time of the one after it (its report's
 * check_ms: both passes; the first one waited the grace period). */
int64_t tl_exit_early_check_ns(void)
{
	return atomic_load(&early_state) == EARLY_DONE ? early_check_ns : 0;
}

bool tl_exit_teardown_after_leaks(void)
{
	return atomic_load(&early_state) == EARLY_DONE && early_result.reported > 0 &&
	       checks_exit();
}

/* Does the early check's verdict still hold after the teardown? Not when the teardown joined or
 * detached a thread it reported (a C++ static pool), when one went away (a detached worker an
 * atexit handler told to stop) or is on its way out, unless it had already when the early check
 * ended (early_ended), when one left the untimed wrapped call it was blocked in (woken), or when
 * the teardown started threads of its own. A
 * thread that was running, or asleep in a call with a timeout, may well have moved: it had its
 * grace period, and bare it would run on until _exit(). Our own registry only: no call into other
 * objects, and no allocation: a leaked thread that wrote into memory the teardown freed has broken
 * the heap's lists, which the program, bare, would not touch again before _exit (docs/internals.md,
 * "After the teardown"). So what it compares against is made when the early check ends
 * (sort_early). */
static int by_number(const void *a, const void *b)
{
	uint64_t x = ((const struct tl_deferred_thread *)a)->number,
	         y = ((const struct tl_deferred_thread *)b)->number;
	return (x > y) - (x < y);
}

static struct tl_deferred_thread *early_sorted; /* the tracked threads reported, by number */
static size_t nsorted;
static bool *early_found; /* nsorted + 1 */
/* Gone, or on its way out, already when the early check ended (prepare_teardown): it ended on
 * its own after the grace period, and stays reported, as with a shorter grace_ms. */
static bool *early_ended;   /* nsorted + 1 */
static uint64_t early_next; /* tl_registry_next_number when the early check ended */

static void sort_early(void)
{
	early_sorted = malloc(sizeof(*early_sorted) * (early_result.n + 1));
	early_found = calloc(2 * (early_result.n + 1), sizeof(bool));
	if (early_sorted == NULL || early_found == NULL) {
		free(early_sorted);
		free(early_found);
		early_sorted = NULL;
		early_found = NULL;
		return;
	}
	early_ended = early_found + early_result.n + 1;
	nsorted = 0;
	for (size_t i = 0; i < early_result.n; i++)
		if (early_result.v[i].number != 0) /* untracked: nobody joins it through us */
			early_sorted[nsorted++] = early_result.v[i];
	qsort(early_sorted, nsorted, sizeof(*early_sorted), by_number);
}

static struct tl_deferred_thread *early_find(uint64_t number)
{
	struct tl_deferred_thread key = {.number = number};
	return nsorted ? bsearch(&key, early_sorted, nsorted, sizeof(key), by_number) : NULL;
}

/* One pass over the registry against the early result sorted by number: O(N log N) where a
 * search per reported thread was O(N^2) (most of a 10,000-thread exit). */
/* Woken since the early check, still in its wrapped call: the teardown told it to stop (an
 * atexit handler that broadcasts and returns), and it has not run yet, or it waits for the
 * mutex again. Bare, it races _exit(); reported, it would be reported in one run of two. */
static bool woken(const struct tl_deferred_thread *d)
{
	char st;
	return d->stamp >= 0 && (tl_kernel_stamp(d->tid, &st) != d->stamp || st == 'R');
}

/* Has t left the untimed wrapped call the early check found it in (d)? Its record says so once
 * it has; with `look`, also one the teardown woke that has not yet (woken). */
static bool left_call(const struct tl_deferred_thread *d, const struct tl_thread *t, bool look)
{
	return (d->seq & 1) && (atomic_load(&t->blk.seq) != d->seq || (look && woken(d)));
}

/* `in_handler`: asked by a thread dying in the teardown (teardown_died_of), which may have
 * interrupted a holder of the registry's lock (another thread's section is waited for, 50 ms
 * at most): then the answer is yes, unknown. */
static bool early_result_holds(int status, bool rehearsal, bool in_handler)
{
	if (status != early_status || early_result.reported != early_result.n ||
	    early_sorted == NULL)
		return false;
	bool holds = true;
	if (!in_handler)
		tl_registry_lock();
	else if (!tl_registry_trylock_for(50))
		return true;
	if (rehearsal)
		early_next = tl_registry_next_number();
	TL_REGISTRY_FOREACH (t) {
		struct tl_deferred_thread *d = early_find(t->number);
		if (d == NULL) {
			/* a thread the teardown started (an atexit handler's) */
			if (t->number >= early_next &&
			    !(t->flags & (TL_F_MAIN | TL_F_IGNORED | TL_F_EXITING)))
				holds = false;
			continue;
		}
		size_t i = (size_t)(d - early_sorted);
		early_found[i] = true;
		bool left = left_call(d, t, holds); /* the stamps only while it may hold */
		/* a thread the Python interpreter ended, held for the check: released after it
		 * (wrap_thread.c), it leaves its call and ends in the teardown */
		bool going =
		    d->state != TL_ST_EXITED &&
		    (atomic_load(&t->finishing) || (t->flags & (TL_F_FINISHED | TL_F_EXITING)) ||
		     atomic_load(&t->runtime_ended));
		if (going && rehearsal)
			early_ended[i] = true;
		if ((t->flags & TL_F_JOINED) ||
		    ((t->flags & TL_F_DETACHED) && !(d->flags & TL_F_DETACHED)) ||
		    (left && !(early_ended[i] && atomic_load(&t->runtime_ended))) ||
		    (going && !early_ended[i]))
			holds = false;
	}
	tl_registry_unlock();
	/* a record goes once joined, or once detached and finished */
	for (size_t i = 0; i < nsorted; i++) {
		bool ended = !early_found[i] && (early_sorted[i].flags & TL_F_DETACHED);
		if (ended && rehearsal)
			early_ended[i] = true;
		if (!early_found[i] && !(ended && early_ended[i]))
			holds = false;
	}
	return holds;
}

/* After the early check, leaked threads run on through the program's teardown, where one may
 * use what an atexit handler freed: bare, _exit() comes a few microseconds after the last
 * handler and ends it first. What runs after the program's handlers is made ready now, while
 * the program is whole, since a first touch of a page costs 12-23 us on a virtual machine (the
 * window grew from 6-9 us bare to 80-130 us): the destructors of the libraries the check loaded
 * (libunwind, libdw and the compression libraries), whose code pages _dl_fini would fault in,
 * and the last handler's own confirmation, rehearsed (docs/internals.md, "After the teardown"). */
static int touch_finis(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	(void)data;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		if (info->dlpi_phdr[i].p_type != PT_DYNAMIC)
			continue;
		uintptr_t base = info->dlpi_addr, array = 0, fini = 0;
		size_t n = 0;
		for (const ElfW(Dyn) *d = (const ElfW(Dyn) *)(base + info->dlpi_phdr[i].p_vaddr);
		     d->d_tag != DT_NULL; d++) {
			/* relocated in place by the loader, or still an offset */
			uintptr_t p = d->d_un.d_ptr < base ? base + d->d_un.d_ptr : d->d_un.d_ptr;
			if (d->d_tag == DT_FINI)
				fini = p;
			else if (d->d_tag == DT_FINI_ARRAY)
				array = p;
			else if (d->d_tag == DT_FINI_ARRAYSZ)
				n = d->d_un.d_val / sizeof(uintptr_t);
		}
		if (fini)
			(void)*(volatile const char *)fini;
		for (size_t k = 0; array && k < n; k++) {
			uintptr_t fn = ((const uintptr_t *)array)[k];
			if (fn != 0 && fn != (uintptr_t)-1)
				(void)*(volatile const char *)fn;
		}
	}
	return 0;
}

static void prepare_teardown(void)
{
	if (tl_loader_enter(0)) { /* a thread may keep the loader's lock forever */
		dl_iterate_phdr(touch_finis, NULL);
		tl_loader_leave();
	}
	(void)early_result_holds(early_status, true, false);
	if (early_found)
		memset(early_found, 0, (early_result.n + 1) * sizeof(bool));
	tl_output_write(-1, "", 0);
}

/* The exit check as the process sees it: no time. Bare, exit() ends the process at once, and an
 * alarm() due a moment later never fires; the check's grace period and work would let it fire
 * and kill the process (SIGALRM's default action), with its output and the report (a test's
 * watchdog: alarm(1), a pass at 850 ms). The interval timers stop for the check and go on
 * with what was left after it; the CPU time the check takes is not the program's either
 * (ITIMER_VIRTUAL, ITIMER_PROF). A stopped timer also lets the grace period end early
 * (check.c no_timers). So do the POSIX timers (timer_create: a watchdog's SIGALRM, a
 * SIGEV_THREAD timer's thread), through the kernel's ids in /proc/self/timers: up to
 * PAUSED_MAX of them; more stay running. */
#define PAUSED_MAX 64
struct paused_timers {
	struct itimerval left[3];
	bool any;
	int nposix;
	int posix_ids[PAUSED_MAX];
	struct itimerspec posix_left[PAUSED_MAX];
};

static const int interval_timers[3] = {ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF};

/* Raw system calls, no libc function: a first call of one would be bound lazily, and the
 * loader's binding takes kilobytes of a stack that may be 16 KiB (tests/core smallstack). */
static void pause_timers(struct paused_timers *p)
{
	static const struct itimerval stop;
	p->any = false;
	for (int i = 0; i < 3; i++) {
		memset(&p->left[i], 0, sizeof(p->left[i]));
		if (tl_raw_syscall(SYS_getitimer, interval_timers[i], (long)&p->left[i], 0) == 0 &&
		    (p->left[i].it_value.tv_sec || p->left[i].it_value.tv_usec)) {
			tl_raw_syscall(SYS_setitimer, interval_timers[i], (long)&stop, 0);
			p->any = true;
		}
	}
	int n = tl_posix_timers(p->posix_ids, PAUSED_MAX);
	p->nposix = 0;
	for (int i = 0; i < n && i < PAUSED_MAX; i++) {
		static const struct itimerspec disarm;
		struct itimerspec *left = &p->posix_left[p->nposix];
		int id = p->posix_ids[i];
		if (tl_raw_syscall(SYS_timer_gettime, id, (long)left, 0) == 0 &&
		    (left->it_value.tv_sec || left->it_value.tv_nsec) &&
		    tl_raw_syscall6(SYS_timer_settime, id, 0, (long)&disarm, 0, 0, 0) == 0)
			p->posix_ids[p->nposix++] = id;
	}
}

static void resume_timers(const struct paused_timers *p)
{
	for (int i = 0; p->any && i < 3; i++)
		if (p->left[i].it_value.tv_sec || p->left[i].it_value.tv_usec)
			tl_raw_syscall(SYS_setitimer, interval_timers[i], (long)&p->left[i], 0);
	/* relative: what was left, from now (an absolute timer's deadline moves by the check) */
	for (int i = 0; i < p->nposix; i++)
		tl_raw_syscall6(SYS_timer_settime, p->posix_ids[i], 0, (long)&p->posix_left[i], 0,
		                0, 0);
}

/* The exit check (kind TL_CHECK_EXIT) with the interval timers stopped meanwhile. */
static void timers_around(bool before)
{
	static struct paused_timers p; /* under the check's lock */
	if (before)
		pause_timers(&p);
	else
		resume_timers(&p);
}

/* On the check's stack: the thread that calls exit() may have 16 KiB of its own, and what
 * the timers take (a buffer, the first binding of a libc function) did not fit there (SIGSEGV,
 * tests/core smallstack exit_deep). */
static int exit_check(int status)
{
	return tl_check_around(TL_CHECK_EXIT, status, true, NULL, timers_around);
}

/* SIGPIPE held back around a flush of the program's output and the report after it: a reader
 * that went away (`prog | head -1`) made the flush end the process before the report was
 * written. Let through after the report, the signal ends the process as it would have ended
 * without us (status 141); a program that blocks or ignores it gets EPIPE, as bare. Raw system
 * calls: the mask of this thread only. */
#define SIGPIPE_BIT (1ull << (SIGPIPE - 1)) /* in a raw signal mask */

static void hold_sigpipe(uint64_t *old)
{
	uint64_t set = SIGPIPE_BIT;
	if (tl_raw_syscall6(SYS_rt_sigprocmask, SIG_BLOCK, (long)&set, (long)old, 8, 0, 0) != 0)
		*old = set; /* unknown: leave it blocked rather than let it through early */
}

static void let_sigpipe(const uint64_t *old)
{
	tl_raw_syscall6(SYS_rt_sigprocmask, SIG_SETMASK, (long)old, 0, 8, 0, 0);
}

/* A SIGPIPE raised by the destructor's flush (take_early_check), held until the last exit handler
 * has written the report: the mask to restore then. */
TL_START_DATA static bool early_sigpipe_held;
static uint64_t early_sigpipe_mask;

static void flush_before_check(void)
{
	uint64_t mask, pending = 0;
	hold_sigpipe(&mask);
	flush_stdio(false);
	tl_raw_syscall(SYS_rt_sigpending, (long)&pending, 8, 0);
	if (!(mask & SIGPIPE_BIT) && (pending & SIGPIPE_BIT)) {
		early_sigpipe_mask = mask;
		early_sigpipe_held = true;
	} else {
		let_sigpipe(&mask);
	}
}

/* The held SIGPIPE, let through: the process ends of it as it would have bare. */
static void release_early_sigpipe(void)
{
	if (early_sigpipe_held) {
		early_sigpipe_held = false;
		let_sigpipe(&early_sigpipe_mask);
	}
}

/* ---- a teardown that dies ----
 * The report of an exit check that found leaks waits for the end of the program's teardown (its
 * exit handlers and destructors), where the verdict is confirmed. A teardown that aborts
 * (std::terminate in the destructor of a global std::thread left joinable: the commonest C++
 * leak) or faults never got there, and the report was lost. While the teardown runs, the fatal
 * signals whose action is the default one print the early report first; then the action is
 * the default again and the signal, raised again, ends the process as it would have (core dump
 * included). A handler the program installs meanwhile replaces ours; a sigaction() that asks
 * during the teardown sees what was there before (tl_exit_sigaction). docs/internals.md, "A
 * teardown that dies". */
static const int teardown_signals[] = {SIGABRT, SIGSEGV, SIGBUS, SIGFPE,
                                       SIGILL,  SIGTRAP, SIGSYS, SIGPIPE};
static bool teardown_caught[TL_ARRAY_SIZE(teardown_signals)];
/* what each one had before ours (SIG_DFL, with its mask and flags): what the program sees */
static struct sigaction teardown_prev[TL_ARRAY_SIZE(teardown_signals)];
/* who writes the early report after the teardown began: nobody yet, a dying thread (writing,
 * then written), or the last exit handler */
enum { TD_NONE, TD_WRITING, TD_WRITTEN, TD_FINISHING };
static atomic_int teardown_report;

static void teardown_default(int sig)
{
	struct sigaction dfl;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	TL_REAL(sigaction)(sig, &dfl, NULL);
}

/* A thread (another than the writer) waits until the report is whole: the signal it raises next
 * ends the process. Bounded: a writer stopped for good must not hang the process. */
static void teardown_wait_written(void)
{
	for (int ms = 0; ms < 2000 && atomic_load(&teardown_report) == TD_WRITING; ms++)
		raw_nap_ms(1);
}

static void died_note(int fd, bool holds, int sig);

/* The early text report but its header's "exit status 0 becomes N": a process that dies of a
 * signal ends with the signal's status, not exitcode (report.c writes that header; the exe's
 * name before it cannot hold "(pid P, exit status 0 becomes N" by chance). JSON has no such
 * claim. */
static void write_but_becomes(int fd, const char *out, size_t len)
{
	char claim[96];
	int kept = snprintf(claim, sizeof(claim), "(pid %d, exit status 0", (int)tl_main_pid());
	int n = kept + snprintf(claim + kept, sizeof(claim) - (size_t)kept, " becomes %d",
	                        tl_opt.exitcode);
	size_t skip = len > 0 && out[0] == '\n'; /* the header's blank line */
	const char *eol = memchr(out + skip, '\n', len - skip);
	const char *at = eol ? memmem(out, (size_t)(eol - out), claim, (size_t)n) : NULL;
	if (tl_opt.format == TL_FORMAT_JSON || at == NULL) {
		tl_output_write(fd, out, len);
		return;
	}
	tl_output_write(fd, out, (size_t)(at - out) + (size_t)kept);
	tl_output_write(fd, at + n, len - (size_t)(at + n - out));
}

/* The early check's report, from a path that ends the process during the teardown (a dying
 * thread: teardown_died_of; _exit: teardown_cut): the first such caller writes it where it went
 * (found again: tl_output_again), if it still holds (the teardown may have joined or stopped a
 * thread the check found: a pool joined, then an abort), and then note (NULL: none); the others
 * wait until it is written. -1: another caller wrote it; else whether it held. */
static int teardown_write_early(void (*note)(int fd, bool holds, int arg), int arg)
{
	int none = TD_NONE;
	if (!atomic_compare_exchange_strong(&teardown_report, &none, TD_WRITING)) {
		teardown_wait_written();
		return -1;
	}
	bool holds = early_result_holds(early_status, false, true);
	bool out = holds && early_result.out != NULL;
	int fd = out || note != NULL ? tl_output_again(early_fd) : -1;
	if (out && note == died_note)
		write_but_becomes(fd, early_result.out, early_result.len);
	else if (out)
		tl_output_write(fd, early_result.out, early_result.len);
	if (note != NULL)
		note(fd, holds, arg);
	atomic_store(&teardown_report, TD_WRITTEN);
	return holds;
}

/* What teardown_died_of adds to the report: the signal that ended the process. */
static void died_note(int fd, bool holds, int sig)
{
	const char *abbrev = TL_REAL(sigabbrev_np)(sig); /* glibc's table: no allocation, no lock */
	if (tl_opt.format == TL_FORMAT_JSON)
		return;
	char note[320];
	int n = snprintf(note, sizeof(note),
	                 holds ? "threadleak: then SIG%s ended the process during its teardown "
	                         "(exit handlers and destructors): this report is the check's "
	                         "from before the teardown, the exit status the signal's\n"
	                       : "\nthreadleak: SIG%s ended the process during its teardown (exit "
	                         "handlers and destructors), after the threads the exit check had "
	                         "found changed there: no report\n",
	                 abbrev ? abbrev : "?");
	tl_output_write(fd, note, (size_t)n);
}

static void teardown_died_of(int sig, siginfo_t *si, void *context)
{
	(void)context;
	int e = errno;
	teardown_default(sig);
	/* a child forked during the teardown: not its report */
	if (tl_own_process() && early_result.out != NULL)
		(void)teardown_write_early(died_note, sig);
	/* Then the default action, as without us. A fault the kernel raised (si_code > 0) comes
	 * back when the instruction runs again, with its own address and code (the core shows
	 * them); one sent (abort, raise, kill) is sent again, blocked until we return. */
	if (si == NULL || si->si_code <= 0 || sig == SIGABRT || sig == SIGPIPE)
		tl_raw_syscall(SYS_tgkill, tl_getpid(), tl_gettid(), sig);
	errno = e;
}

static void catch_teardown_deaths(void)
{
	if (early_result.reported == 0 || early_result.out == NULL)
		return;
	for (size_t i = 0; i < TL_ARRAY_SIZE(teardown_signals); i++) {
		struct sigaction cur, sa;
		if (TL_REAL(sigaction)(teardown_signals[i], NULL, &cur) != 0 ||
		    (cur.sa_flags & SA_SIGINFO) || cur.sa_handler != SIG_DFL)
			continue;
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = teardown_died_of;
		sa.sa_flags = SA_SIGINFO;
		sigemptyset(&sa.sa_mask);
		teardown_prev[i] = cur;
		teardown_caught[i] = TL_REAL(sigaction)(teardown_signals[i], &sa, NULL) == 0;
	}
}

/* The program's sigaction (dump.c) on a signal whose teardown handler is ours: false when it
 * is not. The teardown's handlers see the action they would see bare (a pool joined by an
 * atexit handler is no leak, and its handler saw SIGSEGV "installed"); setting SIG_DFL
 * changes only that; any other action is installed, and replaces ours. */
bool tl_exit_sigaction(int sig, const struct sigaction *act, struct sigaction *old, int *rc)
{
	size_t i = 0;
	while (i < TL_ARRAY_SIZE(teardown_signals) && teardown_signals[i] != sig)
		i++;
	struct sigaction cur;
	if (i == TL_ARRAY_SIZE(teardown_signals) || !teardown_caught[i] ||
	    TL_REAL(sigaction)(sig, NULL, &cur) != 0 || !(cur.sa_flags & SA_SIGINFO) ||
	    cur.sa_sigaction != teardown_died_of)
		return false;
	if (tl_sigaction_behind(sig, &teardown_prev[i], act, old, rc))
		teardown_caught[i] = false;
	return true;
}

/* The teardown is over (or the process is a child now): the signals that still have our
 * handler get the default back. */
static void release_teardown_deaths(void)
{
	for (size_t i = 0; i < TL_ARRAY_SIZE(teardown_signals); i++) {
		struct sigaction cur;
		if (!teardown_caught[i])
			continue;
		teardown_caught[i] = false;
		if (TL_REAL(sigaction)(teardown_signals[i], NULL, &cur) == 0 &&
		    (cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == teardown_died_of)
			teardown_default(teardown_signals[i]);
	}
}

/* The last exit handler writes the report, unless a thread dying in the teardown has: then the
 * process is about to end of that thread's signal, and this handler waits for it (bounded: a
 * process that goes on after all gets its report twice rather than hang). */
static void teardown_report_ours(void)
{
	release_teardown_deaths();
	int none = TD_NONE;
	if (atomic_compare_exchange_strong(&teardown_report, &none, TD_FINISHING) ||
	    none == TD_FINISHING)
		return;
	teardown_wait_written();
	raw_nap_ms(5000);
}

/* A destroy in the teardown that did not wait for a leaked thread's wait (wrap_sync.c): bare,
 * glibc's pthread_cond_destroy waits for every waiter, and this process hangs there at exit
 * (a global std::condition_variable's destructor) whenever a thread waits by then: "can", since
 * bare the thread may not have reached its wait yet (the check gives it time to). The report
 * says so, in text; the JSON is one document that a line cannot follow. */
static void say_destroy_hang(void)
{
	uintptr_t c = atomic_load(&tl_destroy_left_waiters);
	if (c == 0 || tl_opt.format == TL_FORMAT_JSON)
		return;
	char note[320];
	int n = snprintf(note, sizeof(note),
	                 "threadleak: note: bare, this process can hang at exit: in its teardown, "
	                 "pthread_cond_destroy(0x%lx) waits for ever for leaked threads blocked on "
	                 "that condition variable (threadleak let it return)\n",
	                 (unsigned long)c);
	tl_output(note, (size_t)n);
}

/* Our last exit handler has begun in this process (glibc took it off the list): a child
 * forked from now on has no such handler left to run (exit_gate must not wait for it). */
TL_START_DATA static atomic_bool at_exit_began;

/* The check taken before the teardown (or, failing that, in our destructor), its report kept
 * for the last handler. `flush`: children forked while the check waits must not inherit the
 * program's buffered output (they would write it again when they exit); not done before the
 * teardown, where it would reorder the program's stdout against what its atexit handlers write
 * to stderr. */
/* The process is ending: exit(), quick_exit() or main's return has begun (log.c). */
TL_START_DATA atomic_bool tl_exit_begun;

TL_START_CODE static void early_check(int status, bool flush);

/* The teardown starts on a fresh time slice of the scheduler's, as it does bare. The check just
 * took this thread milliseconds of CPU time (24 ms for one thread), and then the first thread
 * the teardown wakes (a detached worker that a static std::promise's destructor breaks)
 * preempted it on its own CPU at once (perf's sched_switch, with EEVDF): it ran until it threw
 * std::future_error and died of SIGABRT, where bare the process ends first. A nap gives this
 * thread a new slice, which the wake does not preempt: the promise case went from 21 aborts in
 * 40 runs to 1 in 60, as bare (1 in 60). About 60 us, once per process that had a check.
 * docs/internals.md, "A fresh time slice for the teardown". */
static void fresh_slice(void)
{
	struct timespec ts = {0, 1000};
	tl_raw_syscall(SYS_nanosleep, (long)&ts, 0, 0);
}

TL_START_CODE static void take_early_check(int status, bool flush)
{
	int none = EARLY_NONE;
	atomic_store_explicit(&tl_exit_begun, true, memory_order_relaxed);
	if (atomic_load(&early_state) != EARLY_NONE || quiet_exit() || !checks_exit() ||
	    atomic_load(&exit_checked) || atomic_load(&exit_reduced) ||
	    !atomic_compare_exchange_strong(&early_state, &none, EARLY_RUNNING)) {
		/* no check to wait for (a process without threads holds none: no page of that
		 * code is touched on its way out, docs/internals.md Process start) */
		if (atomic_load_explicit(&tl_threads_started, memory_order_relaxed))
			tl_release_runtime_ended();
		return;
	}
	int saved_errno = errno; /* the exit handlers see the program's (docs/internals.md) */
	early_check(status, flush);
	if (atomic_load_explicit(&tl_threads_started, memory_order_relaxed))
		tl_release_runtime_ended();
	errno = saved_errno;
}

/* take_early_check's work, once it is this thread's. */
TL_START_CODE static void early_check(int status, bool flush)
{
	if (nothing_to_check()) {
		nothing_seen_early = true;
		atomic_store(&early_state, EARLY_SKIPPED);
		return;
	}
	if (death_test_child()) {
		atomic_store(&child_unchecked, true);
		atomic_store(&early_state, EARLY_SKIPPED);
		return;
	}
	/* not before: a process without threads would pay the clock's first lookup */
	early_began_ns = tl_mono_ns();
	if (flush)
		flush_before_check();
	early_status = status;
	tl_defer = &early_result;
	early_leaked = exit_check(early_status);
	early_check_ns = tl_mono_ns() - early_began_ns;
	tl_defer = NULL;
	sort_early();
	/* Only what a report to write needs is held through the teardown: the exit handlers of a
	 * clean program see the descriptors they would see bare (tests/robust fdnext `atexit`). A
	 * JSON report streamed to its log file is there already: the file is closed, and a check
	 * taken again after the teardown opens it anew to replace that report. */
	if (early_result.out != NULL)
		tl_log_hold_stderr();
	if (early_result.opened && early_result.out == NULL)
		tl_output_close(early_result.fd);
	else if (early_result.opened)
		early_fd = early_result.fd;
	else if (early_result.out)
		early_fd = tl_output_open();
	prepare_teardown();
	catch_teardown_deaths();
	atomic_store(&early_state, EARLY_DONE);
	fresh_slice();
}

__attribute__((destructor)) static void exit_check_early(void)
{
	take_early_check(atomic_load(&exit_status_arg), true);
}

/* exit() or quick_exit() from another thread while the early check runs, or main returning
 * then: the process is already ending (main returned, or another thread called exit()), and
 * this one waits for its end here, as a third caller of exit() does below; inside exit(), it is not
 * a leak (tests/exit teardown "exiter": a leaked worker's exit(7) during the check changed the exit
 * status). */
/* Another thread of this process is taking the early check. */
static bool other_thread_checking(void)
{
	return atomic_load(&early_state) == EARLY_RUNNING && !tl_check_running_here() &&
	       tl_own_process();
}

/* `call`: exit() or quick_exit() from a thread, NULL for main returning */
static void wait_if_ending(const char *call)
{
	if (!other_thread_checking())
		return;
	struct tl_thread *t = tl_self;
	if (call && t && timer_fired_late(t) && TL_BLOCK_OPEN(t)) {
		/* reported as blocked in the call, with the stack that led there */
		TL_BLOCK_ENTER(t, call, TL_OBJ_NONE, 0, 0);
		for (;;)
			raw_nap_ms(3600 * 1000);
	}
	tl_thread_exiting();
	for (;;)
		raw_nap_ms(3600 * 1000);
}

/* The end of main. glibc's __libc_start_main calls main through the pointer _start hands it,
 * then exit() with what main returned, by an internal call no wrapper of exit() sees: we hand
 * it our own main, which takes the check when the program's returns, with its status. Our
 * frame below main is dropped from stacks like every frame of ours (capture.c). */
TL_START_DATA static int (*program_main)(int, char **, char **);
/* libc's functions the start path calls, found in one pass over libc's tables: a first call
 * through our PLT costs a lazy binding each, more than the lookup (docs/internals.md, Process
 * start). The names with the start data: a constant would cost a page of our read-only data. */
TL_START_DATA static char start_names[] = "on_exit\0__cxa_at_quick_exit\0__libc_start_main";
enum { START_ON_EXIT, START_AT_QUICK_EXIT, START_LIBC_START_MAIN, START_N };
TL_START_DATA static void *start_fns[START_N];

/* Once main has returned, the stack it used is dead, but the verdicts' scan is conservative: a
 * pointer main kept in a local (a thread pool made with new and never deleted) stays in a slot
 * below this frame, where the exit path's frames may or may not overwrite it, so the same
 * program's pool was "reachable" in some runs and formats and "unreachable" in others (a
 * fail_on=unreachable gate passed or failed at random). The pages just below, main's frame and
 * its callees', are zeroed before the check: at most SCRUB_BYTES, only pages already in memory
 * (mincore: none is faulted in), from below this function's own frame and red zone, by a loop
 * that calls nothing. A process that started no thread does none of it. docs/internals.md, "The
 * verdicts' scan". */
#define SCRUB_BYTES (64 * 1024)
#define SCRUB_PAGE 4096

/* Inlined into main_returned: main's frame was right below that frame, so the zeroing starts at
 * its stack pointer (main_returned calls functions, so the compiler keeps nothing below it),
 * not below a helper's frame, which would sit where main's did. */
static inline __attribute__((always_inline)) void scrub_dead_stack(void)
{
	uintptr_t sp;
#if defined(__x86_64__)
	__asm__ volatile("mov %%rsp, %0" : "=r"(sp));
#elif defined(__aarch64__)
	__asm__ volatile("mov %0, sp" : "=r"(sp));
#else
	return;
#endif
	uintptr_t hi = (sp - 8) & ~(uintptr_t)7, lo = hi - SCRUB_BYTES;
	uintptr_t first = lo & ~(uintptr_t)(SCRUB_PAGE - 1);
	size_t npages = (hi - first + SCRUB_PAGE - 1) / SCRUB_PAGE;
	unsigned char resident[SCRUB_BYTES / SCRUB_PAGE + 2];
	if (tl_raw_syscall(SYS_mincore, (long)first, (long)(npages * SCRUB_PAGE), (long)resident) !=
	    0)
		return; /* below the stack's mapping, or no mincore: nothing */
	for (size_t k = 0; k < npages; k++) {
		uintptr_t from = first + k * SCRUB_PAGE, to = from + SCRUB_PAGE;
		if (!(resident[k] & 1))
			continue;
		from = from < lo ? lo : from;
		to = to > hi ? hi : to;
		for (volatile uintptr_t *w = (volatile uintptr_t *)from; (uintptr_t)w < to; w++)
			*w = 0;
	}
}

/* exit() or quick_exit() called on a thread whose own check it interrupted: a handler of the
 * program's that ran during the exit check's grace period (exit(3) on SIGTERM after main
 * returned) or during an API check (a test's watchdog alarm), or a check left by siglongjmp.
 * That check never ends: waiting for it (finish_check) or for its lock (a check of our own
 * again) hung the process for good. The exit gets the reduced check, which takes neither, and
 * threads the check had parked are let go (a teardown may join them). */
static bool abandon_own_check(void)
{
	if (!tl_check_running_here())
		return false;
	tl_capture_abandon();
	return true;
}

/* Can a check that exit() starts here run in full? Yes outside a signal handler, and in one that
 * interrupted this thread asleep (interrupted_asleep). */
static bool handler_can_check(void)
{
	return !tl_deps_loading_here() && (!tl_in_signal_handler() || interrupted_asleep());
}

TL_START_CODE static int main_returned(int argc, char **argv, char **envp)
{
	int status = program_main(argc, argv, envp);
	if (atomic_load_explicit(&tl_threads_started, memory_order_relaxed)) {
		scrub_dead_stack();
		if (abandon_own_check()) /* main returned after a siglongjmp out of a check */
			atomic_store(&exit_reduced, true);
	}
	wait_if_ending(NULL); /* a worker's exit() is checking: bare, it would have ended us */
	atomic_store(&exit_status_arg, seen_status(status));
	take_early_check(seen_status(status), false);
	return status;
}

int __libc_start_main(int (*main)(int, char **, char **), int argc, char **argv, void (*init)(void),
                      void (*fini)(void), void (*rtld_fini)(void),
                      void *stack_end); /* no header declares it */

TL_START_CODE TL_EXPORT int __libc_start_main(int (*main)(int, char **, char **), int argc,
                                              char **argv, void (*init)(void), void (*fini)(void),
                                              void (*rtld_fini)(void), void *stack_end)
{
	program_main = main;
	__typeof__(tl_real.__libc_start_main) next =
	    start_fns[START_LIBC_START_MAIN]
	        ? start_fns[START_LIBC_START_MAIN]
	        : tl_lookup_next(start_names + sizeof("on_exit") + sizeof("__cxa_at_quick_exit"));
	if (next == NULL)
		next = TL_REAL(__libc_start_main);
	return next(main ? main_returned : main, argc, argv, init, fini, rtld_fini, stack_end);
}

/* The check taken again after the teardown waits only for what changed: a thread the early
 * check reported is judged at once if it was running or asleep then (it had its grace period,
 * and nothing the teardown does wakes it), or if it is still in the untimed call it was
 * blocked in and its stamp shows it has not run since; one in a timed wait on an object, or
 * still in its untimed call without a stamp (past TL_DEFER_WATCHED_MAX), once the check has
 * looked for JUDGED_MS. The JUDGED_MS are for threads the teardown woke that are still on
 * their way out of their call (its record has not changed yet). */
enum { JUDGED_MS = 20 };
static bool judging;
static int64_t judged_since;

/* In the check again after the teardown: a detached thread the early check reported asleep in
 * an untimed wrapped call that it has left since, or that the teardown woke (tl_thread's record, or
 * the kernel's stamp), is on its way out (README, "A detached thread that an atexit handler
 * wakes"): not a leak, and not waited for. Waiting let it run on where, bare, _exit() ends it
 * first: one that then slept 300 ms was reported after the whole grace period, and a detached
 * thread that a static std::promise's destructor woke threw std::future_error, and the process
 * died of SIGABRT in every run (bare: exit 0); see also fresh_slice. Called with the registry
 * locked. */
bool tl_exit_excused(const struct tl_thread *t)
{
	if (!judging)
		return false;
	struct tl_deferred_thread *d = early_find(t->number);
	/* detached: a joinable one that ends is still a leak (finished, never joined) */
	return d != NULL && (t->flags & TL_F_DETACHED) && left_call(d, t, true);
}

bool tl_exit_judged(const struct tl_seen *s)
{
	if (!judging)
		return false;
	struct tl_deferred_thread *d = NULL;
	if (s->number != 0) {
		d = early_find(s->number);
	} else { /* untracked: by tid */
		for (size_t i = 0; i < early_result.n && d == NULL; i++)
			if (early_result.v[i].number == 0 && early_result.v[i].tid == s->tid)
				d = &early_result.v[i];
	}
	if (d == NULL)
		return false;
	if (s->state == TL_ST_EXITED)
		return true;
	/* running or asleep (a sleep, not a wait on an object) when the early check looked, or
	 * asleep now: it had its grace period, nothing the teardown did woke it, and bare,
	 * _exit() ends it now. Waited for, a detached thread that polls a flag an atexit handler
	 * set saw it, printed and left unreported (a black-box round: 10 runs of 10 with a 100 ms
	 * poll, while a pool's destructor joined another thread). One in a timed wait on an
	 * object may have been woken by the teardown, and on its way out: JUDGED_MS. */
	if (!(d->seq & 1)) {
		if (d->state == TL_ST_RUNNING || d->asleep ||
		    (s->state == TL_ST_BLOCKED && s->kind == TL_OBJ_SLEEP))
			return true;
		return tl_mono_ns() - judged_since >= JUDGED_MS * 1000000LL;
	}
	if (!(s->state == TL_ST_BLOCKED && s->seq == d->seq))
		return false;
	/* still in its untimed call: judged now when its stamp shows it has not run since */
	return (d->stamp >= 0 && !woken(d)) || tl_mono_ns() - judged_since >= JUDGED_MS * 1000000LL;
}

/* exit() from a signal handler: the check, reduced to what needs no allocation and no lock that
 * the interrupted code may hold (registry: trylock; no stacks, no symbols, no suppressions; libc's
 * own helper threads are not counted). It waits the grace period as the full check does, and
 * names each thread by number, tid, state and the wrapped call it is blocked in. */
struct reduced_thread {
	uint64_t number;
	pid_t tid;
	int state;
	bool detached;
	const char *call;
	char name[16];     /* the kernel's (comm); "" when unknown */
	char call_buf[24]; /* "syscall N" */
};

/* What the kernel shows of thread r: its name, and for a thread outside our wrappers the
 * system call it waits in (blocked there, named as the full check names it: tl_kernel_call).
 * /proc files only: no lock, no allocation. */
/* The context the signal handler that makes a reduced hang report was given (NULL: none). */
static const void *reduced_context;

/* The system call a signal interrupted, from its handler's context: the kernel restarts it
 * (SA_RESTART: rax holds its number again, rip is on the syscall instruction), -1 for anything
 * else (computing, or a call that returns EINTR, whose number is lost). */
long tl_interrupted_syscall(const void *context)
{
#if defined(__x86_64__)
	if (context == NULL)
		return -1;
	const greg_t *g = ((const ucontext_t *)context)->uc_mcontext.gregs;
	const unsigned char *ip = (const unsigned char *)g[REG_RIP];
	/* ip is the interrupted instruction, mapped; ip[1] may be on the next page */
	if (((uintptr_t)ip & 0xfff) == 0xfff || ip[0] != 0x0f || ip[1] != 0x05)
		return -1;
	return g[REG_RAX] >= 0 && g[REG_RAX] < 1024 ? (long)g[REG_RAX] : -1;
#else
	(void)context;
	return -1;
#endif
}

static void reduced_kernel_view(struct reduced_thread *r)
{
	char buf[512];
	ssize_t n = tl_read_task_file(r->tid, "comm", buf, sizeof(buf));
	if (n > 0) {
		size_t len = strcspn(buf, "\n");
		len = len < sizeof(r->name) - 1 ? len : sizeof(r->name) - 1;
		memcpy(r->name, buf, len);
		r->name[len] = '\0';
	}
	if (r->state != TL_ST_RUNNING)
		return;
	if (r->tid == tl_gettid()) { /* its syscall file would say "read": ours */
		long nr = tl_interrupted_syscall(reduced_context);
		if (nr >= 0) {
			r->state = TL_ST_BLOCKED;
			r->call = tl_syscall_word(nr, r->call_buf, sizeof(r->call_buf));
		}
		return;
	}
	if (tl_read_task_file(r->tid, "syscall", buf, sizeof(buf)) <= 0 || buf[0] < '0' ||
	    buf[0] > '9')
		return; /* "running", or -1: not in a system call */
	long nr = strtol(buf, NULL, 10);
	r->state = TL_ST_BLOCKED;
	r->call = tl_syscall_word(nr, r->call_buf, sizeof(r->call_buf));
}

/* s as a JSON string's contents: quotes, backslashes and control bytes escaped, bytes past
 * ASCII as '?' (a thread's name may hold invalid UTF-8). Not report/buf.c's tl_buf_json_str:
 * the reduced report is made in a signal handler, and a tl_buf grows with realloc. */
static void json_chars(char *out, size_t cap, const char *s)
{
	size_t o = 0;
	for (; *s && o + 7 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			o += (size_t)snprintf(out + o, cap - o, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(out + o, cap - o, "\\u%04x", c);
		else
			out[o++] = c < 0x80 ? (char)c : '?';
	}
	out[o] = '\0';
}

static int reduced_gather(struct reduced_thread *out, int max, pid_t self, bool all)
{
	static pid_t tasks[1024], known[1024];
	int ntasks = tl_list_tasks(tasks, (int)TL_ARRAY_SIZE(tasks)), nknown = 0, n = 0;
	if (ntasks > (int)TL_ARRAY_SIZE(tasks))
		ntasks = (int)TL_ARRAY_SIZE(tasks);
	if (tl_registry_trylock_for(50)) {
		TL_REGISTRY_FOREACH (t) {
			pid_t tid = atomic_load(&t->tid);
			if (nknown < (int)TL_ARRAY_SIZE(known))
				known[nknown++] = tid;
			unsigned f = t->flags;
			if (atomic_load(&t->finishing))
				f |= TL_F_FINISHED;
			if ((f & TL_F_FINISHED) && (f & (TL_F_DETACHED | TL_F_JOINED)))
				continue;
			if (!all &&
			    ((f & (TL_F_MAIN | TL_F_IGNORED | TL_F_EXITING | TL_F_ADOPTED)) ||
			     tid == self))
				continue;
			struct reduced_thread r = {
			    t->number, tid, TL_ST_RUNNING, (f & TL_F_DETACHED) != 0, NULL, "", ""};
			uint32_t seq = atomic_load(&t->blk.seq);
			if ((f & TL_F_FINISHED) ||
			    (ntasks >= 0 && !tl_tid_listed(tasks, ntasks, tid)))
				r.state = TL_ST_EXITED;
			else if (seq & 1) {
				r.state = TL_ST_BLOCKED;
				r.call = t->blk.call; /* a string constant of a wrapper */
			}
			if (n < max) {
				reduced_kernel_view(&r);
				out[n++] = r;
			}
		}
		/* tasks of threads already forgotten (still in glibc's exit path) are ours */
		for (int i = 0; i < ntasks; i++)
			if (tl_registry_gone_has(tasks[i]) && nknown < (int)TL_ARRAY_SIZE(known))
				known[nknown++] = tasks[i];
		tl_registry_unlock();
	}
	for (int i = 0; i < ntasks; i++)
		if ((all || tasks[i] != self) && !tl_tid_listed(known, nknown, tasks[i]) &&
		    n < max) {
			out[n] = (struct reduced_thread){0,  tasks[i], TL_ST_UNTRACKED, false, NULL,
			                                 "", ""};
			reduced_kernel_view(&out[n++]);
		}
	return n;
}

static const char *const state_names[] = {
    [TL_ST_BLOCKED] = "blocked",
    [TL_ST_RUNNING] = "running",
    [TL_ST_EXITED] = "exited",
    [TL_ST_UNTRACKED] = "untracked",
};

/* The reduced report of threads v[0..n) into out (a static buffer of the caller): the exit
 * check's (leaks), or a hang report (every thread). Returns its length. */
static size_t reduced_format(char *out, size_t cap, const struct reduced_thread *v, int n,
                             int status, bool hang, bool json)
{
	const char *note = hang && atomic_load(&tl_checking) == TL_CHECK_EXIT
	                       ? "the signal came during threadleak's exit check: "
	                         "the report is reduced (no stacks, no suppressions)"
	                   : hang ? "the signal came while no thread could take stacks safely: the "
	                            "report is reduced (no stacks, no suppressions)"
	                          : "exit() was called from a signal handler: the check ran in "
	                            "reduced mode (no stacks, no suppressions)";
	size_t len = 0;
#define PUT(...)                                                                   \
	do {                                                                       \
		int w_ = snprintf(out + len, cap - len, __VA_ARGS__);              \
		if (w_ > 0)                                                        \
			len = len + (size_t)w_ < cap ? len + (size_t)w_ : cap - 1; \
	} while (0)
	if (json) {
		/* the program, as the full report names it (threadleak run and dump print it) */
		static char exe[512], exe_json[512 * 6 + 1];
		long got = tl_raw_syscall(SYS_readlink, (long)"/proc/self/exe", (long)exe,
		                          sizeof(exe) - 1);
		exe[got > 0 ? got : 0] = '\0';
		json_chars(exe_json, sizeof(exe_json), exe);
		PUT("{\"tool\": \"threadleak\", \"schema\": 1, \"pid\": %d, \"exe\": ",
		    (int)tl_main_pid());
		PUT(got > 0 ? "\"%s\", " : "null, ", exe_json);
		if (hang)
			PUT("\"check\": \"hang\", \"exit_status\": null, \"reason\": \"%s\", "
			    "\"threads\": %d, \"waits\": [], \"leaked\": 0, ",
			    tl_hang_reason ? tl_hang_reason : "on demand", n);
		else
			PUT("\"check\": \"exit\", \"exit_status\": %d, \"leaked\": %d, ", status,
			    n);
		PUT("\"suppressed\": 0, \"check_ms\": null, \"deadlock\": null, \"fail_on\": "
		    "\"%s\", ",
		    tl_opt.fail_on == TL_FAIL_UNREACHABLE ? "unreachable" : "all");
		/* no verdicts here: with fail_on=unreachable, which fail is unknown */
		if (hang || tl_opt.fail_on == TL_FAIL_UNREACHABLE)
			PUT("\"failing\": null, ");
		else
			PUT("\"failing\": %d, ", n);
		PUT("\"reduced\": \"%s\",\n \"leaks\": [", note);
		for (int i = 0; i < n; i++) {
			const struct reduced_thread *r = &v[i];
			if (len + 600 > cap) /* the rest would not fit: the document stays whole */
				break;
			if (r->number)
				PUT("%s\n  {\"thread\": %llu", i ? "," : "",
				    (unsigned long long)r->number);
			else
				PUT("%s\n  {\"thread\": null", i ? "," : "");
			char name[sizeof(r->name) * 6 + 1];
			json_chars(name, sizeof(name), r->name);
			PUT(", \"tid\": %d, \"name\": ", (int)r->tid);
			if (name[0])
				PUT("\"%s\"", name);
			else
				PUT("null");
			PUT(", \"state\": \"%s\", \"detached\": %s, \"blocked_in\": ",
			    state_names[r->state], r->detached ? "true" : "false");
			if (r->call)
				PUT("\"%s\"", r->call);
			else
				PUT("null");
			PUT(", \"object\": null, \"blocked_ms\": null, \"held_by\": null, "
			    "\"start_routine\": null, \"verdict\": null, \"verdict_reason\": null, "
			    "\"group\": %d, \"stack\": [], \"stack_cut\": null, "
			    "\"stack_note\": \"%s\", \"created_by\": null}",
			    i, note);
		}
		PUT("],\n \"suppressed_threads\": [],\n \"suppressions_used\": []}\n");
	} else if (n > 0) {
		if (hang)
			PUT(n == 1
			        ? "\nthreadleak: hang report (pid %d): the process has not exited "
			          "(%s); its one thread"
			        : "\nthreadleak: hang report (pid %d): the process has not exited "
			          "(%s); all %d of its threads",
			    (int)tl_main_pid(), tl_hang_reason ? tl_hang_reason : "on demand", n);
		else
			PUT("\nthreadleak: found %d leaked thread%s (pid %d)", n, n == 1 ? "" : "s",
			    (int)tl_main_pid());
		if (!hang && status == 0 && tl_opt.exitcode)
			PUT("; exit status 0 becomes %d", tl_opt.exitcode);
		PUT("\nthreadleak: %s\n\n", note);
		for (int i = 0; i < n; i++) {
			const struct reduced_thread *r = &v[i];
			char name[sizeof(r->name) + 4] = "";
			if (r->name[0]) { /* as report/text.c prints it: control bytes as '?' */
				size_t k = 0;
				name[k++] = ',', name[k++] = ' ', name[k++] = '"';
				for (const char *c = r->name; *c; c++)
					name[k++] =
					    ((unsigned char)*c < 0x20 || *c == 0x7f) ? '?' : *c;
				name[k++] = '"', name[k] = '\0';
			}
			if (r->number)
				PUT("thread %llu (tid %d%s%s) %s", (unsigned long long)r->number,
				    (int)r->tid, name, r->detached ? ", detached" : "",
				    state_names[r->state]);
			else
				PUT("a thread threadleak did not see created (tid %d) %s",
				    (int)r->tid, state_names[r->state]);
			PUT("%s%s\n", r->call ? " in " : "", r->call ? r->call : "");
		}
	}
#undef PUT
	return len;
}

/* what the reduced check gathers and writes: tl_lazy_map'ed (out of .bss) */
#define REDUCED_MAX 256
#define REDUCED_OUT (REDUCED_MAX * 160 + 512)

static int reduced_check(int status)
{
	TL_LAZY_ARRAY(struct reduced_thread, v, REDUCED_MAX);
	TL_LAZY_ARRAY(char, out, REDUCED_OUT);
	if (v == NULL || out == NULL) {
		static const char oom[] = "threadleak: no memory for the exit check\n";
		int fd = tl_output_open();
		tl_output_write(fd, oom, sizeof(oom) - 1);
		tl_output_close(fd);
		return 0;
	}
	pid_t self = tl_gettid();
	int64_t t0 = tl_mono_ns();
	long nap = TL_GRACE_FIRST_NAP_MS;
	int n;
	for (;;) { /* the check's grace loop (check.c), signal-safe */
		n = reduced_gather(v, REDUCED_MAX, self, false);
		long waited = (long)((tl_mono_ns() - t0) / 1000000);
		if (n == 0 || waited >= tl_opt.grace_ms)
			break;
		long left = tl_opt.grace_ms - waited;
		raw_nap_ms(nap < left ? nap : left);
		nap = nap * 2 > TL_GRACE_MAX_NAP_MS ? TL_GRACE_MAX_NAP_MS : nap * 2;
	}
	bool json = tl_opt.format == TL_FORMAT_JSON;
	size_t len = reduced_format(out, REDUCED_OUT, v, n, status, false, json);
	bool to_file = tl_opt.log_path && tl_opt.log_path[0] &&
	               strcmp(tl_opt.log_path, "stderr") != 0 &&
	               strcmp(tl_opt.log_path, "stdout") != 0;
	if (n > 0 || (json && to_file)) {
		int fd = tl_output_open();
		tl_output_write(fd, out, len);
		tl_output_close(fd);
	}
	return n;
}

char *tl_reduced_hang_text(bool json, const void *context)
{
	TL_LAZY_ARRAY(struct reduced_thread, v, REDUCED_MAX);
	TL_LAZY_ARRAY(char, out, REDUCED_OUT);
	if (v == NULL || out == NULL)
		return NULL;
	reduced_context = context;
	int n = reduced_gather(v, REDUCED_MAX, tl_gettid(), true);
	reduced_context = NULL;
	reduced_format(out, REDUCED_OUT, v, n, 0, true, json);
	return out;
}

/* The exit check's last step, after the teardown: the early check's report when it still
 * holds, else the check again, waiting only for the threads that changed (tl_exit_judged).
 * Returns the number of leaks. exit(): `after_fini`, _dl_fini ran (stdio to flush); quick_exit()
 * runs neither. */
static int finish_check(int status, bool after_fini)
{
	int none = EARLY_NONE;
	if (!atomic_compare_exchange_strong(&early_state, &none, EARLY_SKIPPED))
		while (atomic_load(&early_state) == EARLY_RUNNING) /* in another thread */
			raw_nap_ms(1);
	teardown_report_ours();
	/* the report after what the program left in stdio (glibc flushes it right after us): a
	 * JSON report on stdout stays one document at the end */
	uint64_t mask = 0;
	if (after_fini) {
		if (early_sigpipe_held) { /* held since the destructor's flush raised it */
			mask = early_sigpipe_mask;
			early_sigpipe_held = false;
		} else {
			hold_sigpipe(&mask);
		}
		flush_stdio(false);
	}
	if (none == EARLY_DONE && early_result_holds(status, false, false)) {
		/* not closed: the process ends now (see early_result_holds) */
		tl_output_write(tl_output_again(early_fd), early_result.out, early_result.len);
		if (after_fini)
			let_sigpipe(&mask);
		return early_leaked;
	}
	tl_output_close(early_fd);
	if (none == EARLY_DONE)
		tl_output_replace_next(); /* in a log file, the early check's report */
	judging = none == EARLY_DONE && early_sorted != NULL;
	judged_since = tl_mono_ns();
	int leaked = exit_check(status);
	judging = false;
	if (after_fini)
		let_sigpipe(&mask);
	return leaked;
}

TL_START_CODE static void at_exit(int status, void *arg)
{
	(void)arg;
	atomic_store(&at_exit_began, true);
	status = seen_status(status);
	/* before checks_exit's getpid: a process that never started a thread pays no system
	 * call here (docs/internals.md, Process start) */
	if (!nothing_since_early() && checks_exit() && !atomic_exchange(&exit_checked, true) &&
	    !nothing_to_check() && !death_test_child()) {
		if (atomic_load(&exit_reduced)) {
			release_teardown_deaths(); /* the early report will not be written */
			if (reduced_check(status) > 0 && status == 0 && tl_opt.exitcode != 0) {
				flush_stdio(false);
				_exit(tl_opt.exitcode);
			}
			release_early_sigpipe();
			atomic_store(&exit_check_done, true);
			return;
		}
		int leaked = finish_check(status, true);
		say_destroy_hang();
		if (leaked > 0 && status == 0 && tl_opt.exitcode != 0) {
			flush_stdio(false);
			_exit(tl_opt.exitcode);
		}
	}
	release_early_sigpipe();
	atomic_store(&exit_check_done, true);
}

/* When two threads call exit() at once, glibc lets both run the handler list, each taking
 * the next handler: one runs the check while the other would reach _exit() first and end
 * the process with no report. This handler is registered before the check's, so it runs
 * after it in whichever thread takes it, and holds that thread until the check is done. */
TL_START_CODE static void exit_gate(int status, void *arg)
{
	(void)status;
	(void)arg;
	/* done: the usual case, without a getpid */
	if (atomic_load(&exit_check_done) || !tl_own_process())
		return;
	tl_thread_exiting(); /* itself in exit(): not a leak */
	while (!atomic_load(&exit_check_done))
		raw_nap_ms(1);
}

/* exit() from several threads at once: glibc hands each caller the next exit handler, so with
 * more callers than handlers a third thread finds the list empty and ends the process while the
 * first is still checking. Only the first caller goes on; the others wait here for the end of
 * the process, as they would inside glibc, marked as exiting so the check does not count them.
 * A nested exit() (from an atexit handler) in the first caller goes on too. The main thread
 * returning from main calls glibc's internal exit and is met by exit_gate instead. */
TL_START_DATA static _Atomic pid_t exit_owner;

TL_EXPORT void exit(int status)
{
	wait_if_ending("exit");
	/* with no other task and nothing to record, none of this: no system call */
	bool own = !quiet_exit() && tl_own_process();
	pid_t none = 0, me = own ? tl_gettid() : 0;
	if (own && !atomic_compare_exchange_strong(&exit_owner, &none, me) && none != me) {
		tl_thread_exiting();
		for (;;)
			raw_nap_ms(3600 * 1000);
	}
	atomic_store(&exit_status_arg, seen_status(status));
	if (own && tl_opt.check_at_exit && (abandon_own_check() || !handler_can_check()))
		atomic_store(&exit_reduced, true);
	take_early_check(seen_status(status), false); /* before the teardown */
	TL_REAL(exit)(status);
	__builtin_unreachable();
}

/* quick_exit() runs only the at_quick_exit handlers, ours last (registered in our constructor):
 * the check is taken before the program's own, as for exit(), and confirmed there. That handler
 * gets no status: our wrapper keeps it. quick_exit flushes nothing, and neither do we: output
 * the program left buffered is lost, as bare. */
TL_START_DATA static atomic_int quick_status;

static void at_quick(void)
{
	if (!nothing_since_early() && checks_exit() && !atomic_exchange(&exit_checked, true) &&
	    !death_test_child()) {
		int status = atomic_load(&quick_status);
		if (atomic_load(&exit_reduced))
			release_teardown_deaths();
		int leaked = atomic_load(&exit_reduced) ? reduced_check(status)
		                                        : finish_check(status, false);
		if (leaked > 0 && status == 0 && tl_opt.exitcode != 0)
			_exit(tl_opt.exitcode);
	}
}

TL_EXPORT void quick_exit(int status)
{
	wait_if_ending("quick_exit");
	atomic_store(&quick_status, seen_status(status));
	/* quick_exit is async-signal-safe, made to be called from a handler */
	if (!quiet_exit() && tl_own_process() && tl_opt.check_at_exit &&
	    (abandon_own_check() || !handler_can_check()))
		atomic_store(&exit_reduced, true);
	take_early_check(seen_status(status), false); /* before the at_quick_exit handlers */
	TL_REAL(quick_exit)(status);                  /* the lookup is signal-safe (real.c) */
	_exit(status);
}

/* _exit() or _Exit() while the teardown runs: an atexit handler, a destructor or another thread
 * ends the process at once, and the last exit handler, which writes the early check's report
 * and sets the exit status, never runs (a leak passed a CI gate with status 0). So _exit does
 * what that handler would have (at_exit), but flushes no stdio, as _exit does not. In a signal
 * handler (a watchdog's _exit), only what a thread dying there does (teardown_died_of): the
 * early report written when it still holds, no check again. A fork or vfork child is not the
 * checked process (tl_own_process). docs/internals.md, "A teardown that dies". */
static int teardown_cut(int status)
{
	if (TL_LIKELY(atomic_load(&early_state) != EARLY_DONE) || atomic_load(&at_exit_began) ||
	    atomic_load(&exit_checked) || atomic_load(&exit_reduced) ||
	    early_result.reported == 0 || !tl_own_process())
		return status;
	int e = errno;
	int leaked = 0;
	if (!tl_in_signal_handler()) {
		if (!atomic_exchange(&exit_checked, true)) {
			leaked = finish_check(status, false);
			atomic_store(&exit_check_done, true);
		}
	} else {
		release_teardown_deaths();
		/* else a dying thread writes it, and ends the process */
		if (teardown_write_early(NULL, 0) == 1)
			leaked = early_leaked;
	}
	errno = e;
	return leaked > 0 && status == 0 && tl_opt.exitcode != 0 ? tl_opt.exitcode : status;
}

/* Under threadleak run, a process that ends by _exit() without ever having started a thread
 * (a shell: dash ends that way) has nothing that could leak, though it writes no report: an
 * empty "clean.PID" in run's folder says so, and run does not say that no process of the
 * command wrote a report (`threadleak run -- sh -c 'echo hi'` did, in every run). System
 * calls only: _exit may be called in a signal handler or a forked child. */
static void say_clean_exit(void)
{
	const char *leaf;
	/* outside run, not a system call; and never tl_own_process(), which would write the pid
	 * of a vfork child into the memory it shares with its parent (under run, the pid is taken
	 * at start: init.c pid_needed_from_start) */
	if (tl_opt.log_dir_id == NULL || !never_threaded() || tl_pid == 0 ||
	    tl_raw_syscall(SYS_getpid, 0, 0, 0) != tl_pid)
		return;
	int dfd = tl_run_dir_open(&leaf);
	if (dfd < 0)
		return;
	char name[32] = "clean.";
	tl_put_uint(name + 6, (unsigned long)tl_pid);
	long fd =
	    tl_raw_syscall6(SYS_openat, dfd, (long)name,
	                    O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600, 0, 0);
	if (fd >= 0)
		tl_raw_syscall(SYS_close, fd, 0, 0);
	tl_raw_syscall(SYS_close, dfd, 0, 0);
}

TL_EXPORT void _exit(int status)
{
	int e = errno;
	say_clean_exit();
	errno = e;
	status = teardown_cut(status);
	TL_REAL(_exit)(status);
	tl_raw_syscall(SYS_exit_group, status, 0, 0); /* no libc after us: not reached */
	__builtin_unreachable();
}

TL_EXPORT void _Exit(int status)
{
	int e = errno;
	say_clean_exit();
	errno = e;
	status = teardown_cut(status);
	TL_REAL(_Exit)(status);
	tl_raw_syscall(SYS_exit_group, status, 0, 0);
	__builtin_unreachable();
}

/* A fork() while the exit check runs before the teardown: the child would inherit what the
 * program left in its stdio buffers, and write it again when it exits. Flushed here, in the
 * forking thread, under each stream's lock (other threads still write), as exit() would flush
 * it soon; not when the check starts, which would put the program's stdout before what its
 * atexit handlers write to stderr. */
void tl_exit_before_fork(void)
{
	if (other_thread_checking())
		flush_stdio(true);
}

/* In the child of fork(): no exit check has started there. */
void tl_exit_after_fork_child(void)
{
	/* children=0: only the first process is checked, a fork()ed child as much as an exec'd
	 * one (init.c takes us out of LD_PRELOAD for those) */
	if (!tl_opt.children)
		atomic_store(&child_unchecked, true);
	forked_child = true;
	death_child_known = -1;
	/* a child forked by an exit handler (a daemon started there) has not begun its own exit */
	atomic_store(&tl_exit_begun, false);
	release_teardown_deaths(); /* the parent's report is not the child's */
	atomic_store(&teardown_report, TD_NONE);
	atomic_store(&exit_checked, false);
	/* forked while the parent ran its last exit handler, which glibc had taken off the list
	 * the child copied: no check can run in the child, and its exit_gate, still on the list,
	 * would wait for one forever (an orphan that never ends) */
	atomic_store(&exit_check_done, atomic_load(&at_exit_began));
	atomic_store(&exit_owner, 0);
	atomic_store(&early_state, EARLY_NONE);
	atomic_store(&exit_status_arg, 0);
	atomic_store(&exit_reduced, false);
	/* forked during our early check: the child's own checks print what they find */
	tl_defer = NULL;
	early_result = (struct tl_deferred){0};
	early_sorted = NULL;
	early_found = NULL;
	early_ended = NULL;
	early_next = 0;
	nsorted = 0;
	early_leaked = 0;
	if (early_fd > 2)
		tl_output_close(early_fd); /* the parent's log file: not a daemon's to hold */
	early_fd = -1;
}

/* at_quick_exit itself comes from libc_nonshared.a, linked at the end of our text: calling what
 * it calls saves every process a page fault there (docs/internals.md, Process start). */
extern int __cxa_at_quick_exit(void (*fn)(void), void *dso_handle);

/* From the constructor: the handlers that run the check at exit. Tied to no object (the
 * library has no __dso_handle: it is linked without crtbegin.o, preload/meson.build), so that
 * nothing takes them away before they run; we are never unloaded. */
TL_START_CODE void tl_exit_install(void)
{
	const char *names[START_N] = {start_names, start_names + sizeof("on_exit"),
	                              start_names + sizeof("on_exit") +
	                                  sizeof("__cxa_at_quick_exit")};
	tl_lookup_next_n(names, start_fns, START_N);
	/* not found the fast way: the calls through our PLT (named as values, the functions would
	 * be bound at load instead) */
	int (*onexit)(void (*)(int, void *), void *) =
	    (int (*)(void (*)(int, void *), void *))start_fns[START_ON_EXIT];
	int (*atquick)(void (*)(void), void *) =
	    (int (*)(void (*)(void), void *))start_fns[START_AT_QUICK_EXIT];
	if (onexit != NULL) {
		onexit(exit_gate, NULL);
		onexit(at_exit, NULL);
	} else {
		on_exit(exit_gate, NULL);
		on_exit(at_exit, NULL);
	}
	if (atquick != NULL)
		atquick(at_quick, NULL);
	else
		__cxa_at_quick_exit(at_quick, NULL);
}
