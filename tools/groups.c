/* Leaked threads grouped the way every output shows them: by program (the processes of one
 * executable together), then by identical state and stacks across those processes. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

void *cli_realloc(void *p, size_t n)
{
	void *q = realloc(p, n);
	if (q == NULL) {
		cli_err("out of memory");
		exit(TL_EXIT_INTERNAL);
	}
	return q;
}

struct tl_frame *stack_frames(json_object *stack, int *n)
{
	size_t len = stack ? json_object_array_length(stack) : 0;
	struct tl_frame *v = cli_realloc(NULL, sizeof(*v) * (len ? len : 1));
	for (size_t i = 0; i < len; i++) {
		json_object *fo = json_object_array_get_idx(stack, i);
		struct frame f;
		frame_get(fo, &f);
		const char *pc = jstr(fo, "pc");
		v[i] = (struct tl_frame){
		    .pc = pc ? strtoul(pc, NULL, 16) : 0,
		    .module = f.module,
		    .offset = f.offset,
		    .function = f.function,
		    .file = f.file,
		    .line = f.line,
		    .inlined = f.inlined,
		    .signal_frame = f.signal_frame,
		    .mapping = tl_mapping_parse(jstr(fo, "mapping"), f.module != NULL),
		};
	}
	*n = (int)len;
	return v;
}

/* What makes threads print as one block (report/text.c's key, as the library groups them),
 * and whether they are in the baseline. malloc'd. */
static char *group_key(json_object *leak)
{
	struct tl_text_thread t = {.state = jstr(leak, "state"), .call = jstr(leak, "blocked_in")};
	struct tl_text_group g = {.t = &t,
	                          .n = 1,
	                          .stack_note = jstr(leak, "stack_note"),
	                          .stack_cut = jstr(leak, "stack_cut"),
	                          .create_cut = jstr(jobj(leak, "created_by"), "stack_cut")};
	struct tl_frame *stack = stack_frames(jarr(leak, "stack"), &g.nstack);
	struct tl_frame *create = stack_frames(leak_creation_stack(leak), &g.ncreate);
	g.stack = stack;
	g.create = create;
	json_object *cb = jobj(leak, "created_by");
	g.headline = -1; /* as render.c fills it: the key covers what is printed */
	if (cb) {
		g.created = true;
		g.creator = (uint64_t)jint(cb, "thread", 0);
		g.creator_tid = jint(cb, "tid", 0);
		g.headline = (int)jint(cb, "headline", -1);
		g.start_routine = jstr(leak, "start_routine");
	}
	struct tl_buf b = {0};
	tl_buf_printf(&b, "%s", leak_baselined(leak) ? "b" : "n");
	tl_text_group_key(&b, &g);
	free(stack);
	free(create);
	if (b.oom) {
		cli_err("out of memory");
		exit(TL_EXIT_INTERNAL);
	}
	return b.p;
}

/* Groups are found by key through a json-c object used as a hash map (key -> index). */
static void group_add(struct program *pg, const struct proc *p, json_object *leak)
{
	char *key = group_key(leak);
	json_object *idx;
	struct group *g;
	if (json_object_object_get_ex(pg->index, key, &idx)) {
		g = &pg->g[json_object_get_int(idx)];
		free(key);
	} else {
		json_object_object_add(pg->index, key, json_object_new_int((int)pg->ng));
		pg->g = cli_realloc(pg->g, sizeof(*pg->g) * (pg->ng + 1));
		g = &pg->g[pg->ng++];
		*g = (struct group){.key = key};
	}
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 4;
		g->m = cli_realloc(g->m, sizeof(*g->m) * g->cap);
	}
	g->m[g->n++] = (struct member){p, leak};
}

static struct program *program_of(struct program **v, size_t *n, const char *exe)
{
	for (size_t j = 0; j < *n; j++)
		if (strcmp((*v)[j].exe, exe) == 0)
			return &(*v)[j];
	*v = cli_realloc(*v, sizeof(**v) * (*n + 1));
	struct program *pg = &(*v)[(*n)++];
	*pg = (struct program){.exe = exe, .index = json_object_new_object()};
	return pg;
}

struct program *programs(const struct procset *s, bool with_baselined, size_t *np)
{
	struct program *v = NULL;
	size_t n = 0;
	for (size_t i = 0; i < s->n; i++) {
		const struct proc *p = &s->v[i];
		json_object *leaks = jarr(p->doc, "leaks");
		size_t nl = leaks ? json_object_array_length(leaks) : 0;
		if (nl == 0)
			continue;
		struct program *pg = program_of(&v, &n, p->exe);
		pg->procs = cli_realloc(pg->procs, sizeof(*pg->procs) * (pg->nprocs + 1));
		pg->procs[pg->nprocs++] = p;
		for (size_t k = 0; k < nl; k++) {
			json_object *leak = json_object_array_get_idx(leaks, k);
			pg->leaked++;
			pg->hung += proc_is_hang(p);
			if (leak_baselined(leak) && !with_baselined)
				pg->hidden++;
			else
				group_add(pg, p, leak);
		}
	}
	*np = n;
	return v;
}

void programs_free(struct program *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < v[i].ng; j++) {
			free(v[i].g[j].key);
			free(v[i].g[j].m);
		}
		free(v[i].g);
		free(v[i].procs);
		json_object_put(v[i].index);
	}
	free(v);
}
