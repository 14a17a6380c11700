/* The process reports (docs/report-schema.md), read with json-c, and what the outputs need to
 * know about a leaked thread: its frames, where it was created in the user's code, and which
 * threads share the same stacks. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- accessors ---- */
const char *jstr(json_object *o, const char *key)
{
	json_object *v;
	if (o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

int64_t jint(json_object *o, const char *key, int64_t def)
{
	json_object *v;
	if (o && json_object_object_get_ex(o, key, &v) &&
	    (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
		return json_object_get_int64(v);
	return def;
}

bool jbool(json_object *o, const char *key)
{
	json_object *v;
	return o && json_object_object_get_ex(o, key, &v) &&
	       json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
}

json_object *jarr(json_object *o, const char *key)
{
	json_object *v;
	if (o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_array))
		return v;
	return NULL;
}

json_object *jobj(json_object *o, const char *key)
{
	json_object *v;
	if (o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_object))
		return v;
	return NULL;
}

/* ---- the set ---- */
void procset_add(struct procset *s, json_object *doc, const char *source)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct proc *v = realloc(s->v, cap * sizeof(*v));
		if (v == NULL) {
			cli_err("out of memory");
			exit(TL_EXIT_INTERNAL);
		}
		s->v = v;
		s->cap = cap;
	}
	struct proc *p = &s->v[s->n++];
	p->doc = json_object_get(doc);
	p->source = strdup(source);
	p->pid = (int)jint(doc, "pid", 0);
	p->exe = jstr(doc, "exe");
	if (p->exe == NULL)
		p->exe = "?";
	p->root = false;
}

static bool is_process_report(json_object *o)
{
	const char *tool = jstr(o, "tool");
	return tool && strcmp(tool, "threadleak") == 0 && jarr(o, "leaks") != NULL;
}

/* A process report, a merged document with "processes", or an array of either. */
static int add_any(struct procset *s, json_object *o, const char *path, int depth)
{
	if (depth > 2)
		return 0;
	if (json_object_is_type(o, json_type_array)) {
		int found = 0;
		for (size_t i = 0; i < json_object_array_length(o); i++)
			found += add_any(s, json_object_array_get_idx(o, i), path, depth + 1);
		return found;
	}
	if (is_process_report(o)) {
		procset_add(s, o, path);
		return 1;
	}
	json_object *procs = jarr(o, "processes");
	return procs ? add_any(s, procs, path, depth + 1) : 0;
}

/* The whole file, NUL-terminated (malloc'd), or NULL with errno. */
static char *slurp(FILE *f, size_t *len)
{
	size_t cap = 65536, n = 0, r;
	char *buf = malloc(cap);
	while (buf && (r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (cap - n - 1 == 0) {
			char *nb = realloc(buf, cap * 2);
			if (nb == NULL)
				free(buf);
			buf = nb;
			cap *= 2;
		}
	}
	if (buf && ferror(f)) {
		free(buf);
		return NULL;
	}
	if (buf)
		buf[n] = '\0';
	*len = n;
	return buf;
}

/* Parse one JSON document; NULL with a reason when it is not exactly one valid document. */
static json_object *parse_document(const char *buf, size_t len, const char **why)
{
	if (len == 0) {
		*why = "the file is empty";
		return NULL;
	}
	json_tokener *tok = json_tokener_new();
	json_tokener_set_flags(tok, JSON_TOKENER_VALIDATE_UTF8);
	json_object *o = json_tokener_parse_ex(tok, buf, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	size_t end = (size_t)json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (jerr == json_tokener_continue || (jerr == json_tokener_success && o == NULL)) {
		*why = "the document is incomplete";
		return NULL;
	}
	if (jerr != json_tokener_success) {
		*why = json_tokener_error_desc(jerr);
		return NULL;
	}
	for (size_t i = end; i < len; i++) {
		if (!strchr(" \t\r\n", buf[i])) {
			*why = "text after the document";
			json_object_put(o);
			return NULL;
		}
	}
	return o;
}

void procset_read(struct procset *s, const char *path)
{
	bool is_stdin = strcmp(path, "-") == 0;
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	size_t len = 0;
	char *buf = f ? slurp(f, &len) : NULL;
	int e = errno;
	if (f && !is_stdin)
		fclose(f);
	if (buf == NULL) {
		cli_err("%s: %s; skipped", path, strerror(e));
		s->bad_files++;
		return;
	}
	const char *why = NULL;
	json_object *o = len > (size_t)INT32_MAX ? NULL : parse_document(buf, len, &why);
	free(buf);
	if (o == NULL) {
		cli_err("%s: not valid JSON (%s); skipped", path, why ? why : "too large");
		s->bad_files++;
	} else if (add_any(s, o, path, 0) == 0) {
		cli_err("%s: not a threadleak report (no \"tool\": \"threadleak\" with \"leaks\"); "
		        "skipped",
		        path);
		s->bad_files++;
	}
	json_object_put(o);
}

static int by_pid(const void *a, const void *b)
{
	const struct proc *x = a, *y = b;
	if (x->root != y->root)
		return x->root ? -1 : 1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

void procset_sort(struct procset *s, int root_pid)
{
	for (size_t i = 0; i < s->n; i++)
		s->v[i].root = root_pid > 0 && s->v[i].pid == root_pid;
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), by_pid);
}

void procset_free(struct procset *s)
{
	for (size_t i = 0; i < s->n; i++) {
		json_object_put(s->v[i].doc);
		free(s->v[i].source);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

size_t procset_leaked(const struct procset *s)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n; i++) {
		json_object *leaks = jarr(s->v[i].doc, "leaks");
		n += leaks ? json_object_array_length(leaks) : 0;
	}
	return n;
}

bool leak_baselined(json_object *leak)
{
	return jbool(leak, "baselined");
}

size_t proc_new_leaks(const struct proc *p)
{
	json_object *leaks = jarr(p->doc, "leaks");
	size_t n = 0;
	for (size_t j = 0; leaks && j < json_object_array_length(leaks); j++)
		n += !leak_baselined(json_object_array_get_idx(leaks, j));
	return n;
}

size_t procset_new_leaks(const struct procset *s)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n; i++)
		n += proc_new_leaks(&s->v[i]);
	return n;
}

/* ---- frames ---- */
void frame_get(json_object *f, struct frame *out)
{
	out->function = jstr(f, "function");
	out->module = jstr(f, "module");
	out->file = jstr(f, "file");
	out->line = (int)jint(f, "line", 0);
	const char *off = jstr(f, "offset");
	out->offset = off ? strtoul(off, NULL, 16) : 0;
	out->inlined = jbool(f, "inlined");
}

json_object *leak_creation_stack(json_object *leak)
{
	return jarr(jobj(leak, "created_by"), "stack");
}

bool frame_is_user(const struct frame *f)
{
	return f->file && f->file[0] == '/' && f->line > 0 && strncmp(f->file, "/usr/", 5) != 0 &&
	       access(f->file, R_OK) == 0;
}

static int first_user_frame(json_object *stack)
{
	for (size_t i = 0; stack && i < json_object_array_length(stack); i++) {
		struct frame f;
		frame_get(json_object_array_get_idx(stack, i), &f);
		if (frame_is_user(&f))
			return (int)i;
	}
	return -1;
}

int leak_site(json_object *leak, json_object **stack)
{
	json_object *cs = leak_creation_stack(leak);
	int i = first_user_frame(cs);
	if (i >= 0) {
		*stack = cs;
		return i;
	}
	json_object *cur = jarr(leak, "stack");
	i = first_user_frame(cur);
	*stack = i >= 0 ? cur : cs;
	return i;
}

const char *path_under(const char *path, const char *root)
{
	if (path == NULL || root == NULL)
		return path;
	size_t n = strlen(root);
	while (n > 1 && root[n - 1] == '/')
		n--;
	if (n > 1 && strncmp(path, root, n) == 0 && path[n] == '/')
		return path + n + 1;
	return path;
}

const char *base_name(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;
	return s ? s + 1 : (path ? path : "?");
}
