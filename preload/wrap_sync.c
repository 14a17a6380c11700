/* Overridden libc: condition variables, locks, semaphores, barriers.
 *
 * pthread_mutex_lock (and mtx_lock) are deliberately NOT wrapped: an uncontended lock/unlock
 * costs about 3.5 ns and any wrapper is measurable there. A thread blocked on a mutex is found
 * at the check instead, from the kernel (a futex wait on the mutex word) and the top frames of
 * its stack (__lll_lock_wait), see check.c. Lock calls that are wrapped try the lock first, so
 * the uncontended path records nothing. */
#include "tl.h"

#include <errno.h>
#include <sys/syscall.h>

/* pthread_cond_wait and pthread_cond_timedwait exist twice in glibc (GLIBC_2.2.5, the old
 * implementation, and GLIBC_2.3.2): each wrapper forwards to the implementation its caller was
 * linked against. Forwarding an old binary to the new one crashes (see docs/internals.md). */
#define COND_WAIT_WRAPPERS(suffix, ver, defver)                                         \
	TL_EXPORT int tl_cond_wait_##suffix(pthread_cond_t *c, pthread_mutex_t *m)      \
	{                                                                               \
		TL_BLOCKING(int, "pthread_cond_wait", TL_OBJ_COND, c, m,                \
		            TL_REAL(cond_wait_##suffix)(c, m));                         \
	}                                                                               \
	TL_EXPORT int tl_cond_timedwait_##suffix(pthread_cond_t *c, pthread_mutex_t *m, \
	                                         const struct timespec *ts)             \
	{                                                                               \
		TL_BLOCKING(int, "pthread_cond_timedwait", TL_OBJ_COND, c, m,           \
		            TL_REAL(cond_timedwait_##suffix)(c, m, ts));                \
	}                                                                               \
	__asm__(".symver tl_cond_wait_" #suffix ", pthread_cond_wait" defver ver);      \
	__asm__(".symver tl_cond_timedwait_" #suffix ", pthread_cond_timedwait" defver ver);

int tl_cond_wait_new(pthread_cond_t *c, pthread_mutex_t *m);
int tl_cond_timedwait_new(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *ts);
int tl_cond_wait_old(pthread_cond_t *c, pthread_mutex_t *m);
int tl_cond_timedwait_old(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *ts);
COND_WAIT_WRAPPERS(new, "GLIBC_2.3.2", "@@")
COND_WAIT_WRAPPERS(old, "GLIBC_2.2.5", "@")

/* pthread_cond_destroy waits until every thread waiting on the condition variable has left it
 * (glibc: __wrefs counts them); destroying one that threads still wait on is undefined. At exit,
 * after a check that found leaked threads, the teardown (a C++ static's ~condition_variable, an
 * atexit handler) may destroy one that a leaked thread waits on for good: glibc then waits
 * forever, and the report, held until the teardown ends, is never written. Bare, the same
 * program hangs only when that thread reached its wait before the teardown; the check's grace
 * period lets it get there. So in that teardown, a destroy whose waiters do not all leave within
 * DESTROY_WAIT_MS (a woken waiter leaves in microseconds) returns 0 without waiting for them:
 * the memory stays as it is until the process ends. Elsewhere, glibc's own. The old ABI
 * (GLIBC_2.2.5) is forwarded as it is. docs/internals.md, "A teardown that waits for a leaked
 * thread". */
#define DESTROY_WAIT_MS 100

_Atomic uintptr_t tl_destroy_left_waiters;

static bool waiters_stay(pthread_cond_t *c)
{
	for (int ms = 0;; ms++) {
		if (__atomic_load_n(&c->__data.__wrefs, __ATOMIC_ACQUIRE) >> 3 == 0)
			return false;
		if (ms == DESTROY_WAIT_MS)
			return true;
		struct timespec one = {0, 1000000};
		tl_raw_syscall(SYS_nanosleep, (long)&one, 0, 0);
	}
}

int tl_cond_destroy_new(pthread_cond_t *c);
int tl_cond_destroy_old(pthread_cond_t *c);
TL_EXPORT int tl_cond_destroy_new(pthread_cond_t *c)
{
	if (TL_UNLIKELY(tl_exit_teardown_after_leaks()) && waiters_stay(c)) {
		uintptr_t none = 0; /* the first: the report's note names it (exit.c) */
		atomic_compare_exchange_strong(&tl_destroy_left_waiters, &none, (uintptr_t)c);
		return 0;
	}
	return TL_REAL(cond_destroy_new)(c);
}

TL_EXPORT int tl_cond_destroy_old(pthread_cond_t *c)
{
	return TL_REAL(cond_destroy_old)(c);
}
__asm__(".symver tl_cond_destroy_new, pthread_cond_destroy@@GLIBC_2.3.2");
__asm__(".symver tl_cond_destroy_old, pthread_cond_destroy@GLIBC_2.2.5");

TL_EXPORT int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clk,
                                     const struct timespec *ts)
{
	TL_BLOCKING(int, "pthread_cond_clockwait", TL_OBJ_COND, c, m,
	            TL_REAL(pthread_cond_clockwait)(c, m, clk, ts));
}

TL_EXPORT int cnd_wait(cnd_t *c, mtx_t *m)
{
	TL_BLOCKING(int, "cnd_wait", TL_OBJ_COND, c, m, TL_REAL(cnd_wait)(c, m));
}

TL_EXPORT int cnd_timedwait(cnd_t *c, mtx_t *m, const struct timespec *ts)
{
	TL_BLOCKING(int, "cnd_timedwait", TL_OBJ_COND, c, m, TL_REAL(cnd_timedwait)(c, m, ts));
}

/* Try first: the uncontended path must cost nothing. glibc's pthread functions return their
 * errors and leave errno alone (saving it cost an uncontended read lock 2 ns of 12). */
#define TRY_FIRST_THEN(trycall, taken) \
	do {                           \
		if ((trycall) == 0)    \
			return taken;  \
	} while (0)
#define TRY_FIRST(trycall) TRY_FIRST_THEN(trycall, 0)
/* the same for a try that sets errno when it fails (sem_trywait's EAGAIN): put back */
#define TRY_FIRST_KEEP_ERRNO(trycall) \
	do {                          \
		int e_ = errno;       \
		if ((trycall) == 0)   \
			return 0;     \
		errno = e_;           \
	} while (0)

TL_EXPORT int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *ts)
{
	TRY_FIRST(TL_REAL(pthread_mutex_trylock)(m));
	TL_BLOCKING(int, "pthread_mutex_timedlock", TL_OBJ_MUTEX, m, 0,
	            TL_REAL(pthread_mutex_timedlock)(m, ts));
}

TL_EXPORT int pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t clk, const struct timespec *ts)
{
	TRY_FIRST(TL_REAL(pthread_mutex_trylock)(m));
	TL_BLOCKING(int, "pthread_mutex_clocklock", TL_OBJ_MUTEX, m, 0,
	            TL_REAL(pthread_mutex_clocklock)(m, clk, ts));
}

TL_EXPORT int mtx_timedlock(mtx_t *m, const struct timespec *ts)
{
	TRY_FIRST(TL_REAL(pthread_mutex_trylock)((pthread_mutex_t *)m));
	TL_BLOCKING(int, "mtx_timedlock", TL_OBJ_MUTEX, m, 0, TL_REAL(mtx_timedlock)(m, ts));
}

/* A read lock taken (rc 0): kept in the thread's record, the reader a blocked writer waits
 * for (glibc names an rwlock's writer, not its readers: objects.c). */
static inline int read_taken(pthread_rwlock_t *l, int rc)
{
	struct tl_thread *t = tl_self;
	if (rc != 0 || t == NULL)
		return rc;
	for (int i = 0; i < TL_READ_HELD; i++)
		if (atomic_load_explicit(&t->read_held[i], memory_order_relaxed) == 0) {
			atomic_store_explicit(&t->read_held[i], (uintptr_t)l, memory_order_relaxed);
			break;
		}
	return rc;
}

/* TRY_FIRST for a read lock: a lock taken at once is noted too. */
#define TRY_FIRST_READ(l, trycall) TRY_FIRST_THEN(trycall, read_taken(l, 0))

TL_EXPORT int pthread_rwlock_tryrdlock(pthread_rwlock_t *l)
{
	return read_taken(l, TL_REAL(pthread_rwlock_tryrdlock)(l));
}

TL_EXPORT int pthread_rwlock_unlock(pthread_rwlock_t *l)
{
	struct tl_thread *t = tl_self;
	for (int i = 0; t != NULL && i < TL_READ_HELD; i++)
		if (atomic_load_explicit(&t->read_held[i], memory_order_relaxed) == (uintptr_t)l) {
			atomic_store_explicit(&t->read_held[i], 0, memory_order_relaxed);
			break;
		}
	return TL_REAL(pthread_rwlock_unlock)(l);
}

TL_EXPORT int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
	TRY_FIRST_READ(l, TL_REAL(pthread_rwlock_tryrdlock)(l));
	TL_BLOCKING(int, "pthread_rwlock_rdlock", TL_OBJ_RWLOCK, l, 0,
	            read_taken(l, TL_REAL(pthread_rwlock_rdlock)(l)));
}

TL_EXPORT int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
	TRY_FIRST(TL_REAL(pthread_rwlock_trywrlock)(l));
	TL_BLOCKING(int, "pthread_rwlock_wrlock", TL_OBJ_RWLOCK, l, 0,
	            TL_REAL(pthread_rwlock_wrlock)(l));
}

TL_EXPORT int pthread_rwlock_timedrdlock(pthread_rwlock_t *l, const struct timespec *ts)
{
	TRY_FIRST_READ(l, TL_REAL(pthread_rwlock_tryrdlock)(l));
	TL_BLOCKING(int, "pthread_rwlock_timedrdlock", TL_OBJ_RWLOCK, l, 0,
	            read_taken(l, TL_REAL(pthread_rwlock_timedrdlock)(l, ts)));
}

TL_EXPORT int pthread_rwlock_timedwrlock(pthread_rwlock_t *l, const struct timespec *ts)
{
	TRY_FIRST(TL_REAL(pthread_rwlock_trywrlock)(l));
	TL_BLOCKING(int, "pthread_rwlock_timedwrlock", TL_OBJ_RWLOCK, l, 0,
	            TL_REAL(pthread_rwlock_timedwrlock)(l, ts));
}

TL_EXPORT int pthread_rwlock_clockrdlock(pthread_rwlock_t *l, clockid_t clk,
                                         const struct timespec *ts)
{
	TRY_FIRST_READ(l, TL_REAL(pthread_rwlock_tryrdlock)(l));
	TL_BLOCKING(int, "pthread_rwlock_clockrdlock", TL_OBJ_RWLOCK, l, 0,
	            read_taken(l, TL_REAL(pthread_rwlock_clockrdlock)(l, clk, ts)));
}

TL_EXPORT int pthread_rwlock_clockwrlock(pthread_rwlock_t *l, clockid_t clk,
                                         const struct timespec *ts)
{
	TRY_FIRST(TL_REAL(pthread_rwlock_trywrlock)(l));
	TL_BLOCKING(int, "pthread_rwlock_clockwrlock", TL_OBJ_RWLOCK, l, 0,
	            TL_REAL(pthread_rwlock_clockwrlock)(l, clk, ts));
}

TL_EXPORT int pthread_barrier_wait(pthread_barrier_t *b)
{
	TL_BLOCKING(int, "pthread_barrier_wait", TL_OBJ_BARRIER, b, 0,
	            TL_REAL(pthread_barrier_wait)(b));
}

TL_EXPORT int sem_wait(sem_t *s)
{
	TRY_FIRST_KEEP_ERRNO(TL_REAL(sem_trywait)(s));
	TL_BLOCKING(int, "sem_wait", TL_OBJ_SEM, s, 0, TL_REAL(sem_wait)(s));
}

TL_EXPORT int sem_timedwait(sem_t *s, const struct timespec *ts)
{
	TRY_FIRST_KEEP_ERRNO(TL_REAL(sem_trywait)(s));
	TL_BLOCKING(int, "sem_timedwait", TL_OBJ_SEM, s, 0, TL_REAL(sem_timedwait)(s, ts));
}

TL_EXPORT int sem_clockwait(sem_t *s, clockid_t clk, const struct timespec *ts)
{
	TRY_FIRST_KEEP_ERRNO(TL_REAL(sem_trywait)(s));
	TL_BLOCKING(int, "sem_clockwait", TL_OBJ_SEM, s, 0, TL_REAL(sem_clockwait)(s, clk, ts));
}
