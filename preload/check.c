/* The check: which threads should not be there, in what state, and why.
 *
 * 1. Grace: goleak-style retries with backoff (1 ms doubling to 100 ms) until no thread is
 *    left or grace_ms has passed; threads that are winding down get that long to go. Only the
 *    registry and /proc/self/task are read in this loop.
 * 2. Classify what is left: blocked in our wrapper (exact call, object and duration), else the
 *    kernel's view (syscall and arguments), else running; finished-unjoined threads are
 *    `exited`; tasks we never saw created are `untracked`.
 * 3. Capture current stacks (capture.c), symbolize, refine (a futex wait under
 *    __lll_lock_wait is pthread_mutex_lock), name objects and owners, find deadlock cycles,
 *    apply suppressions, and hand the result to the report writers. */
#include "tl.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

atomic_bool tl_checking;
struct tl_deferred *tl_defer;

static int64_t mono_ns(void)
{
	struct timespec ts;
	tl_clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct gather {
	struct tl_seen *v;
	size_t n, cap;
	struct tl_known *known; /* every record's tid, reported or not */
	size_t nknown;
	bool no_proc;
};

static struct tl_seen *add(struct gather *g)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 64;
		struct tl_seen *v = realloc(g->v, cap * sizeof(*v));
		if (v == NULL)
			return NULL;
		g->v = v;
		g->cap = cap;
	}
	struct tl_seen *s = &g->v[g->n++];
	memset(s, 0, sizeof(*s));
	s->sysno = -2;
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

static int cmp_tid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return (x > y) - (x < y);
}

static bool tid_in(const pid_t *tids, int n, pid_t tid)
{
	return bsearch(&tid, tids, (size_t)n, sizeof(pid_t), cmp_tid) != NULL;
}

/* One pass: registry copy plus /proc/self/task. Returns false on allocation failure. */
/* Copy what thread t is blocked in, as it was at sequence number `seq` (odd: inside a wrapped
 * call). The thread writes these fields without a lock; the copy holds only if the sequence
 * number did not move meanwhile. */
static bool copy_block(struct tl_seen *s, struct tl_thread *t, uint32_t seq)
{
	s->call = t->blk.call;
	s->kind = t->blk.kind;
	s->obj = t->blk.obj;
	s->obj2 = t->blk.obj2;
	s->since_ns = t->blk.since_ns;
	memcpy(s->regs, t->blk.regs, sizeof(s->regs));
	atomic_thread_fence(memory_order_acquire);
	if (atomic_load_explicit(&t->blk.seq, memory_order_relaxed) != seq)
		return false;
	s->seq = seq;
	return true;
}

static bool gather(struct gather *g, pid_t self_tid)
{
	g->n = 0;
	g->nknown = 0;
	tl_registry_lock();
	size_t count = 0;
	TL_REGISTRY_FOREACH (t)
		count++;
	struct tl_known *known = realloc(g->known, (count + 1) * sizeof(*known));
	if (known == NULL) {
		tl_registry_unlock();
		return false;
	}
	g->known = known;
	TL_REGISTRY_FOREACH (t) {
		pid_t tid = atomic_load(&t->tid);
		g->known[g->nknown++] = (struct tl_known){tid, t->number, t->handle};
		unsigned f = t->flags;
		if ((f & (TL_F_MAIN | TL_F_IGNORED | TL_F_EXITING)) || tid == self_tid ||
		    t == tl_self)
			continue;
		if ((f & TL_F_FINISHED) && (f & (TL_F_DETACHED | TL_F_JOINED)))
			continue;
		struct tl_seen *s = add(g);
		if (s == NULL)
			break;
		s->number = t->number;
		s->tid = tid;
		s->handle = t->handle;
		s->creator = t->creator;
		s->flags = f;
		s->start = t->start;
		s->start_name = t->start_label;
		s->c11 = t->c11;
		s->ncreate = t->ncreate;
		memcpy(s->create_pcs, t->create_pcs, sizeof(uintptr_t) * (size_t)t->ncreate);
		s->state = (f & TL_F_FINISHED) ? TL_ST_EXITED : TL_ST_RUNNING;
		uint32_t seq = atomic_load_explicit(&t->blk.seq, memory_order_acquire);
		if ((seq & 1) && s->state != TL_ST_EXITED) {
			if (copy_block(s, t, seq)) {
				s->in_wrapper = true;
				s->state = TL_ST_BLOCKED;
			} else {
				s->call = NULL;
			}
		}
	}
	tl_registry_unlock();

	/* Tasks we never saw created. Threads of our own records that vanished without passing
	 * our exit hook (a raw SYS_exit) count as exited. */
	pid_t stack_tids[1024];
	pid_t *tids = stack_tids;
	int ntasks = tl_list_tasks(tids, (int)TL_ARRAY_SIZE(stack_tids));
	if (ntasks > (int)TL_ARRAY_SIZE(stack_tids)) {
		tids = malloc(sizeof(pid_t) * (size_t)(ntasks + 256));
		if (tids == NULL)
			return false;
		ntasks = tl_list_tasks(tids, ntasks + 256);
	}
	if (ntasks < 0) {
		g->no_proc = true;
		return true; /* no /proc: what the registry knows is all we have */
	}
	qsort(tids, (size_t)ntasks, sizeof(pid_t), cmp_tid);
	for (size_t i = 0; i < g->n; i++) {
		struct tl_seen *s = &g->v[i];
		if (s->state == TL_ST_EXITED || s->tid == 0 || tid_in(tids, ntasks, s->tid))
			continue;
		if (s->flags & TL_F_ADOPTED) /* libc's helper went away: nothing to report */
			*s-- = g->v[--g->n], i--;
		else
			s->state = TL_ST_EXITED;
	}
	pid_t *ktids = malloc(sizeof(pid_t) * (g->nknown + 1));
	if (ktids != NULL) {
		for (size_t i = 0; i < g->nknown; i++)
			ktids[i] = g->known[i].tid;
		qsort(ktids, g->nknown, sizeof(pid_t), cmp_tid);
		for (int i = 0; i < ntasks; i++) {
			pid_t tid = tids[i];
			if (tid == self_tid || tid_ignored(tid) ||
			    tid_in(ktids, (int)g->nknown, tid))
				continue;
			struct tl_seen *s = add(g);
			if (s == NULL)
				break;
			s->tid = tid;
			s->state = TL_ST_UNTRACKED;
		}
		free(ktids);
	}
	if (tids != stack_tids)
		free(tids);
	return true;
}

/* A thread of ours that was between two wrapped calls when gathered (a poller's loop) and that
 * the kernel now shows in a system call is usually inside its next wrapped call: take that
 * call's snapshot, which names the call the program made (usleep, not clock_nanosleep). */
static void rejoin_wrappers(struct gather *g)
{
	tl_registry_lock();
	TL_REGISTRY_FOREACH (t) {
		for (size_t i = 0; i < g->n; i++) {
			struct tl_seen *s = &g->v[i];
			if (s->number != t->number || s->in_wrapper || s->sysno < 0 ||
			    s->state == TL_ST_EXITED)
				continue;
			uint32_t seq = atomic_load_explicit(&t->blk.seq, memory_order_acquire);
			if ((seq & 1) && copy_block(s, t, seq)) {
				s->in_wrapper = true;
				s->state = TL_ST_BLOCKED;
			}
		}
	}
	tl_registry_unlock();
}

static void classify(struct tl_seen *s, bool no_proc)
{
	if (s->state == TL_ST_EXITED || no_proc)
		return;
	if (!s->in_wrapper || s->tid) {
		bool alive = tl_kernel_view(s);
		if (!alive && s->state != TL_ST_UNTRACKED && !s->in_wrapper && s->sysno == -2) {
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

/* "deadlock: thread 2 waits for mutex lock_b held by thread 3, which waits for mutex lock_a
 * held by thread 2" */
static void find_deadlock(struct tl_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		size_t cur = i;
		size_t path[16];
		int len = 0;
		while (len < 16) {
			struct tl_seen *s = &r->v[cur];
			if (s->held_by == 0 || s->state != TL_ST_BLOCKED)
				break;
			path[len++] = cur;
			size_t next = r->n;
			for (size_t j = 0; j < r->n; j++)
				if (r->v[j].number == s->held_by)
					next = j;
			if (next == r->n)
				break;
			if (next == i) {
				/* report each cycle once: from its smallest thread number */
				bool smallest = true;
				for (int k = 0; k < len; k++)
					if (r->v[path[k]].number < r->v[i].number)
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
					if (k == 0)
						used += (size_t)snprintf(
						    r->deadlock + used, sizeof(r->deadlock) - used,
						    "thread %llu waits for",
						    (unsigned long long)p->number);
					else
						used += (size_t)snprintf(r->deadlock + used,
						                         sizeof(r->deadlock) - used,
						                         ", which waits for");
					if (used < sizeof(r->deadlock))
						used += (size_t)snprintf(
						    r->deadlock + used, sizeof(r->deadlock) - used,
						    " %s held by thread %llu", p->object,
						    (unsigned long long)p->held_by);
				}
				break;
			}
			cur = next;
		}
	}
}

static bool same_stacks(const struct tl_seen *a, const struct tl_seen *b)
{
	return a->state == b->state && a->call == b->call && a->start == b->start &&
	       a->stack.n == b->stack.n && a->ncreate == b->ncreate && a->creator == b->creator &&
	       memcmp(a->stack.pcs, b->stack.pcs, sizeof(uintptr_t) * (size_t)a->stack.n) == 0 &&
	       memcmp(a->create_pcs, b->create_pcs, sizeof(uintptr_t) * (size_t)a->ncreate) == 0;
}

static int by_number(const void *x, const void *y)
{
	const struct tl_seen *a = x, *b = y;
	uint64_t ka = a->number ? a->number : (1ull << 40) + (uint64_t)a->tid;
	uint64_t kb = b->number ? b->number : (1ull << 40) + (uint64_t)b->tid;
	return (ka > kb) - (ka < kb);
}

static pthread_mutex_t check_lock = PTHREAD_MUTEX_INITIALIZER;

int tl_check(int kind, int exit_status, bool print, char **json)
{
	pthread_mutex_lock(&check_lock);
	atomic_store(&tl_checking, true);
	int64_t t0 = mono_ns();
	pid_t self_tid = tl_gettid();
	struct gather g = {0};
	int64_t backoff = 1000000, deadline = t0 + (int64_t)tl_opt.grace_ms * 1000000;
	bool ok;
	for (;;) {
		ok = gather(&g, self_tid);
		if (!ok || g.n == 0 || mono_ns() >= deadline)
			break;
		int64_t left = deadline - mono_ns();
		int64_t nap = backoff < left ? backoff : left;
		struct timespec ts = {nap / 1000000000, nap % 1000000000};
		while (TL_REAL(nanosleep)(&ts, &ts) != 0 && errno == EINTR)
			;
		backoff = backoff * 2 > 100000000 ? 100000000 : backoff * 2;
	}
	struct tl_report r = {.kind = kind, .exit_status = exit_status};
	int leaked = 0;
	if (!ok)
		tl_warn("out of memory during the check");
	if (g.n > 0) {
		tl_capture_prepare();
		if (g.no_proc)
			tl_warn("/proc is not available: reporting what threadleak saw itself (no "
			        "untracked "
			        "threads, no kernel view, stacks only of threads blocked in "
			        "wrapped calls)");
		bool seen_running = false;
		for (size_t i = 0; i < g.n; i++) {
			classify(&g.v[i], g.no_proc);
			seen_running |= g.v[i].sysno == -1 && !g.v[i].in_wrapper;
		}
		/* "running" may be a thread caught between two system calls, or returning from a
		 * signal handler into its restarted call (the previous check's sampling signal):
		 * look again a moment later, so that a blocked thread is not reported running. */
		if (seen_running) {
			struct timespec ts = {0, 1000000};
			TL_REAL(nanosleep)(&ts, NULL);
			for (size_t i = 0; i < g.n; i++)
				if (g.v[i].sysno == -1 && !g.v[i].in_wrapper)
					classify(&g.v[i], g.no_proc);
		}
		rejoin_wrappers(&g);
		tl_capture_stacks(g.v, g.n);
		/* A thread that left its wrapped call while we unwound it: its stack is not to be
		 * trusted. If it is inside a wrapped call again (a sleep loop, a poller), take its
		 * new snapshot and unwind that, alone (microseconds); after a few tries, or when it
		 * is outside any wrapped call, it is running. */
		bool *redo = calloc(g.n, sizeof(bool));
		for (int attempt = 0;; attempt++) {
			bool again = false;
			tl_registry_lock();
			TL_REGISTRY_FOREACH (t) {
				for (size_t i = 0; i < g.n; i++) {
					struct tl_seen *s = &g.v[i];
					if (s->number != t->number || !s->in_wrapper ||
					    atomic_load(&t->blk.seq) == s->seq)
						continue;
					uint32_t seq =
					    atomic_load_explicit(&t->blk.seq, memory_order_acquire);
					if (redo != NULL && attempt < 8 && (seq & 1)) {
						if (copy_block(s, t, seq)) {
							redo[i] = again = true;
							continue;
						}
					}
					s->in_wrapper = false;
					s->state = TL_ST_RUNNING;
					s->call = NULL;
					s->kind = TL_OBJ_NONE;
					s->stack.n = 0;
					s->stack_note =
					    "the thread was moving while its stack was taken";
				}
			}
			tl_registry_unlock();
			if (!again)
				break;
			for (size_t i = 0; i < g.n; i++)
				if (redo[i]) {
					redo[i] = false;
					tl_capture_stacks(&g.v[i], 1);
				}
		}
		free(redo);
		r.v = g.v;
		r.n = g.n;
		r.sym = tl_sym_get();
		tl_options_apply_hook(r.sym);
		tl_suppress_load(r.sym);
		qsort(r.v, r.n, sizeof(*r.v), by_number);
		int64_t now = tl_now_ns();
		for (size_t i = 0; i < r.n; i++) {
			struct tl_seen *s = &r.v[i];
			tl_refine_from_stack(&r, s);
			tl_describe_object(&r, g.known, g.nknown, s);
			if (s->since_ns && !s->in_wrapper)
				s->since_ns = 0;
			(void)now;
		}
		find_deadlock(&r);
		tl_suppress_reset_counts();
		for (size_t i = 0; i < r.n; i++) {
			struct tl_seen *s = &r.v[i];
			if (s->start)
				s->start_name = tl_start_name(&r, s);
			s->suppressed_by = tl_suppress_match(s, &r);
			if (s->suppressed_by)
				r.nsuppressed++;
			else
				r.nleaked++;
			s->group = (int)i;
			for (size_t j = 0; j < i; j++) {
				if (same_stacks(&r.v[j], s) && r.v[j].group == (int)j) {
					s->group = (int)j;
					break;
				}
			}
		}
	}
	leaked = (int)r.nleaked;
	r.check_ns = mono_ns() - t0;
	/* A clean run prints nothing; in JSON, a log_path file still records that it was clean. */
	bool to_file = tl_opt.log_path && tl_opt.log_path[0] &&
	               strcmp(tl_opt.log_path, "stderr") != 0 &&
	               strcmp(tl_opt.log_path, "stdout") != 0;
	bool emit = print && (r.nleaked > 0 || (tl_opt.format == TL_FORMAT_JSON && to_file));
	if (emit || json) {
		size_t len = 0;
		char *out = NULL;
		if (emit) {
			out = tl_opt.format == TL_FORMAT_JSON ? tl_report_json(&r, &len)
			                                      : tl_report_text(&r, &len);
			if (out && tl_defer) {
				tl_defer->out = out;
				tl_defer->len = len;
				out = NULL;
			} else if (out) {
				tl_output(out, len);
			}
		}
		if (json) {
			if (tl_opt.format == TL_FORMAT_JSON && out) {
				*json = out;
				out = NULL;
			} else {
				*json = tl_report_json(&r, &len);
			}
		}
		free(out);
	}
	if (tl_defer && r.nleaked && (tl_defer->v = calloc(r.nleaked, sizeof(*tl_defer->v))))
		for (size_t i = 0; i < r.n; i++)
			if (!r.v[i].suppressed_by)
				tl_defer->v[tl_defer->n++] = (struct tl_deferred_thread){
				    r.v[i].tid, r.v[i].number, r.v[i].state, r.v[i].flags};
	free(g.v);
	free(g.known);
	atomic_store(&tl_checking, false);
	pthread_mutex_unlock(&check_lock);
	return leaked;
}

/* In a child of fork(): a check that another thread of the parent was running is not ours. */
void tl_check_after_fork(void)
{
	pthread_mutex_init(&check_lock, NULL);
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
