/* The text report: goleak-style, like the library's own, for every process of a run at once,
 * grouped by program. Threads with the same state and stacks are printed once (across the
 * processes of a program too), with the list of the others. Colors only when asked. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

struct style {
	const char *bold, *red, *yellow, *dim, *reset;
};

static const struct style colors = {"\033[1m", "\033[1;31m", "\033[33m", "\033[2m", "\033[0m"};
static const struct style plain = {"", "", "", "", ""};

/* Text from a report, safe for a terminal: control characters become '?'. The result is valid
 * until eight more calls. */
static const char *cl(const char *s)
{
	static char ring[8][4096];
	static unsigned next;
	if (s == NULL)
		return NULL;
	bool clean = true;
	for (const unsigned char *p = (const unsigned char *)s; *p && clean; p++)
		clean = *p >= 0x20 && *p != 0x7f;
	if (clean)
		return s;
	char *b = ring[next++ % 8];
	size_t i = 0;
	for (; s[i] && i < sizeof(ring[0]) - 1; i++)
		b[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
	b[i] = '\0';
	return b;
}

static void duration(FILE *out, int64_t ms)
{
	if (ms < 0)
		return;
	if (ms < 1000)
		fprintf(out, " for %lldms", (long long)ms);
	else if (ms < 60000)
		fprintf(out, " for %.1fs", (double)ms / 1000.0);
	else
		fprintf(out, " for %lldm%llds", (long long)(ms / 60000),
		        (long long)(ms % 60000) / 1000);
}

static void state_words(FILE *out, json_object *leak)
{
	const char *state = jstr(leak, "state");
	const char *call = cl(jstr(leak, "blocked_in"));
	const char *object = cl(jstr(leak, "object"));
	state = state ? state : "?";
	if (strcmp(state, "blocked") == 0) {
		fprintf(out, " blocked in %s", call ? call : "?");
		duration(out, jint(leak, "blocked_ms", -1));
		if (object)
			fprintf(out, " on %s", object);
		json_object *held = jobj(leak, "held_by");
		int64_t hn = jint(held, "thread", 0), ht = jint(held, "tid", 0);
		if (hn)
			fprintf(out, " held by thread %lld (tid %lld)", (long long)hn,
			        (long long)ht);
		else if (ht)
			fprintf(out, " held by tid %lld", (long long)ht);
	} else if (strcmp(state, "running") == 0) {
		fprintf(out, " running");
	} else if (strcmp(state, "exited") == 0) {
		fprintf(out, " exited without join");
	} else if (strcmp(state, "untracked") == 0) {
		fprintf(out, " never seen created");
		if (call)
			fprintf(out, ", blocked in %s", call);
		if (object)
			fprintf(out, " on %s", object);
	} else {
		fprintf(out, " %s", state);
	}
}

static void thread_line(FILE *out, const struct style *st, const struct member *m, bool show_pid,
                        bool first)
{
	json_object *leak = m->leak;
	int64_t number = jint(leak, "thread", 0);
	const char *name = cl(jstr(leak, "name"));
	const char *label = first ? "Thread" : "  thread";
	long long tid = (long long)jint(leak, "tid", 0);
	fputs(first ? st->red : "", out);
	if (number && show_pid)
		fprintf(out, "%s %lld (pid %d, tid %lld", label, (long long)number, m->p->pid, tid);
	else if (number)
		fprintf(out, "%s %lld (tid %lld", label, (long long)number, tid);
	else if (show_pid)
		fprintf(out, "%s tid %lld (untracked, pid %d", label, tid, m->p->pid);
	else
		fprintf(out, "%s tid %lld (untracked", label, tid);
	if (name)
		fprintf(out, ", \"%s\"", name);
	if (number)
		fprintf(out, ", %s", jbool(leak, "detached") ? "detached" : "joinable");
	fputc(')', out);
	fputs(first ? st->reset : "", out);
	state_words(out, leak);
	fputc('\n', out);
}

static void frame_line(FILE *out, const struct style *st, const struct frame *f, const char *cwd)
{
	bool user = frame_is_user(f);
	const char *fn = f->function ? cl(f->function) : "??";
	fputs(user ? "" : st->dim, out);
	fprintf(out, "    %s%s%s%s", user ? st->bold : "", fn, user ? st->reset : "",
	        f->inlined ? " (inlined)" : "");
	if (f->file && f->line > 0)
		fprintf(out, " at %s:%d", cl(path_under(f->file, cwd)), f->line);
	else
		fprintf(out, " (%s+0x%lx)", cl(base_name(f->module)), f->offset);
	fputs(user ? "" : st->reset, out);
	fputc('\n', out);
}

static void stack_lines(FILE *out, const struct style *st, json_object *stack, size_t from,
                        const char *cwd)
{
	for (size_t i = from; stack && i < json_object_array_length(stack); i++) {
		struct frame f;
		frame_get(json_object_array_get_idx(stack, i), &f);
		frame_line(out, st, &f, cwd);
	}
}

static void created_by(FILE *out, const struct style *st, json_object *leak, const char *cwd)
{
	json_object *cb = jobj(leak, "created_by");
	if (cb == NULL)
		return;
	json_object *stack = jarr(cb, "stack");
	const char *sr = cl(jstr(leak, "start_routine"));
	fputs(st->yellow, out);
	if (stack && json_object_array_length(stack) > 0) {
		struct frame f;
		frame_get(json_object_array_get_idx(stack, 0), &f);
		fprintf(out, "  created by %s", f.function ? cl(f.function) : "??");
		if (f.file && f.line > 0)
			fprintf(out, " at %s:%d", cl(path_under(f.file, cwd)), f.line);
		else
			fprintf(out, " (%s+0x%lx)", cl(base_name(f.module)), f.offset);
	} else {
		fprintf(out, "  created");
	}
	fprintf(out, " in thread %lld", (long long)jint(cb, "thread", 0));
	if (sr)
		fprintf(out, ", start routine %s", sr);
	fprintf(out, ":%s\n", st->reset);
	stack_lines(out, st, stack, 1, cwd);
}

static void group_text(FILE *out, const struct style *st, const struct group *g, bool show_pid,
                       const char *cwd)
{
	thread_line(out, st, &g->m[0], show_pid, true);
	if (g->n > 1) {
		fprintf(out, "  and %zu more with the same stacks:\n", g->n - 1);
		for (size_t j = 1; j < g->n; j++) {
			if (j == 9 && g->n > 10) {
				fprintf(out, "  ... (%zu more)\n", g->n - 9);
				break;
			}
			thread_line(out, st, &g->m[j], show_pid, false);
		}
	}
	json_object *leak = g->m[0].leak;
	const char *state = jstr(leak, "state");
	json_object *stack = jarr(leak, "stack");
	const char *note = cl(jstr(leak, "stack_note"));
	if (!(state && strcmp(state, "exited") == 0)) {
		if (note)
			fprintf(out, "    (%s)\n", note);
		stack_lines(out, st, stack, 0, cwd);
		if ((stack == NULL || json_object_array_length(stack) == 0) && note == NULL)
			fprintf(out, "    (no stack)\n");
	}
	created_by(out, st, leak, cwd);
	fputc('\n', out);
}

static void program_header(FILE *out, const struct style *st, const struct program *pg,
                           const char *cwd)
{
	size_t shown = pg->leaked - pg->hidden;
	fprintf(out, "%sthreadleak: %zu leaked thread%s in %s", st->bold, shown,
	        shown == 1 ? "" : "s", cl(path_under(pg->exe, cwd)));
	if (pg->nprocs == 1) {
		const struct proc *p = pg->procs[0];
		fprintf(out, " (pid %d", p->pid);
		int64_t es = jint(p->doc, "exit_status", -1);
		if (es >= 0)
			fprintf(out, ", exit status %lld", (long long)es);
		fputc(')', out);
	} else {
		fprintf(out, " (%zu processes: pids", pg->nprocs);
		for (size_t i = 0; i < pg->nprocs; i++)
			fprintf(out, "%s %d", i ? "," : "", pg->procs[i]->pid);
		fputc(')', out);
	}
	if (pg->hidden)
		fprintf(out, "; %zu more match the baseline", pg->hidden);
	fprintf(out, "%s\n\n", st->reset);
	for (size_t i = 0; i < pg->nprocs; i++) {
		const char *dl = cl(jstr(pg->procs[i]->doc, "deadlock"));
		if (dl && pg->nprocs > 1)
			fprintf(out, "%spid %d: %s%s\n\n", st->red, pg->procs[i]->pid, dl,
			        st->reset);
		else if (dl)
			fprintf(out, "%s%s%s\n\n", st->red, dl, st->reset);
	}
}

/* Suppressed threads and the rules that matched them, over every process. */
static void suppressed_summary(FILE *out, const struct procset *s)
{
	int64_t total = 0;
	json_object *rules = json_object_new_object();
	for (size_t i = 0; i < s->n; i++) {
		total += jint(s->v[i].doc, "suppressed", 0);
		json_object *used = jarr(s->v[i].doc, "suppressions_used");
		for (size_t j = 0; used && j < json_object_array_length(used); j++) {
			json_object *u = json_object_array_get_idx(used, j);
			const char *rule = jstr(u, "rule");
			int64_t count = jint(u, "count", 0);
			json_object *prev;
			if (rule == NULL || count == 0)
				continue;
			if (json_object_object_get_ex(rules, rule, &prev))
				count += json_object_get_int64(prev);
			json_object_object_add(rules, rule, json_object_new_int64(count));
		}
	}
	if (total > 0) {
		fprintf(out, "threadleak: %lld thread%s suppressed", (long long)total,
		        total == 1 ? "" : "s");
		const char *sep = " by ";
		json_object_object_foreach(rules, rule, count)
		{
			fprintf(out, "%s%s (%lld)", sep, cl(rule),
			        (long long)json_object_get_int64(count));
			sep = ", ";
		}
		fputc('\n', out);
	}
	json_object_put(rules);
}

void render_text(FILE *out, const struct procset *s, const struct render_opts *o)
{
	const struct style *st = o->color ? &colors : &plain;
	size_t np;
	struct program *pg = programs(s, o->show_baselined, &np);
	fputc('\n', out);
	for (size_t i = 0; i < np; i++) {
		if (pg[i].ng == 0)
			continue; /* every leak of it is in the baseline */
		program_header(out, st, &pg[i], o->cwd);
		for (size_t j = 0; j < pg[i].ng; j++)
			group_text(out, st, &pg[i].g[j], pg[i].nprocs > 1, o->cwd);
	}
	programs_free(pg, np);
	suppressed_summary(out, s);
}

char *render_process(const struct proc *p, const char *cwd)
{
	struct procset one = {.v = (struct proc *)p, .n = 1, .cap = 1};
	struct render_opts o = {.color = false, .cwd = cwd};
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (m == NULL)
		return NULL;
	render_text(m, &one, &o);
	fclose(m);
	return buf;
}
