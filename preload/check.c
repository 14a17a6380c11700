/* The check: which threads should not be there, in what state, and why. tl_check() is the list
 * of its phases, in the shape of LeakSanitizer's CheckForLeaks:
 *
 * 1. wait_out_grace: goleak-style retries with backoff until no thread is left or grace_ms has
 *    passed, then settle (a second pass: only what both saw). Only the registry and
 *    /proc/self/task are read here. When only threads that rules of names and creating
 *    modules suppress are left, it ends, and they are listed without the phases below
 *    (report_suppressed_early).
 * 2. classify_threads: blocked in our wrapper (exact call, object and duration), else the
 *    kernel's view (syscall and arguments), else running; finished-unjoined threads are
 *    `exited`; tasks we never saw created are `untracked`.
 * 3. judge_reachability: the verdicts' memory scan (reach.c), before anything of ours leaves
 *    copies of pointers behind; it needs the loader's locks, taken first.
 * 4. capture_stacks (capture.c), taken again for threads that moved meanwhile.
 * 5. describe_threads: symbols, refinement (a futex wait under __lll_lock_wait is
 *    pthread_mutex_lock), objects and owners, deadlock cycles, start routines.
 * 6. word_verdicts, 7. suppress_and_group, 8. emit (report.c writes the text and JSON), and the
 *    list of reported threads that the deferred exit check needs. */
#include "tl.h"
#include "deps.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

_Atomic int tl_checking = TL_NOT_CHECKING;
struct tl_deferred *tl_defer;

#define MS (1000000LL) /* in ns */
enum {
	GRACE_FIRST_NAP_NS = TL_GRACE_FIRST_NAP_MS * MS,
	GRACE_MAX_NAP_NS = TL_GRACE_MAX_NAP_MS * MS,
	SETTLE_NAP_NS = 2 * MS,         /* between the passes that must agree */
	NEWBORN_WAIT_MS = 500,          /* at most, for threads created but not yet run (a loaded
	                                 * machine kept new threads off the CPU for over 50 ms) */
	RUNNING_LOOK_AGAIN_NS = 1 * MS, /* before a second look at threads seen running */
	LOADER_WAIT_MS = 500,           /* for the dynamic loader's locks */
	RETAKE_TRIES = 8,               /* rounds of stacks taken again for threads that moved */
	RETAKE_FIRST_NAP_NS = 200000,   /* naps between the rounds: at most */
	RETAKE_MAX_NAP_NS = 1000000,    /* 0.2+0.4+0.8+1+1+1+1 = 5.4 ms in all */
	DEADLOCK_MAX_CYCLE = 16,        /* threads in one wait-for cycle */
};

struct gather {
	struct tl_seen *v;
	size_t n, cap;
	struct tl_known *known; /* every record's tid, reported or not */
	size_t nknown, known_cap;
	int ntasks;        /* in /proc/self/task, the checking thread included */
	long others_stamp; /* when nothing_can_change said so: tl_kernel_others_stamp before its
	                    * views; else -1 */
	bool no_proc;
	bool all; /* TL_CHECK_HANG: every thread, the main thread and the checker's own included */
};

/* The check's arrays hold the program's pointers (its objects, registers, rwlocks): memory
 * malloc hands out again must not keep them, or a later check's conservative scan finds the
 * stale copy in the program's new buffer (its stdout buffer, the first printf after a mid-run
 * check) and calls a proven leak reachable (tests/reach midrun). They grow and go zeroed, as
 * the threads' records do (registry.c free_record). */
static void *regrow(void *p, size_t old_size, size_t size)
{
	void *q = malloc(size);
	if (q != NULL && p != NULL) {
		memcpy(q, p, old_size < size ? old_size : size);
		memset(p, 0, old_size);
		free(p);
	}
	return q;
}

static void gather_free(struct gather *g)
{
	if (g->v != NULL)
		memset(g->v, 0, g->cap * sizeof(*g->v));
	if (g->known != NULL)
		memset(g->known, 0, g->known_cap * sizeof(*g->known));
	free(g->v);
	free(g->known);
}

static struct tl_seen *add(struct gather *g)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 64;
		struct tl_seen *v = regrow(g->v, g->cap * sizeof(*v), cap * sizeof(*v));
		if (v == NULL)
			return NULL;
		g->v = v;
		g->cap = cap;
	}
	struct tl_seen *s = &g->v[g->n++];
	memset(s, 0, sizeof(*s));
	s->sysno = TL_SYSNO_UNKNOWN;
	return s;
}

/* tids that threadleak_ignore_current() saw but that we never tracked (libc's own threads) */
static pid_t ignored_tids[256];
static int nignored_tids;

static bool tid_ignored(pid_t tid)
{
	for (int i = 0; i < nignored_tids; i++)
		if (ignored_tids[i] == tid)
			return true;
	return false;
}

static int cmp_uintptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
	return (x > y) - (x < y);
}

static int cmp_tid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return (x > y) - (x < y);
}

/* The order of a check's threads: by number, untracked tasks (no number) after every numbered
 * thread, by tid. Each pass is kept in this order, so that a thread is found by bsearch. */
#define UNTRACKED_ORDER (1ull << 40)

static uint64_t seen_key(const struct tl_seen *s)
{
	return s->number ? s->number : UNTRACKED_ORDER + (uint64_t)s->tid;
}

static int by_number(const void *x, const void *y)
{
	uint64_t ka = seen_key(x), kb = seen_key(y);
	return (ka > kb) - (ka < kb);
}

/* The registry lists its records in creation order, so a pass usually is in order already:
 * qsort of kilobyte elements copies them all (and glibc's takes a buffer as big as the array). */
static void sort_by_number(struct tl_seen *v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (by_number(&v[i - 1], &v[i]) > 0) {
			qsort(v, n, sizeof(*v), by_number);
			return;
		}
}

static int key_vs_seen(const void *key, const void *s)
{
	uint64_t a = *(const uint64_t *)key, b = seen_key(s);
	return (a > b) - (a < b);
}

/* The entry of v (sorted by_number) with this seen_key, or NULL. */
static struct tl_seen *find_key(struct tl_seen *v, size_t n, uint64_t key)
{
	return n ? bsearch(&key, v, n, sizeof(*v), key_vs_seen) : NULL;
}

/* The entry of v (sorted by_number) for this record number, or NULL. */
static struct tl_seen *find_number(struct tl_seen *v, size_t n, uint64_t number)
{
	return number ? find_key(v, n, number) : NULL;
}

static int known_by_tid(const void *x, const void *y)
{
	const struct tl_known *a = x, *b = y;
	return (a->tid > b->tid) - (a->tid < b->tid);
}

static bool tid_in(const pid_t *tids, int n, pid_t tid)
{
	return n > 0 && bsearch(&tid, tids, (size_t)n, sizeof(pid_t), cmp_tid) != NULL;
}

/* A task on its way out: the kernel sets PF_EXITING (stat's flags field) before it wakes a
 * pthread_join, and the task stays listed until it is reaped (see docs/internals.md). A joined
 * thread must not come back as "untracked" in that window. */
#define STAT_FLAGS_FIELD 9 /* of /proc/TID/stat, counting from 1 */
#define PF_EXITING 0x4     /* linux/sched.h */

static bool task_exiting(pid_t tid)
{
	char buf[1024];
	if (tl_read_task_file(tid, "stat", buf, sizeof(buf)) <= 0)
		return true; /* gone already */
	const char *p = strrchr(buf, ')');
	if (p == NULL || p[1] != ' ')
		return false;
	p += 2;
	if (*p == 'Z' || *p == 'X' || *p == 'x')
		return true;
	for (int field = 3; field < STAT_FLAGS_FIELD && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	return p && (strtoul(p, NULL, 10) & PF_EXITING);
}

/* A new thread starts with every signal blocked (pthread_create blocks them around clone and
 * the thread restores its mask first thing); while a creation is in progress, a task we do
 * not know yet with that mask is that thread (see docs/internals.md). */
#define ALL_BLOCKABLE_SIGNALS 62 /* 64 but SIGKILL and SIGSTOP */

static bool task_newborn(pid_t tid)
{
	char buf[2048];
	if (tl_read_task_file(tid, "status", buf, sizeof(buf)) <= 0)
		return false;
	const char *b = strstr(buf, "\nSigBlk:");
	return b && __builtin_popcountll(strtoull(b + 8, NULL, 16)) >= ALL_BLOCKABLE_SIGNALS;
}

/* The task list is read after the registry copy: a thread created in between is ours though
 * that copy does not know it, and so is a forgotten one still in glibc's exit path (the
 * registry's gone tids). Look at the registry again for the tasks the copy did not know; a thread
 * still being created may not be in the registry yet, so while creations are under way look a few
 * times. Keeps in tids (sorted) the tasks that are not ours and returns their count; *creating says
 * whether a creation was still under way at the last look. */
#define OURS_SINCE_TRIES 20

static int drop_ours_since(pid_t *tids, int n, bool *creating)
{
	bool *ours = n > 0 ? calloc((size_t)n, sizeof(bool)) : NULL;
	for (int try = 0; n > 0 && ours && try < OURS_SINCE_TRIES; try++) {
		if (try > 0)
			tl_nap_ns(SETTLE_NAP_NS / 4);
		tl_registry_lock();
		size_t ngone;
		pid_t *gone = tl_registry_gone_copy(&ngone);
		TL_REGISTRY_FOREACH (t) {
			pid_t tid = atomic_load(&t->tid);
			pid_t *hit =
			    tid > 0 ? bsearch(&tid, tids, (size_t)n, sizeof(pid_t), cmp_tid) : NULL;
			if (hit != NULL)
				ours[hit - tids] = true;
		}
		*creating = tl_registry_starting() > 0;
		tl_registry_unlock();
		int k = 0;
		for (int i = 0; i < n; i++)
			if (!ours[i] && !tid_in(gone, (int)ngone, tids[i]))
				tids[k++] = tids[i];
		n = k;
		memset(ours, 0, sizeof(bool) * (size_t)n);
		free(gone);
		if (!*creating)
			break;
	}
	free(ours);
	return n;
}

/* Copy what thread t is blocked in, as it was at sequence number `seq` (odd: inside a wrapped
 * call). The thread writes these fields without a lock; the copy holds only if the sequence
 * number did not move meanwhile. */
/* The state of a thread inside a wrapped call: blocked, but running while it creates a thread */
static enum tl_state wrapped_state(const struct tl_seen *s)
{
	return s->kind == TL_OBJ_CREATING ? TL_ST_RUNNING : TL_ST_BLOCKED;
}

static bool copy_block(struct tl_seen *s, struct tl_thread *t, uint32_t seq)
{
	s->call = t->blk.call;
	s->kind = t->blk.kind;
	s->obj = t->blk.obj;
	s->obj2 = t->blk.obj2;
	s->since_ns = tl_stamp_ns(t->blk.since);
	s->seen_ns = tl_mono_ns(); /* a short call seen once is over by the report */
	memcpy(s->regs, t->blk.regs, sizeof(s->regs));
	atomic_thread_fence(memory_order_acquire);
	if (atomic_load_explicit(&t->blk.seq, memory_order_relaxed) != seq)
		return false;
	s->seq = seq;
	return true;
}

/* Is record t a thread this pass looks at (its flags as of now in *flags)? Called with the
 * registry locked. */
static bool wanted(const struct gather *g, struct tl_thread *t, pid_t self_tid, unsigned *flags)
{
	pid_t tid = atomic_load(&t->tid);
	unsigned f = t->flags;
	if (atomic_load(&t->finishing)) /* waiting for this lock to say so (registry.c) */
		f |= TL_F_FINISHED;
	*flags = f;
	if (g->all && !(f & TL_F_FINISHED) &&
	    !(t == tl_self && !(t->blk.seq & 1) && tl_dump_handed_context(tid) == NULL))
		return true; /* a hang: every live thread; the checker only inside a call, or
		              * described by the call a request interrupted (dump.c) */
	if ((f & (TL_F_MAIN | TL_F_IGNORED | TL_F_EXITING)) || tid == self_tid || t == tl_self ||
	    tl_exit_excused(t))
		return false;
	if ((f & TL_F_FINISHED) && (f & (TL_F_DETACHED | TL_F_JOINED | TL_F_PINNED)))
		return false; /* pinned: a join or detach of the finished thread is under way */
	/* Being created: its creator's pthread_create has not returned, so the program could not
	 * have joined or detached it yet. */
	return (f & (TL_F_ADOPTED | TL_F_CREATOR_DONE)) != 0;
}

/* One pass: registry copy plus /proc/self/task. Returns false on allocation failure. */
static bool gather(struct gather *g, pid_t self_tid)
{
	g->n = 0;
	g->nknown = 0;
	g->ntasks = 0;
	g->others_stamp = -1;
	tl_registry_lock();
	size_t count = 0;
	TL_REGISTRY_FOREACH (t)
		count++;
	struct tl_known *known = g->known;
	if (g->known_cap < count + 1) {
		known =
		    regrow(g->known, g->known_cap * sizeof(*known), (count + 1) * sizeof(*known));
		if (known != NULL)
			g->known_cap = count + 1;
	}
	if (known == NULL) {
		tl_registry_unlock();
		return false;
	}
	g->known = known;
	/* room for every record at once: doubling 10,000 threads' records copies and faults in
	 * twice their size */
	if (g->cap < count) {
		struct tl_seen *v = regrow(g->v, g->cap * sizeof(*v), count * sizeof(*v));
		if (v != NULL)
			g->v = v, g->cap = count;
	}
	TL_REGISTRY_FOREACH (t) {
		pid_t tid = atomic_load(&t->tid);
		struct tl_known *kn = &g->known[g->nknown++];
		*kn = (struct tl_known){tid, t->number, t->handle, {0}};
		for (int i = 0; i < TL_READ_HELD; i++)
			kn->read_held[i] =
			    atomic_load_explicit(&t->read_held[i], memory_order_relaxed);
		unsigned f;
		if (!wanted(g, t, self_tid, &f))
			continue;
		struct tl_seen *s = add(g);
		if (s == NULL)
			break;
		s->number = t->number;
		s->tid = tid;
		s->handle = t->handle;
		s->creator = t->creator;
		s->creator_tid = t->creator_tid;
		s->named = atomic_load(&t->named);
		/* the name it gave itself, for a finished thread: a live one's is the kernel's */
		if (s->named)
			memcpy(s->name, t->given_name, sizeof(t->given_name));
		s->flags = f;
		s->start = t->start;
		s->arg = t->arg;
		s->stack_bound = t->small_stack ? 0 : t->stack_lo;
		s->start_name = t->start_label;
		s->c11 = t->c11;
		s->ncreate = t->ncreate;
		s->create_cut = t->create_cut;
		s->start_fp = t->start_fp;
		s->create_pcs = s->ncreate ? tl_intern_mem(t->create_pcs,
		                                           sizeof(uintptr_t) * (size_t)t->ncreate)
		                           : NULL;
		if (s->create_pcs == NULL)
			s->ncreate = 0;
		s->state = (f & TL_F_FINISHED) ? TL_ST_EXITED : TL_ST_RUNNING;
		uint32_t seq = atomic_load_explicit(&t->blk.seq, memory_order_acquire);
		if ((seq & 1) && s->state != TL_ST_EXITED) {
			if (copy_block(s, t, seq)) {
				s->in_wrapper = true;
				s->state = wrapped_state(s);
			} else {
				s->call = NULL;
			}
		}
	}
	bool creating = tl_registry_starting() > 0;
	tl_registry_unlock();

	/* Tasks we never saw created. Threads of our own records that vanished without passing
	 * our exit hook (a raw SYS_exit; glibc skips the thread-specific data destructors left in
	 * a round when one calls pthread_exit, ours among them) count as exited, and a detached
	 * one, gone as its detach asked, is no leak. */
	pid_t *tids;
	int ntasks = tl_list_tasks_sorted(&tids);
	if (ntasks < 0) {
		g->no_proc = ntasks == -1;
		sort_by_number(g->v, g->n); /* searched by number later */
		qsort(g->known, g->nknown, sizeof(*g->known), known_by_tid);
		return g->no_proc; /* no /proc: what the registry knows is all we have */
	}
	g->ntasks = ntasks;
	for (size_t i = 0; i < g->n; i++) {
		struct tl_seen *s = &g->v[i];
		if (s->state == TL_ST_EXITED || s->tid == 0 || tid_in(tids, ntasks, s->tid))
			continue;
		/* libc's helper went away, a detached thread ended: nothing to report */
		if (s->flags & (TL_F_ADOPTED | TL_F_DETACHED))
			*s-- = g->v[--g->n], i--;
		else
			s->state = TL_ST_EXITED;
	}
	/* known by tid (objects.c looks owners up there), tids in it found by merging */
	qsort(g->known, g->nknown, sizeof(*g->known), known_by_tid);
	{
		int nunknown = 0;
		size_t k = 0;
		for (int i = 0; i < ntasks; i++) {
			pid_t tid = tids[i];
			while (k < g->nknown && g->known[k].tid < tid)
				k++;
			if (tid == self_tid || tid_ignored(tid) ||
			    (k < g->nknown && g->known[k].tid == tid))
				continue;
			tids[nunknown++] = tid; /* tids is sorted and i >= nunknown: in place */
		}
		nunknown = drop_ours_since(tids, nunknown, &creating);
		for (int i = 0; i < nunknown; i++) {
			pid_t tid = tids[i];
			if (task_exiting(tid) || (creating && task_newborn(tid)))
				continue;
			struct tl_seen *s = add(g);
			if (s == NULL)
				break;
			s->tid = tid;
			s->state = TL_ST_UNTRACKED;
		}
	}
	sort_by_number(g->v, g->n);
	return true;
}

/* A thread of ours that was between two wrapped calls when gathered (a poller's loop) and that
 * the kernel now shows in a system call is usually inside its next wrapped call: take that
 * call's snapshot, which names the call the program made (usleep, not clock_nanosleep). */
static void rejoin_wrappers(struct gather *g)
{
	tl_registry_lock();
	TL_REGISTRY_FOREACH (t) {
		struct tl_seen *s = find_number(g->v, g->n, t->number);
		if (s == NULL || s->in_wrapper || s->sysno < 0 || s->state == TL_ST_EXITED)
			continue;
		uint32_t seq = atomic_load_explicit(&t->blk.seq, memory_order_acquire);
		if ((seq & 1) && seq != s->seq && copy_block(s, t, seq)) {
			s->in_wrapper = true;
			s->state = wrapped_state(s);
		}
	}
	tl_registry_unlock();
}

/* A pass as the next one compares with it: its threads' keys (seen_key), in its order. */
struct keys {
	uint64_t *k;
	size_t n;
};

static bool pass_keys(const struct gather *g, struct keys *out)
{
	out->n = g->n;
	out->k = malloc(sizeof(uint64_t) * (g->n ? g->n : 1));
	for (size_t i = 0; out->k && i < g->n; i++)
		out->k[i] = seen_key(&g->v[i]);
	return out->k != NULL;
}

static int cmp_key(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* Is s (same record, or the same untracked task) in the pass whose keys are k? */
static bool in_pass(const struct keys *k, const struct tl_seen *s)
{
	uint64_t key = seen_key(s);
	return k->n > 0 && bsearch(&key, k->k, k->n, sizeof(uint64_t), cmp_key) != NULL;
}

/* Keep only the threads of g that `other` also saw. Threads being created or joined while a
 * pass runs (some of them waiting for the registry lock that pass holds) are in one pass and
 * not in the next: they appeared or vanished, which is no leak. */
static void keep_seen_in(struct gather *g, const struct keys *other)
{
	size_t k = 0;
	for (size_t i = 0; i < g->n; i++)
		if (in_pass(other, &g->v[i]))
			g->v[k++] = g->v[i];
	g->n = k;
}

static bool unstarted(const struct tl_seen *s)
{
	return s->number && !(s->flags & (TL_F_STARTED | TL_F_FINISHED | TL_F_ADOPTED | TL_F_MAIN));
}

static bool any_unstarted(const struct gather *g, const struct keys *first)
{
	for (size_t i = 0; i < g->n; i++)
		if (unstarted(&g->v[i]) && in_pass(first, &g->v[i]))
			return true;
	return false;
}

/* A thread that has still not run, while another thread waits in pthread_join for it: it
 * will be joined as soon as a CPU runs it (a loaded machine can starve it that long). The
 * handles being joined are sorted once and searched (a loop over all threads for each
 * unstarted one was quadratic when a program starts thousands at once). */
static void drop_awaited_newborns(struct gather *g)
{
	uintptr_t *joined = malloc(sizeof(*joined) * (g->n ? g->n : 1));
	size_t nj = 0;
	for (size_t i = 0; joined && i < g->n; i++)
		if (g->v[i].in_wrapper && g->v[i].kind == TL_OBJ_THREAD)
			joined[nj++] = g->v[i].obj;
	if (joined)
		qsort(joined, nj, sizeof(*joined), cmp_uintptr);
	size_t k = 0;
	for (size_t i = 0; i < g->n; i++) {
		uintptr_t h = (uintptr_t)g->v[i].handle;
		bool awaited = false;
		if (unstarted(&g->v[i]) && joined)
			awaited = nj && bsearch(&h, joined, nj, sizeof(*joined), cmp_uintptr);
		else if (unstarted(&g->v[i])) /* out of memory: the slow way */
			for (size_t j = 0; j < g->n; j++)
				awaited |= g->v[j].in_wrapper && g->v[j].kind == TL_OBJ_THREAD &&
				           g->v[j].obj == h;
		if (!awaited)
			g->v[k++] = g->v[i];
	}
	g->n = k;
	free(joined);
}

/* A second pass a moment after the first one, with none of our locks held in between; only
 * what both saw is a candidate. */
static bool settle(struct gather *g, pid_t self_tid)
{
	struct keys first; /* only its keys: a pass is two kilobytes a thread */
	if (!pass_keys(g, &first))
		return false;
	struct gather second = {.all = g->all, .v = g->v, .cap = g->cap, .known = g->known};
	*g = (struct gather){.all = g->all};
	tl_nap_ns(SETTLE_NAP_NS);
	bool ok = gather(&second, self_tid);
	/* A thread that has not run yet cannot be told from one its creator is about to join:
	 * give it a moment (a busy machine may keep a new thread waiting for a CPU). */
	for (int64_t waited = SETTLE_NAP_NS;
	     ok && waited < NEWBORN_WAIT_MS * MS && any_unstarted(&second, &first);
	     waited += SETTLE_NAP_NS) {
		tl_nap_ns(SETTLE_NAP_NS);
		ok = gather(&second, self_tid);
	}
	if (ok) {
		keep_seen_in(&second, &first);
		drop_awaited_newborns(&second);
	}
	*g = second; /* on failure, its threads are a pass's all the same */
	free(first.k);
	return ok;
}

static void classify(struct tl_seen *s, bool no_proc)
{
	if (s->state == TL_ST_EXITED || no_proc)
		return;
	if ((!s->in_wrapper || s->tid) && !s->viewed) {
		bool alive = s->looked ? s->look_alive : tl_kernel_view(s);
		s->looked = false;
		if (!alive && s->state != TL_ST_UNTRACKED && !s->in_wrapper &&
		    s->sysno == TL_SYSNO_UNKNOWN) {
			s->state = TL_ST_EXITED;
			return;
		}
	}
	if (s->in_wrapper)
		return;
	if (s->sysno >= 0) {
		tl_kernel_call(s);
		if (s->state == TL_ST_RUNNING)
			s->state = TL_ST_BLOCKED;
	}
}

/* A thread that waits for a holder of this process, and that holder: by number, or by tid for
 * a thread threadleak did not track (a SIGEV_THREAD timer's), found among the few untracked
 * ones. NULL when it waits for none. */
static struct tl_seen *holder_of(struct tl_report *r, const struct tl_seen *s,
                                 const size_t *untracked, size_t nuntracked)
{
	if (s->state != TL_ST_BLOCKED && s->state != TL_ST_UNTRACKED)
		return NULL;
	if (s->held_by != 0)
		return find_number(r->v, r->n, s->held_by);
	if (s->held_by_tid <= 0 || s->held_by_pid != 0)
		return NULL;
	for (size_t k = 0; k < nuntracked; k++)
		if (r->v[untracked[k]].tid == s->held_by_tid)
			return &r->v[untracked[k]];
	return NULL;
}

/* Which thread of a cycle starts its line: the smallest number, untracked ones after all */
static uint64_t cycle_key(const struct tl_seen *s)
{
	return s->number ? s->number : ((uint64_t)1 << 62) + (uint64_t)s->tid;
}

static size_t put_thread_name(char *p, size_t room, const struct tl_seen *s)
{
	return s->number ? (size_t)snprintf(p, room, "thread %llu", (unsigned long long)s->number)
	                 : (size_t)snprintf(p, room, "tid %d (untracked)", (int)s->tid);
}

/* "deadlock: thread 2 waits for mutex lock_b held by thread 3, which waits for mutex lock_a
 * held by thread 2"; a thread threadleak did not track takes part by its tid */
static void find_deadlock(struct tl_report *r)
{
	size_t nuntracked = 0;
	for (size_t i = 0; i < r->n; i++)
		nuntracked += r->v[i].state == TL_ST_UNTRACKED;
	size_t *untracked = nuntracked ? malloc(nuntracked * sizeof(*untracked)) : NULL;
	nuntracked = 0;
	for (size_t i = 0; untracked && i < r->n; i++)
		if (r->v[i].state == TL_ST_UNTRACKED)
			untracked[nuntracked++] = i;
	for (size_t i = 0; i < r->n; i++) {
		size_t cur = i;
		size_t path[DEADLOCK_MAX_CYCLE];
		int len = 0;
		while (len < DEADLOCK_MAX_CYCLE) {
			struct tl_seen *h = holder_of(r, &r->v[cur], untracked, nuntracked);
			if (h == NULL)
				break;
			path[len++] = cur;
			size_t next = (size_t)(h - r->v);
			if (next == i) {
				/* report each cycle once: from its smallest thread */
				bool smallest = true;
				for (int k = 0; k < len; k++)
					if (cycle_key(&r->v[path[k]]) < cycle_key(&r->v[i]))
						smallest = false;
				if (!smallest)
					break;
				/* every cycle, one line each */
				size_t used = strlen(r->deadlock);
				if (used + 16 >= sizeof(r->deadlock))
					break;
				used +=
				    (size_t)snprintf(r->deadlock + used, sizeof(r->deadlock) - used,
				                     "%sdeadlock: ", used ? "\n" : "");
				for (int k = 0; k < len && used < sizeof(r->deadlock); k++) {
					struct tl_seen *p = &r->v[path[k]];
					size_t next_k = k + 1 < len ? path[k + 1] : i;
					if (k == 0)
						used +=
						    put_thread_name(r->deadlock + used,
						                    sizeof(r->deadlock) - used, p);
					else if (used < sizeof(r->deadlock))
						used += (size_t)snprintf(r->deadlock + used,
						                         sizeof(r->deadlock) - used,
						                         ", which");
					if (used < sizeof(r->deadlock))
						used += (size_t)snprintf(
						    r->deadlock + used, sizeof(r->deadlock) - used,
						    " waits for %s held by ",
						    p->object ? p->object : "an object");
					if (used < sizeof(r->deadlock))
						used += put_thread_name(r->deadlock + used,
						                        sizeof(r->deadlock) - used,
						                        &r->v[next_k]);
				}
				break;
			}
			cur = next;
		}
	}
	free(untracked);
}

static bool same_stacks(const struct tl_seen *a, const struct tl_seen *b)
{
	return a->state == b->state && a->call == b->call && a->start == b->start &&
	       a->stack.n == b->stack.n && a->stack.cut == b->stack.cut &&
	       a->ncreate == b->ncreate && a->create_cut == b->create_cut &&
	       a->creator == b->creator &&
	       memcmp(a->stack.pcs, b->stack.pcs, sizeof(uintptr_t) * (size_t)a->stack.n) == 0 &&
	       memcmp(a->create_pcs, b->create_pcs, sizeof(uintptr_t) * (size_t)a->ncreate) == 0;
}

/* A thread keeps one of the loader's locks: we take no stacks (unwinding needs the loader) and
 * say why, naming the holder. */
static void loader_note(const struct gather *g, char *note, size_t len)
{
	pid_t tid = tl_loader_holder();
	uint64_t number = 0;
	for (size_t i = 0; i < g->nknown && tid > 0; i++)
		if (g->known[i].tid == tid)
			number = g->known[i].number;
	if (number)
		snprintf(note, len,
		         "thread %llu holds the dynamic loader's lock: stacks are not available",
		         (unsigned long long)number);
	else if (tid > 0)
		snprintf(note, len,
		         "task %d holds the dynamic loader's lock: stacks are not available",
		         (int)tid);
	else
		snprintf(note, len,
		         "another thread holds the dynamic loader's lock: stacks are "
		         "not available");
	for (size_t i = 0; i < g->n; i++) {
		struct tl_seen *s = &g->v[i];
		s->stack.n = 0;
		s->stack.cut = TL_CUT_NONE;
		if (s->sys_pc && !tl_pc_is_own(s->sys_pc) &&
		    (s->stack.pcs = tl_intern_mem(&s->sys_pc, sizeof(s->sys_pc))) != NULL)
			s->stack.n = 1;
	}
}

/* One check's state, handed from phase to phase. */
struct check {
	int64_t t0;
	pid_t self_tid;
	bool settled_early; /* nothing_can_change said so: to be confirmed (views_hold) */
	bool no_early;      /* it said so wrongly: the whole grace period this time */
	struct gather g;
	bool loader;     /* we hold the dynamic loader's locks */
	bool views_held; /* the verdicts' scan confirmed the grace period's looks */
	bool moved;      /* a thread left its wrapped call for good while we took the stacks */
	bool all_early;  /* every thread left is suppressed without stacks (all_suppressed_early) */
	bool hook_looked; /* the symbol table was read for a hook before the grace period waited */
	uint64_t early_blocker; /* the thread that was not, by number: asked first next time */
	char loader_note[160];
	struct tl_report r;
	/* where the exit check taken before the teardown keeps its report (exit.c), NULL for
	 * any other check: tl_defer as it was when this check took check_lock. The thread
	 * calling exit() sets tl_defer before it waits for that lock, while another thread's
	 * check may still run: that check kept its report and its threads in the exit check's
	 * record, whose next check then wrote past its end (heap corruption). */
	struct tl_deferred *defer;
};

/* A wait on this kind of object ends only when a thread of this process ends it: a condition
 * variable, mutex, semaphore, futex, barrier, rwlock or join (no fd, sleep, signal or child). */
static bool process_object(int kind)
{
	return kind == TL_OBJ_COND || kind == TL_OBJ_MUTEX || kind == TL_OBJ_SEM ||
	       kind == TL_OBJ_FUTEX || kind == TL_OBJ_BARRIER || kind == TL_OBJ_RWLOCK ||
	       kind == TL_OBJ_THREAD;
}

/* No timer of the process can fire a signal later: no interval timer (alarm, setitimer) and no
 * armed POSIX timer (/proc/self/timers lists them, the exit check's stopped ones too;
 * unreadable: unsure). */
static bool no_timers(void)
{
	static const int which[] = {ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF};
	for (size_t i = 0; i < TL_ARRAY_SIZE(which); i++) {
		struct itimerval it;
		if (getitimer(which[i], &it) != 0 || it.it_value.tv_sec || it.it_value.tv_usec)
			return false;
	}
	int ids[16], n = tl_posix_timers(ids, 16);
	for (int i = 0; i < n; i++) {
		struct itimerspec it;
		if (i == 16 || tl_raw_syscall(SYS_timer_gettime, ids[i], (long)&it, 0) != 0 ||
		    it.it_value.tv_sec || it.it_value.tv_nsec)
			return false;
	}
	return n >= 0;
}

/* Can the answer still change? Not when every other task of the process is a candidate asleep,
 * without a timeout, on a word only this process can wake (a condition variable, mutex,
 * semaphore or futex in private memory, or a join), so that none is left to wake another, and
 * no timer can fire a handler. A task we cannot judge (untracked, ignored, exiting, the main
 * thread when another one exits, a finished thread still listed), any running thread, any
 * timed wait, fd, signal wait or sleep: it may change, the grace period is waited out. The
 * kernel's view is read only when everything else agrees, and stops at the first thread that
 * may move (*from: where the last look stopped, looked at first next time). The kernel facts:
 * docs/internals.md, "The exit check's cost". */
static bool nothing_can_change(struct gather *g, size_t *from)
{
	if (g->no_proc)
		return false;
	int live = 0; /* a finished thread (exited, not joined) cannot change */
	for (size_t i = 0; i < g->n; i++) {
		const struct tl_seen *s = &g->v[i];
		if (s->state == TL_ST_EXITED)
			continue;
		live++;
		if (s->state != TL_ST_BLOCKED && s->state != TL_ST_RUNNING)
			return false; /* untracked */
		if (s->state == TL_ST_BLOCKED && !process_object(s->kind))
			return false; /* an fd, a sleep, signals, a child: the world may answer */
	}
	/* every task but ours is a live candidate: none the check cannot judge, no finished
	 * thread still on its way out */
	if (g->ntasks != live + 1)
		return false;
	/* The looks at the threads are not one instant: a thread seen asleep may be woken a moment
	 * later by one that was still running then and is asleep when looked at. Each look takes a
	 * stamp; one that ran since was switched out, or is running, or was woken by one that was.
	 * The answer is only a first one: the stamps are compared later (views_hold), by the
	 * verdicts' scan, which starts from them, or after it, and when they moved the check starts
	 * over with the whole grace period (tl_check). The looks are the kernel views the check
	 * needs anyway (viewed). */
	long others = tl_kernel_others_stamp();
	size_t awake = tl_kernel_view_all(g->v, g->n, *from, true);
	bool still = awake == g->n;
	if (!still)
		*from = awake;
	still = still && no_timers();
	for (size_t i = 0; still && i < g->n; i++)
		g->v[i].viewed = g->v[i].state != TL_ST_EXITED;
	if (still)
		g->others_stamp = others;
	return still;
}

/* Was no thread viewed by nothing_can_change switched out since, nor is any running now? When
 * no other thread of the process was switched out since right before the views, all of them
 * hold: each was asleep when viewed, and none could have woken another (docs/internals.md,
 * "The exit check's cost"). Otherwise each one's stamp; a thread whose view was confirmed
 * right before its parking signal is not looked at again (the signal switched it out since). */
static bool views_hold(const struct gather *g)
{
	if (g->others_stamp >= 0 && tl_kernel_others_stamp() == g->others_stamp)
		return true;
	for (size_t i = 0; i < g->n; i++) {
		char st;
		if (g->v[i].viewed && !g->v[i].view_held &&
		    (tl_kernel_stamp(g->v[i].tid, &st) != g->v[i].stamp || st == 'R'))
			return false;
	}
	return true;
}

static bool all_judged(const struct gather *g)
{
	for (size_t i = 0; i < g->n; i++)
		if (!tl_exit_judged(&g->v[i]))
			return false;
	return true;
}

/* Is every thread left suppressed by a rule of names and creating modules (tl_suppress_early)?
 * Then waiting for them cannot change the answer, and their stacks are not needed: a JVM's,
 * GLib's or a Rust runtime's own threads cost a clean process the whole grace period and the
 * symbols of their libraries (docs/internals.md, "The exit check's cost"). The thread found
 * not to be is asked first next round: one look per round while it stays. */
static bool all_suppressed_early(struct check *c)
{
	struct gather *g = &c->g;
	for (size_t i = 0; c->early_blocker != 0 && i < g->n; i++)
		if (g->v[i].number == c->early_blocker) {
			if (tl_suppress_early(&g->v[i]) == NULL)
				return false;
			break;
		}
	for (size_t i = 0; i < g->n; i++)
		if ((g->v[i].suppressed_by = tl_suppress_early(&g->v[i])) == NULL) {
			c->early_blocker = g->v[i].number;
			return false;
		}
	return true;
}

/* The program's options hook, found in the symbol table when it is not exported (hooks.c):
 * true when it changed the options; the rules loaded with the old ones go. */
static bool hook_from_symbols(struct tl_symbolizer *sym)
{
	if (!tl_options_apply_hook(sym))
		return false;
	tl_suppress_forget();
	return true;
}

/* A program's options hook that is not exported is found in the symbol table (hooks.c), which
 * the check reads for the report anyway: before the grace period waits, not after, so that the
 * hook's grace_ms is the one waited (it was the default 250 ms, whatever the hook said) and its
 * other options hold for the whole check. Only an exit check that is about to wait pays for it,
 * once. A mid-run check keeps the symbols for after its looks: the module files they open may
 * be the last descriptors a program near RLIMIT_NOFILE has (tests/api helper "fds"), and the
 * looks need one; its hook holds from the next check on. */
static void hook_before_waiting(struct check *c, int64_t *deadline)
{
	if (c->hook_looked || !tl_options_hook_pending() || c->r.kind != TL_CHECK_EXIT)
		return;
	c->hook_looked = true;
	if (!tl_loader_enter(LOADER_WAIT_MS))
		return;
	bool changed = hook_from_symbols(tl_sym_get());
	tl_loader_leave();
	if (changed)
		*deadline = c->t0 + (int64_t)tl_opt.grace_ms * MS;
}

/* 1. Threads that are winding down get grace_ms to go: the registry and /proc/self/task are
 * read again and again, with backoff, until nothing is left, nothing can change any more, only
 * threads suppressed by name or creating module are left, or the time is up; then a second pass
 * that must agree (not needed when nothing can change). False when out of memory. */
static bool wait_out_grace(struct check *c)
{
	int64_t nap_ns = GRACE_FIRST_NAP_NS;
	int64_t deadline = c->t0 + (int64_t)tl_opt.grace_ms * MS;
	bool ok, settled = false;
	size_t from = 0;
	for (;;) {
		ok = gather(&c->g, c->self_tid);
		if (!ok || c->g.n == 0)
			break;
		if (all_suppressed_early(c)) {
			settled = c->all_early = true;
			break;
		}
		if (tl_mono_ns() >= deadline)
			break;
		if (!c->no_early && nothing_can_change(&c->g, &from)) {
			settled = c->settled_early = true;
			break;
		}
		if (c->r.kind == TL_CHECK_EXIT && all_judged(&c->g)) {
			settled = true; /* the check taken before the teardown waited for these */
			break;
		}
		hook_before_waiting(c, &deadline);
		int64_t left = deadline - tl_mono_ns();
		tl_nap_ns(nap_ns < left ? nap_ns : left);
		nap_ns = nap_ns * 2 > GRACE_MAX_NAP_NS ? GRACE_MAX_NAP_NS : nap_ns * 2;
	}
	if (ok && c->g.n > 0 && !settled)
		ok = settle(&c->g, c->self_tid);
	return ok;
}

/* /proc is there, but no descriptor is left to open it with (a program that lowered its
 * RLIMIT_NOFILE, or filled its table): say that, not that /proc is missing. */
static bool proc_out_of_fds(void)
{
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		return false;
	}
	return errno == EMFILE || errno == ENFILE;
}

static unsigned long long nofile_limit(void)
{
	struct rlimit rl;
	return getrlimit(RLIMIT_NOFILE, &rl) == 0 ? (unsigned long long)rl.rlim_cur : 0;
}

/* 2. What each thread is doing: its wrapper's record, checked against the kernel's view. */
static void classify_threads(struct check *c)
{
	struct gather *g = &c->g;
	if (g->no_proc && proc_out_of_fds())
		tl_warn("/proc cannot be opened: the process has no descriptor left "
		        "(RLIMIT_NOFILE %llu): reporting what threadleak saw itself (no untracked "
		        "threads, no kernel view, stacks only of threads blocked in wrapped calls)",
		        (unsigned long long)nofile_limit());
	else if (g->no_proc)
		tl_warn("/proc is not available: reporting what threadleak saw itself (no "
		        "untracked threads, no kernel view, stacks only of threads blocked in "
		        "wrapped calls)");
	bool seen_running = false;
	if (!g->no_proc) /* the looks first: on two CPUs when there are many */
		tl_kernel_view_all(g->v, g->n, 0, false);
	for (size_t i = 0; i < g->n; i++) {
		classify(&g->v[i], g->no_proc);
		if (g->all && g->v[i].tid == c->self_tid && g->v[i].in_wrapper)
			g->v[i].sysno = TL_SYSNO_UNKNOWN; /* a hang check in a signal handler */
		seen_running |= g->v[i].sysno == TL_SYSNO_RUNNING;
	}
	/* "running" may be a thread caught between two system calls, or returning from a signal
	 * handler into its restarted call (the previous check's sampling signal): look again a
	 * moment later, so that a blocked thread is not reported running. */
	if (seen_running) {
		tl_nap_ns(RUNNING_LOOK_AGAIN_NS);
		for (size_t i = 0; i < g->n; i++)
			if (g->v[i].sysno == TL_SYSNO_RUNNING) {
				g->v[i].viewed = false;
				classify(&g->v[i], g->no_proc);
			}
	}
	/* Still running inside a wrapped call it entered long ago: its record is stale (a
	 * siglongjmp out of the call), or a handler of the program's runs inside the call (a storm
	 * of the program's own signals: a reader blocked in read() for good was reported running
	 * in 2 runs of 10). Up to six more looks, 1 to 8 ms apart, only at those: one that finds
	 * the thread asleep in its call keeps the record. */
	for (int round = 0; seen_running && round < 6; round++) {
		bool any = false;
		for (size_t i = 0; i < g->n && !any; i++)
			any = tl_block_running_inside(&g->v[i]);
		if (!any)
			break;
		tl_nap_ns(RUNNING_LOOK_AGAIN_NS << (round < 3 ? round : 3));
		for (size_t i = 0; i < g->n; i++)
			if (tl_block_running_inside(&g->v[i])) {
				g->v[i].viewed = false;
				classify(&g->v[i], g->no_proc);
			}
	}
	for (size_t i = 0; i < g->n; i++)
		tl_block_validate(&g->v[i]);
	rejoin_wrappers(g);
}

/* 3. From here to the report's text we use the loader (unwinding, symbols, dlsym): hold its
 * locks, or learn that a thread keeps one and use nothing of it. The verdicts' scan runs
 * first: the unwinder and the symbolizer leave copies of pointers behind. */
static void judge_reachability(struct check *c)
{
	c->loader = tl_loader_enter(LOADER_WAIT_MS);
	if (c->g.all) /* a hang report: no verdicts (the scan retries while threads run: 7x slower)
	               */
		return;
	struct tl_report pre = {
	    .v = c->g.v, .n = c->g.n, .known = c->g.known, .views_others_stamp = c->g.others_stamp};
	if (c->loader)
		tl_reach_classify(&pre);
	else
		tl_reach_skip(&pre, "the dynamic loader's lock is held by another thread");
	c->views_held = pre.views_held;
}

static void leave_loader(struct check *c)
{
	if (c->loader)
		tl_loader_leave();
	c->loader = false;
}

static void take_stacks(struct check *c);

/* The grace period ended early on the word of looks that may have been overtaken (see
 * nothing_can_change): confirm them now, once the stacks are taken, from the verdicts' scan,
 * the looks right before the parking signals (tl_seen.view_held) or a stamp of each other
 * thread; when they were overtaken, or a thread left its wrapped call for good while its
 * stack was taken (c->moved), start again and wait the grace period out. */
static void confirm_early_end(struct check *c)
{
	if (!c->settled_early || (!c->moved && (c->views_held || views_hold(&c->g))))
		return;
	/* the threads parked for the stacks may still be leaving the handler (the exit check
	 * does not wait for them): the new looks must not see them there */
	tl_capture_prepare(c->r.kind == TL_CHECK_EXIT);
	leave_loader(c);
	gather_free(&c->g);
	c->g = (struct gather){.all = c->g.all};
	c->settled_early = false;
	c->no_early = true;
	if (!wait_out_grace(c))
		tl_warn("out of memory during the check");
	if (c->g.n > 0) {
		classify_threads(c);
		judge_reachability(c);
		take_stacks(c);
	}
}

static void mark_moving(struct tl_seen *s)
{
	s->in_wrapper = false;
	s->state = TL_ST_RUNNING;
	s->call = NULL;
	s->kind = TL_OBJ_NONE;
	s->stack.n = 0;
	s->stack.cut = TL_CUT_NONE;
	s->stack_note = "the thread was moving while its stack was taken";
}

/* One thread that moved: its new snapshot, unwound alone, then confirmed unchanged right away,
 * so it has only the few microseconds of its own unwinding to move in (taken again together,
 * 50 pollers of 1 ms had all moved again by the time the last one was unwound). False: look
 * again later (it was between two calls, or moved again). A thread gone meanwhile keeps what it
 * has: drop_vanished decides about it. */
static bool retake_one(struct tl_seen *s)
{
	tl_registry_lock();
	struct tl_thread *t = tl_registry_find(s->handle, s->number);
	uint32_t seq = t ? atomic_load_explicit(&t->blk.seq, memory_order_acquire) : 0;
	bool inside = t != NULL && (seq & 1) && copy_block(s, t, seq);
	tl_registry_unlock();
	if (t == NULL)
		return true;
	if (!inside)
		return false;
	s->in_wrapper = true;
	s->state = wrapped_state(s);
	s->stack_note = NULL;
	tl_capture_stacks(s, 1, -1);
	tl_registry_lock();
	t = tl_registry_find(s->handle, s->number);
	bool held = t == NULL || atomic_load(&t->blk.seq) == s->seq;
	tl_registry_unlock();
	return held;
}

/* The threads that left their wrapped call while we unwound them: their stacks are not to be
 * trusted. Each one inside a wrapped call again (a sleep loop, a poller) is taken again
 * (retake_one), in rounds with a short nap between them: woken by its tick, a poller may wait
 * for a CPU before it enters its next call. After the last round, or when stacks cannot be
 * taken (`retake` NULL), it is running. So is a thread that got only a note for its stack
 * (its pc) but went through wrapped calls meanwhile: caught between two calls, then parked
 * inside glibc's pthread_create, which blocks signals (a thread that keeps creating threads). */
static size_t retake_moved_stacks(struct gather *g, bool *retake)
{
	size_t moved = 0, left = 0;
	tl_registry_lock();
	TL_REGISTRY_FOREACH (t) {
		struct tl_seen *s = find_number(g->v, g->n, t->number);
		if (s == NULL || !(s->in_wrapper || s->stack_note) ||
		    atomic_load(&t->blk.seq) == s->seq)
			continue;
		if (retake == NULL) {
			mark_moving(s);
			left++;
			continue;
		}
		retake[s - g->v] = true;
		moved++;
	}
	tl_registry_unlock();
	int64_t nap_ns = RETAKE_FIRST_NAP_NS;
	for (int round = 0; moved > 0 && round < RETAKE_TRIES; round++) {
		if (round > 0) {
			tl_nap_ns(nap_ns);
			nap_ns = nap_ns * 2 > RETAKE_MAX_NAP_NS ? RETAKE_MAX_NAP_NS : nap_ns * 2;
		}
		for (size_t i = 0; i < g->n; i++)
			if (retake[i] && retake_one(&g->v[i])) {
				retake[i] = false;
				moved--;
			}
	}
	for (size_t i = 0; i < g->n && moved > 0; i++)
		if (retake[i])
			mark_moving(&g->v[i]);
	return left + moved;
}

/* Keep only the threads of g that a pass made now would list too: what the registry and
 * /proc/self/task still show (gather's rules, without copying the threads again: a pass is
 * two kilobytes a thread). Threads joined, detached or gone while we looked are dropped. */
static void keep_still_listed(struct gather *g, pid_t self_tid)
{
	/* per thread: 0 gone, 1 listed, 2 listed if its task is (libc's helper: gone when its
	 * task is, gather's rule) */
	unsigned char *still = calloc(g->n ? g->n : 1, 1);
	if (still == NULL)
		return;
	for (size_t i = 0; i < g->n; i++)
		still[i] = g->v[i].number == 0; /* an untracked task, unless it is ours by now */
	tl_registry_lock();
	TL_REGISTRY_FOREACH (t) {
		unsigned f;
		struct tl_seen *s =
		    wanted(g, t, self_tid, &f) ? find_number(g->v, g->n, t->number) : NULL;
		if (s != NULL)
			still[s - g->v] =
			    (f & TL_F_ADOPTED) && !(f & TL_F_FINISHED) && atomic_load(&t->tid) ? 2
			                                                                       : 1;
		pid_t tid = atomic_load(&t->tid);
		s = tid > 0 ? find_key(g->v, g->n, UNTRACKED_ORDER + (uint64_t)tid) : NULL;
		if (s != NULL)
			still[s - g->v] = 0;
	}
	tl_registry_unlock();
	/* the task list matters only for untracked tasks and libc's helpers: with 10,000 threads
	 * a listing is milliseconds */
	bool need_tasks = false;
	for (size_t i = 0; i < g->n && !need_tasks; i++)
		need_tasks = g->v[i].number == 0 || still[i] == 2;
	pid_t *tids = NULL;
	int ntasks = need_tasks ? tl_list_tasks_sorted(&tids) : -1;
	bool proc = ntasks >= 0;
	size_t k = 0;
	for (size_t i = 0; i < g->n; i++) {
		const struct tl_seen *s = &g->v[i];
		bool listed = !proc || tid_in(tids, ntasks, s->tid);
		if (s->number == 0 ? still[i] && listed && !task_exiting(s->tid)
		                   : still[i] == 1 || (still[i] == 2 && listed))
			g->v[k++] = *s;
	}
	g->n = k;
	free(still);
}

/* 4. Current stacks (capture.c). */
static void take_stacks(struct check *c)
{
	struct gather *g = &c->g;
	if (c->loader)
		tl_capture_stacks(g->v, g->n, c->settled_early ? g->others_stamp : -1);
	else
		loader_note(g, c->loader_note, sizeof(c->loader_note));
	bool *retake = c->loader ? calloc(g->n, sizeof(bool)) : NULL;
	/* A thread that left its wrapped call for good after a grace period ended early (a
	 * barrier's waiter woken late, now locking a mutex outside any wrapper) says the looks
	 * were overtaken: the confirmation below starts again with the whole grace period, rather
	 * than report the thread running without a stack */
	c->moved = retake_moved_stacks(g, retake) > 0;
	free(retake);
}

/* Then what vanished while we looked (joined, detached and finished, exited). */
static void drop_vanished(struct check *c)
{
	keep_still_listed(&c->g, c->self_tid);
	c->r.v = c->g.v;
	c->r.n = c->g.n;
}

/* 5. Symbols, and what they let the program add: its hooks (options, suppressions, found in
 * the symbol table when not exported); then each thread's call, object, owner and start
 * routine, in thread order, and the wait-for cycles among them. */
/* The symbolizer, and the program's options hook it finds in the symbol table: the rules the
 * grace period loaded (tl_suppress_early) go when the hook changed the options. */
static void symbols_and_hook(struct check *c)
{
	if (!c->loader)
		return;
	c->r.sym = tl_sym_get();
	hook_from_symbols(c->r.sym);
}

/* A call seen only for its stack (a thread being created) is none; a duration a wrapper
 * knows, or for a thread asleep in a call no wrapper saw begin (a mutex wait, a raw system
 * call), the scheduler's (kernel.c asleep_look). */
static void settle_call(struct tl_seen *s)
{
	if (s->kind == TL_OBJ_CREATING) { /* running: its call was for its stack only */
		s->kind = TL_OBJ_NONE;
		s->call = NULL;
	}
	if (s->since_ns && !s->in_wrapper)
		s->since_ns = 0;
	if (s->since_ns == 0 && s->state == TL_ST_BLOCKED && !s->in_wrapper &&
	    s->asleep_since_ns > 0 && s->asleep_since_ns <= tl_mono_ns())
		s->since_ns = s->asleep_since_ns;
}

static void describe_threads(struct check *c)
{
	struct tl_report *r = &c->r;
	symbols_and_hook(c);
	tl_sym_system_lines = tl_opt.system_lines; /* looked up from here on */
	tl_suppress_load(r->sym);
	sort_by_number(r->v, r->n);
	tl_objects_new_check();
	for (size_t i = 0; i < r->n; i++) {
		struct tl_seen *s = &r->v[i];
		if (!c->loader && s->state != TL_ST_EXITED)
			s->stack_note = c->loader_note;
		else if (unstarted(s) && s->stack.n == 0)
			s->stack_note = "the thread has not run yet: created, waiting for a CPU";
		settle_call(s);
		/* taken before the symbol table's hook set max_frames lower */
		if (s->ncreate > tl_opt.max_frames) {
			s->ncreate = tl_opt.max_frames;
			s->create_cut = true;
		}
		if (s->stack.n > tl_opt.max_frames) {
			s->stack.n = tl_opt.max_frames;
			s->stack.cut = TL_CUT_MAX_FRAMES;
		}
		tl_refine_from_stack(r, s);
		tl_describe_object(r, c->g.known, c->g.nknown, s);
	}
	find_deadlock(r);
}

/* Only threads suppressed by name or creating module are left (all_suppressed_early): the
 * report counts them and lists them without stacks; no verdicts' scan, no stacks, no symbols.
 * False when the program's options hook, found now in the symbol table, changed the options,
 * or a thread changed its name since: the check goes on as usual. */
static bool report_suppressed_early(struct check *c)
{
	struct tl_report *r = &c->r;
	c->loader = tl_loader_enter(LOADER_WAIT_MS);
	symbols_and_hook(c);
	for (size_t i = 0; i < c->g.n; i++)
		if ((c->g.v[i].suppressed_by = tl_suppress_early(&c->g.v[i])) == NULL) {
			leave_loader(c);
			return false;
		}
	tl_suppress_load(r->sym); /* the program's own rules, for the table of rules used */
	classify_threads(c);      /* state and call: the JSON document lists them */
	drop_vanished(c);
	sort_by_number(r->v, r->n);
	tl_suppress_reset_counts();
	for (size_t i = 0; i < r->n; i++) {
		struct tl_seen *s = &r->v[i];
		settle_call(s);
		s->stack_note = "not taken: every thread left was suppressed by a rule of names or "
		                "creating modules";
		tl_suppress_credit(s->suppressed_by);
		r->nsuppressed++;
		s->group = (int)i;
	}
	return true;
}

/* 6. The verdicts in words, now that objects have names (reach.c). */
static void word_verdicts(struct check *c)
{
	tl_reach_finish(&c->r);
}

static uint64_t stacks_hash(const struct tl_seen *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a over what same_stacks compares */
#define MIX(x) (h = (h ^ (uint64_t)(x)) * 1099511628211ull)
	MIX(s->state);
	MIX((uintptr_t)s->call);
	MIX((uintptr_t)s->start);
	MIX(s->creator);
	for (int k = 0; k < s->stack.n; k++)
		MIX(s->stack.pcs[k]);
	for (int k = 0; k < s->ncreate; k++)
		MIX(s->create_pcs[k]);
#undef MIX
	return h;
}

/* The first threads of each group, by their stacks' hash (open addressing; slot: index + 1). */
struct groups {
	size_t *slot, cap;
};

/* The index of the first of v[0..i] with the same stacks as v[i] (i itself when none). */
static int first_with_stacks(struct groups *gr, const struct tl_seen *v, size_t i)
{
	if (gr->slot == NULL) { /* out of memory: the quadratic way */
		for (size_t j = 0; j < i; j++)
			if (same_stacks(&v[j], &v[i]) && v[j].group == (int)j)
				return (int)j;
		return (int)i;
	}
	size_t m = gr->cap - 1;
	for (size_t h = (size_t)stacks_hash(&v[i]) & m;; h = (h + 1) & m) {
		if (gr->slot[h] == 0) {
			gr->slot[h] = i + 1;
			return (int)i;
		}
		if (same_stacks(&v[gr->slot[h] - 1], &v[i]))
			return (int)(gr->slot[h] - 1);
	}
}

/* 7. Suppressions, and threads with the same stacks as one group (the first one's index). */
static void suppress_and_group(struct check *c)
{
	struct tl_report *r = &c->r;
	/* every thread may be a group of its own: room for all of them at half load */
	struct groups groups = {.cap = 64};
	while (groups.cap < 2 * r->n)
		groups.cap *= 2;
	groups.slot = calloc(groups.cap, sizeof(*groups.slot));
	tl_suppress_reset_counts();
	for (size_t i = 0; i < r->n; i++) {
		struct tl_seen *s = &r->v[i];
		if (s->start)
			s->start_name = tl_start_name(r, s);
		s->suppressed_by = tl_suppress_match(s, r);
		if (s->suppressed_by)
			r->nsuppressed++;
		else
			r->nleaked++;
		s->group = first_with_stacks(&groups, r->v, i);
	}
	free(groups.slot);
}

/* The deferred exit check's JSON, written to its log file as it is made, where holding the
 * document until the last exit handler was the check's largest memory (18 MB at 10,000
 * threads). The file is ours alone (log.c claims it when opening it), so the last handler can
 * still take it back: when its verdict does not hold, the check runs again and its report
 * replaces this one (exit.c, tl_output_replace_next). Not for stderr, a pipe or a terminal, which
 * cannot be taken back (docs/internals.md, "The exit check's cost"). */
static bool stream_deferred(struct check *c)
{
	struct stat st;
	int fd = tl_output_open(); /* opened once: a failure warns once */
	c->defer->fd = fd;
	c->defer->opened = true;
	if (fd < 0 || TL_REAL(fstat)(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return false;
	tl_report_json_to(&c->r, fd);
	return true;
}

/* 8. The report: printed (or kept for the deferred exit check, exit.c), and as JSON for the
 * caller. A clean run prints nothing; in JSON, a log_path file still records that it was
 * clean. The loader's locks go before the output is written. */
static void emit(struct check *c, bool print, char **json)
{
	struct tl_report *r = &c->r;
	bool to_file = tl_opt.log_path && tl_opt.log_path[0] &&
	               strcmp(tl_opt.log_path, "stderr") != 0 &&
	               strcmp(tl_opt.log_path, "stdout") != 0;
	bool printed = print && (r->nleaked > 0 || (tl_opt.format == TL_FORMAT_JSON && to_file));
	size_t len = 0;
	if (r->kind == TL_CHECK_HANG && json) { /* only handed back, in the format asked for */
		*json = r->exit_status == TL_HANG_JSON ? tl_report_json(r, &len)
		                                       : tl_report_text(r, &len);
		return;
	}
	if (!printed && !json)
		return;
	if (printed)
		tl_deps_warn_demangle_missing();
	if (printed && !json && c->defer && to_file && tl_opt.format == TL_FORMAT_JSON &&
	    stream_deferred(c))
		return;
	char *out = NULL;
	if (printed)
		out = tl_opt.format == TL_FORMAT_JSON ? tl_report_json(r, &len)
		                                      : tl_report_text(r, &len);
	if (json)
		*json =
		    tl_opt.format == TL_FORMAT_JSON && out ? strdup(out) : tl_report_json(r, &len);
	leave_loader(c);
	if (out && c->defer) { /* the exit check writes it at the very end (exit.c) */
		c->defer->out = out;
		c->defer->len = strlen(out);
		out = NULL;
	} else if (out) {
		tl_output(out, strlen(out));
	}
	free(out);
}

/* THREADLEAK_CHECK_DEBUG=1: each phase's time and the process's peak memory, on stderr (how
 * the README's breakdown of the check was measured). */
static void phase_done(const struct check *c, const char *name)
{
	static int debug = -1;
	if (debug < 0) {
		const char *e = getenv("THREADLEAK_CHECK_DEBUG");
		debug = e && e[0] == '1';
	}
	if (!debug)
		return;
	char buf[2048];
	long hwm = -1, rss = -1;
	if (tl_read_status("/proc/self/status", buf, sizeof(buf)) > 0) {
		const char *a = strstr(buf, "\nVmHWM:"), *b = strstr(buf, "\nVmRSS:");
		hwm = a ? strtol(a + 7, NULL, 10) : -1;
		rss = b ? strtol(b + 7, NULL, 10) : -1;
	}
	struct timespec cpu;
	tl_clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
	struct rusage ru;
	long faults = getrusage(RUSAGE_THREAD, &ru) == 0 ? ru.ru_minflt : -1;
	dprintf(2,
	        "threadleak: check: %-8s done at %7.1f ms (this thread's CPU time %7.1f ms, page "
	        "faults %ld), peak RSS %ld kB, RSS %ld kB, looks by the helper thread %zu\n",
	        name, (double)(tl_mono_ns() - c->t0) / 1e6,
	        (double)cpu.tv_sec * 1e3 + (double)cpu.tv_nsec / 1e6, faults, hwm, rss,
	        atomic_load(&tl_kernel_helped));
}

/* Blocked in a wrapped call without a timeout: a thread that leaves it after the check was
 * woken, most often by the program's teardown (an atexit handler that broadcasts, posts, writes
 * to the worker's pipe or eventfd, removes a SysV queue, kills and reaps a child). A descriptor,
 * a child or a signal may also answer by itself; then the thread is looked at again, and
 * reported if it is still there. A sleep or a timed wait ends by itself: not watched. */
static bool untimed_call(const struct tl_seen *s)
{
	return s->in_wrapper && s->state == TL_ST_BLOCKED && s->kind != TL_OBJ_SLEEP &&
	       !tl_kernel_timed(s);
}

/* The deferred exit check (exit.c) needs to know which threads the report names, and which
 * were blocked in an untimed call (woken after it, they changed). */
static void list_deferred(struct check *c)
{
	const struct tl_report *r = &c->r;
	struct tl_deferred *defer = c->defer;
	if (defer)
		defer->reported = r->nleaked;
	if (!defer || !r->nleaked || !(defer->v = calloc(r->nleaked, sizeof(*defer->v))))
		return;
	size_t untimed = 0;
	for (size_t i = 0; i < r->n; i++)
		untimed += !r->v[i].suppressed_by && untimed_call(&r->v[i]);
	for (size_t i = 0; i < r->n; i++) {
		if (r->v[i].suppressed_by)
			continue;
		bool watch = untimed_call(&r->v[i]);
		long stamp = -1;
		char st;
		if (watch && untimed <= TL_DEFER_WATCHED_MAX)
			stamp = tl_kernel_stamp(r->v[i].tid, &st);
		defer->v[defer->n++] = (struct tl_deferred_thread){
		    r->v[i].tid,
		    r->v[i].number,
		    r->v[i].state,
		    r->v[i].flags,
		    watch ? r->v[i].seq : 0,
		    stamp,
		    r->v[i].state == TL_ST_BLOCKED && r->v[i].kind == TL_OBJ_SLEEP};
	}
}

static pthread_mutex_t check_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- the check's own stack ----
 * The check runs in whichever thread calls exit(), the API or the dump, and that thread's
 * stack may be small: a worker made with PTHREAD_STACK_MIN that calls exit(), a test runner's
 * thread, `ulimit -s 128`. libdw's line tables alone take more than 128 KiB (dwarf_getsrclines:
 * a crash even in a clean program). So the check runs on a stack of its own, mapped at the
 * first check and kept (untouched pages cost nothing): the same path for every caller. The
 * switch pushes the caller's callee-saved registers on the caller's stack first, so that a
 * pointer the program keeps only in a register stays on a stack the verdicts' scan reads; the
 * scan takes the caller's stack pointer at the switch as the checker's (reach.c) and leaves our
 * own stack out. docs/internals.md, "The check's own stack". */
#define CHECK_STACK_SIZE (8u << 20)
uintptr_t tl_check_stack_lo, tl_check_stack_hi, tl_check_caller_sp;

#if defined(__x86_64__)
/* on_stack(top, fn, arg, &caller_sp): fn(arg) with rsp = top (16-aligned). CFI through rbp, so
 * that an unwinder can go from fn back to the caller. */
void tl_on_stack(void *top, void (*fn)(void *), void *arg, uintptr_t *caller_sp);
__asm__(".text\n"
        ".p2align 4\n"
        ".globl tl_on_stack\n"
        ".hidden tl_on_stack\n"
        ".type tl_on_stack,@function\n"
        "tl_on_stack:\n"
        ".cfi_startproc\n"
        "push %rbp\n"
        ".cfi_def_cfa_offset 16\n"
        ".cfi_offset %rbp, -16\n"
        "mov %rsp, %rbp\n"
        ".cfi_def_cfa_register %rbp\n"
        "push %rbx\n"
        ".cfi_offset %rbx, -24\n"
        "push %r12\n"
        ".cfi_offset %r12, -32\n"
        "push %r13\n"
        ".cfi_offset %r13, -40\n"
        "push %r14\n"
        ".cfi_offset %r14, -48\n"
        "push %r15\n"
        ".cfi_offset %r15, -56\n"
        "sub $8, %rsp\n"
        "mov %rsp, (%rcx)\n"
        "mov %rdi, %rsp\n"
        "mov %rdx, %rdi\n"
        "call *%rsi\n"
        "lea -40(%rbp), %rsp\n"
        "pop %r15\n"
        "pop %r14\n"
        "pop %r13\n"
        "pop %r12\n"
        "pop %rbx\n"
        "pop %rbp\n"
        ".cfi_def_cfa %rsp, 8\n"
        "ret\n"
        ".cfi_endproc\n"
        ".size tl_on_stack, .-tl_on_stack\n");
#endif

/* Our stack's top, mapped at the first call (with a guard page below it); NULL: none. */
static void *check_stack_top(void)
{
#if defined(__x86_64__)
	if (tl_check_stack_hi == 0) {
		/* raw system calls and no sysconf: a libc function's first call is bound lazily,
		 * which takes kilobytes of the caller's stack, exit() on a 16 KiB one (tests/core
		 * smallstack exit_deep). 64 KiB: a page whatever the page size. */
		size_t guard = 64 * 1024;
		long m =
		    tl_raw_syscall6(SYS_mmap, 0, CHECK_STACK_SIZE + guard, PROT_READ | PROT_WRITE,
		                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
		if (m < 0 && m > -4096)
			return NULL;
		char *p = (char *)m;
		tl_raw_syscall(SYS_mprotect, (long)p, guard, PROT_NONE);
		tl_check_stack_lo = (uintptr_t)p;
		tl_check_stack_hi = (uintptr_t)p + guard + CHECK_STACK_SIZE;
	}
	return (void *)(tl_check_stack_hi & ~(uintptr_t)15);
#else
	return NULL;
#endif
}

static int check_here(int kind, int exit_status, bool print, char **json);
static int check_locked(int kind, int exit_status, bool print, char **json, void (*around)(bool));

struct check_call {
	int kind, exit_status;
	bool print;
	char **json;
	void (*around)(bool before);
	int leaked;
};

static void check_call_run(void *arg)
{
	struct check_call *cc = arg;
	if (cc->around)
		cc->around(true);
	cc->leaked = check_here(cc->kind, cc->exit_status, cc->print, cc->json);
	if (cc->around)
		cc->around(false);
}

/* This thread is running a check: a dump request it takes meanwhile must not start another
 * (check_lock is ours already), and the wrapped calls the check makes (libdw's pread) are not
 * the program's: they leave the thread's record alone (registry.c tl_block_nest). */
static __thread bool checking_here __attribute__((tls_model("initial-exec")));
static __thread pid_t checking_tid __attribute__((tls_model("initial-exec")));

bool tl_check_running_here(void)
{
	return checking_here;
}

pid_t tl_self_tid(void)
{
	return checking_tid > 0 ? checking_tid : tl_gettid();
}

int tl_check(int kind, int exit_status, bool print, char **json)
{
	return tl_check_around(kind, exit_status, print, json, NULL);
}

int tl_check_around(int kind, int exit_status, bool print, char **json, void (*around)(bool))
{
	/* Not a cancellation point: the check's reads and naps are, and a pthread_cancel of a
	 * thread inside threadleak_verify_none() unwound it out of the check with check_lock held,
	 * and every later check and the exit waited for ever (a test runner's worker cancelled
	 * while it checks). The program's next cancellation point acts on the request. */
	int cancel_state;
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel_state);
	int leaked = check_locked(kind, exit_status, print, json, around);
	pthread_setcancelstate(cancel_state, NULL);
	return leaked;
}

static int check_locked(int kind, int exit_status, bool print, char **json, void (*around)(bool))
{
	struct tl_thread *me = tl_self;
	if (TL_REAL(pthread_mutex_trylock)(&check_lock) != 0) {
		/* Another thread's check runs: this thread waits for it as a thread of the program
		 * (an API call of a test running in parallel: a leak of that check's, with its
		 * stack from here), not left out as one of ours. Inside a wrapper of the program
		 * (a hang request), the record of its call stays what that check sees. */
		bool record = me && me->blk.depth == 0;
		if (record)
			TL_BLOCK_ENTER(me, "a threadleak check", TL_OBJ_NONE, 0, 0);
		pthread_mutex_lock(&check_lock);
		if (record)
			TL_BLOCK_LEAVE(me);
	}
	checking_here = true;
	checking_tid = tl_gettid();
	struct check_call cc = {kind, exit_status, print, json, around, 0};
	void *top = check_stack_top();
#if defined(__x86_64__)
	if (top != NULL) {
		tl_on_stack(top, check_call_run, &cc, &tl_check_caller_sp);
		tl_check_caller_sp = 0;
	} else
#endif
		check_call_run(&cc);
	checking_here = false;
	checking_tid = 0;
	pthread_mutex_unlock(&check_lock);
	return cc.leaked;
}

static int check_here(int kind, int exit_status, bool print, char **json)
{
	atomic_store(&tl_checking, kind);
	tl_intern_reset(); /* the last check's texts: its report is written */
	tl_kernel_check_begin();
	struct check c = {.t0 = tl_mono_ns(), .self_tid = tl_gettid()};
	c.defer = kind == TL_CHECK_EXIT ? tl_defer : NULL;
	c.r.kind = kind;
	c.r.exit_status = exit_status;
	c.g.all = kind == TL_CHECK_HANG;
	tl_capture_prepare(kind == TL_CHECK_EXIT); /* before we read who blocks the signal */
	phase_done(&c, "start");
	if (c.g.all ? !gather(&c.g, c.self_tid) || !settle(&c.g, c.self_tid) : !wait_out_grace(&c))
		tl_warn("out of memory during the check");
	phase_done(&c, "grace");
	bool early = c.all_early && c.g.n > 0 && report_suppressed_early(&c);
	if (early)
		phase_done(&c, "suppressed");
	if (!early && c.g.n > 0) {
		classify_threads(&c);
		phase_done(&c, "classify");
		judge_reachability(&c);
		phase_done(&c, "verdicts");
		take_stacks(&c);
		phase_done(&c, "unwind");
		confirm_early_end(&c);
		phase_done(&c, "confirm");
	}
	if (!early && c.g.n > 0) {
		drop_vanished(&c);
		phase_done(&c, "stacks");
		describe_threads(&c);
		word_verdicts(&c);
		phase_done(&c, "describe");
		suppress_and_group(&c);
		phase_done(&c, "group");
	}
	int leaked = tl_report_failing(&c.r);
	c.r.check_ns = tl_mono_ns() - c.t0;
	if (kind == TL_CHECK_EXIT && c.defer == NULL) /* after the teardown: both passes */
		c.r.check_ns += tl_exit_early_check_ns();
	tl_kernel_check_end();
	emit(&c, print, json);
	phase_done(&c, "report");
	leave_loader(&c);
	list_deferred(&c);
	gather_free(&c.g);
	atomic_store(&tl_checking, TL_NOT_CHECKING);
	return leaked;
}

/* In a child of fork(): a check that another thread of the parent was running is not ours. */
void tl_check_after_fork(void)
{
	pthread_mutex_init(&check_lock, NULL);
	atomic_store(&tl_checking, TL_NOT_CHECKING);
	tl_intern_forget(); /* the kernel's part: tl_kernel_after_fork_child */
	tl_sym_forget();
}

/* threadleak_ignore_current(): every thread alive now is expected from now on. */
void tl_ignore_current(void)
{
	tl_registry_lock();
	TL_REGISTRY_FOREACH (t)
		t->flags |= TL_F_IGNORED;
	tl_registry_unlock();
	/* untracked tasks too (libc's helper threads) */
	pid_t tids[256];
	int n = tl_list_tasks(tids, (int)TL_ARRAY_SIZE(tids));
	for (int i = 0; i < n && i < (int)TL_ARRAY_SIZE(tids) &&
	                nignored_tids < (int)TL_ARRAY_SIZE(ignored_tids);
	     i++)
		if (!tid_ignored(tids[i]))
			ignored_tids[nignored_tids++] = tids[i];
}
