/* Offline symbolization for `threadleak report`: frames that lack file:line (a report made
 * where the binary was stripped, or without its debug package) are looked up again by module +
 * offset with the library's own symbolizer (report/symbolize.c: inlined frames, qualified
 * names), in a file that has the debug info: the one given with --exe-map OLD=NEW, one of the
 * same name in a --debug-dir (with the same build-id when the original is at hand), or the
 * module path itself (its build-id debug file, /usr/lib/debug, or the --debug-dir folders in
 * .build-id/ layout). Only regular files are opened: a report may come from anywhere. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

struct osym {
	struct tl_symbolizer *sym;
	size_t fixed;
};

/* ---- rewriting the stacks ---- */
static json_object *frame_json(json_object *orig, const struct tl_frame *sy, const char *from)
{
	json_object *f = json_object_new_object();
	json_object *v;
	if (json_object_object_get_ex(orig, "pc", &v))
		json_object_object_add(f, "pc", json_object_get(v));
	if (json_object_object_get_ex(orig, "module", &v))
		json_object_object_add(f, "module", json_object_get(v));
	if (json_object_object_get_ex(orig, "offset", &v))
		json_object_object_add(f, "offset", json_object_get(v));
	if (json_object_object_get_ex(orig, "mapping", &v))
		json_object_object_add(f, "mapping", json_object_get(v));
	const char *keep_fn = jstr(orig, "function");
	/* the report's name is the outer function's: never an inlined frame's */
	const char *fn = sy->function ? sy->function : sy->inlined ? NULL : keep_fn;
	json_object_object_add(f, "function", fn ? json_object_new_string(fn) : NULL);
	json_object_object_add(f, "file", sy->file ? json_object_new_string(sy->file) : NULL);
	json_object_object_add(f, "line",
	                       sy->file && sy->line > 0 ? json_object_new_int(sy->line) : NULL);
	json_object_object_add(f, "inlined", json_object_new_boolean(sy->inlined));
	json_object_object_add(f, "symbolized_from", json_object_new_string(from));
	return f;
}

/* exact: the first frame's pc is where the thread was stopped, not a return address */
static json_object *symbolize_stack(struct osym *s, json_object *stack, bool exact)
{
	json_object *out = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(stack); i++) {
		json_object *fo = json_object_array_get_idx(stack, i);
		struct frame f;
		frame_get(fo, &f);
		struct tl_frame sy[TL_SYM_MAX_INLINE];
		const char *from = NULL;
		int n = 0;
		/* a signal frame stays as it is (its pc is no function's to look up), and the
		 * frame after it was interrupted there: its pc is exact too */
		if ((f.file == NULL || f.line == 0) && f.module && !f.signal_frame)
			n = tl_sym_module(s->sym, f.module, f.offset, exact, sy, TL_SYM_MAX_INLINE,
			                  &from);
		exact = f.signal_frame;
		bool useful = false;
		for (int k = 0; k < n; k++)
			useful = useful || sy[k].file || (sy[k].function && f.function == NULL);
		for (int k = 0; k < n && useful; k++)
			json_object_array_add(out, frame_json(fo, &sy[k], from));
		if (!useful)
			json_object_array_add(out, json_object_get(fo));
		if (useful && sy[n - 1].file)
			s->fixed++;
	}
	return out;
}

static void replace_stack(struct osym *s, json_object *parent, const char *key, bool current)
{
	json_object *stack = jarr(parent, key);
	if (stack)
		json_object_object_add(parent, key, symbolize_stack(s, stack, current));
}

/* A report made without symbols has no start routine: glibc's start_thread calls it, so it
 * is the frame just inside start_thread on the current stack. */
static void infer_start_routine(json_object *t)
{
	json_object *stack = jarr(t, "stack");
	if (jstr(t, "start_routine") || stack == NULL)
		return;
	for (size_t k = 1; k < json_object_array_length(stack); k++) {
		struct frame f, inner;
		frame_get(json_object_array_get_idx(stack, k), &f);
		frame_get(json_object_array_get_idx(stack, k - 1), &inner);
		if (f.function && strcmp(f.function, "start_thread") == 0 && inner.function) {
			json_object_object_add(t, "start_routine",
			                       json_object_new_string(inner.function));
			return;
		}
	}
}

/* The headline frame again, on the frames the stack has now. */
static int creator_headline(json_object *stack)
{
	int n;
	struct tl_frame *v = stack_frames(stack, &n);
	int h = tl_creator_headline(v, n);
	free(v);
	return h;
}

static void symbolize_threads(struct osym *s, json_object *threads)
{
	for (size_t j = 0; threads && j < json_object_array_length(threads); j++) {
		json_object *t = json_object_array_get_idx(threads, j);
		/* a blocked thread's first frame called the blocking function (threadleak's own
		 * frames are not shown): a return address, like the rest; only a thread stopped
		 * by a signal where it ran has its exact pc there (and the frame after a signal
		 * frame: symbolize_stack) */
		const char *state = jstr(t, "state");
		replace_stack(s, t, "stack", !(state && strcmp(state, "blocked") == 0));
		infer_start_routine(t);
		json_object *cb = jobj(t, "created_by");
		if (cb && jarr(cb, "stack")) {
			replace_stack(s, cb, "stack", false);
			json_object_object_add(
			    cb, "headline",
			    json_object_new_int(creator_headline(jarr(cb, "stack"))));
		}
	}
}

size_t symbolize_offline(struct procset *ps, const struct osym_opts *o)
{
	struct tl_sym_files files = {.debug_dirs = o->debug_dirs,
	                             .ndebug_dirs = o->ndebug_dirs,
	                             .maps = o->maps,
	                             .nmaps = o->nmaps,
	                             .verbose = o->verbose,
	                             .err = cli_err};
	struct osym s = {.sym = tl_sym_open_files(&files)};
	if (s.sym == NULL)
		return 0;
	for (size_t i = 0; i < ps->n; i++) {
		symbolize_threads(&s, jarr(ps->v[i].doc, "leaks"));
		symbolize_threads(&s, jarr(ps->v[i].doc, "suppressed_threads"));
	}
	tl_sym_close(s.sym);
	return s.fixed;
}
