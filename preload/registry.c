/* The registry: one record per thread we saw created, keyed by pthread_t (uthash), under one
 * lock. Records of threads that are gone for good (joined, or detached and finished) are freed
 * at once, so memory stays bounded however many threads a program makes. The wrappers only
 * touch their own thread's record (tl_self); the lock is taken on create/exit/join/detach. */
#include "tl.h"

#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

__thread struct tl_thread *tl_self __attribute__((tls_model("initial-exec")));

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct tl_thread *registry;
static uint64_t next_number = 1;
static atomic_int starting;    /* created, not yet in the registry */
static pthread_key_t exit_key; /* its destructor marks a thread finished */

/* The main thread's record and the hash table's first allocations are static: a process that
 * never starts a thread allocates nothing, and does not even set up malloc. */
static struct tl_thread main_record;
static struct {
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

static void free_record(struct tl_thread *t)
{
	if (t != &main_record)
		free(t);
}

pid_t tl_gettid(void)
{
	return gettid();
}

int64_t tl_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void tl_registry_lock(void)
{
	pthread_mutex_lock(&lock);
}

void tl_registry_unlock(void)
{
	pthread_mutex_unlock(&lock);
}

struct tl_thread *tl_registry_first(void)
{
	return registry;
}

int tl_registry_starting(void)
{
	return atomic_load(&starting);
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
	t->flags |= TL_F_IN_HASH;
	atomic_fetch_sub(&starting, 1);
}

static struct tl_thread *find(pthread_t handle)
{
	struct tl_thread *t = NULL;
	HASH_FIND(hh, registry, &handle, sizeof(handle), t);
	return t;
}

static void on_thread_exit(void *p)
{
	struct tl_thread *t = p;
	tl_self = NULL; /* later destructors of this thread must not touch the record */
	tl_registry_lock();
	t->flags |= TL_F_FINISHED;
	maybe_free(t);
	tl_registry_unlock();
}

void tl_registry_init(void)
{
	pthread_key_create(&exit_key, on_thread_exit);
	struct tl_thread *t = &main_record;
	t->number = next_number++;
	t->tid = getpid();
	t->flags = TL_F_MAIN | TL_F_CREATOR_DONE;
	atomic_fetch_add(&starting, 1);
	insert(t, pthread_self());
	tl_self = t;
}

struct tl_thread *tl_thread_new(void *start, void *arg, bool c11)
{
	struct tl_thread *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->start = start;
	t->arg = arg;
	t->c11 = c11;
	struct tl_thread *self = tl_self;
	t->creator = self ? self->number : 0;
	/* skip: tl_backtrace_here, tl_thread_new, the pthread_create wrapper */
	t->ncreate = tl_backtrace_here(t->create_pcs, tl_opt.max_frames, 2);
	tl_registry_lock();
	t->number = next_number++;
	atomic_fetch_add(&starting, 1);
	tl_registry_unlock();
	return t;
}

void tl_thread_started(struct tl_thread *t)
{
	atomic_store(&t->tid, tl_gettid());
	tl_self = t;
	pthread_setspecific(exit_key, t);
	tl_registry_lock();
	insert(t, pthread_self());
	tl_registry_unlock();
}

void tl_thread_created(struct tl_thread *t, pthread_t handle)
{
	/* The thread's cpu-clock id encodes its tid (~tid << 3 | 6): the tid is known before the
	 * thread first runs, so a check never sees it as an unknown thread. */
	clockid_t cid;
	if (atomic_load(&t->tid) == 0 && pthread_getcpuclockid(handle, &cid) == 0)
		atomic_store(&t->tid, (pid_t) ~((int)cid >> 3));
	tl_registry_lock();
	insert(t, handle);
	t->flags |= TL_F_CREATOR_DONE;
	maybe_free(t);
	tl_registry_unlock();
}

void tl_thread_create_failed(struct tl_thread *t)
{
	atomic_fetch_sub(&starting, 1);
	free(t);
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

static void settle(struct tl_thread *t, unsigned flag)
{
	if (t == NULL)
		return;
	tl_registry_lock();
	t->flags &= ~TL_F_PINNED;
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
void tl_registry_after_fork_child(void)
{
	pthread_mutex_init(&lock, NULL);
	struct tl_thread *self = tl_self, *t, *tmp;
	HASH_ITER (hh, registry, t, tmp) {
		if (t == self)
			continue;
		HASH_DEL(registry, t);
		free_record(t);
	}
	atomic_store(&starting, 0);
	if (self != NULL) {
		self->tid = getpid();
		self->flags |= TL_F_MAIN | TL_F_CREATOR_DONE;
		self->flags &= ~TL_F_IGNORED;
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
	int npcs = tl_backtrace_here(pcs, tl_opt.max_frames, 0);
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
			free(t);
		}
	}
	for (int i = 0; i < n; i++) {
		bool old = false;
		for (int j = 0; j < nbefore && !old; j++)
			old = before[j] == tids[i];
		if (old || tid_known(tids[i]) || atomic_load(&starting) > 0)
			continue;
		struct tl_thread *a = calloc(1, sizeof(*a));
		if (a == NULL)
			break;
		a->number = next_number++;
		a->tid = tids[i];
		a->creator = self ? self->number : 0;
		a->start_label = label;
		a->flags = TL_F_ADOPTED | TL_F_DETACHED | TL_F_CREATOR_DONE | TL_F_IN_HASH;
		a->ncreate = npcs;
		memcpy(a->create_pcs, pcs, sizeof(uintptr_t) * (size_t)npcs);
		/* no pthread_t is known: key it by its own address, which no real handle can be */
		a->handle = (pthread_t)(uintptr_t)a;
		HASH_ADD(hh, registry, handle, sizeof(a->handle), a);
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
