/* The text report for every process of a run at once, grouped by program: threads with the
 * same state and stacks are printed once (across the processes of a program too), each group
 * by the renderer the library uses (report/text.c), so a saved JSON reads as the program's own
 * report did. Colors only when asked. */
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

bool text_frame_is_user(const struct tl_frame *t)
{
	struct frame f = {.function = t->function,
	                  .module = t->module,
	                  .file = t->file,
	                  .line = t->line,
	                  .offset = t->offset,
	                  .inlined = t->inlined};
	return frame_is_user(&f);
}

static void member_thread(const struct member *m, bool show_pid, struct tl_text_thread *t)
{
	json_object *leak = m->leak, *held = jobj(leak, "held_by");
	*t = (struct tl_text_thread){
	    .number = (uint64_t)jint(leak, "thread", 0),
	    .tid = (long)jint(leak, "tid", 0),
	    .pid = show_pid ? m->p->pid : 0,
	    .name = jstr(leak, "name"),
	    .detached = jbool(leak, "detached"),
	    /* only the main thread has a number and no creation record; a reduced report has
	     * no creation records at all: there the main thread is the one whose tid is the
	     * pid (also in a child forked by another thread) */
	    .main = jint(leak, "thread", 0) != 0 &&
	            (jstr(m->p->doc, "reduced") ? jint(leak, "tid", 0) == m->p->pid
	                                        : jobj(leak, "created_by") == NULL),
	    .state = jstr(leak, "state"),
	    .call = jstr(leak, "blocked_in"),
	    .object = jstr(leak, "object"),
	    .blocked_ms = jint(leak, "blocked_ms", -1),
	    .held_by = (uint64_t)jint(held, "thread", 0),
	    .held_by_tid = (long)jint(held, "tid", 0),
	    .held_by_readers = (long)jint(held, "readers", 0),
	    .held_by_pid = (long)jint(held, "pid", 0),
	    .held_by_process = jstr(held, "process"),
	    .verdict = jstr(leak, "verdict"),
	    .verdict_reason = jstr(leak, "verdict_reason"),
	};
	json_object *others = jarr(held, "other_readers");
	size_t n = others ? json_object_array_length(others) : 0;
	for (size_t i = 0; i < n && i < sizeof(t->other_readers) / sizeof(t->other_readers[0]);
	     i++) {
		json_object *o = json_object_array_get_idx(others, i);
		t->other_readers[t->n_other_readers] = (uint64_t)jint(o, "thread", 0);
		t->other_reader_tids[t->n_other_readers++] = (long)jint(o, "tid", 0);
	}
}

void text_group_of(const struct group *g, bool show_pid, struct tl_text_group *tg)
{
	json_object *leak = g->m[0].leak, *cb = jobj(leak, "created_by");
	struct tl_text_thread *tv = cli_realloc(NULL, sizeof(*tv) * g->n);
	for (size_t j = 0; j < g->n; j++)
		member_thread(&g->m[j], show_pid, &tv[j]);
	/* a reduced report says why once, in its header: not again under each thread */
	const char *note = jstr(leak, "stack_note"), *reduced = jstr(g->m[0].p->doc, "reduced");
	if (note && reduced && strcmp(note, reduced) == 0)
		note = NULL;
	*tg = (struct tl_text_group){
	    .t = tv, .n = g->n, .stack_note = note, .stack_cut = jstr(leak, "stack_cut")};
	tg->stack = stack_frames(jarr(leak, "stack"), &tg->nstack);
	tg->create = stack_frames(jarr(cb, "stack"), &tg->ncreate);
	if (cb) {
		tg->created = true;
		tg->creator = (uint64_t)jint(cb, "thread", 0);
		tg->creator_tid = jint(cb, "tid", 0);
		/* reports of older versions have no headline: the same heuristic picks it */
		tg->headline = (int)jint(cb, "headline", -1);
		tg->create_cut = jstr(cb, "stack_cut");
		tg->start_routine = jstr(leak, "start_routine");
	}
}

void text_group_free(struct tl_text_group *tg)
{
	free((void *)tg->t);
	free((void *)tg->stack);
	free((void *)tg->create);
}

/* One group through the shared renderer (report/text.c), as the library prints it. */
static void group_text(FILE *out, const struct style *st, const struct group *g, bool show_pid,
                       const char *cwd, bool no_source)
{
	struct tl_text_style ts = st == &colors ? tl_text_colors : tl_text_plain;
	ts.cwd = cwd;
	ts.is_user = text_frame_is_user;
	ts.no_source = no_source;
	struct tl_text_group tg;
	text_group_of(g, show_pid, &tg);
	struct tl_buf b = {0};
	tl_text_group(&b, &ts, &tg);
	if (b.p)
		fwrite(b.p, 1, b.len, out);
	free(b.p);
	text_group_free(&tg);
}

static bool one_process(const struct program *pg)
{
	for (size_t i = 1; i < pg->nprocs; i++)
		if (pg->procs[i]->pid != pg->procs[0]->pid || !pg->procs[i]->source ||
		    !pg->procs[0]->source ||
		    strcmp(pg->procs[i]->source, pg->procs[0]->source) != 0)
			return false;
	return true;
}

static void program_header(FILE *out, const struct style *st, const struct program *pg,
                           const char *cwd)
{
	size_t shown = pg->leaked - pg->hidden;
	/* the same header as the library's (preload/report.c) */
	fprintf(out, "%sthreadleak: found %zu leaked thread%s in %s", st->bold, shown,
	        shown == 1 ? "" : "s", cl(pg->exe));
	if (pg->nprocs == 1) {
		const struct proc *p = pg->procs[0];
		fprintf(out, " (pid %d", p->pid);
		int64_t es = jint(p->doc, "exit_status", -1);
		if (es >= 0)
			fprintf(out, ", exit status %lld", (long long)es);
		/* as the library says it: only the proven ones fail */
		const char *fail_on = jstr(p->doc, "fail_on");
		int64_t failing = jint(p->doc, "failing", -1);
		if (fail_on && strcmp(fail_on, "unreachable") == 0 && failing == 0)
			fprintf(out, "; none proven, not a failure (fail_on=unreachable)");
		else if (fail_on && strcmp(fail_on, "unreachable") == 0 && failing > 0)
			fprintf(out, "; %lld proven, which fail%s the check (fail_on=unreachable)",
			        (long long)failing, failing == 1 ? "s" : "");
		fputc(')', out);
	} else if (one_process(pg)) { /* its log file: one report per check */
		fprintf(out, " (pid %d, %zu checks)", pg->procs[0]->pid, pg->nprocs);
	} else {
		fprintf(out, " (%zu processes: pids", pg->nprocs);
		for (size_t i = 0; i < pg->nprocs; i++)
			fprintf(out, "%s %d", i ? "," : "", pg->procs[i]->pid);
		fputc(')', out);
	}
	if (pg->hidden)
		fprintf(out, "; %zu more match%s the baseline", pg->hidden,
		        pg->hidden == 1 ? "es" : "");
	fprintf(out, "%s\n\n", st->reset);
	for (size_t i = 0; i < pg->nprocs; i++) {
		/* one "deadlock: ..." line per cycle, as the library prints them */
		const char *dl = jstr(pg->procs[i]->doc, "deadlock"), *cur = dl;
		char one[4096];
		while (next_line(&cur, one, sizeof(one))) {
			if (pg->nprocs > 1)
				fprintf(out, "%spid %d: %s%s\n", st->red, pg->procs[i]->pid,
				        cl(one), st->reset);
			else
				fprintf(out, "%s%s%s\n", st->red, cl(one), st->reset);
		}
		if (dl && *dl)
			fputc('\n', out);
	}
}

/* Suppressed threads and the rules that matched them, over every process. */
static void suppressed_summary(FILE *out, const struct procset *s)
{
	/* each thread once, though every check of its process listed it; each rule with its
	 * default set's name, as the library prints it: what disable_default_sets= takes */
	json_object *rules = json_object_new_object();
	int64_t total = suppressed_counts(s, rules);
	if (total > 0) {
		fprintf(out, "threadleak: %lld thread%s suppressed", (long long)total,
		        total == 1 ? "" : "s");
		const char *sep = " by ";
		json_object_object_foreach(rules, rule, e)
		{
			const char *set = jstr(e, "set");
			fprintf(out, "%s%s (%lld%s%s)", sep, cl(rule),
			        (long long)jint(e, "count", 0), set ? ", default set " : "",
			        set ? cl(set) : "");
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
			group_text(out, st, &pg[i].g[j], pg[i].nprocs > 1, o->cwd, o->no_source);
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
