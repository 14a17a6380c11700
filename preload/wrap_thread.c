/* Overridden libc: thread lifecycle. Creation wraps the start routine so the new thread
 * registers itself, and sees it finish: its return, or the unwind of pthread_exit, thrd_exit or
 * a cancellation through the wrapper's cancellation buffer (AROUND_START). Joins and detaches
 * tell the registry a record may go. */
#include "tl.h"

#include <dlfcn.h>
#include <errno.h>
#include <linux/futex.h>
#include <stdarg.h>
#include <string.h>
#include <sys/syscall.h>

/* Around the start routine, glibc's cancellation buffer (what pthread_cleanup_push expands to
 * in C, through the table: its functions' version would be one more for every process to
 * check at load): an unwind by pthread_exit, thrd_exit or a cancellation jumps here on its way
 * out, so the thread's record needs no thread-specific data value while it runs, whose slot
 * scan glibc pays at every thread's exit (registry.c tl_thread_returned). On either way out the
 * buffer is unregistered before the frame goes: glibc leaves the thread's pointer to it in
 * place otherwise, and a pthread_exit from a destructor that runs later (thread_local, key)
 * would jump into the dead frame. The return is noted while the buffer is still there: a
 * cancellation that lands meanwhile goes through it. */
#define AROUND_START(t, call, r)                                                               \
	do {                                                                                   \
		__pthread_unwind_buf_t unwind_buf;                                             \
		if (__builtin_expect(__sigsetjmp_cancel(unwind_buf.__cancel_jmp_buf, 0), 0)) { \
			tl_thread_unwinding(tl_self); /* locals are stale after the jump */    \
			TL_REAL(__pthread_unregister_cancel)(&unwind_buf);                     \
			TL_REAL(__pthread_unwind_next)(&unwind_buf);                           \
		}                                                                              \
		TL_REAL(__pthread_register_cancel)(&unwind_buf);                               \
		(t)->start_fp = (uintptr_t)__builtin_frame_address(0);                         \
		r = call;                                                                      \
		(t)->start_fp = 0; /* this frame is gone from here on (a pthread_exit          \
		                    * never gets here: the guess then names a dead frame,      \
		                    * which walk() never confirms) */                          \
		tl_thread_returned(t);                                                         \
		TL_REAL(__pthread_unregister_cancel)(&unwind_buf);                             \
		__asm__ volatile(""); /* not a tail call: keep this frame recognisable */      \
	} while (0)

static void *thread_start(void *p)
{
	struct tl_thread *t = p;
	tl_thread_started(t);
	void *(*start)(void *) = (void *(*)(void *))t->start;
	void *r;
	AROUND_START(t, start(t->arg), r); /* built with frame pointers: start_fp */
	return r;
}

static int thrd_start(void *p)
{
	struct tl_thread *t = p;
	tl_thread_started(t);
	thrd_start_t start = (thrd_start_t)t->start;
	int r;
	AROUND_START(t, start(t->arg), r);
	return r;
}

bool tl_is_start_wrapper(uintptr_t start)
{
	return start == (uintptr_t)thread_start || start == (uintptr_t)thrd_start;
}

static bool attr_detached(const pthread_attr_t *attr)
{
	int state;
	return attr != NULL && pthread_attr_getdetachstate(attr, &state) == 0 &&
	       state == PTHREAD_CREATE_DETACHED;
}

/* The stack size attr asks for; 0 for the default (no attributes, or none set) */
static size_t attr_stack_size(const pthread_attr_t *attr)
{
	void *addr;
	size_t size = 0;
	if (attr == NULL)
		return 0;
	/* a stack of the program's own (pthread_attr_setstack) has its size there too */
	if (TL_REAL(pthread_attr_getstack)(attr, &addr, &size) != 0)
		size = 0;
	return size;
}

/* Inlined: each frame of ours costs the creation stack's unwind a step. errno is the
 * program's: the creation stack's unwind leaves EAGAIN there (libunwind drains its memory
 * check's pipe), which a successful pthread_create does not. */
static inline __attribute__((always_inline)) int create(pthread_t *th, const pthread_attr_t *attr,
                                                        void *(*start)(void *), void *arg)
{
	int e = errno;
	struct tl_thread *t =
	    tl_thread_new((void *)start, arg, false, (uintptr_t)__builtin_return_address(0),
	                  attr_stack_size(attr));
	errno = e;
	if (t == NULL)
		return TL_REAL(pthread_create)(th, attr, start, arg);
	if (attr_detached(attr))
		t->flags |= TL_F_DETACHED;
	int r = TL_REAL(pthread_create)(th, attr, thread_start, t);
	if (r != 0) {
		tl_thread_create_failed(t);
		return r;
	}
	tl_thread_created(t, *th);
	return 0;
}

static inline __attribute__((always_inline)) int create_c11(thrd_t *th, thrd_start_t start,
                                                            void *arg)
{
	int e = errno;
	struct tl_thread *t =
	    tl_thread_new((void *)start, arg, true, (uintptr_t)__builtin_return_address(0), 0);
	errno = e;
	if (t == NULL)
		return TL_REAL(thrd_create)(th, start, arg);
	int r = TL_REAL(thrd_create)(th, thrd_start, t);
	if (r != thrd_success) {
		tl_thread_create_failed(t);
		return r;
	}
	tl_thread_created(t, (pthread_t)*th);
	return r;
}

/* A creation is recorded as a call (TL_OBJ_CREATING): the creator's stack is unwound there,
 * which waits for the loader's lock while a check holds it to take stacks, so a thread that
 * keeps creating threads was always found outside its calls, moving, and reported running
 * without a stack. Inside, it is running, with the stack of its creation (check.c gather). */
TL_EXPORT int pthread_create(pthread_t *th, const pthread_attr_t *attr, void *(*start)(void *),
                             void *arg)
{
	tl_ensure_init();
	TL_BLOCKING(int, "pthread_create", TL_OBJ_CREATING, 0, 0, create(th, attr, start, arg));
}

TL_EXPORT int thrd_create(thrd_t *th, thrd_start_t start, void *arg)
{
	tl_ensure_init();
	TL_BLOCKING(int, "thrd_create", TL_OBJ_CREATING, 0, 0, create_c11(th, start, arg));
}

/* ---- a thread the Python interpreter ends at the program's end ---- */
/* CPython (3.8 to 3.13) ends a thread that wants the interpreter back while it finalizes: a
 * daemon thread woken from a sleep, or one whose loop reaches a switch, calls
 * PyThread_exit_thread from take_gil, and that calls pthread_exit. The thread was alive,
 * abandoned, when the program ended, and is reported like any other (README); bare, it is gone
 * by the exit check, or during its grace period, so a daemon that polls every 50 ms, or spins,
 * was never reported. Such a thread waits here until the exit check is over, recorded as
 * blocked in PyThread_exit_thread, then goes on to its pthread_exit as bare (its unwind, its
 * destructors: a lock it holds is released, a join of it returns, in the teardown). Before the
 * process exits (the finalization runs before exit()) it waits for that 200 ms at most, then
 * goes on: a program that embeds the interpreter, finalizes it and goes on. docs/internals.md,
 * "Runtimes that keep threads". */
_Atomic uint32_t tl_runtime_end_word; /* 1: released */
static atomic_int runtime_held;       /* threads waiting on it */

/* Is the interpreter finalizing? Asked only at a pthread_exit: found without the loader's lock
 * (Py_IsFinalizing from 3.13, _Py_IsFinalizing before: an atomic read, no lock, no GIL) */
static bool python_finalizing(void)
{
	static void *_Atomic cache[2];
	bool (*fn)(void) = (bool (*)(void))tl_lookup_global_once(&cache[0], "Py_IsFinalizing");
	if (fn == NULL)
		fn = (bool (*)(void))tl_lookup_global_once(&cache[1], "_Py_IsFinalizing");
	return fn != NULL && fn();
}

static bool from_python_end(uintptr_t ra, Dl_info *info)
{
	/* ra - 1: the call is the function's last instruction, its return address the next one's */
	return dladdr((void *)(ra - 1), info) != 0 && info->dli_sname != NULL &&
	       strcmp(info->dli_sname, "PyThread_exit_thread") == 0;
}

static void wait_released(struct timespec *timeout)
{
	tl_raw_syscall6(SYS_futex, (long)&tl_runtime_end_word, FUTEX_WAIT_PRIVATE, 0, (long)timeout,
	                0, 0);
}

static __attribute__((noinline)) void held_at_python_end(struct tl_thread *t, const Dl_info *info)
{
	/* the interpreter must stay mapped while this thread's frames in it wait (an embedder may
	 * unload it after its finalization: the unwind would run through unmapped code) */
	if (!atomic_load(&tl_exit_begun) && info->dli_fname != NULL)
		dlopen(info->dli_fname, RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE);
	atomic_store(&t->runtime_ended, true);
	atomic_fetch_add(&runtime_held, 1);
	bool open = TL_BLOCK_OPEN(t);
	if (open)
		TL_BLOCK_ENTER(t, "PyThread_exit_thread", TL_OBJ_FUTEX, &tl_runtime_end_word,
		               TL_FUTEX_UNTIMED);
	for (int ms = 0; !atomic_load(&tl_exit_begun) && atomic_load(&tl_runtime_end_word) == 0;
	     ms += 10) {
		if (ms >= 200)
			goto out;
		struct timespec ten = {0, 10 * 1000 * 1000};
		wait_released(&ten);
	}
	while (atomic_load(&tl_runtime_end_word) == 0)
		wait_released(NULL);
out:
	if (open)
		TL_BLOCK_LEAVE(t);
	atomic_fetch_sub(&runtime_held, 1);
}

void tl_release_runtime_ended(void)
{
	if (atomic_load_explicit(&tl_runtime_end_word, memory_order_relaxed) != 0)
		return;
	atomic_store(&tl_runtime_end_word, 1);
	if (atomic_load(&runtime_held) > 0) /* no system call in a process that held none */
		tl_raw_syscall6(SYS_futex, (long)&tl_runtime_end_word, FUTEX_WAKE_PRIVATE,
		                INT32_MAX, 0, 0, 0);
}

TL_EXPORT void pthread_exit(void *r)
{
	struct tl_thread *t = tl_self;
	Dl_info info;
	if (t != NULL && atomic_load_explicit(&tl_runtime_end_word, memory_order_relaxed) == 0 &&
	    python_finalizing() && from_python_end((uintptr_t)__builtin_return_address(0), &info))
		held_at_python_end(t, &info);
	TL_REAL(pthread_exit)(r);
	__builtin_unreachable();
}

/* A join blocks like any other call; when it succeeds the joined thread's record can go. The
 * record is pinned first: once the real join returns, the handle may name a new thread. */
#define JOIN_BODY(name, handle, okval, realcall)                       \
	int r;                                                         \
	struct tl_thread *joined = tl_thread_pin((pthread_t)(handle)); \
	struct tl_thread *t = tl_self;                                 \
	if (t != NULL && TL_BLOCK_OPEN(t)) {                           \
		TL_BLOCK_ENTER(t, name, TL_OBJ_THREAD, handle, 0);     \
		r = realcall;                                          \
		TL_BLOCK_LEAVE(t);                                     \
	} else {                                                       \
		r = realcall;                                          \
	}                                                              \
	tl_thread_joined(joined, r == (okval));                        \
	return r

TL_EXPORT int pthread_join(pthread_t th, void **ret)
{
	JOIN_BODY("pthread_join", th, 0, TL_REAL(pthread_join)(th, ret));
}

TL_EXPORT int pthread_tryjoin_np(pthread_t th, void **ret)
{
	struct tl_thread *joined = tl_thread_pin(th);
	int r = TL_REAL(pthread_tryjoin_np)(th, ret);
	tl_thread_joined(joined, r == 0);
	return r;
}

TL_EXPORT int pthread_timedjoin_np(pthread_t th, void **ret, const struct timespec *abstime)
{
	JOIN_BODY("pthread_timedjoin_np", th, 0, TL_REAL(pthread_timedjoin_np)(th, ret, abstime));
}

TL_EXPORT int pthread_clockjoin_np(pthread_t th, void **ret, clockid_t clock,
                                   const struct timespec *abstime)
{
	JOIN_BODY("pthread_clockjoin_np", th, 0,
	          TL_REAL(pthread_clockjoin_np)(th, ret, clock, abstime));
}

TL_EXPORT int thrd_join(thrd_t th, int *res)
{
	JOIN_BODY("thrd_join", th, thrd_success, TL_REAL(thrd_join)(th, res));
}

/* A name given, not passed on by the creating thread (the kernel copies it): name: rules
 * match only names a thread was given (preload/suppress.c own_name). */
TL_EXPORT int pthread_setname_np(pthread_t th, const char *name)
{
	int r = TL_REAL(pthread_setname_np)(th, name);
	if (r == 0)
		tl_thread_named(th, name);
	return r;
}

/* A library a thread was started from may be unloaded while the thread runs on: its frames
 * are named from the file after that (report/symbolize.c, modules unloaded). */
TL_EXPORT int dlclose(void *handle)
{
	tl_module_unloading(handle);
	return TL_REAL(dlclose)(handle);
}

TL_EXPORT int pthread_detach(pthread_t th)
{
	struct tl_thread *t = tl_thread_pin_detach(th);
	int r = TL_REAL(pthread_detach)(th);
	tl_thread_detached(t, r == 0);
	return r;
}

TL_EXPORT int thrd_detach(thrd_t th)
{
	struct tl_thread *t = tl_thread_pin_detach((pthread_t)th);
	int r = TL_REAL(thrd_detach)(th);
	tl_thread_detached(t, r == thrd_success);
	return r;
}

/* Keys with destructors: the registry's own destructor then waits for theirs (registry.c
 * on_thread_exit). glibc's tss_create calls its internal pthread_key_create, which no wrapper
 * sees; old binaries may call __pthread_key_create. libunwind's key for its frame cache (made
 * at our first creation stack) is not the program's: its destructor only frees the cache. */
static void key_created(void (*destructor)(void *), void *caller)
{
	if (!tl_pc_in_unwinder((uintptr_t)caller))
		tl_registry_key_created(destructor);
}

TL_EXPORT int pthread_key_create(pthread_key_t *key, void (*destructor)(void *))
{
	key_created(destructor, __builtin_return_address(0));
	return TL_REAL(pthread_key_create)(key, destructor);
}

int __pthread_key_create(pthread_key_t *key, void (*destructor)(void *));
TL_EXPORT int __pthread_key_create(pthread_key_t *key, void (*destructor)(void *))
{
	key_created(destructor, __builtin_return_address(0));
	return TL_REAL(__pthread_key_create)(key, destructor);
}

TL_EXPORT int tss_create(tss_t *key, tss_dtor_t destructor)
{
	key_created(destructor, __builtin_return_address(0));
	return TL_REAL(tss_create)(key, destructor);
}

/* A task started past pthread_create (clone(), or the clone system calls through syscall()):
 * not ours to record, but the exit path must look for it (exit.c never_threaded). Before the
 * call, in the parent: the process it is part of is this one (init.c tl_main_pid). */
void tl_clone_before(void)
{
	atomic_store(&tl_clone_called, true);
	(void)tl_main_pid();
}

/* clone() is variadic: the three optional arguments (parent_tid, tls, child_tid) are passed
 * through whether the flags use them or not, as glibc reads its registers either way. glibc
 * exports the same function as __clone too. */
#define CLONE_WRAPPER(name)                                                           \
	TL_EXPORT int name(int (*fn)(void *), void *stack, int flags, void *arg, ...) \
	{                                                                             \
		va_list ap;                                                           \
		va_start(ap, arg);                                                    \
		pid_t *ptid = va_arg(ap, pid_t *);                                    \
		void *tls = va_arg(ap, void *);                                       \
		pid_t *ctid = va_arg(ap, pid_t *);                                    \
		va_end(ap);                                                           \
		tl_clone_before();                                                    \
		return TL_REAL(clone)(fn, stack, flags, arg, ptid, tls, ctid);        \
	}
int __clone(int (*fn)(void *), void *stack, int flags, void *arg, ...); /* no header has it */
CLONE_WRAPPER(clone)
CLONE_WRAPPER(__clone)
