/* The registry: one record per thread we saw created, keyed by pthread_t (uthash), under one
 * lock. Records of threads that are gone for good (joined, or detached and finished) are freed
 * at once, so memory stays bounded however many threads a program makes. The wrappers only
 * touch their own thread's record (tl_self); the lock is taken on create/exit/join/detach. */
#include "tl.h"

#include <errno.h>
#include <limits.h>
#include <link.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

__thread struct tl_thread *tl_self __attribute__((tls_model("initial-exec")));

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
TL_START_DATA static struct tl_thread *registry;
/* atomic: a creation takes its number without the lock */
static _Atomic uint64_t next_number = 1;
/* tids of records freed (joined, or detached and finished) whose tasks may still be listed:
 * they go on in glibc's exit path, where they may wait a long time for a lock (the stack
 * cache, which a busy creator takes again and again before a waiter gets it); the check must
 * not take them for untracked threads. Kept until the task is gone (looked at when the table
 * is full), so a task stuck there for thousands of creations stays ours. */
#define GONE_STATIC 4096 /* no malloc for a program's first few thousand exits */
static pid_t gone_static[GONE_STATIC];
static pid_t *gone = gone_static;
static size_t ngone, gone_cap = GONE_STATIC;
TL_START_DATA static atomic_int starting;    /* created, not yet in the registry */
TL_START_DATA static pthread_key_t exit_key; /* its destructor marks a thread finished */
static bool have_exit_key;

/* The main thread's record and the hash table's first allocations are static: a process that
 * never starts a thread allocates nothing, and does not even set up malloc. */
TL_START_DATA static struct tl_thread main_record;
TL_START_DATA static struct {
	UT_hash_table tbl;
	UT_hash_bucket buckets[HASH_INITIAL_NUM_BUCKETS];
	bool tbl_used, buckets_used;
} first_table;

static void *table_alloc(size_t size)
{
	if (size == sizeof(first_table.tbl) && !first_table.tbl_used) {
		first_table.tbl_used = true;
		return &first_table.tbl;
	}
	if (size == sizeof(first_table.buckets) && !first_table.buckets_used) {
		first_table.buckets_used = true;
		return first_table.buckets;
	}
	return malloc(size);
}

static void table_free(void *p)
{
	if (p == &first_table.tbl)
		first_table.tbl_used = false;
	else if (p == first_table.buckets)
		first_table.buckets_used = false;
	else
		free(p);
}
#undef uthash_malloc
#undef uthash_free
#define uthash_malloc(size) table_alloc(size)
#define uthash_free(p, size) table_free(p)

/* The table is keyed by pthread_t (the address of glibc's descriptor; adopted threads: of
 * their record), 8 bytes: a multiplicative hash, not uthash's Jenkins hash of any key (three
 * hashes a creation and join, about 60 instructions each). */
static inline unsigned hash_handle(const void *key)
{
	uint64_t v;
	memcpy(&v, key, sizeof(v));
	return (unsigned)((v * 0x9E3779B97F4A7C15ull) >> 32);
}
#undef HASH_FUNCTION
#define HASH_FUNCTION(keyptr, keylen, hashv) ((hashv) = hash_handle(keyptr))
_Static_assert(sizeof(pthread_t) == sizeof(uint64_t), "hash_handle reads 8 bytes");

/* One freed record kept by each thread of ours, zeroed, for its next creation: a thread that
 * creates and joins (a dispatcher, a test harness) skips calloc and free, about 650 of the
 * 4,000 instructions the library added to a creation and join. Kept in the thread's own
 * record, so that it goes with it (free_record), also for a thread that never finishes (a
 * destructor of glibc's round skipped). Exchanged atomically: a signal handler of the same
 * thread may create or free one in between. */
static struct tl_thread *new_record(void)
{
	struct tl_thread *self = tl_self, *t = NULL;
	if (self != NULL)
		t = atomic_exchange_explicit(&self->spare, NULL, memory_order_relaxed);
	return t != NULL ? t : calloc(1, sizeof(*t));
}

/* No stale copy of the program's pointers (objects, registers, start argument) is left in
 * memory malloc hands out again: the verdicts' conservative scan would see them (reach.c).
 * Zeroed, it is also as calloc gives it (new_record). */
static void free_record(struct tl_thread *t)
{
	free(atomic_exchange_explicit(&t->spare, NULL, memory_order_relaxed));
	tl_stack_memo_free(t->stack_memo);
	memset(t, 0, sizeof(*t));
	if (t == &main_record)
		return;
	struct tl_thread *self = tl_self, *none = NULL;
	/* kept only by a thread of ours that has not finished (finish clears tl_self first) */
	if (self == NULL || self == t ||
	    !atomic_compare_exchange_strong_explicit(&self->spare, &none, t, memory_order_relaxed,
	                                             memory_order_relaxed))
		free(t);
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return (x > y) - (x < y);
}

pid_t *tl_registry_gone_copy(size_t *n)
{
	pid_t *out = malloc(sizeof(pid_t) * (ngone + 1));
	if (out == NULL) {
		*n = 0;
		return NULL;
	}
	memcpy(out, gone, sizeof(pid_t) * ngone);
	qsort(out, ngone, sizeof(pid_t), cmp_pid);
	*n = ngone;
	return out;
}

bool tl_registry_gone_has(pid_t tid)
{
	for (size_t i = 0; i < ngone; i++)
		if (gone[i] == tid)
			return true;
	return false;
}

/* Lock held. How many tasks of the process are neither the caller nor the thread of a record
 * known to be alive (-1: cannot tell)? A forgotten thread whose task is alive is one of them.
 * The task count first (/proc/self/status, Threads:), then each record not finished asked with
 * tgkill: a task alive after the count was alive at it (under the lock no record gains a tid,
 * and a record's task exists before its tid is set), so a record whose task is gone (a raw exit
 * system call, an adopted helper of libc's that ended, a destructor's pthread_exit that skipped
 * ours) is not counted, and the answer bounds the forgotten tasks alive exactly. alive[] gets
 * the counted tids. Only for a registry of at most ASKED_MAX records and a quarter of the list
 * (else asking about each tid costs less), and not under a seccomp filter, which may kill on
 * the open of /proc (a sandbox that allows threads). */
#define ASKED_MAX 128
static int unaccounted_tasks(long pid, pid_t self, pid_t *alive, int *nalive)
{
	if (HASH_COUNT(registry) > ASKED_MAX || HASH_COUNT(registry) > ngone / 4 ||
	    tl_seccomp_filtered())
		return -1;
	int tasks = tl_count_tasks();
	if (tasks <= 0)
		return -1;
	int n = 0;
	alive[n++] = self; /* the caller: its record may be the one just freed */
	struct tl_thread *t, *tmp;
	HASH_ITER (hh, registry, t, tmp) {
		pid_t tid = atomic_load(&t->tid);
		/* a tid counted once (a reused one) */
		if (tid > 0 && !tl_tid_listed(alive, n, tid) && !(t->flags & TL_F_FINISHED) &&
		    tl_raw_syscall(SYS_tgkill, pid, tid, 0) == 0)
			alive[n++] = tid;
	}
	*nalive = n;
	return tasks > n ? tasks - n : 0;
}

/* Drop the tids whose tasks are gone. Asked task by task (tgkill with signal 0 says ESRCH):
 * a listing of /proc/self/task can skip entries while tasks come and go, and a tid dropped
 * while its task still waits in glibc's exit path would come back as an untracked thread.
 * Lock held; once per GONE_STATIC exits at most. Asking about every tid cost a system call per
 * join, 4% of a thread's creation and join on a VM where a system call takes a microsecond: when
 * the tasks not accounted for are counted, the newest tids are asked first, and once as many
 * were found alive, the older ones are gone (docs/internals.md, "Forgotten threads still
 * listed"). The caller may itself be forgotten (a finished thread that joins another): kept. */
static void forget_reaped(void)
{
	long pid = getpid();
	pid_t self = tl_gettid(), alive[ASKED_MAX + 1];
	int nalive = 0;
	int spare = unaccounted_tasks(pid, self, alive, &nalive);
	if (spare >= 0 && spare <= ASKED_MAX) { /* else (cannot tell, or many): every tid asked */
		/* newest first; the kept ones gathered at the top (w never passes i), then moved
		 * down */
		int found = 0;
		size_t w = ngone;
		for (size_t i = ngone; i-- > 0;) {
			pid_t tid = gone[i];
			if (tl_tid_listed(gone + w, (int)(ngone - w), tid))
				continue; /* a reused tid listed twice: one task */
			if (tid == self)
				gone[--w] = tid;
			else if (found < spare && !tl_tid_listed(alive, nalive, tid) &&
			         tl_raw_syscall(SYS_tgkill, pid, tid, 0) != -ESRCH)
				gone[--w] = tid, found++;
		}
		memmove(gone, gone + w, sizeof(pid_t) * (ngone - w));
		ngone -= w;
		return;
	}
	size_t k = 0;
	for (size_t i = 0; i < ngone; i++)
		if (tl_raw_syscall(SYS_tgkill, pid, gone[i], 0) != -ESRCH)
			gone[k++] = gone[i];
	ngone = k;
}

static void remember_gone(pid_t tid)
{
	if (ngone == gone_cap)
		forget_reaped();
	if (ngone == gone_cap) {
		pid_t *bigger = malloc(sizeof(pid_t) * gone_cap * 2);
		if (bigger != NULL) {
			memcpy(bigger, gone, sizeof(pid_t) * ngone);
			if (gone != gone_static)
				free(gone);
			gone = bigger;
			gone_cap *= 2;
		} else { /* no memory: forget the oldest */
			memmove(gone, gone + 1, sizeof(pid_t) * --ngone);
		}
	}
	gone[ngone++] = tid;
}

/* The main thread's record goes into the table when the registry is first locked, not at
 * start: making the table reads a constant from .rodata, a page fault of its own that a process
 * which never starts a thread would pay (docs/internals.md, Process start). Every reader of the
 * table holds the lock, and the first thread's creation takes it. */
TL_START_DATA static bool main_in_table;
static void insert(struct tl_thread *t, pthread_t handle);

static void insert_main(void)
{
	main_in_table = true;
	if (main_record.tid == 0)
		main_record.tid = tl_main_pid(); /* not known at start (init.c) */
	atomic_fetch_add(&starting, 1);
	insert(&main_record, main_record.handle);
}

/* Where this thread is with the lock, for a fork() from a signal handler that interrupted it
 * there (in pthread_create's bookkeeping): our prepare handler must not wait for a lock its own
 * thread holds or is about to take (init.c), and the child must know whether the interrupted
 * section will still unlock it and touch the table (tl_registry_after_fork_child). Each phase
 * is set before the step it names, with a signal fence, so no instruction reads a stale one. */
enum { LOCK_NONE, LOCK_TAKING, LOCK_HELD, LOCK_RELEASING };
static __thread int lock_phase __attribute__((tls_model("initial-exec")));
/* In the child of such a fork: prune the table when the interrupted section unlocks */
static bool prune_on_unlock;
/* ... or start a new one when the interrupted wait for the lock ends */
static bool fresh_on_lock;

static void set_phase(int phase)
{
	lock_phase = phase;
	atomic_signal_fence(memory_order_seq_cst);
}

bool tl_registry_held_here(void)
{
	return lock_phase != LOCK_NONE;
}

static void fresh_table_in_child(void);

void tl_registry_lock(void)
{
	set_phase(LOCK_TAKING);
	pthread_mutex_lock(&lock);
	set_phase(LOCK_HELD);
	if (TL_UNLIKELY(fresh_on_lock)) {
		fresh_on_lock = false;
		fresh_table_in_child();
	}
	if (TL_UNLIKELY(!main_in_table))
		insert_main();
}

/* For code that may run in a signal handler that interrupted a holder of the lock. */
bool tl_registry_trylock(void)
{
	int before = lock_phase;
	set_phase(LOCK_TAKING);
	if (TL_REAL(pthread_mutex_trylock)(&lock) != 0) {
		set_phase(before); /* a handler's try, over a section that holds or takes it */
		return false;
	}
	set_phase(LOCK_HELD);
	if (TL_UNLIKELY(!main_in_table))
		insert_main();
	return true;
}

/* For a signal handler: the lock, waiting up to ms for another thread's section to end (each
 * is short, but a loaded machine may preempt its holder: one try failed 1 request in 100 of
 * threadleak dump in a process that creates threads all the time, and its report was reduced).
 * Never waits when this thread holds or takes the lock: the section the handler interrupted
 * cannot end under it. */
bool tl_registry_trylock_for(int ms)
{
	for (int i = 0;; i++) {
		if (tl_registry_trylock())
			return true;
		if (i >= ms * 10 || tl_registry_held_here())
			return false;
		tl_nap_ns(100 * 1000);
	}
}

static void prune_in_child(void);

void tl_registry_unlock(void)
{
	if (TL_UNLIKELY(prune_on_unlock)) {
		prune_on_unlock = false;
		prune_in_child();
	}
	set_phase(LOCK_RELEASING);
	pthread_mutex_unlock(&lock);
	set_phase(LOCK_NONE);
}

struct tl_thread *tl_registry_first(void)
{
	return registry;
}

int tl_registry_starting(void)
{
	return atomic_load(&starting);
}

uint64_t tl_registry_next_number(void)
{
	return next_number;
}

/* A record can go when nobody will ask about it again. Lock held. */
static void maybe_free(struct tl_thread *t)
{
	unsigned f = t->flags;
	if (!(f & TL_F_CREATOR_DONE) || (f & TL_F_PINNED))
		return;
	if (!((f & TL_F_JOINED) || ((f & TL_F_DETACHED) && (f & TL_F_FINISHED))))
		return;
	if (f & TL_F_IN_HASH)
		HASH_DEL(registry, t);
	pid_t tid = atomic_load(&t->tid);
	if (tid > 0)
		remember_gone(tid);
	free_record(t);
}

/* Lock held. Both the thread itself and its creator call this; whichever comes second must not
 * insert again: by then a short-lived thread's handle may already belong to another thread. */
static void insert(struct tl_thread *t, pthread_t handle)
{
	if (t->flags & TL_F_INSERTED)
		return;
	t->flags |= TL_F_INSERTED;
	t->handle = handle;
	struct tl_thread *old = NULL;
	HASH_FIND(hh, registry, &handle, sizeof(handle), old);
	if (old != NULL) {
		/* a finished, never joined thread whose handle was reused: keep reporting it, but
		 * lookups by handle now find the new thread */
		HASH_DEL(registry, old);
		old->flags &= ~TL_F_IN_HASH;
		old->flags |= TL_F_DETACHED | TL_F_FINISHED;
		maybe_free(old);
	}
	HASH_ADD(hh, registry, handle, sizeof(handle), t);
	if (t->hh.tbl != NULL) /* else out of memory: the thread goes untracked */
		t->flags |= TL_F_IN_HASH;
	atomic_fetch_sub(&starting, 1);
}

static struct tl_thread *find(pthread_t handle)
{
	struct tl_thread *t = NULL;
	HASH_FIND(hh, registry, &handle, sizeof(handle), t);
	return t;
}

struct tl_thread *tl_registry_find(pthread_t handle, uint64_t number)
{
	struct tl_thread *t = find(handle);
	return t != NULL && t->number == number ? t : NULL;
}

/* Polling for a detach in progress (see tl_thread_pin_detach) */
enum { DETACH_POLL_US = 20, DETACH_WAIT_MAX_US = 1000000 };

static void nap_us(long us)
{
	tl_nap_ns((int64_t)us * 1000);
}

/* glibc calls the thread-specific data destructors in rounds, by key in creation order: ours,
 * created first, comes before the program's, which may still block (or wait in a wrapped
 * call) for as long as they like. So put the value back for the next round, and finish the
 * thread only in the last round glibc makes (PTHREAD_DESTRUCTOR_ITERATIONS): by then every
 * destructor of the program has run at least once, and one that sets its value again comes
 * back only once more. (C++ thread_local destructors and cleanup handlers run earlier; see
 * docs/internals.md.) */
static __thread int exit_rounds __attribute__((tls_model("initial-exec")));
/* Only a key of someone else's with a destructor can run program code after ours: without one
 * the thread finishes in the first round. glibc scans every key slot in each round that a
 * value was set again: the three extra rounds were a quarter of the instructions a creation
 * and join cost under the library (docs/internals.md, Thread exit order). */
static atomic_bool other_destructors;
/* ... or, in this thread, one no wrapper saw: it had set a thread-specific value of its own
 * when it left its start routine (tl_thread_unwinding) */
static __thread bool unseen_destructors __attribute__((tls_model("initial-exec")));

void tl_registry_key_created(void (*destructor)(void *))
{
	if (destructor != NULL)
		atomic_store_explicit(&other_destructors, true, memory_order_relaxed);
}

static void finish(struct tl_thread *t);

static void on_thread_exit(void *p)
{
	struct tl_thread *t = p;
	/* our key's value is always the thread's own record: anything else was set by a program
	 * that used a key it never made (ours, as numbered), which bare gets EINVAL for */
	if (t != tl_self)
		return;
	if ((unseen_destructors ||
	     atomic_load_explicit(&other_destructors, memory_order_relaxed)) &&
	    ++exit_rounds < PTHREAD_DESTRUCTOR_ITERATIONS &&
	    TL_REAL(pthread_setspecific)(exit_key, t) == 0)
		return;
	finish(t);
}

/* Whether this thread ever set a thread-specific value (a program's key may have been made
 * where no wrapper sees it: through dlsym on libc's handle, in a library loaded with
 * RTLD_DEEPBIND): glibc's `specific_used` flag, which follows the `specific` array that
 * glibc describes to libthread_db (_thread_db_pthread_specific: size in bits, count, offset
 * in the descriptor), checked once against a value set (before_first_thread). Unknown: yes.
 * docs/internals.md, Thread exit order. */
static long specific_used_off = -1;

static bool specific_used_here(void)
{
	return specific_used_off < 0 || ((const unsigned char *)pthread_self())[specific_used_off];
}

static void find_specific_used(void)
{
	const uint32_t *d = tl_lookup_libc("_thread_db_pthread_specific");
	/* glibc 2.36 describes the array as one field of 2048 bits */
	if (d == NULL || (uint64_t)d[0] * d[1] != 32 * 8 * sizeof(void *) || d[2] > 16384)
		return;
	long off = (long)d[2] + 32 * (long)sizeof(void *);
	const unsigned char *flag = (const unsigned char *)pthread_self() + off;
	if (*flag > 1)
		return;
	if (*flag == 0) { /* it must change with a value set */
		TL_REAL(pthread_setspecific)(exit_key, &exit_key);
		bool changed = *flag == 1;
		TL_REAL(pthread_setspecific)(exit_key, NULL);
		if (!changed)
			return;
	}
	specific_used_off = off;
}

/* Whether this thread has a thread_local destructor that glibc will run (C++, Rust): glibc's
 * list of them is a thread-local of libc's (tls_dtor_list), not one our wrapper of
 * __cxa_thread_atexit_impl always sees (a library loaded with RTLD_DEEPBIND binds libc's).
 * Its place in libc's static TLS block is found once, by registering a destructor that does
 * nothing on the first creating thread and finding the word that now points to an entry
 * holding our argument; x86_64 places static TLS at fixed distances below the thread
 * pointer, the same in every thread. Unknown: yes. docs/internals.md, Thread exit order. */
static long tls_dtors_off = LONG_MIN; /* from the thread pointer (below it); LONG_MIN: unknown */
#define FIRST_LOADER_WAIT_MS 100

static bool tls_dtors_here(void)
{
#if defined(__x86_64__) && defined(__GLIBC__)
	return tls_dtors_off == LONG_MIN ||
	       *(void *const *)((const char *)__builtin_thread_pointer() + tls_dtors_off) != NULL;
#else
	return true;
#endif
}

struct libc_tls {
	char *block; /* libc's TLS block in this thread */
	size_t size;
};

static int find_libc_tls(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	struct libc_tls *out = data;
	const char *slash = info->dlpi_name ? strrchr(info->dlpi_name, '/') : NULL;
	if (slash == NULL || strcmp(slash + 1, "libc.so.6") != 0 || info->dlpi_tls_data == NULL)
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_TLS) {
			out->block = info->dlpi_tls_data;
			out->size = info->dlpi_phdr[i].p_memsz;
		}
	return 1;
}

static void no_destructor(void *p)
{
	(void)p;
}

static void find_tls_dtors(void)
{
#if defined(__x86_64__) && defined(__GLIBC__)
	static char mark; /* the argument our entry holds */
	static char ours; /* an address of ours: our object is the destructor's (no crtbegin.o,
	                   * whose __dso_handle says that, with -nostartfiles) */
	/* glibc registers under the loader's big lock, which a dlopen holds through constructors
	 * that may wait for this very creation: taken with a timeout, as for creation stacks */
	if (!tl_loader_enter(FIRST_LOADER_WAIT_MS))
		return;
	struct libc_tls tls = {0};
	dl_iterate_phdr(find_libc_tls, &tls);
	void *before[64];
	size_t n = tls.size / sizeof(void *);
	void **words = (void **)(((uintptr_t)tls.block + 7) & ~(uintptr_t)7);
	/* no handler may write errno or the like into the block meanwhile: only the words glibc
	 * changes must change (and those read through the kernel all the same) */
	sigset_t all, keep;
	sigfillset(&all);
	tl_raw_syscall6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&all, (long)&keep, _NSIG / 8, 0, 0);
	bool ok = tls.block != NULL && n > 0 && n <= TL_ARRAY_SIZE(before);
	if (ok) {
		memcpy(before, words, n * sizeof(void *));
		ok = TL_REAL(__cxa_thread_atexit_impl)(no_destructor, &mark, &ours) == 0;
	}
	tl_raw_syscall6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&keep, 0, _NSIG / 8, 0, 0);
	tl_loader_leave();
	if (!ok)
		return;
	/* the words glibc changed: the list's head (its entry: func, mangled; obj; map; next),
	 * its cache of our address (`ours`), and of our link map: only pointers it wrote are
	 * read */
	for (size_t i = 0; i < n; i++) {
		void **entry = words[i], *obj;
		if (entry != before[i] && entry != NULL && entry != (void **)&ours &&
		    tl_read_own((uintptr_t)(entry + 1), &obj, sizeof(obj)) &&
		    obj == (void *)&mark) {
			tls_dtors_off =
			    (long)((char *)&words[i] - (char *)__builtin_thread_pointer());
			return;
		}
	}
#endif
}

/* The start routine returned (wrap_thread.c thread_start). When no code of the program's can
 * run in this thread any more (no thread_local destructor of its own, no thread-specific value
 * it set), it finishes here; else its value under our key finishes it after theirs.
 * A value set under a key costs every exit a scan of all the thread's key slots in glibc: a
 * sixth of the instructions a creation and join cost under the library (docs/internals.md,
 * Thread exit order). */
void tl_thread_returned(struct tl_thread *t)
{
	if (specific_used_here() || tls_dtors_here())
		tl_thread_unwinding(t);
	else
		finish(t);
}

/* pthread_exit, thrd_exit or a cancellation unwinds the start routine: program code
 * (cleanup handlers, destructors) may run after this. */
void tl_thread_unwinding(struct tl_thread *t)
{
	if (t == NULL) /* finished already: a cancellation landed in tl_thread_returned */
		return;
	unseen_destructors = specific_used_here(); /* before ours is set */
	if (!have_exit_key || TL_REAL(pthread_setspecific)(exit_key, t) != 0)
		finish(t); /* no key, or no memory for its slots: finished a little early */
}

static void finish(struct tl_thread *t)
{
	tl_self = NULL; /* later destructors of this thread must not touch the record */
	atomic_store(&t->finishing, true);
	tl_registry_lock();
	while (t->flags & TL_F_DETACHING) { /* see tl_thread_pin_detach */
		tl_registry_unlock();
		nap_us(DETACH_POLL_US);
		tl_registry_lock();
	}
	t->flags |= TL_F_FINISHED;
	maybe_free(t);
	tl_registry_unlock();
}

/* Before the first thread, not at start (a process that starts no thread would pay for them:
 * docs/internals.md, Process start): the reset of a child forked before our fork handlers
 * existed, the fork handlers, the key, whose pthread_key_create costs a lazy binding and a
 * page of libc's data, and what stderr is. */
static struct tl_once first_thread_once = TL_ONCE_INIT;

/* Read by every process's exit path (exit.c nothing_to_check), hence with the start data.
 * Ours rather than glibc's __libc_single_threaded, which cleared at the same first
 * pthread_create: bound at load, that symbol cost every process a lookup and a version need. */
TL_START_DATA atomic_bool tl_threads_started;
TL_START_DATA atomic_bool tl_clone_called;

static void before_first_thread(void)
{
	atomic_store(&tl_threads_started, true);
	tl_stamp_init(); /* the wrappers' timestamps: before a second thread can take one */
	main_record.tsc = tl_stamp_tsc;
	tl_fork_child_missed();
	if (main_record.tid == 0) /* the pid (a raw clone() thread may be the caller) */
		main_record.tid = tl_main_pid();
	tl_fork_handlers_install();
	/* ours: not counted. Without it (every key taken) threads finish when they leave their
	 * start routine, whatever runs after (tl_thread_unwinding) */
	have_exit_key = TL_REAL(pthread_key_create)(&exit_key, on_thread_exit) == 0;
	if (have_exit_key)
		find_specific_used();
	find_tls_dtors();
	tl_log_note_stderr();
	tl_touch_later_interposers();
}

TL_START_CODE void tl_registry_init(void)
{
	struct tl_thread *t = &main_record;
	t->number = next_number++; /* its tid: when it goes in the table (insert_main) */
	t->flags = TL_F_MAIN | TL_F_CREATOR_DONE;
	/* in the table on first use: insert_main. On x86_64 glibc's pthread_self() is the thread
	 * pointer (its descriptor is the TCB): read here, it saves every process a lazy binding */
#if defined(__x86_64__) && defined(__GLIBC__)
	t->handle = (pthread_t)__builtin_thread_pointer();
#else
	t->handle = pthread_self();
#endif
	tl_self = t;
}

/* Free stack the creation stack's walk needs (libunwind's cursor and steps, the context, the
 * buffer): measured about 3.5 KiB beyond what pthread_create itself needs; a creator on a
 * PTHREAD_STACK_MIN stack with 6 KiB of it used crashed in the walk (tests/core smallstack). */
#define CREATE_WALK_ROOM (8 * 1024)

struct tl_thread *tl_thread_new(void *start, void *arg, bool c11, uintptr_t caller,
                                size_t stack_size)
{
	tl_once(&first_thread_once, before_first_thread);
	struct tl_thread *t = new_record();
	if (t == NULL)
		return NULL;
	t->start = start;
	t->arg = arg;
	t->c11 = c11;
	t->tsc = tl_stamp_tsc;
	struct tl_thread *self = tl_self;
	t->creator = self ? self->number : 0;
	t->creator_tid = self ? atomic_load(&self->tid) : tl_gettid(); /* untracked: named by tid */
	t->small_stack = stack_size < TL_SMALL_STACK ? stack_size : 0;
	t->stack_asked = stack_size;
	/* skip: tl_backtrace_here, tl_thread_new, the pthread_create wrapper. A creator near the
	 * end of its small stack: its call alone */
	uintptr_t here = (uintptr_t)__builtin_frame_address(0);
	if (self == NULL || self->stack_lo == 0 ||
	    (here > self->stack_lo && here - self->stack_lo >= CREATE_WALK_ROOM)) {
		t->ncreate = tl_backtrace_here(t->create_pcs, tl_opt.max_frames, 2, &t->create_cut);
	} else {
		t->create_pcs[0] = caller;
		t->ncreate = tl_opt.max_frames > 0;
	}
	/* no lock: a check that sees the new task also sees it counted in `starting` */
	t->number = atomic_fetch_add(&next_number, 1);
	atomic_fetch_add(&starting, 1);
	return t;
}

/* A thread's tid without a system call: its cpu-clock id encodes it (~tid << 3 | 6), read from
 * its descriptor, where the kernel writes it before the thread first runs. 0 if unknown. */
static pid_t tid_of(pthread_t handle)
{
	clockid_t cid;
	return TL_REAL(pthread_getcpuclockid)(handle, &cid) == 0 ? (pid_t) ~((int)cid >> 3) : 0;
}

/* glibc's default thread stack size (RLIMIT_STACK's at start, or pthread_setattr_default_np's),
 * 0 unknown */
static size_t default_stack_size(void)
{
	static _Atomic size_t known;
	size_t size = atomic_load_explicit(&known, memory_order_relaxed);
	pthread_attr_t a;
	if (size == 0 && pthread_getattr_default_np(&a) == 0) {
		if (pthread_attr_getstacksize(&a, &size) != 0)
			size = 0;
		pthread_attr_destroy(&a);
		atomic_store_explicit(&known, size, memory_order_relaxed);
	}
	return size;
}

/* A thread's stack as glibc lays it out: its descriptor (what pthread_self() points to, about
 * 2.3 KiB) at the top, the static TLS blocks right below it, then the usable stack, the size
 * asked for; this glibc adds the TLS to that size, older ones take it out of it. So the lowest
 * usable address is at most this far above pthread_self() minus the size (measured here: 2 KiB
 * below it). */
#define STACK_TOP_SLACK (4 * 1024)

void tl_thread_started(struct tl_thread *t)
{
	pthread_t self = pthread_self();
	if (t->small_stack) { /* only those: pthread_getattr_np allocates */
		pthread_attr_t a;
		void *lo;
		size_t size;
		if (TL_REAL(pthread_getattr_np)(self, &a) == 0) {
			if (TL_REAL(pthread_attr_getstack)(&a, &lo, &size) == 0)
				t->stack_lo = (uintptr_t)lo;
			pthread_attr_destroy(&a);
		}
	} else {
		/* A larger stack: a bound of its lowest address from below, with no call (its
		 * size, asked or the default, from its top). A thread deep in a 1 MiB stack with
		 * 5 KiB left that created one crashed in the walk (the bound was known for small
		 * stacks only). */
		size_t size = t->stack_asked ? t->stack_asked : default_stack_size();
		uintptr_t top = (uintptr_t)self;
		if (size > STACK_TOP_SLACK && top > size)
			t->stack_lo = top - size + STACK_TOP_SLACK;
	}
	pid_t tid = tid_of(self); /* a gettid would cost every creation a system call */
	atomic_store(&t->tid, tid > 0 ? tid : tl_gettid());
	tl_self = t;
	tl_registry_lock();
	t->flags |= TL_F_STARTED;
	insert(t, self);
	tl_registry_unlock();
}

void tl_thread_created(struct tl_thread *t, pthread_t handle)
{
	/* the tid is known before the thread first runs, so a check never sees it as an unknown
	 * thread */
	tl_registry_lock();
	/* under the lock: a thread created detached cannot finish (and free the descriptor the
	 * handle points to) before its last destructor takes it */
	pid_t tid = atomic_load(&t->tid) == 0 ? tid_of(handle) : 0;
	if (tid > 0)
		atomic_store(&t->tid, tid);
	insert(t, handle);
	t->flags |= TL_F_CREATOR_DONE;
	maybe_free(t);
	tl_registry_unlock();
}

void tl_thread_create_failed(struct tl_thread *t)
{
	atomic_fetch_sub(&starting, 1);
	free_record(t);
}

/* glibc's pthread_detach marks the thread detached, then reads its descriptor again; a thread
 * finishing at that moment sees the mark and frees its own stack, which glibc unmaps at once
 * when its stack cache is over 40 MiB: the detach then reads unmapped memory and the program
 * dies of SIGSEGV (seen under load with many threads exiting at once; see docs/internals.md,
 * "Detaching a finishing thread"). So while a detach of a thread of ours is under way, the
 * thread waits in its last destructor, before glibc marks it exiting; and a thread already past
 * that point is let finish first: its handle stays valid (nobody detached or joined it), and
 * pthread_getcpuclockid says ESRCH once the kernel has cleared its tid. */
struct tl_thread *tl_thread_pin_detach(pthread_t handle)
{
	tl_registry_lock();
	struct tl_thread *t = find(handle);
	bool finished = false;
	if (t != NULL) {
		t->flags |= TL_F_PINNED | TL_F_DETACHING;
		finished = (t->flags & TL_F_FINISHED) != 0;
	}
	tl_registry_unlock();
	clockid_t cid;
	for (long waited = 0; finished && waited < DETACH_WAIT_MAX_US &&
	                      TL_REAL(pthread_getcpuclockid)(handle, &cid) == 0;
	     waited += DETACH_POLL_US)
		nap_us(DETACH_POLL_US);
	return t;
}

bool tl_thread_stack(uint64_t number, pthread_t handle, void **lo, size_t *size)
{
	bool ok = false;
	tl_registry_lock();
	struct tl_thread *t = find(handle);
	/* under the lock, a thread that has not finished cannot free its descriptor (its last
	 * destructor takes the lock first), and no join or detach can start (they pin first) */
	if (t != NULL && t->number == number && tl_thread_has_handle(t) &&
	    !(t->flags & (TL_F_FINISHED | TL_F_JOINED | TL_F_PINNED))) {
		pthread_attr_t a;
		if (TL_REAL(pthread_getattr_np)(handle, &a) == 0) {
			ok = TL_REAL(pthread_attr_getstack)(&a, lo, size) == 0;
			pthread_attr_destroy(&a);
		}
	}
	tl_registry_unlock();
	return ok;
}

struct tl_thread *tl_thread_pin(pthread_t handle)
{
	tl_registry_lock();
	struct tl_thread *t = find(handle);
	if (t != NULL)
		t->flags |= TL_F_PINNED;
	tl_registry_unlock();
	return t;
}

void tl_thread_named(pthread_t handle, const char *name)
{
	tl_registry_lock();
	struct tl_thread *self = tl_self;
	struct tl_thread *t =
	    self != NULL && pthread_equal(pthread_self(), handle) ? self : find(handle);
	if (t != NULL) {
		/* kept for the report of a thread that has finished: the kernel's copy is gone */
		strncpy(t->given_name, name, sizeof(t->given_name) - 1);
		atomic_store(&t->named, true);
	}
	tl_registry_unlock();
}

static void settle(struct tl_thread *t, unsigned flag)
{
	if (t == NULL)
		return;
	tl_registry_lock();
	t->flags &= ~(TL_F_PINNED | TL_F_DETACHING);
	t->flags |= flag;
	maybe_free(t);
	tl_registry_unlock();
}

void tl_thread_joined(struct tl_thread *t, bool ok)
{
	settle(t, ok ? TL_F_JOINED : 0);
}

void tl_thread_detached(struct tl_thread *t, bool ok)
{
	settle(t, ok ? TL_F_DETACHED : 0);
}

/* In the child of fork(): only the forking thread exists. Keep its record (it is the child's
 * main thread now) and drop every other one. */
/* The child of fork: only the forking thread exists. */
static void prune_in_child(void)
{
	struct tl_thread *self = tl_self, *t, *tmp;
	HASH_ITER (hh, registry, t, tmp) {
		if (t == self)
			continue;
		HASH_DEL(registry, t);
		free_record(t);
	}
	atomic_store(&starting, 0);
	if (self != NULL) {
		self->tid = tl_gettid(); /* the child's only thread: tid == pid */
		self->flags |= TL_F_MAIN | TL_F_CREATOR_DONE;
		self->flags &= ~TL_F_IGNORED;
	}
}

/* The child of a fork that interrupted this thread's own use of the lock, once nothing of the
 * interrupted section will touch the table again: another thread of the parent may have been
 * half way through an update of it. Left as it is (its memory is lost to the child), and a
 * new one holds this thread alone. */
static void fresh_table_in_child(void)
{
	struct tl_thread *self = tl_self;
	registry = NULL;
	atomic_store(&starting, 0);
	if (self == NULL)
		return;
	self->flags &= ~(TL_F_INSERTED | TL_F_IN_HASH | TL_F_IGNORED);
	self->flags |= TL_F_MAIN | TL_F_CREATOR_DONE;
	self->tid = tl_gettid(); /* the child's only thread: tid == pid */
	if (self == &main_record)
		main_in_table = false; /* put back on first use */
	else {
		insert(self, pthread_self());
		atomic_store(&starting, 0);
	}
}

void tl_registry_after_fork_child(bool consistent)
{
	pthread_mutex_init(&lock, NULL);
	tl_kernel_after_fork_child();
	/* the parent's tids, perhaps in a list it was growing */
	gone = gone_static;
	gone_cap = GONE_STATIC;
	ngone = 0;
	if (consistent) {
		set_phase(LOCK_NONE);
		prune_in_child();
		return;
	}
	/* forked by a signal handler that interrupted this thread's own use of the lock */
	switch (lock_phase) {
	case LOCK_HELD: /* its section goes on and unlocks, with the table whole: pruned then */
		pthread_mutex_lock(&lock);
		prune_on_unlock = true;
		break;
	case LOCK_TAKING: /* its wait for the lock ends in the child: a new table then */
		fresh_on_lock = true;
		break;
	default: /* releasing: nothing of it touches the table again */
		fresh_table_in_child();
		break;
	}
}

static bool tid_known(pid_t tid)
{
	TL_REGISTRY_FOREACH (t)
		if (atomic_load(&t->tid) == tid)
			return true;
	return false;
}

void tl_adopt_new_tasks(const char *label, const pid_t *before, int nbefore)
{
	tl_once(&first_thread_once, before_first_thread); /* libc's threads count too */
	/* Without a complete list from before the call we cannot tell which tasks it started:
	 * adopt none (they are reported as untracked rather than risk hiding a real leak). */
	if (nbefore < 0 || nbefore > TL_MAX_TASKS_BEFORE)
		return;
	pid_t tids[512];
	int n = tl_list_tasks(tids, (int)TL_ARRAY_SIZE(tids));
	if (n <= 0)
		return;
	if (n > (int)TL_ARRAY_SIZE(tids))
		n = TL_ARRAY_SIZE(tids);
	uintptr_t pcs[TL_MAX_FRAMES];
	bool cut = false;
	int npcs = tl_backtrace_here(pcs, tl_opt.max_frames, 0, &cut);
	struct tl_thread *self = tl_self;
	tl_registry_lock();
	/* adopted threads that are gone: forget them (aio workers come and go) */
	struct tl_thread *t, *tmp;
	HASH_ITER (hh, registry, t, tmp) {
		if (!(t->flags & TL_F_ADOPTED))
			continue;
		bool alive = false;
		for (int i = 0; i < n && !alive; i++)
			alive = tids[i] == t->tid;
		if (!alive) {
			HASH_DEL(registry, t);
			free_record(t);
		}
	}
	for (int i = 0; i < n; i++) {
		bool old = false;
		for (int j = 0; j < nbefore && !old; j++)
			old = before[j] == tids[i];
		if (old || tid_known(tids[i]) || atomic_load(&starting) > 0)
			continue;
		struct tl_thread *a = new_record();
		if (a == NULL)
			break;
		a->number = next_number++;
		a->tid = tids[i];
		a->creator = self ? self->number : 0;
		a->start_label = label;
		a->flags = TL_F_ADOPTED | TL_F_DETACHED | TL_F_CREATOR_DONE | TL_F_IN_HASH;
		a->ncreate = npcs;
		a->create_cut = cut;
		memcpy(a->create_pcs, pcs, sizeof(uintptr_t) * (size_t)npcs);
		/* no pthread_t is known: key it by its own address, which no real handle can be */
		a->handle = (pthread_t)(uintptr_t)a;
		HASH_ADD(hh, registry, handle, sizeof(a->handle), a);
		if (a->hh.tbl == NULL) { /* out of memory: left untracked */
			free(a);
			break;
		}
	}
	tl_registry_unlock();
}

void tl_thread_exiting(void)
{
	struct tl_thread *t = tl_self;
	if (t == NULL)
		return;
	tl_registry_lock();
	t->flags |= TL_F_EXITING;
	tl_registry_unlock();
}

/* ---- nested and stale block records (the slow paths of TL_BLOCK_OPEN and TL_BLOCK_LEAVE) ---- */

/* A signal frame is more than 1 KiB (ucontext, siginfo, the FPU state, the red zone): a call
 * made by a handler that interrupted a wrapped call has its frame at least that far below the
 * interrupted wrapper's. A call made after the wrapper's frame was abandoned (siglongjmp,
 * cancellation) is at about the same depth, or above (sizes: see docs/internals.md). */
#define TL_SIGFRAME_MIN 1024

static bool in_range(uintptr_t p, const stack_t *ss)
{
	return p >= (uintptr_t)ss->ss_sp && p - (uintptr_t)ss->ss_sp < ss->ss_size;
}

/* Is the wrapper frame `rec` still live below the frame `here` of a new call? */
static bool frame_live(uintptr_t rec, uintptr_t here, const stack_t *alt)
{
	if (alt != NULL && in_range(here, alt) != in_range(rec, alt))
		/* on the alternate signal stack in a handler that interrupted rec: live; rec on
		 * it and we are not: the handler is gone */
		return in_range(here, alt);
	return here + TL_SIGFRAME_MIN < rec;
}

static void copy_record(struct tl_block *to, const struct tl_block *from)
{
	to->call = from->call;
	to->kind = from->kind;
	to->obj = from->obj;
	to->obj2 = from->obj2;
	to->since = from->since;
	to->frame = from->frame;
	memcpy(to->regs, from->regs, sizeof(to->regs));
}

/* Odd: publish what was written before. Even: what is written after must not be seen (by a
 * reader, or a handler of this thread) before the record reads as changing. */
static void set_seq(struct tl_block *b, uint32_t seq)
{
	if (seq & 1) {
		atomic_store_explicit(&b->seq, seq, memory_order_release);
	} else {
		atomic_store_explicit(&b->seq, seq, memory_order_relaxed);
		atomic_thread_fence(memory_order_release);
	}
}

bool tl_block_nest(struct tl_thread *t)
{
	if (tl_check_running_here()) /* the check's own calls, perhaps on its own stack */
		return false;
	struct tl_block *b = &t->blk;
	uint32_t seq = atomic_load_explicit(&b->seq, memory_order_relaxed);
	uintptr_t here = (uintptr_t)__builtin_frame_address(0);
	stack_t ss;
	const stack_t *alt =
	    sigaltstack(NULL, &ss) == 0 && !(ss.ss_flags & SS_DISABLE) ? &ss : NULL;
	int nsaved = (int)b->depth - 1;
	bool live = frame_live(b->frame, here, alt);
	if (!(seq & 1)) {
		if (live)
			return false; /* we interrupted its ENTER or LEAVE: half written */
		/* a handler that interrupted ENTER or LEAVE never returned: drop the half */
	} else if (live) {
		if (nsaved >= TL_BLOCK_SAVED)
			return false;
		set_seq(b, seq + 1);
		copy_record(&t->saved[nsaved], b);
		b->depth = (uint32_t)nsaved + 1; /* TL_BLOCK_ENTER adds the new call */
		return true;
	} else {
		set_seq(b, seq + 1);
	}
	while (nsaved > 0 && !frame_live(t->saved[nsaved - 1].frame, here, alt))
		nsaved--;
	b->depth = (uint32_t)(nsaved > 0 ? nsaved : 0);
	return true;
}

void tl_block_leave(struct tl_thread *t, uintptr_t frame)
{
	struct tl_block *b = &t->blk;
	uint32_t seq = atomic_load_explicit(&b->seq, memory_order_relaxed);
	if (b->depth == 0 || !(seq & 1))
		return; /* our record was found stale and dropped */
	int nsaved = (int)b->depth - 1, keep = -1;
	if (b->frame == frame)
		keep = nsaved;
	else
		for (int i = nsaved - 1; i >= 0 && keep < 0; i--)
			if (t->saved[i].frame == frame)
				keep = i; /* calls nested in ours never returned: drop them too */
	if (keep < 0)
		return; /* not ours: ours was dropped, the one there belongs to someone else */
	set_seq(b, seq + 1);
	b->depth = (uint32_t)keep;
	if (keep > 0) {
		copy_record(b, &t->saved[keep - 1]);
		set_seq(b, seq + 2);
	}
}
