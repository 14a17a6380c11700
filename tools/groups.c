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

/* Groups are found by key through a json-c object used as a hash map (key -> index). */
static void group_add(struct program *pg, const struct proc *p, json_object *leak)
{
	char *key = leak_group_key(leak);
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
