/* threadleak internal interfaces. Every cross-file name is tl_*; public ones are threadleak_*.
 * One section per file, in the order a thread's life goes through them:
 *   options.c, log.c, real.c (libc's functions, clocks, tids): used by everything below;
 *   wrap_thread.c (pthread_create) -> registry.c (one record per thread); the other wrappers
 *   (wrap_sync.c, wrap_io.c, wrap_wait.c, wrap_libc_threads.c) record blocking calls;
 *   init.c (constructor) and exit.c (exit paths) -> check.c (the check's phases), which reads
 * kernel.c (/proc), capture.c (stacks), objects.c (calls and objects), reach.c (verdicts),
 * suppress.c and hooks.c -> report.c (text and JSON). The symbolizer and the text renderer are in
 * ../report/ (report.h), shared with the CLI. api.c is the public API. */
#ifndef TL_H
#define TL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/types.h>

#define TL_P_PIDFD 3 /* waitid(P_PIDFD, fd, ...), Linux 5.4 */

/* A failed allocation inside uthash leaves the record out of the table (hh.tbl == NULL) instead
 * of calling exit(-1) under the registry lock. */
#define HASH_NONFATAL_OOM 1
#include "uthash.h"

struct tl_symbolizer;

#define TL_EXPORT __attribute__((visibility("default")))
#define TL_LIKELY(x) __builtin_expect(!!(x), 1)
#define TL_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define TL_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- options (options.h: the table; options.c: parser, defaults, help) ---- */
#include "options.h"

extern struct tl_options tl_opt;
/* Parse "k=v:k=v" into tl_opt. Problems are reported through tl_warn(), one line each; a bad
 * value keeps the previous value. `origin` names the source in messages. Returns #problems. */
int tl_options_parse(const char *s, const char *origin);
void tl_options_defaults(void); /* back to the static defaults */
void tl_options_print_help(void);

/* ---- logging and output (log.c) ---- */
void tl_log_fds_closing(long lo, long hi); /* the program closes or replaces lo..hi */
void tl_log_note_stdout(void);         /* log_path=stdout: fd 1 is the report's standard output */
void tl_log_note_stderr(void);         /* before the first thread: see log.c */
void tl_touch_later_interposers(void); /* before the first thread: see init.c */
void tl_log_hold_stderr(void);         /* the process is ending: see log.c */
void tl_log_after_fork_child(void);
int tl_output_again(int fd); /* see log.c */
/* A copy of fd at a high number (close-on-exec), out of the program's way; -1 on failure */
int tl_high_fd(int fd);
/* Is start the first instruction of our start wrapper (wrap_thread.c thread_start, thrd_start),
 * the frame whose rbp is tl_thread.start_fp? */
bool tl_is_start_wrapper(uintptr_t start);
/* Is pc in libunwind's code? (its calls of libc: wrap_io.c pipe2) */
bool tl_pc_in_unwinder(uintptr_t pc);
/* libunwind's pipe, whose numbers stand for no descriptor or for a pipe of ours
 * (preload/wrap_io.c): which end a call from libunwind (at caller) on fd names (0, 1; -1:
 * none), its write to the pipe answered, and a system call of the program that may close or
 * replace descriptors. */
int tl_unwinder_fd(int fd, uintptr_t caller);
long tl_unwinder_write(const void *buf, size_t n);
void tl_fds_touched_by_syscall(long nr, long a1, long a2, long a3);
void tl_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Write a whole report: to log_path.PID when set, else to the saved stderr. */
void tl_output(const char *buf, size_t len);
int tl_output_open(void);          /* tl_output in two steps: the descriptor (-1: nowhere), */
void tl_output_close(int fd);      /* and closing it after writing */
void tl_output_replace_next(void); /* the next report in a log file replaces the last one */
/* paths.c: relative log_path and suppressions files made absolute, at start; was this log file
 * last written by this process (an earlier image, before an exec)? */
void tl_absolute_paths(void);
struct stat;
bool tl_written_since_start(const struct stat *st);
/* Under threadleak run: its report folder (O_PATH descriptor) and in *leaf log_path's last
 * component; -EINVAL not run's options, -ESTALE not run's folder (run ended), -errno. */
int tl_run_dir_open(const char **leaf);
/* Under threadleak run: true for the first process of the run that asks with this key, false
 * for the others; true when not under run. For warnings every process would repeat. */
bool tl_run_first(const char *key);
/* v in decimal at buf (24 bytes are enough), NUL-terminated; its length. Async-signal-safe. */
size_t tl_put_uint(char *buf, unsigned long v);
void tl_output_write(int fd, const char *buf, size_t len); /* SIGPIPE held; signal-safe */
extern bool tl_log_quiet;

/* ---- real functions, clocks and the thread id (real.c, real.h) ---- */
#include "real.h"
/* libc's own clock_gettime: our durations must not go through another library's (libfaketime
 * fakes them, and crashes once its destructor ran, while leaked threads still use our
 * wrappers). Looked up on first use; a raw system call when libc has none. */
extern int (*tl_clock_gettime)(clockid_t, struct timespec *);
int64_t tl_mono_ns(void); /* CLOCK_MONOTONIC: deadlines and the check's own durations */
int64_t tl_now_ns(void);  /* CLOCK_MONOTONIC_COARSE: cheap, 1-4 ms resolution */
/* When a wrapper entered its call (tl_block.since, TL_STAMP): the CPU's time-stamp counter
 * where it is invariant and user space may read it (x86_64, decided before the first thread),
 * else the coarse clock, negated. The counter costs no memory access: the clock's vDSO code and
 * data are two more pages to walk to after every system call on a machine whose system calls
 * empty the TLB (docs/internals.md, "Timestamps"). 0: none. tl_stamp_ns converts either into
 * tl_mono_ns's time. */
extern bool tl_stamp_tsc;           /* the counter's, for threads created from now on */
int64_t tl_stamp_ns(int64_t stamp); /* tl_mono_ns's time of a stamp; 0 for 0; async-signal-safe */
void tl_stamp_init(void);           /* before the first thread (registry.c) */
void tl_stamp_off(void);            /* the counter may fault from now on (prctl PR_SET_TSC) */
pid_t tl_gettid(void);              /* the calling thread's kernel id, a raw system call */
pid_t tl_getpid(void); /* getpid(), a raw system call: no lazy binding at start or exit */
/* ours everywhere: under a seccomp filter that denies getpid, tl_getpid answers tl_pid, and
 * every pid we print or compare stays that of the process (real.c) */
#define getpid() tl_getpid()
/* Sleep ns, not with nanosleep, which would reset the restart block of a call our signal
 * interrupted (real.c). Async-signal-safe. */
void tl_nap_ns(int64_t ns);

/* ---- per-thread record (registry.c) ---- */
enum tl_obj_kind {
	TL_OBJ_NONE,
	TL_OBJ_COND, /* obj: cond, obj2: mutex */
	TL_OBJ_MUTEX,
	TL_OBJ_RWLOCK,
	TL_OBJ_SEM,
	TL_OBJ_BARRIER,
	TL_OBJ_THREAD, /* obj: pthread_t */
	TL_OBJ_FD,     /* obj: fd */
	TL_OBJ_POLL,   /* obj: struct pollfd *, obj2: nfds */
	TL_OBJ_SELECT, /* obj: nfds */
	TL_OBJ_EPOLL,  /* obj: epoll fd */
	TL_OBJ_MQ,     /* obj: mqd_t */
	TL_OBJ_MSGQ,   /* obj: SysV msqid */
	TL_OBJ_SEMSET, /* obj: SysV semid */
	TL_OBJ_PID,    /* obj: pid (or -1) */
	TL_OBJ_FUTEX,  /* obj: futex address; obj2: TL_FUTEX_UNTIMED (syscall() wrapper) */
	TL_OBJ_SIGNALS,
	TL_OBJ_SLEEP,    /* obj: requested ms, or -1; obj2: its µs when under 1 ms, or
	                  * TL_SLEEP_ABSOLUTE (obj: what was left at the call) */
	TL_OBJ_CREATING, /* inside pthread_create or thrd_create: running, not waiting */
	TL_OBJ_PATH,     /* obj: the path's address, obj2: the directory fd (open, openat) */
};
#define TL_SLEEP_ABSOLUTE ((uintptr_t)1 << 62)
/* A futex wait (FUTEX_WAIT or FUTEX_WAIT_BITSET) without a timeout: only a wake of its word
 * ends it, as a condition variable's wait (the verdicts, reach.c) */
#define TL_FUTEX_UNTIMED 1

enum tl_flags {
	TL_F_JOINED = 1u << 0,
	TL_F_DETACHED = 1u << 1,
	TL_F_FINISHED = 1u << 2,
	TL_F_CREATOR_DONE = 1u << 3, /* creator's wrapper is done with the record */
	TL_F_IGNORED = 1u << 4,      /* threadleak_ignore_current() */
	TL_F_IN_HASH = 1u << 5,
	TL_F_MAIN = 1u << 6,
	TL_F_ADOPTED = 1u << 7, /* a thread libc started for us, seen appear during a call */
	TL_F_EXITING = 1u << 8, /* inside exit() itself, waiting for another thread's check */
	TL_F_INSERTED =
	    1u << 9, /* was put in the hash once; never again (its handle may be reused) */
	TL_F_PINNED = 1u << 10,    /* a join or detach of it is in progress: do not free it */
	TL_F_STARTED = 1u << 11,   /* the thread itself ran tl_thread_started */
	TL_F_DETACHING = 1u << 12, /* a detach is under way: the thread's exit waits for it */
};

/* What a thread is blocked in, written by the thread itself without locks. `seq` is odd while
 * it is inside a wrapped call; a reader copies the fields and trusts them only if `seq` did
 * not change meanwhile. `regs` is a minimal register context taken inside the wrapper's frame,
 * enough for libunwind to unwind the blocked thread without sending it a signal.
 *
 * Calls nest: a signal handler may block in a wrapped call while the thread is inside another.
 * `blk` is always the innermost call; the calls it interrupted wait in tl_thread.saved
 * (depth - 1 of them). A call may also never return (cancellation, siglongjmp out of a
 * handler): its record is found stale by the next wrapped call, whose frame is not below it
 * (tl_block_nest), or by the check, when the kernel's view disagrees. */
struct tl_block {
	_Atomic uint32_t seq;
	uint32_t depth; /* calls this thread is inside: 0 none, 1 + saved ones */
	const char *call;
	int kind;
	uintptr_t obj, obj2;
	int64_t since;     /* TL_STAMP at the call's entry */
	uintptr_t frame;   /* the wrapper's frame address: whose record this is */
	uintptr_t regs[9]; /* rip rsp rbp rbx r12 r13 r14 r15 (x86_64), see TL_SAVE_REGS */
};
#define TL_BLOCK_SAVED 3   /* interrupted calls kept; deeper nesting goes unrecorded */
#define TL_READ_HELD 4     /* rwlocks a thread holds for reading that its record keeps */
#define TL_READERS_NAMED 3 /* an rwlock's readers a report names besides the first */

struct tl_thread {
	UT_hash_handle hh; /* in tl_registry, keyed by handle */
	pthread_t handle;
	uint64_t number;
	_Atomic pid_t tid;
	uint64_t creator;
	pid_t creator_tid;   /* the creating thread's tid then: a name it passed on (suppress.c) */
	atomic_bool named;   /* named by pthread_setname_np since its creation */
	char given_name[16]; /* that name, under the registry lock (the kernel keeps 15 bytes) */
	void *start;         /* start routine as passed to pthread_create/thrd_create */
	const char *start_label; /* adopted threads: libc's start routine, by name */
	void *arg;
	/* the frame pointer of our start wrapper while it runs the start routine (thread_start in
	 * wrap_thread.c): the rbp a stack taken without a signal starts from (capture.c,
	 * unwind_syscall); 0 before that */
	uintptr_t start_fp;
	bool c11;
	unsigned flags; /* tl_flags, under tl_reg_lock */
	/* set without the lock by the thread in its last destructor, before it waits for the lock
	 * to mark itself finished: from then on it runs only our code and glibc's exit path */
	atomic_bool finishing;
	/* held where the Python interpreter ended it (wrap_thread.c): its end after the exit check
	 * is expected (exit.c early_result_holds) */
	atomic_bool runtime_ended;
	uintptr_t create_module_base;
	int ncreate;
	bool create_cut; /* the creation stack had more than max_frames frames */
	uintptr_t create_pcs[TL_MAX_FRAMES];
	/* a small stack (under TL_SMALL_STACK, as its attributes asked): its size; stack_lo, its
	 * lowest address, set by the thread when it starts (a larger one's: a bound from below,
	 * registry.c tl_thread_started; 0: unknown, the main thread's). Its creations are not
	 * walked near the end of it (registry.c tl_thread_new) */
	size_t small_stack;
	size_t stack_asked; /* the size its attributes asked for; 0: the default */
	uintptr_t stack_lo;
	/* its stamps are the time-stamp counter's (TL_STAMP): read where blk is written, so the
	 * choice costs no other page */
	bool tsc;
	struct tl_block blk;
	struct tl_block saved[TL_BLOCK_SAVED]; /* the calls blk interrupted, outermost first */
	/* rwlocks the thread holds for reading, as its wrappers saw them taken and released
	 * (wrap_sync.c; glibc counts readers, it does not name them): whom a writer blocked on
	 * one waits for (objects.c). Written by the thread alone, 0 for a free slot. */
	_Atomic uintptr_t read_held[TL_READ_HELD];
	/* a freed record, zeroed, for this thread's next creation (registry.c new_record) */
	struct tl_thread *_Atomic spare;
	/* the creation stacks this thread took last, with what each depended on (capture.c,
	 * "the creation stacks' memo"); malloc'd by the thread itself, freed with the record */
	struct tl_stack_memo *stack_memo;
};

extern __thread struct tl_thread *tl_self __attribute__((tls_model("initial-exec")));

void tl_registry_init(void);
void tl_registry_after_fork_child(bool consistent); /* false: the table may be half updated */
/* A stack this small may not have room for our signal's frame (capture.c) or for the walk of
 * a creation stack (registry.c tl_thread_new). */
#define TL_SMALL_STACK (256 * 1024)
/* caller: the program's call (the wrapper's return address), the whole creation stack when
 * the creating thread's stack has no room for the walk. stack_size: the new thread's, as its
 * attributes ask (0: the default) */
struct tl_thread *tl_thread_new(void *start, void *arg, bool c11, uintptr_t caller,
                                size_t stack_size);
void tl_thread_started(struct tl_thread *t); /* in the new thread, first thing */
/* pthread_once behind a flag read first: code every creation runs pays no call once it is done */
struct tl_once {
	pthread_once_t once;
	atomic_bool done;
};
#define TL_ONCE_INIT                     \
	{                                \
		PTHREAD_ONCE_INIT, false \
	}
static inline void tl_once(struct tl_once *o, void (*fn)(void))
{
	if (TL_LIKELY(atomic_load_explicit(&o->done, memory_order_acquire)))
		return;
	TL_REAL(pthread_once)(&o->once, fn);
	atomic_store_explicit(&o->done, true, memory_order_release);
}
void tl_thread_returned(struct tl_thread *t);  /* its start routine returned */
void tl_thread_unwinding(struct tl_thread *t); /* pthread_exit or a cancellation unwinds it */
void tl_thread_created(struct tl_thread *t, pthread_t handle); /* creator, after success */
void tl_thread_create_failed(struct tl_thread *t);
/* Join and detach: pin the record while the handle is still valid (before the real call; after
 * it the handle may already name a new thread), then settle it with the call's outcome. */
struct tl_thread *tl_thread_pin(pthread_t handle);
struct tl_thread *tl_thread_pin_detach(pthread_t handle); /* also waits: see registry.c */
/* The stack block of thread `number` (handle `handle`) if it is still ours and running. */
bool tl_thread_stack(uint64_t number, pthread_t handle, void **lo, size_t *size);
/* Whether t->handle is a pthread_t. A thread libc started inside a call (TL_F_ADOPTED) has
 * none: its record is keyed by its own address, and a libc function given that address as a
 * thread would read our record as glibc's descriptor (pthread_getattr_np waited for ever on
 * a "lock" past its end). */
static inline bool tl_thread_has_handle(const struct tl_thread *t)
{
	return !(t->flags & TL_F_ADOPTED);
}
void tl_thread_joined(struct tl_thread *t, bool ok);
void tl_thread_named(pthread_t handle, const char *name); /* pthread_setname_np succeeded on it */
void tl_thread_detached(struct tl_thread *t, bool ok);
/* A thread-specific data key was created by the program (pthread_key_create, tss_create) */
void tl_registry_key_created(void (*destructor)(void *));
void tl_thread_exiting(void);
/* After a libc call that may start helper threads: record as libc's own (start routine `label`) the
 * tasks that are not in before[0..nbefore), the tasks listed before the call that may have started
 * them. */
#define TL_MAX_TASKS_BEFORE 1024
void tl_adopt_new_tasks(const char *label, const pid_t *before, int nbefore);
void tl_registry_lock(void);
void tl_registry_unlock(void);
bool tl_registry_trylock(void);
bool tl_registry_trylock_for(int ms); /* a handler's: waits for another thread's section */
bool tl_registry_held_here(void);     /* the calling thread holds the registry lock */
/* Iterate with the lock held. */
#define TL_REGISTRY_FOREACH(t) for (struct tl_thread *t = tl_registry_first(); t; t = t->hh.next)
struct tl_thread *tl_registry_first(void);
/* The record of thread `number` by its handle, lock held; NULL once it is gone. */
struct tl_thread *tl_registry_find(pthread_t handle, uint64_t number);
int tl_registry_starting(void);
uint64_t tl_registry_next_number(void); /* the number the next record gets; lock held */
/* tids of the records freed whose tasks may still list in /proc (glibc's exit path), which
 * is no untracked thread: a sorted malloc'ed copy, lock held; NULL (and *n 0) without memory. */
pid_t *tl_registry_gone_copy(size_t *n);
bool tl_registry_gone_has(pid_t tid); /* the same, without malloc (signal handlers) */

/* ---- what a blocking wrapper records (macros here; slow paths in registry.c) ---- */
#if defined(__x86_64__)
/* Capture the registers libunwind needs to unwind from this point of the calling function:
 * about 2 ns, against about 24 ns for unw_getcontext (which also saves FP state). */
#define TL_SAVE_REGS(r)                             \
	__asm__ volatile("leaq 0(%%rip), %%rax\n\t" \
	                 "movq %%rax, 0(%0)\n\t"    \
	                 "movq %%rsp, 8(%0)\n\t"    \
	                 "movq %%rbp, 16(%0)\n\t"   \
	                 "movq %%rbx, 24(%0)\n\t"   \
	                 "movq %%r12, 32(%0)\n\t"   \
	                 "movq %%r13, 40(%0)\n\t"   \
	                 "movq %%r14, 48(%0)\n\t"   \
	                 "movq %%r15, 56(%0)\n\t"   \
	                 :                          \
	                 : "r"(r)                   \
	                 : "rax", "memory")
#define TL_HAVE_SAVED_REGS 1
#else
#define TL_SAVE_REGS(r) ((void)(r))
#define TL_HAVE_SAVED_REGS 0
#endif

/* Slow paths of the macros below (registry.c): another record is there already (a nested or
 * a stale call), or the record to clear is not the innermost one. */
bool tl_block_nest(struct tl_thread *t);
void tl_block_leave(struct tl_thread *t, uintptr_t frame);

/* May this thread record a call now? Usually nothing is recorded (depth 0); else decide
 * whether the record there is a call this one is nested in, or stale. */
#define TL_BLOCK_OPEN(t) (TL_LIKELY((t)->blk.depth == 0) || tl_block_nest(t))

/* Enter/leave a blocking call. Must be macros: the register snapshot has to be taken in the
 * wrapper's own frame, which stays live while the real call blocks. A signal handler may
 * interrupt any step: `frame` is written first (and again, in case a handler's own call
 * overwrote it before depth was raised), then depth: a handler that sees depth != 0 with seq
 * even knows it interrupted ENTER or LEAVE of the call at `frame`, and lets its own call go
 * unrecorded (or, when that frame was abandoned, drops it). seq's parity is set, never
 * toggled, so an interrupted step cannot invert it. The signal fences keep the compiler from
 * reordering these steps (a handler runs on the same thread, between any two). */
#define TL_SEQ_SET(t, odd)                                                                 \
	atomic_store_explicit(                                                             \
	    &(t)->blk.seq,                                                                 \
	    (odd) ? (atomic_load_explicit(&(t)->blk.seq, memory_order_relaxed) + 1) | 1    \
	          : (atomic_load_explicit(&(t)->blk.seq, memory_order_relaxed) + 1) & ~1u, \
	    memory_order_release)
#if defined(__x86_64__)
#define TL_STAMP(t) (TL_LIKELY((t)->tsc) ? (int64_t)__builtin_ia32_rdtsc() : -tl_now_ns())
#else
#define TL_STAMP(t) (-tl_now_ns())
#endif
#define TL_BLOCK_ENTER(t, name, k, o1, o2)                              \
	do {                                                            \
		(t)->blk.frame = (uintptr_t)__builtin_frame_address(0); \
		atomic_signal_fence(memory_order_seq_cst);              \
		(t)->blk.depth++;                                       \
		atomic_signal_fence(memory_order_seq_cst);              \
		(t)->blk.call = (name);                                 \
		(t)->blk.kind = (k);                                    \
		(t)->blk.obj = (uintptr_t)(o1);                         \
		(t)->blk.obj2 = (uintptr_t)(o2);                        \
		(t)->blk.since = TL_STAMP(t);                           \
		(t)->blk.frame = (uintptr_t)__builtin_frame_address(0); \
		TL_SAVE_REGS((t)->blk.regs);                            \
		TL_SEQ_SET(t, true);                                    \
	} while (0)
#define TL_BLOCK_LEAVE(t)                                                                 \
	do {                                                                              \
		if (TL_LIKELY((t)->blk.depth == 1 &&                                      \
		              (t)->blk.frame == (uintptr_t)__builtin_frame_address(0))) { \
			TL_SEQ_SET(t, false);                                             \
			atomic_signal_fence(memory_order_seq_cst);                        \
			(t)->blk.depth = 0;                                               \
		} else {                                                                  \
			tl_block_leave((t), (uintptr_t)__builtin_frame_address(0));       \
		}                                                                         \
	} while (0)

/* The body of a blocking wrapper: record, call through, clear. Untracked threads, and calls
 * nested deeper than TL_BLOCK_SAVED, go straight through. */
#define TL_BLOCKING(type, name, k, o1, o2, realcall)                     \
	do {                                                             \
		struct tl_thread *tl_t_ = tl_self;                       \
		if (TL_UNLIKELY(tl_t_ == NULL || !TL_BLOCK_OPEN(tl_t_))) \
			return realcall;                                 \
		TL_BLOCK_ENTER(tl_t_, name, k, o1, o2);                  \
		type tl_r_ = realcall;                                   \
		TL_BLOCK_LEAVE(tl_t_);                                   \
		return tl_r_;                                            \
	} while (0)

/* ---- one thread as a check sees it: what every phase of the check fills in (check.c) ---- */
/* Why a stack stops before its outermost frame (tl_stack_cut_words says it in words). */
enum tl_stack_cut {
	TL_CUT_NONE,
	TL_CUT_MAX_FRAMES, /* more frames than the option max_frames */
	TL_CUT_NO_MODULE,  /* a frame in unmapped code: nothing past it is known */
};
const char *tl_stack_cut_words(int cut);
uint64_t tl_sigframes_of(const uintptr_t *pcs, int n, uint64_t *exact); /* NULL for TL_CUT_NONE */

/* A thread's stack in a check. pcs is tl_intern_mem'd: threads with the same stack share one
 * copy (10,000 blocked threads were 5 MB of pages first touched at the check, 528 bytes each:
 * docs/internals.md, "The exit check's cost"). */
struct tl_stack {
	int n;
	int cut;              /* enum tl_stack_cut */
	uint64_t exact;       /* bit i: pcs[i] is an exact pc (not a return address) */
	uint64_t sigframe;    /* bit i: pcs[i] is a signal frame (capture.c, is_sigreturn) */
	const uintptr_t *pcs; /* n of them; NULL when n is 0 */
};
/* A stack as the unwinder writes it (capture.c), before it is kept (tl_stack_keep) */
struct tl_frames {
	int n;
	int cut;
	uint64_t exact;
	uint64_t sigframe;
	uintptr_t pcs[TL_MAX_FRAMES];
};
/* st takes f's frames (interned); false, and no frames, when out of memory */
bool tl_stack_keep(struct tl_stack *st, const struct tl_frames *f);

enum tl_state { TL_ST_NONE, TL_ST_BLOCKED, TL_ST_RUNNING, TL_ST_EXITED, TL_ST_UNTRACKED };

/* tl_seen.sysno: a system call number (>= 0), or what /proc/TID/syscall said instead */
enum tl_sysno {
	TL_SYSNO_BLOCKED = -3, /* blocked, but not in a system call (a page fault...) */
	TL_SYSNO_UNKNOWN = -2, /* not read, unreadable, or the thread is gone */
	TL_SYSNO_RUNNING = -1, /* running in user space */
};

struct tl_seen {
	uint64_t number; /* 0 for untracked */
	pid_t tid;
	pthread_t handle;
	uint64_t creator;
	pid_t creator_tid; /* tl_thread's */
	bool named;        /* tl_thread's */
	int name_own;      /* suppress.c own_name: 0 not asked, 1 its own, -1 its creator's */
	unsigned flags;
	void *start;
	void *arg; /* tl_thread's: a std::thread's state (report.c cxx_thread_callable) */
	bool c11;
	int state;
	char name[32];
	/* blocking call: from our wrapper, else from the kernel */
	const char *call;
	char call_buf[32];
	int kind;
	uintptr_t obj, obj2;
	int64_t since_ns; /* when the call began (tl_mono_ns); 0: unknown */
	int64_t seen_ns;  /* when the call was seen (tl_mono_ns): "blocked for" ends there */
	bool in_wrapper;
	uintptr_t regs[9];
	uint32_t seq;
	/* kernel view */
	long sysno; /* >= 0, or enum tl_sysno */
	uintptr_t sysargs[6], sys_sp, sys_pc;
	uintptr_t stack_bound; /* a larger stack's lowest address, a bound (tl_thread's stack_lo) */
	uint64_t sig_mask;     /* the signals it blocks (bit n-1: signal n) */
	int64_t asleep_since_ns; /* in a call no wrapper saw: when it went to sleep, 0 unknown */
	long stamp;              /* tl_kernel_stamp's, read by tl_kernel_view (-1: unknown) */
	char kstate;             /* the kernel's state letter, likewise */
	bool viewed;             /* the view still holds: the grace period saw nothing move since */
	bool view_held; /* a later stamp equal to the view's confirmed it (before parking) */
	bool park;      /* its stack is to be taken by a signal (capture.c, this check) */
	bool looked, look_alive; /* tl_kernel_view_all took its view; what tl_kernel_view said */
	/* stacks */
	struct tl_stack stack;
	const char *stack_note;
	int ncreate;
	bool create_cut;             /* more creation frames than max_frames */
	const uintptr_t *create_pcs; /* tl_intern_mem'd: threads share their creation stacks */
	uintptr_t start_fp;          /* tl_thread's */
	/* derived */
	const char *object;  /* tl_intern'd, NULL or "": none */
	uint64_t held_by;    /* thread number, 0 none */
	pid_t held_by_tid;   /* 0 none */
	int held_by_readers; /* an rwlock held for reading: by how many threads (0: not) */
	/* the readers after held_by, named up to TL_READERS_NAMED (the rest only counted) */
	uint64_t other_readers[TL_READERS_NAMED];
	pid_t other_reader_tids[TL_READERS_NAMED];
	pid_t held_by_pid;          /* the owner's process when it is another one, else 0 */
	char held_by_process[16];   /* that process's name (comm) */
	const char *suppressed_by;  /* rule text, NULL if reported */
	const char *start_name;     /* symbolized start routine */
	int group;                  /* index of the first thread with the same stacks */
	int verdict;                /* tl_verdict (reach.c) */
	uint32_t verdict_seq;       /* seq when judged */
	const char *verdict_reason; /* constant or tl_intern'd; NULL or "": none */
};

/* The threads of one check as handed to the phases after gathering, and to the writers. */
/* TL_CHECK_HANG: a report of every thread of a process that has not exited (a hang, a dump on
 * demand): the main thread and the known-good ones included, no grace period (preload/dump.c). */
enum tl_check_kind { TL_CHECK_EXIT, TL_CHECK_API, TL_CHECK_HANG };
/* Every record's tid at the check, reported or not. */
struct tl_known {
	pid_t tid;
	uint64_t number;
	pthread_t handle;
	uintptr_t read_held[TL_READ_HELD]; /* tl_thread's, as gathered */
};
struct tl_report {
	int kind;
	int exit_status; /* exit check only */
	struct tl_seen *v;
	size_t n; /* leaked and suppressed threads */
	size_t nleaked, nsuppressed;
	struct tl_symbolizer *sym;
	int64_t check_ns;
	char deadlock[2048];          /* one line per wait-for cycle */
	const struct tl_known *known; /* the check's own copy of thread handles */
	/* the verdicts' scan found that no thread viewed before it (tl_seen.viewed) was switched
	 * out from that view to the scan's end (reach.c) */
	bool views_held;
	/* tl_kernel_others_stamp right before those views, -1: none (the views were not all
	 * of sleepers) */
	long views_others_stamp;
};

/* ---- the kernel's view, from /proc (kernel.c) ---- */
ssize_t tl_read_file(const char *path, char *buf, size_t len); /* small file, NUL-terminated */
/* a status file (/proc/PID/status), as tl_read_file; its lines that can grow long (Groups:,
 * the CPU and node masks) dropped when it would not fit. tl_read_task_file does so for
 * "status". */
ssize_t tl_read_status(const char *path, char *buf, size_t len);
int tl_list_tasks(pid_t *tids, int max); /* count (may exceed max), or -1 without /proc */
/* The kernel's ids of the process's POSIX timers (/proc/self/timers), at most max of them:
 * how many, max + 1 when there may be more, -1 without /proc. */
int tl_posix_timers(int *ids, int max);
/* every task, sorted, in *tids (a buffer kept until tl_kernel_check_end): their count, -1
 * without /proc, -2 out of memory */
int tl_list_tasks_sorted(pid_t **tids);
bool tl_only_task(void); /* the process has one task (two raw system calls) */
/* Memory of the check's that a process that never checks must not pay for: mapped zeroed on
 * first use, kept (*slot); NULL when it cannot be mapped. Any thread, async-signal-safe. A
 * buffer in .bss instead makes the library's mapping larger, which every process pays at start
 * (docs/internals.md, Process start). */
void *tl_lazy_map(void *_Atomic *slot, size_t size);
bool tl_lazy_region(int i, uintptr_t *lo, uintptr_t *hi); /* the i-th mapped, for reach.c */
/* A function's static array of count elements, lazily mapped: name is NULL when it cannot be */
#define TL_LAZY_ARRAY(type, name, count)  \
	static void *_Atomic name##_slot; \
	type *name = tl_lazy_map(&name##_slot, sizeof(type) * (count))
int tl_count_tasks(void);       /* /proc/self/status's Threads:, -1 unknown */
bool tl_seccomp_filtered(void); /* under a seccomp filter: calls we add may be fatal */
bool tl_tid_listed(const pid_t *v, int n, pid_t tid); /* linear search */
/* The tid under which /proc/self/task lists a thread whose gettid() is tid (they differ when
 * /proc belongs to another PID namespace). */
pid_t tl_proc_tid(pid_t tid);
/* /proc is another PID namespace's (as of the last task listing) */
bool tl_proc_foreign(void);
/* Fill kernel view (sysno/args/sp/pc, sig_mask) for one tid. Returns false if gone. */
bool tl_kernel_view(struct tl_seen *s);
bool tl_kernel_comm(pid_t tid, char *buf, size_t len); /* its name; false: gone or none */
/* tl_kernel_view of v[from], v[from + 1], ... in rotation (looked, look_alive), on two CPUs
 * when there are many (kernel.c); left out: threads that exited, were viewed, or have no tid
 * yet. until_awake: stop at the first thread that is not asleep for good
 * (tl_kernel_waits_forever, a running one, one gone or without a tid) and return its index;
 * n when there is none (or when !until_awake). */
size_t tl_kernel_view_all(struct tl_seen *v, size_t n, size_t from, bool until_awake);
extern _Atomic size_t tl_kernel_helped; /* looks a helper thread did, for the check's debug */
/* as tl_kernel_view saw it: asleep in an untimed futex wait only this process can end (a
 * join's shared wait: shared_ok) */
bool tl_kernel_waits_forever(const struct tl_seen *s, bool shared_ok);
/* as tl_kernel_view saw it: in a system call with a timeout (it returns by itself) */
bool tl_kernel_timed(const struct tl_seen *s);
/* a task's state letter, and a number that changes whenever it is switched out (-1: unknown) */
long tl_kernel_stamp(pid_t tid, char *state);
void tl_kernel_signal_sent(void); /* a thread was sent our signal now (capture.c send_park) */
/* The same number for every other task of the process at once, from one getrusage: it
 * changes whenever any of them is switched out (-1: unknown). */
long tl_kernel_others_stamp(void);
/* /proc/self/task/TID/<what> (a file the kernel makes in one piece), as tl_read_file; opened
 * relative to /proc/self/task between tl_kernel_check_begin and _end (a check), which also
 * bound the life of tl_list_tasks_sorted's buffer */
ssize_t tl_read_task_file(pid_t tid, const char *what, char *buf, size_t len);
void tl_kernel_check_begin(void);
void tl_kernel_check_end(void);
/* Would a signal with a SA_RESTART handler be invisible to a thread in this state? */
/* What a sampling signal would do to a thread in this state (kernel.c tl_signal_harm) */
enum tl_harm {
	TL_HARM_NONE,       /* nothing the program can see */
	TL_HARM_INTERRUPTS, /* the call ends with EINTR */
	TL_HARM_WORD_LOST,  /* its restart finds the futex word gone or changed */
	TL_HARM_FD_CLOSED,  /* its restart finds the descriptor closed since */
};
enum tl_harm tl_signal_harm(const struct tl_seen *s);
bool tl_signal_is_transparent(const struct tl_seen *s);
void tl_futex_words_pass(bool on); /* the words read are kept for one pass (capture.c) */
/* fds as thread tid sees them (its fd table may be its own); tid 0: the calling thread */
void tl_describe_fd(pid_t tid, int fd, char *buf, size_t len);
bool tl_fd_shared(pid_t tid, int fd);
void tl_fd_proc_path(pid_t tid, int fd, const char *what, char *buf, size_t len);
void tl_kernel_after_fork_child(void); /* forgets a check of the parent's, frees nothing */

/* ---- stacks: creation stacks, current stacks, the loader's locks (capture.c) ---- */
void tl_capture_init(void);
/* Creation stack of the calling thread, skipping `skip` innermost frames. */
int tl_backtrace_here(uintptr_t *pcs, int max, int skip, bool *cut);
/* len bytes of our own memory at addr, which may not be mapped: read through the kernel, no
 * fault (objects.c) */
bool tl_read_own(uintptr_t addr, void *buf, size_t len);
bool tl_pc_is_own(uintptr_t pc);           /* a pc inside this library */
const char *tl_module_of_pc(uintptr_t pc); /* its object's path ("" the program), or NULL */
void tl_module_unloading(void *handle);    /* dlclose(handle) is about to run */
void tl_stack_memo_free(struct tl_stack_memo *m);
/* Wait for the threads the last check parked to be out of its handler, then choose and install
 * the sampling signal: first in a check, before any thread's signal mask is read. at_exit: the
 * threads this check parks may still be leaving the handler when it returns. */
bool tl_capture_prepare(bool at_exit);
void tl_capture_after_fork_child(void);
/* The check runs on a stack of its own (check.c): its mapping (its guard page included), and
 * the caller's stack pointer at the switch, below which the caller's stack is dead (0: the
 * check runs on the caller's stack). */
extern uintptr_t tl_check_stack_lo, tl_check_stack_hi, tl_check_caller_sp;
/* Is the calling thread running a check? */
bool tl_check_running_here(void);
/* The calling thread's id, remembered by a checker for the length of its check: a check reads
 * its own process's memory through the kernel (tl_read_own) for each of thousands of threads,
 * and a gettid a read was 10-12 ms of the check of 10,000 threads. Else gettid. */
pid_t tl_self_tid(void);
/* Capture current stacks of the given live threads without disturbing them. views_stamp: the
 * process-wide stamp (tl_kernel_others_stamp) of the grace period's views when it ended early
 * (no thread can move), else -1. */
void tl_capture_stacks(struct tl_seen *v, size_t n, long views_stamp);
/* Take the dynamic loader's locks (recursive) within timeout_ms, so that nothing we do with
 * the loader can wait on another thread; false when another thread keeps one of them
 * (tl_loader_holder() says which tid, -1 unknown). Pair a true return with tl_loader_leave(). */
bool tl_loader_enter(int timeout_ms);
void tl_loader_leave(void);
pid_t tl_loader_holder(void);

/* ---- symbolization and text (report/: report.h) ---- */
#include "report.h"

/* ---- what a thread waits in and on, and who holds it (objects.c) ---- */
/* Name the call and object of a thread from its kernel view (system call and arguments). */
void tl_kernel_call(struct tl_seen *s);
/* A wrapper's record is trusted only if the kernel's view agrees (the thread in a compatible
 * system call); else s takes the kernel's view. After two looks at a running thread. */
void tl_block_validate(struct tl_seen *s);
/* ... would it take s, seen running inside an old wrapped call, for a stale record? */
bool tl_block_running_inside(const struct tl_seen *s);
void tl_refine_from_stack(struct tl_report *r, struct tl_seen *s);
void tl_objects_new_check(void); /* forget the names of objects described by the last check */
#define TL_OBJECT_MAX 400        /* an object's description, at most */
/* One copy per check of a text many threads share (objects, reasons); freed when the next
 * check starts (tl_intern_reset). "" when out of memory. */
const char *tl_intern(const char *t);
const void *tl_intern_mem(const void *p, size_t len); /* 8-byte aligned; NULL: out of memory */
void tl_intern_reset(void);
void tl_intern_forget(void); /* in a fork child: forget the parent's, free nothing */
/* t, or NULL when it is NULL or empty */
static inline const char *tl_text_or_null(const char *t)
{
	return t && t[0] ? t : NULL;
}
void tl_describe_object(struct tl_report *r, const struct tl_known *k, size_t nk,
                        struct tl_seen *s);

/* ---- reachability of what blocked threads wait on (reach.c) ---- */
enum tl_verdict { TL_V_NONE, TL_V_UNREACHABLE, TL_V_FREED, TL_V_REACHABLE, TL_V_UNKNOWN };
/* Set each thread's verdict and verdict_reason, on the gathered threads (r->v, r->n, r->known)
 * before stacks are captured (the unwinder and symbolizer leave copies of pointers behind);
 * tl_reach_finish() then words the proven ones, and takes back those of threads that moved
 * meanwhile. */
void tl_reach_classify(struct tl_report *r);
void tl_reach_finish(struct tl_report *r);
void tl_reach_skip(struct tl_report *r, const char *why); /* all unknown, with the reason */
const char *tl_verdict_name(int v);                       /* NULL for TL_V_NONE */

/* ---- suppressions (suppress.c, default_suppressions.c) ---- */
void tl_suppress_load(struct tl_symbolizer *sym);
const char *tl_suppress_match(struct tl_seen *s, struct tl_report *r);
void tl_suppress_used(struct tl_buf *b, bool json);
void tl_suppress_reset_counts(void);
/* The default sets and the user's files, read and checked now (at start, with suppressions=):
 * their mistakes are said whether or not anything leaks. Read once; tl_suppress_forget drops them.
 */
void tl_suppress_read_files(void);
void tl_suppress_check_disabled_names(void); /* disable_default_sets names known sets */
void tl_suppress_forget(void);               /* options changed: load the rules again */
/* before stacks and symbols: the first rule of name: and module: conditions only that
 * suppresses s, or NULL; tl_suppress_credit counts it when the report uses that answer */
const char *tl_suppress_early(struct tl_seen *s);
void tl_suppress_credit(const char *rule_text);
int tl_suppress_parse(const char *text, const char *origin); /* returns #problems */
bool tl_pattern_match(const char *pattern, const char *str);
#include "default_sets.h" /* tl_default_sets: default_suppressions.c */

/* ---- the program's hooks, and the order options apply in (hooks.c) ---- */
/* A string returned by a hook function the program defines (threadleak_default_options, ...),
 * found in the dynamic symbol tables (tl_lookup_global) or, for executables that do not export
 * it, in the symbol table. */
const char *tl_hook_string(const char *name, struct tl_symbolizer *sym);
void tl_options_load(void); /* at start: THREADLEAK_OPTIONS and an exported hook */
bool tl_options_apply_hook(struct tl_symbolizer *sym); /* at the check: a hook not exported */
bool tl_options_hook_pending(void);

/* ---- the report's text and JSON (report.c) ---- */
const char *tl_start_name(struct tl_report *r, struct tl_seen *s); /* symbolized, cached */
char *tl_report_text(struct tl_report *r, size_t *len);
/* the leaks that decide the exit status: all, or with fail_on=unreachable the proven ones */
int tl_report_failing(const struct tl_report *r);
char *tl_report_json(struct tl_report *r, size_t *len);
bool tl_report_json_to(struct tl_report *r, int fd); /* written as it is made */

/* ---- the check (check.c) ---- */
/* Run a check; returns the number of leaked (unsuppressed) threads; fills *json when not NULL
 * (malloc'd) and prints the report when `print`. */
int tl_check(int kind, int exit_status, bool print, char **json);
/* The same with around(true) before and around(false) after, run on the check's own stack
 * under its lock (exit.c: the timers stopped for the exit check, by a thread whose stack may
 * be 16 KiB). */
int tl_check_around(int kind, int exit_status, bool print, char **json, void (*around)(bool));
/* For TL_CHECK_HANG, exit_status names the format *json gets: TL_HANG_JSON, else text. */
#define TL_HANG_JSON 1
/* The grace loop's naps double from the first to the longest (also exit.c's reduced check). */
#define TL_GRACE_FIRST_NAP_MS 1
#define TL_GRACE_MAX_NAP_MS 100
/* The kind of the check running (enum tl_check_kind), TL_NOT_CHECKING when none. */
#define TL_NOT_CHECKING (-1)
extern _Atomic int tl_checking;
/* The exit check taken early (exit.c): while tl_defer is set, tl_check keeps the report it would
 * print (out, len) and lists the threads it reports, instead of writing anything. */
/* the report's threads in untimed waits whose kernel state the last exit handler looks at: the
 * teardown may have woken them. Each costs a /proc read, 10-15 us, in the window after the
 * teardown where a leaked thread that still runs may use what the handlers freed */
enum { TL_DEFER_WATCHED_MAX = 16 };
struct tl_deferred_thread {
	pid_t tid;
	uint64_t number;
	int state;
	unsigned flags;
	uint32_t seq; /* odd: the untimed wrapped call it was blocked in (tl_thread.blk.seq), which
	               * it leaves only when woken */
	long stamp;   /* then, for a few such threads: tl_kernel_stamp at the check's end, else -1
	               * (woken, a thread shows a new stamp, or state R before it runs) */
	bool asleep;  /* in a sleep (nanosleep, usleep, ...): nothing but a signal wakes it */
};
struct tl_deferred {
	char *out;
	size_t len;
	int fd;      /* opened: the report's destination (-1: none); a JSON report for a log file
	              * is in it already (out is NULL) */
	bool opened; /* else the exit check opens it (tl_output_open) */
	struct tl_deferred_thread *v;
	size_t n;
	/* the leaks it reports (fail_on=unreachable: not only those that fail); n when v was
	 * allocated */
	size_t reported;
};
extern struct tl_deferred *tl_defer;
/* The exit check taken again after the program's teardown (exit.c): is s a thread the early
 * check reported that has not changed since? The grace period does not wait for those. */
bool tl_exit_judged(const struct tl_seen *s);
/* ... and is t one it reported that the teardown woke (on its way out: not looked at)? */
bool tl_exit_excused(const struct tl_thread *t);
/* The teardown after an exit check that found leaked threads (static destructors, atexit
 * handlers) is running, or over: the process is ending (wrap_sync.c pthread_cond_destroy) */
bool tl_exit_teardown_after_leaks(void);
/* The first condition variable whose destroy in that teardown returned without waiting for its
 * leaked waiters (wrap_sync.c), 0 none: the report says that bare, the process hangs there. */
extern _Atomic uintptr_t tl_destroy_left_waiters;
int64_t tl_exit_early_check_ns(void); /* the first pass's time, 0 when it made none */
void tl_check_after_fork(void);
void tl_ignore_current(void); /* threadleak_ignore_current() */

/* ---- process state: constructor and fork (init.c) ---- */
extern pid_t tl_pid;       /* 0 until tl_main_pid() took it */
pid_t tl_main_pid(void);   /* the pid of the process the registry describes */
bool tl_own_process(void); /* this is that process, not a child that inherited our memory */
void tl_ensure_init(void);
extern char **tl_start_envp;           /* the constructor's envp (hooks.c) */
extern atomic_bool tl_threads_started; /* a thread was started (registry.c) */
/* clone() or a clone system call went through our wrappers: a task we did not start may exist */
extern atomic_bool tl_clone_called;
void tl_clone_before(void);       /* wrap_thread.c */
extern atomic_bool tl_exit_begun; /* exit(), quick_exit() or main's return has begun (exit.c) */
/* The word a thread the Python interpreter ended waits on until the exit check is over
 * (wrap_thread.c), and its release, once that check has run or will not run (exit.c) */
extern _Atomic uint32_t tl_runtime_end_word;
void tl_release_runtime_ended(void);
bool tl_exit_records_clean_run(void); /* a JSON log records even a clean exit (exit.c) */
void tl_fork_handlers_install(void);  /* before the first thread or fork (init.c) */
void tl_fork_child_missed(void);      /* a child forked before them: reset it now */

/* ---- the exit paths (exit.c) ---- */
void tl_exit_install(void);          /* the constructor registers the exit handlers */
void tl_exit_after_fork_child(void); /* no exit check has started in a child */
void tl_exit_before_fork(void);      /* a fork while the exit check runs */
/* Is the calling thread running a signal handler? Allocation- and lock-free. */
bool tl_in_signal_handler(void);
/* Is there a signal frame on this thread's stack above (older than) address `from`, or is
 * `from` on the alternate signal stack? Allocation- and lock-free. */
bool tl_signal_frame_above(uintptr_t from);
/* The system call a signal interrupted and the kernel restarts, from the handler's context;
 * -1: none, or one that returns EINTR (exit.c) */
long tl_interrupted_syscall(const void *context);
/* The hang report reduced to what needs no lock and no allocation (no stacks, no symbols), as
 * text or JSON, in a static buffer: for a signal handler that cannot run the check. context:
 * the ucontext_t that handler was given (its own thread's call), or NULL. */
char *tl_reduced_hang_text(bool json, const void *context);

/* ---- reports of a live process: termination signals, requests (dump.c) ---- */
void tl_dump_init(void); /* dump_on_signal, dump_signal: take the signals */
void tl_dump_after_fork_child(void);
/* The ucontext_t a thread's handler interrupted while it waits there for the report it handed
 * to another thread, else NULL (capture.c describes it by that context) */
const void *tl_dump_handed_context(pid_t tid);
extern const char *tl_hang_reason; /* why the hang report was made, for its headline */
/* sigwaitinfo (ts NULL), sigtimedwait, sigwait and sigpending: neither the request signal nor
 * the sampling signal is ever the program's (dump.c); signalfd, when dump_signal is set */
int tl_sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *ts);
int tl_sigwait(const sigset_t *set, int *sig);
int tl_sigpending(sigset_t *set);
int tl_dump_signalfd(int fd, const sigset_t *mask, int flags);
bool tl_dump_in_handler(void); /* a handler of dump.c's runs on this thread */
/* Undo the EINTR a handler of ours caused in the call it interrupted (capture.c). */
void tl_repair_eintr(void *ucontext, int sig);
/* The system call number glibc's wrapper loads right before its syscall instruction: code is
 * the 7 bytes that end with it (mov $nr,%eax; syscall), -1 for code of another shape. A call
 * that returns EINTR to a handler's context has its rip there (capture.c). */
long tl_syscall_loaded_before(const unsigned char *code);
/* Would a pending signal of the program have interrupted the call a handler of sig
 * interrupted? (capture.c) */
bool tl_program_signal_pending(const void *ucontext, int sig);
/* The sampling signal (capture.c), 0 before the first check chose one. */
int tl_capture_signal(void);
/* The program's sigaction on the sampling signal, answered as bare (false: not ours) */
bool tl_capture_sigaction(int sig, const struct sigaction *act, struct sigaction *old, int *rc);
bool tl_capture_is_ours(const siginfo_t *si); /* a signal the check sent (async-signal-safe) */
/* Our signal, dequeued by the program's wait: park this thread as the handler would */
void tl_capture_take(const siginfo_t *si);
void tl_capture_abandon(void); /* release what a check that will not go on has parked */
/* The program's sigaction on sig while a handler of ours it must not see is there (dump.c),
 * prev the action ours replaced: it sees prev; SIG_DFL only changes prev; any other action is
 * installed (true: it replaced ours). */
bool tl_sigaction_behind(int sig, struct sigaction *prev, const struct sigaction *act,
                         struct sigaction *old, int *rc);
/* SIG_DFL back on sig and sig sent again to this thread: delivered, with the status the
 * default action gives, when the handler that calls this returns (async-signal-safe) */
void tl_signal_default_again(int sig);
/* The same for the signals whose teardown handler is ours after an exit check that found
 * leaks (exit.c) */
bool tl_exit_sigaction(int sig, const struct sigaction *act, struct sigaction *old, int *rc);

#endif
