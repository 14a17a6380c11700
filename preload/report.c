/* The report writers: goleak-style text for people (the thread blocks are report/text.c's, as
 * for the CLI), one JSON document per process for machines (schema in docs/report-schema.md).
 * Both read a finished struct tl_report. */
#include "tl.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The leaks that decide the exit status: all reported ones, or with fail_on=unreachable only
 * the proven ones. */
int tl_report_failing(const struct tl_report *r)
{
	if (tl_opt.fail_on != TL_FAIL_UNREACHABLE)
		return (int)r->nleaked;
	int leaked = 0;
	for (size_t i = 0; i < r->n; i++)
		leaked += !r->v[i].suppressed_by &&
		          (r->v[i].verdict == TL_V_UNREACHABLE || r->v[i].verdict == TL_V_FREED);
	return leaked;
}

/* ---- shared helpers ---- */
static const char *state_name(int st)
{
	switch (st) {
	case TL_ST_BLOCKED:
		return "blocked";
	case TL_ST_RUNNING:
		return "running";
	case TL_ST_EXITED:
		return "exited";
	case TL_ST_UNTRACKED:
		return "untracked";
	}
	return "unknown";
}

static int64_t blocked_ms(const struct tl_report *r, const struct tl_seen *s)
{
	(void)r;
	if (s->state != TL_ST_BLOCKED || s->since_ns == 0)
		return -1;
	/* up to the look that saw the call: a thread in a loop of 1 ms sleeps was shown blocked
	 * "for 60ms" when the report came 60 ms after that look */
	int64_t d = (s->seen_ns ? s->seen_ns : tl_mono_ns()) - s->since_ns;
	return d < 0 ? 0 : d / 1000000;
}

/* The program's path; under valgrind, /proc names valgrind's tool: the program is the one it
 * was asked to run (our argv[0]). */
static void exe_path(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/thread-self/exe", buf, len - 1);
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	if (n > 0 && !tl_valgrind_tool(buf))
		return;
	char abs[PATH_MAX];
	const char *name = tl_program_name(false);
	const char *p = TL_REAL(realpath)(name, abs) != NULL ? abs : name;
	size_t m = strnlen(p, len - 1);
	memcpy(buf, p, m);
	buf[m] = '\0';
}

/* Frames of a stack, inline expanded, our own dropped; exact and sigframe as in struct
 * tl_stack. Returns count written to out. */
static int expand(struct tl_report *r, const uintptr_t *pcs, int n, uint64_t exact,
                  uint64_t sigframe, struct tl_frame *out, int max)
{
	int k = 0;
	for (int i = 0; i < n && k < max; i++) {
		struct tl_frame fr[TL_SYM_MAX_INLINE];
		int m = 1;
		if ((sigframe >> i) & 1)
			tl_sym_signal_frame(r->sym, pcs[i], &fr[0]);
		else
			m = tl_sym_pc(r->sym, pcs[i], (exact >> i) & 1, fr, TL_SYM_MAX_INLINE);
		if (tl_pc_is_own(pcs[i]))
			continue;
		for (int j = 0; j < m && k < max; j++)
			out[k++] = fr[j];
	}
	return k;
}

/* A std::thread's start routine is libstdc++'s execute_native_thread_routine, which has no
 * symbol without libstdc++'s debug info (and would say nothing if it had), a Rust thread's is
 * std's thread_start: what the thread runs is its outermost frame that is neither a system
 * library's nor std::'s (nor Rust's closure shims), the function or lambda given to
 * std::thread, or the closure Rust's short-backtrace marker names (docs/report-schema.md,
 * start_routine). Only from a stack. */
static const char *callable_of(struct tl_report *r, const struct tl_seen *s, bool *returned)
{
	*returned = false;
	struct tl_frame fr[TL_MAX_FRAMES * 4];
	int n = expand(r, s->stack.pcs, s->stack.n, s->stack.exact, s->stack.sigframe, fr,
	               (int)TL_ARRAY_SIZE(fr));
	/* Rust: the closure is what its short-backtrace marker calls (or names) */
	for (int k = n; k-- > 0;) {
		if (fr[k].function == NULL ||
		    !strstr(fr[k].function, "__rust_begin_short_backtrace"))
			continue;
		char rust[512];
		if (tl_rust_thread_function(fr[k].function, rust, sizeof(rust)))
			return tl_intern(rust);
		if (k > 0 && !tl_frame_is_thread_plumbing(&fr[k - 1]))
			return fr[k - 1].function;
		break;
	}
	for (int k = n; k-- > 0;) {
		/* the outermost frame of the program's or a library's code is what runs; it may
		 * have no name (a stripped library's static function, such as GLib's and libuv's
		 * thread trampolines): then nothing is named, not an inner function that has one */
		if (!tl_frame_is_thread_plumbing(&fr[k]))
			return fr[k].function;
		/* the callable has returned: glibc runs the thread's thread_local and TSD
		 * destructors, which are not what the thread was started with */
		if (fr[k].function && (strcmp(fr[k].function, "__call_tls_dtors") == 0 ||
		                       strcmp(fr[k].function, "__nptl_deallocate_tsd") == 0)) {
			*returned = true; /* a std::thread's state is freed by now */
			return NULL;
		}
	}
	return NULL;
}

/* A std::thread's callable when its stack does not name it: at -O2 a lambda or function whose
 * last call is a tail call into std's code (sem.acquire(), fut.wait()) leaves no frame of its
 * own (a black-box round: start_routine null, and `start:` rules missed). libstdc++ passes its
 * start routine the thread's _State, alive until the callable returns; the third slot of its
 * vtable (after the two destructors) is _M_run, named for the callable's type:
 * "std::thread::_State_impl<std::thread::_Invoker<std::tuple<main::{lambda()#1}> > >::_M_run()".
 * A function pointer alone in the tuple is stored right after the vtable pointer: its name.
 * Read with process_vm_readv (tl_copy_mapped): a start argument that is no such object reads
 * as what it is, and names nothing unless its third slot is such an _M_run. */
static const char *cxx_thread_callable(struct tl_report *r, const struct tl_seen *s)
{
	static const char head[] = "std::thread::_State_impl<std::thread::_Invoker<std::tuple<",
	                  tail[] = "> > >::_M_run()";
	uintptr_t vptr, run;
	if (s->arg == NULL || s->state == TL_ST_EXITED ||
	    !tl_copy_mapped(&vptr, (uintptr_t)s->arg, sizeof(vptr)) ||
	    !tl_copy_mapped(&run, vptr + 2 * sizeof(uintptr_t), sizeof(run)))
		return NULL;
	struct tl_frame fr[TL_SYM_MAX_INLINE];
	int m = tl_sym_pc(r->sym, run, true, fr, TL_SYM_MAX_INLINE);
	const char *name = m > 0 ? fr[m - 1].function : NULL;
	size_t len = name ? strlen(name) : 0;
	if (len <= sizeof(head) - 1 + sizeof(tail) - 1 || strncmp(name, head, sizeof(head) - 1) ||
	    strcmp(name + len - (sizeof(tail) - 1), tail))
		return NULL;
	const char *p = name + sizeof(head) - 1;
	size_t n = len - (sizeof(head) - 1) - (sizeof(tail) - 1);
	/* the tuple's elements: more than the callable (arguments) leave its place unknown. An
	 * operator's own '<', '>' or "->" in a name ("S::operator<(S)::{lambda()#1}") is no
	 * bracket. */
	int depth = 0;
	for (size_t i = 0; i < n; i++) {
		if (i + 8 <= n && strncmp(p + i, "operator", 8) == 0) {
			for (i += 8; i < n && p[i] != '('; i++)
				;
			depth++;
		} else if (p[i] == '<' || p[i] == '(' || p[i] == '[') {
			depth++;
		} else if (p[i] == '>' || p[i] == ')' || p[i] == ']') {
			depth--;
		} else if (p[i] == ',' && depth == 0) {
			return NULL;
		}
	}
	char type[512];
	if (n == 0 || n >= sizeof(type))
		return NULL;
	memcpy(type, p, n);
	type[n] = '\0';
	/* a function pointer alone ("void (*)(int)"): its value, right after the vtable pointer;
	 * anything else is a lambda's or a function object's type */
	const char *paren = strchr(type, '(');
	if (!(type[n - 1] == ')' && paren != NULL && paren == strstr(type, "(*)(")))
		return tl_intern(type);
	uintptr_t fn;
	if (!tl_copy_mapped(&fn, (uintptr_t)s->arg + sizeof(uintptr_t), sizeof(fn)))
		return NULL;
	m = tl_sym_pc(r->sym, fn, true, fr, TL_SYM_MAX_INLINE);
	return m > 0 ? fr[m - 1].function : NULL;
}

/* The start routine's own name, unless it is C++'s or Rust's std (or has none): then what
 * the thread was started with, from its stack, when the stack says, or for a std::thread from
 * its state (cxx_thread_callable). */
const char *tl_start_name(struct tl_report *r, struct tl_seen *s)
{
	if (s->start_name)
		return s->start_name;
	if (s->start == NULL)
		return NULL;
	struct tl_frame fr[8];
	int m = tl_sym_pc(r->sym, (uintptr_t)s->start, true, fr, 8);
	const char *named = fr[m - 1].function;
	if (named != NULL && strcmp(named, "execute_native_thread_routine") == 0)
		named = NULL; /* libstdc++'s, named where its symbols are installed */
	bool returned;
	if (named == NULL && s->state != TL_ST_EXITED) {
		const char *callable = callable_of(r, s, &returned);
		return callable || returned ? callable : cxx_thread_callable(r, s);
	}
	/* std's own (Rust's thread_start): what the thread runs, or null when its stack does not
	 * say (a build without debug info inlined the closure into std's frames) */
	if (named != NULL && tl_function_is_std(named)) /* finished: no stack says (schema) */
		return s->state != TL_ST_EXITED && s->stack.n > 0 ? callable_of(r, s, &returned)
		                                                  : NULL;
	return named;
}

/* ---- a hang report (TL_CHECK_HANG): the chains of waits ---- */
/* "main thread blocked in pthread_join on thread 2 (tid 7) for 3.0 s, which is blocked in
 * pthread_cond_wait on cond cv (hang.c:3) for 3.0 s": one line per chain, from each blocked
 * thread that no other thread waits for, along who holds what it waits on. A chain that comes
 * back on itself is a cycle, which the deadlock lines already give. */
#define CHAIN_MAX 16

static void thread_name(struct tl_buf *b, const struct tl_seen *s)
{
	if (s->flags & TL_F_MAIN)
		tl_buf_printf(b, "main thread");
	else if (s->number)
		tl_buf_printf(b, "thread %llu", (unsigned long long)s->number);
	else
		tl_buf_printf(b, "task %d", (int)s->tid);
}

/* One thread of a chain; after the first, the name only when what the previous one waits on
 * does not name it already (a join names its thread; a mutex or rwlock, its holder). */
static void wait_step(struct tl_buf *b, struct tl_report *r, const struct tl_seen *s,
                      const struct tl_seen *prev)
{
	if (prev == NULL) {
		thread_name(b, s);
	} else {
		if (prev->kind != TL_OBJ_THREAD) {
			tl_buf_printf(b, ", held by ");
			thread_name(b, s);
		}
		tl_buf_printf(b, ", which is");
	}
	if (s->state != TL_ST_BLOCKED) {
		tl_buf_printf(b, " %s", state_name(s->state));
		return;
	}
	tl_buf_printf(b, " blocked in %s", s->call ? s->call : "?");
	if (tl_text_or_null(s->object))
		tl_buf_printf(b, " on %s", s->object);
	int64_t ms = blocked_ms(r, s);
	if (ms >= 1000)
		tl_buf_printf(b, " for %.1f s", (double)ms / 1000);
	else if (ms >= 0)
		tl_buf_printf(b, " for %lld ms", (long long)ms);
}

static int seen_by_number(const void *a, const void *b)
{
	uint64_t x = (*(const struct tl_seen *const *)a)->number,
	         y = (*(const struct tl_seen *const *)b)->number;
	return (x > y) - (x < y);
}

/* One chain per line into b (JSON: an array of strings); returns the number of chains. Who
 * holds what each thread waits on is looked up once, by number: O(N log N) for N threads. */
static int wait_chains(struct tl_buf *b, struct tl_report *r, bool json)
{
	size_t n_all = r->n;
	const struct tl_seen **by_num = malloc(sizeof(*by_num) * (n_all + 1));
	const struct tl_seen **held = calloc(n_all + 1, sizeof(*held)); /* by index in r->v */
	bool *waited_for = calloc(n_all + 1, sizeof(bool));
	int n = 0;
	if (by_num == NULL || held == NULL || waited_for == NULL)
		goto out;
	for (size_t i = 0; i < n_all; i++)
		by_num[i] = &r->v[i];
	qsort(by_num, n_all, sizeof(*by_num), seen_by_number);
	for (size_t i = 0; i < n_all; i++) {
		const struct tl_seen *s = &r->v[i];
		if (s->state != TL_ST_BLOCKED || s->held_by == 0)
			continue;
		struct tl_seen key = {.number = s->held_by};
		const struct tl_seen *kp = &key, **h = bsearch(&kp, by_num, n_all, sizeof(*by_num),
		                                               seen_by_number);
		if (h != NULL) {
			held[i] = *h;
			waited_for[*h - r->v] = true;
		}
	}
	for (size_t i = 0; i < n_all; i++) {
		const struct tl_seen *s = &r->v[i];
		if (waited_for[i] || held[i] == NULL)
			continue;
		struct tl_buf line = {0};
		const struct tl_seen *path[CHAIN_MAX];
		int len = 0;
		for (const struct tl_seen *at = s; at && len < CHAIN_MAX; at = held[at - r->v]) {
			bool again = false;
			for (int k = 0; k < len; k++)
				again |= path[k] == at;
			if (again)
				break;
			wait_step(&line, r, at, len ? path[len - 1] : NULL);
			path[len++] = at;
		}
		if (line.oom || line.p == NULL) {
			free(line.p);
			continue;
		}
		if (json) {
			tl_buf_printf(b, "%s", n ? ", " : "");
			tl_buf_json_str(b, line.p);
		} else {
			tl_buf_printf(b, "%s\n", line.p);
		}
		free(line.p);
		n++;
	}
out:
	free(by_num);
	free(held);
	free(waited_for);
	return n;
}

/* ---- text ---- */
static void text_thread(struct tl_report *r, struct tl_seen *s, struct tl_text_thread *t)
{
	*t = (struct tl_text_thread){
	    .number = s->number,
	    .tid = s->tid,
	    .name = s->name[0] ? s->name : NULL,
	    .detached = (s->flags & TL_F_DETACHED) != 0,
	    .main = (s->flags & TL_F_MAIN) != 0,
	    .state = state_name(s->state),
	    .call = s->call,
	    .object = tl_text_or_null(s->object),
	    .blocked_ms = blocked_ms(r, s),
	    .held_by = s->held_by,
	    .held_by_tid = s->held_by_tid,
	    .held_by_readers = s->held_by ? s->held_by_readers : 0,
	    .n_other_readers =
	        s->held_by && s->held_by_readers > 1
	            ? (s->held_by_readers - 1 < TL_READERS_NAMED ? s->held_by_readers - 1
	                                                         : TL_READERS_NAMED)
	            : 0,
	    .held_by_pid = s->held_by ? 0 : s->held_by_pid,
	    .held_by_process = s->held_by_process[0] ? s->held_by_process : NULL,
	    .verdict = tl_verdict_name(s->verdict),
	    .verdict_reason = tl_text_or_null(s->verdict_reason),
	};
	for (int i = 0; i < t->n_other_readers; i++) {
		t->other_readers[i] = s->other_readers[i];
		t->other_reader_tids[i] = s->other_reader_tids[i];
	}
}

/* The block of thread s (threads as given), its frames expanded into fr (TL_MAX_FRAMES * 8). */
static void text_block(struct tl_report *r, struct tl_seen *s, struct tl_frame *fr,
                       const struct tl_text_thread *t, size_t n, struct tl_text_group *g)
{
	*g = (struct tl_text_group){.t = t, .n = n, .stack_note = s->stack_note};
	if (s->state != TL_ST_EXITED) {
		g->stack_cut = tl_stack_cut_words(s->stack.cut);
		g->stack = fr;
		g->nstack = expand(r, s->stack.pcs, s->stack.n, s->stack.exact, s->stack.sigframe,
		                   fr, TL_MAX_FRAMES * 4);
	}
	if (s->number && !(s->flags & TL_F_MAIN)) {
		g->created = true;
		g->creator = s->creator;
		g->creator_tid = s->creator_tid;
		g->create = fr + TL_MAX_FRAMES * 4;
		uint64_t cexact, csig = tl_sigframes_of(s->create_pcs, s->ncreate, &cexact);
		g->ncreate = expand(r, s->create_pcs, s->ncreate, cexact, csig,
		                    fr + TL_MAX_FRAMES * 4, TL_MAX_FRAMES * 4);
		g->headline = tl_creator_headline(g->create, g->ncreate);
		g->create_cut = s->create_cut ? tl_stack_cut_words(TL_CUT_MAX_FRAMES) : NULL;
		g->start_routine = tl_start_name(r, s);
	}
}

/* Threads are one group when their blocks print the same (report/text.c's key, which the CLI
 * groups by too): the check's grouping by pcs keeps apart threads whose pcs differ within the
 * same lines. Suppressed threads group only among themselves. */
/* Does thread b's block print as thread a's, by what the key is made of (text_thread,
 * text_block): then b needs no key of its own. The check's groups (check.c same_stacks) and a
 * regroup before this one put such threads together; 10,000 keys were 13 ms of a check. */
static bool same_text(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool same_block(const struct tl_seen *a, const struct tl_seen *b)
{
	return !a->suppressed_by == !b->suppressed_by && a->state == b->state &&
	       same_text(a->call, b->call) && same_text(a->stack_note, b->stack_note) &&
	       a->stack.cut == b->stack.cut && a->stack.n == b->stack.n &&
	       a->stack.exact == b->stack.exact && a->stack.sigframe == b->stack.sigframe &&
	       (a->stack.n == 0 || a->stack.pcs == b->stack.pcs) &&
	       a->create_cut == b->create_cut && a->ncreate == b->ncreate &&
	       (a->ncreate == 0 || a->create_pcs == b->create_pcs) && !a->number == !b->number &&
	       (a->flags & TL_F_MAIN) == (b->flags & TL_F_MAIN) && a->creator == b->creator &&
	       a->start == b->start && same_text(a->start_name, b->start_name);
}

static void regroup(struct tl_report *r)
{
	/* the groups' first threads by their key's hash (open addressing, at most half full;
	 * slot: index + 1): only those keys are kept, so this is linear in the threads and its
	 * memory is one key per group (a key spells out both stacks: kilobytes) */
	size_t cap = 64;
	while (cap < 2 * r->n)
		cap *= 2;
	struct tl_frame *fr = malloc(sizeof(*fr) * TL_MAX_FRAMES * 8);
	char **keys = calloc(r->n ? r->n : 1, sizeof(char *));
	size_t *slot = calloc(cap, sizeof(*slot));
	for (size_t i = 0; fr && keys && slot && i < r->n; i++) {
		struct tl_seen *s = &r->v[i];
		size_t was = (size_t)s->group; /* the check's group, or the last regroup's */
		if (was < i && same_block(&r->v[was], s)) {
			s->group = r->v[was].group;
			continue;
		}
		struct tl_text_thread t;
		struct tl_text_group g;
		text_thread(r, s, &t);
		text_block(r, s, fr, &t, 1, &g);
		struct tl_buf b = {0};
		tl_buf_printf(&b, "%c", s->suppressed_by ? 's' : 'l');
		tl_text_group_key(&b, &g);
		if (b.oom) {
			free(b.p);
			continue; /* keep the check's group */
		}
		size_t at = (size_t)tl_hash_bytes(b.p, b.len) & (cap - 1);
		for (;; at = (at + 1) & (cap - 1)) {
			if (slot[at] == 0) {
				slot[at] = i + 1;
				s->group = (int)i;
				keys[i] = b.p;
				break;
			}
			if (strcmp(keys[slot[at] - 1], b.p) == 0) {
				s->group = (int)(slot[at] - 1);
				free(b.p);
				break;
			}
		}
	}
	for (size_t i = 0; keys && i < r->n; i++)
		free(keys[i]);
	free(keys);
	free(slot);
	free(fr);
}

char *tl_report_text(struct tl_report *r, size_t *len)
{
	struct tl_buf b = {0};
	char exe[512], cwd[512];
	exe_path(exe, sizeof(exe));
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		cwd[0] = '\0';
	struct tl_text_style st = tl_text_plain;
	st.cwd = cwd;
	st.no_source = !tl_opt.source_lines;
	if (r->kind == TL_CHECK_HANG) {
		tl_buf_printf(&b,
		              "\nthreadleak: hang report of %s (pid %d): the process has not "
		              "exited (%s); ",
		              exe, (int)getpid(), tl_hang_reason ? tl_hang_reason : "on demand");
		if (r->nleaked == 1 && !r->nsuppressed)
			tl_buf_printf(&b, "its one thread, the main thread");
		else
			tl_buf_printf(&b, "%s%zu of its threads, the main thread included",
			              r->nsuppressed ? "" : "all ", r->nleaked);
		if (r->nsuppressed) /* a JVM's own threads, ... */
			tl_buf_printf(&b, ", and %zu suppressed", r->nsuppressed);
		tl_buf_printf(&b, "\n\n");
	} else
		tl_buf_printf(&b, "\nthreadleak: found %zu leaked thread%s in %s (pid %d",
		              r->nleaked, r->nleaked == 1 ? "" : "s", exe, (int)getpid());
	/* the same header as threadleak run's (tools/render.c program_header) */
	if (r->kind == TL_CHECK_EXIT && r->exit_status >= 0)
		tl_buf_printf(&b, ", exit status %d", r->exit_status);
	if (r->kind == TL_CHECK_EXIT && r->exit_status == 0 && tl_opt.exitcode &&
	    tl_report_failing(r) > 0)
		tl_buf_printf(&b, " becomes %d", tl_opt.exitcode);
	/* only the proven ones fail: say how many, or the count above reads as a failure */
	if (r->kind != TL_CHECK_HANG && tl_opt.fail_on == TL_FAIL_UNREACHABLE) {
		int failing = tl_report_failing(r);
		if (failing == 0)
			tl_buf_printf(&b, "; none proven, not a failure (fail_on=unreachable)");
		else
			tl_buf_printf(&b,
			              "; %d proven, which fail%s the check (fail_on=unreachable)",
			              failing, failing == 1 ? "s" : "");
	}
	if (r->kind != TL_CHECK_HANG)
		tl_buf_printf(&b, ")\n\n");
	if (r->deadlock[0])
		tl_buf_printf(&b, "%s\n\n", r->deadlock);
	if (r->kind == TL_CHECK_HANG && wait_chains(&b, r, false))
		tl_buf_printf(&b, "\n");
	regroup(r);
	struct tl_frame *fr = malloc(sizeof(*fr) * TL_MAX_FRAMES * 8);
	struct tl_text_thread *tv = malloc(sizeof(*tv) * (r->n ? r->n : 1));
	if (fr == NULL || tv == NULL) {
		free(fr);
		free(tv);
		return NULL;
	}
	/* each group's threads, in thread order: `next` links them from their first (linear,
	 * where scanning all threads for each group was quadratic in the groups) */
	size_t *next = malloc(sizeof(*next) * (r->n ? r->n : 1));
	size_t *last = malloc(sizeof(*last) * (r->n ? r->n : 1));
	if (next == NULL || last == NULL) {
		free(fr);
		free(tv);
		free(next);
		free(last);
		return NULL;
	}
	for (size_t i = 0; i < r->n; i++) {
		const struct tl_seen *s = &r->v[i];
		next[i] = SIZE_MAX;
		if (s->suppressed_by)
			continue;
		size_t g = (size_t)s->group;
		if (g == i)
			last[i] = i;
		else if (g < i && !r->v[g].suppressed_by && r->v[g].group == (int)g)
			next[last[g]] = i, last[g] = i;
	}
	for (size_t i = 0; i < r->n; i++) {
		struct tl_seen *s = &r->v[i];
		if (s->suppressed_by || s->group != (int)i)
			continue;
		size_t n = 0;
		for (size_t j = i; j != SIZE_MAX; j = next[j])
			text_thread(r, &r->v[j], &tv[n++]);
		struct tl_text_group g;
		text_block(r, s, fr, tv, n, &g);
		tl_text_group(&b, &st, &g);
	}
	free(fr);
	free(tv);
	free(next);
	free(last);
	if (r->nsuppressed)
		tl_buf_printf(&b, "threadleak: %zu thread%s suppressed\n", r->nsuppressed,
		              r->nsuppressed == 1 ? "" : "s");
	tl_suppress_used(&b, false);
	/* the header, deadlock lines and rules are the program's text too */
	struct tl_buf clean = {0};
	tl_buf_text(&clean, b.p, b.len, false);
	free(b.p);
	if (clean.oom) {
		free(clean.p);
		return NULL;
	}
	*len = clean.len;
	return clean.p;
}

/* ---- JSON ---- */
static void json_frames(struct tl_buf *b, struct tl_frame *fr, int k)
{
	tl_buf_put(b, "[", 1);
	for (int j = 0; j < k; j++) {
		const struct tl_frame *f = &fr[j];
		tl_buf_printf(b, "%s{\"pc\": \"0x%lx\", \"module\": ", j ? ", " : "",
		              (unsigned long)f->pc);
		tl_buf_json_str(b, f->module);
		if (f->module)
			tl_buf_printf(b, ", \"offset\": \"0x%lx\"", (unsigned long)f->offset);
		else
			tl_buf_printf(b, ", \"offset\": null");
		tl_buf_printf(b, ", \"mapping\": ");
		tl_buf_json_str(b, tl_mapping_name(f->mapping));
		tl_buf_printf(b, ", \"function\": ");
		tl_buf_json_str(b, f->function);
		tl_buf_printf(b, ", \"file\": ");
		tl_buf_json_str(b, f->file);
		if (f->line > 0)
			tl_buf_printf(b, ", \"line\": %d", f->line);
		else
			tl_buf_printf(b, ", \"line\": null");
		tl_buf_printf(b, ", \"inlined\": %s", f->inlined ? "true" : "false");
		if (f->signal_frame) /* only there: docs/report-schema.md */
			tl_buf_printf(b, ", \"signal_frame\": true");
		tl_buf_put(b, "}", 1);
	}
	tl_buf_put(b, "]", 1);
}

/* The last stack written, as JSON: the threads of a group follow one another and share their
 * stacks, and expanding and formatting the same frames again was most of a big report's time. */
struct frames_cache {
	uintptr_t pcs[TL_MAX_FRAMES];
	int n, headline;
	uint64_t exact, sigframe;
	bool valid;
	struct tl_buf json;
};

static void json_stack(struct tl_buf *b, struct tl_report *r, struct frames_cache *c,
                       const uintptr_t *pcs, int n, uint64_t exact, uint64_t sigframe,
                       struct tl_frame *fr, int *headline)
{
	if (n > TL_MAX_FRAMES)
		n = TL_MAX_FRAMES;
	if (!c->valid || c->n != n || c->exact != exact || c->sigframe != sigframe ||
	    memcmp(c->pcs, pcs, sizeof(uintptr_t) * (size_t)n) != 0) {
		int k = expand(r, pcs, n, exact, sigframe, fr, TL_MAX_FRAMES * 4);
		c->json.len = 0;
		json_frames(&c->json, fr, k);
		c->headline = tl_creator_headline(fr, k);
		memcpy(c->pcs, pcs, sizeof(uintptr_t) * (size_t)n);
		c->n = n;
		c->exact = exact;
		c->sigframe = sigframe;
		c->valid = !c->json.oom;
	}
	if (c->valid)
		tl_buf_put(b, c->json.p, c->json.len);
	else
		b->oom = true;
	if (headline)
		*headline = c->headline;
}

static void json_thread(struct tl_buf *b, struct tl_report *r, struct tl_seen *s, int group,
                        struct tl_frame *fr, struct frames_cache *cache)
{
	if (s->number)
		tl_buf_printf(b, "{\"thread\": %llu", (unsigned long long)s->number);
	else
		tl_buf_printf(b, "{\"thread\": null");
	tl_buf_printf(b, ", \"tid\": %d, \"name\": ", (int)s->tid);
	tl_buf_json_str(b, s->name[0] ? s->name : NULL);
	tl_buf_printf(b, ", \"state\": \"%s\", \"detached\": %s, \"blocked_in\": ",
	              state_name(s->state), (s->flags & TL_F_DETACHED) ? "true" : "false");
	tl_buf_json_str(b, s->call);
	tl_buf_printf(b, ", \"object\": ");
	tl_buf_json_str(b, tl_text_or_null(s->object));
	int64_t ms = blocked_ms(r, s);
	if (ms >= 0)
		tl_buf_printf(b, ", \"blocked_ms\": %lld", (long long)ms);
	else
		tl_buf_printf(b, ", \"blocked_ms\": null");
	if (s->held_by) {
		tl_buf_printf(b, ", \"held_by\": {\"thread\": %llu, \"tid\": %d",
		              (unsigned long long)s->held_by, (int)s->held_by_tid);
		if (s->held_by_readers > 0) { /* for reading (alone too): how many in all */
			tl_buf_printf(b, ", \"readers\": %d, \"other_readers\": [",
			              s->held_by_readers);
			for (int i = 0; i < s->held_by_readers - 1 && i < TL_READERS_NAMED; i++)
				tl_buf_printf(b, "%s{\"thread\": %llu, \"tid\": %d}", i ? ", " : "",
				              (unsigned long long)s->other_readers[i],
				              (int)s->other_reader_tids[i]);
			tl_buf_put(b, "]", 1);
		}
		tl_buf_put(b, "}", 1);
	} else if (s->held_by_tid) {
		tl_buf_printf(b, ", \"held_by\": {\"thread\": null, \"tid\": %d",
		              (int)s->held_by_tid);
		if (s->held_by_pid > 0) { /* a thread of another process */
			tl_buf_printf(b, ", \"pid\": %d, \"process\": ", (int)s->held_by_pid);
			tl_buf_json_str(b, s->held_by_process[0] ? s->held_by_process : NULL);
		}
		tl_buf_put(b, "}", 1);
	} else {
		tl_buf_printf(b, ", \"held_by\": null");
	}
	tl_buf_printf(b, ", \"verdict\": ");
	tl_buf_json_str(b, tl_verdict_name(s->verdict));
	tl_buf_printf(b, ", \"verdict_reason\": ");
	tl_buf_json_str(b, tl_text_or_null(s->verdict_reason));
	tl_buf_printf(b, ", \"start_routine\": ");
	tl_buf_json_str(b, tl_start_name(r, s));
	tl_buf_printf(b, ", \"group\": %d, \"stack\": ", group);
	if (s->state == TL_ST_EXITED)
		json_frames(b, fr, 0);
	else
		json_stack(b, r, &cache[0], s->stack.pcs, s->stack.n, s->stack.exact,
		           s->stack.sigframe, fr, NULL);
	tl_buf_printf(b, ", \"stack_note\": ");
	tl_buf_json_str(b, s->stack_note);
	tl_buf_printf(b, ", \"stack_cut\": ");
	tl_buf_json_str(b, s->state == TL_ST_EXITED ? NULL : tl_stack_cut_words(s->stack.cut));
	if (s->number && !(s->flags & TL_F_MAIN)) {
		/* an untracked creator (a SIGEV_THREAD timer's thread): null, and its tid */
		if (s->creator)
			tl_buf_printf(b, ", \"created_by\": {\"thread\": %llu, ",
			              (unsigned long long)s->creator);
		else
			tl_buf_printf(b, ", \"created_by\": {\"thread\": null, ");
		if (s->creator_tid > 0)
			tl_buf_printf(b, "\"tid\": %d, ", (int)s->creator_tid);
		tl_buf_put(b, "\"stack\": ", 9);
		int headline;
		uint64_t cexact, csig = tl_sigframes_of(s->create_pcs, s->ncreate, &cexact);
		json_stack(b, r, &cache[1], s->create_pcs, s->ncreate, cexact, csig, fr, &headline);
		tl_buf_printf(b, ", \"headline\": %d, \"stack_cut\": ", headline);
		tl_buf_json_str(b, s->create_cut ? tl_stack_cut_words(TL_CUT_MAX_FRAMES) : NULL);
		tl_buf_put(b, "}", 1);
	} else {
		tl_buf_printf(b, ", \"created_by\": null");
	}
	if (s->suppressed_by) {
		tl_buf_printf(b, ", \"suppressed_by\": ");
		tl_buf_json_str(b, s->suppressed_by);
	}
	tl_buf_put(b, "}", 1);
}

/* The JSON document into b; false when out of memory. */
static bool json_doc(struct tl_buf *bp, struct tl_report *r)
{
	regroup(r);
	struct tl_buf b = *bp;
	char exe[512];
	exe_path(exe, sizeof(exe));
	tl_buf_printf(
	    &b, "{\"tool\": \"threadleak\", \"schema\": 1, \"pid\": %d, \"exe\": ", (int)getpid());
	tl_buf_json_str(&b, exe);
	tl_buf_printf(&b, ", \"check\": \"%s\"",
	              r->kind == TL_CHECK_EXIT   ? "exit"
	              : r->kind == TL_CHECK_HANG ? "hang"
	                                         : "api");
	if (r->kind == TL_CHECK_EXIT)
		tl_buf_printf(&b, ", \"exit_status\": %d", r->exit_status);
	else
		tl_buf_printf(&b, ", \"exit_status\": null");
	if (r->kind == TL_CHECK_HANG) { /* every thread is listed under "leaks": none leaked */
		tl_buf_printf(&b, ", \"reason\": ");
		tl_buf_json_str(&b, tl_hang_reason ? tl_hang_reason : "on demand");
		tl_buf_printf(&b, ", \"threads\": %zu, \"waits\": [", r->nleaked);
		wait_chains(&b, r, true);
		tl_buf_printf(&b, "]");
	}
	tl_buf_printf(
	    &b, ", \"leaked\": %zu, \"suppressed\": %zu, \"check_ms\": %.1f, \"deadlock\": ",
	    r->kind == TL_CHECK_HANG ? 0 : r->nleaked, r->nsuppressed, (double)r->check_ns / 1e6);
	tl_buf_json_str(&b, r->deadlock[0] ? r->deadlock : NULL);
	/* which leaks fail the process: threadleak run and report make JUnit and SARIF agree
	 * with it from the report alone */
	tl_buf_printf(&b, ", \"fail_on\": \"%s\"",
	              tl_opt.fail_on == TL_FAIL_UNREACHABLE ? "unreachable" : "all");
	if (r->kind == TL_CHECK_HANG)
		tl_buf_printf(&b, ", \"failing\": null");
	else /* what the API returns: with fail_on=unreachable, fewer than "leaked" */
		tl_buf_printf(&b, ", \"failing\": %d", tl_report_failing(r));
	tl_buf_printf(&b, ", \"reduced\": null"); /* a full report (exit.c writes reduced ones) */
	struct tl_frame *fr = malloc(sizeof(*fr) * TL_MAX_FRAMES * 4);
	/* "group" is an index in the document, which lists the leaks before the suppressed
	 * threads (a group's threads are all one or all the other) */
	int *docidx = malloc(sizeof(int) * (r->n ? r->n : 1));
	struct frames_cache *cache = calloc(2, sizeof(*cache)); /* current, creation */
	if (fr == NULL || docidx == NULL || cache == NULL) {
		free(fr);
		free(docidx);
		free(cache);
		*bp = b;
		return false;
	}
	int next = 0;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < r->n; i++)
			if ((r->v[i].suppressed_by != NULL) == (pass == 1))
				docidx[i] = next++;
	for (int pass = 0; pass < 2; pass++) {
		tl_buf_printf(&b,
		              pass == 0 ? ",\n \"leaks\": [" : "],\n \"suppressed_threads\": [");
		bool first = true;
		for (size_t i = 0; i < r->n; i++) {
			struct tl_seen *s = &r->v[i];
			if ((s->suppressed_by != NULL) != (pass == 1))
				continue;
			tl_buf_printf(&b, "%s\n  ", first ? "" : ",");
			first = false;
			json_thread(&b, r, s, docidx[s->group], fr, cache);
		}
	}
	free(fr);
	free(docidx);
	free(cache[0].json.p);
	free(cache[1].json.p);
	free(cache);
	tl_buf_printf(&b, "],\n \"suppressions_used\": ");
	tl_suppress_used(&b, true);
	tl_buf_printf(&b, "}\n");
	*bp = b;
	return !b.oom;
}

char *tl_report_json(struct tl_report *r, size_t *len)
{
	struct tl_buf b = {0};
	if (!json_doc(&b, r)) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}

static void write_out(const char *p, size_t n, void *ctx)
{
	tl_output_write(*(int *)ctx, p, n);
}

/* The JSON document written to fd as it is made: at 10,000 threads it is 18 MB, which the exit
 * check would otherwise hold until the process's last exit handler (check.c, emit). */
bool tl_report_json_to(struct tl_report *r, int fd)
{
	struct tl_buf b = {.flush = write_out, .ctx = &fd};
	bool ok = json_doc(&b, r);
	tl_buf_flush(&b);
	free(b.p);
	return ok;
}
