/* Baselines, for adopting the gate in a project that already leaks: the signatures of known
 * leaks (state, start routine, creation site in the user's code: no addresses, no thread or
 * process numbers) are recorded once; later runs fail only on leaks with other signatures,
 * and say which recorded ones no longer occur. File format: docs/cli.md. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void add_str(json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, v ? json_object_new_string(v) : NULL);
}

json_object *leak_signature(json_object *leak, const char *root)
{
	json_object *sig = json_object_new_object();
	add_str(sig, "state", jstr(leak, "state"));
	add_str(sig, "start_routine", jstr(leak, "start_routine"));
	json_object *stack = NULL;
	int i = leak_site(leak, &stack);
	if (i < 0 && stack && json_object_array_length(stack) > 0)
		i = 0; /* no frame in the user's code: the caller of pthread_create */
	json_object *site = json_object_new_object();
	struct frame f = {0};
	if (i >= 0)
		frame_get(json_object_array_get_idx(stack, (size_t)i), &f);
	add_str(site, "function", f.function);
	add_str(site, "file", f.file && f.line > 0 ? path_under(f.file, root) : NULL);
	json_object_object_add(site, "line",
	                       f.file && f.line > 0 ? json_object_new_int(f.line) : NULL);
	json_object_object_add(sig, "created_at", site);
	return sig;
}

static bool str_eq(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static bool sig_eq(json_object *a, json_object *b)
{
	json_object *sa = jobj(a, "created_at"), *sb = jobj(b, "created_at");
	return str_eq(jstr(a, "state"), jstr(b, "state")) &&
	       str_eq(jstr(a, "start_routine"), jstr(b, "start_routine")) &&
	       str_eq(jstr(sa, "function"), jstr(sb, "function")) &&
	       str_eq(jstr(sa, "file"), jstr(sb, "file")) &&
	       jint(sa, "line", 0) == jint(sb, "line", 0);
}

/* A member that must be a string or null when present; NULL, or what is wrong. */
static const char *str_or_null(json_object *o, const char *key, char *why, size_t n, size_t entry,
                               const char *in)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || v == NULL ||
	    json_object_is_type(v, json_type_string))
		return NULL;
	snprintf(why, n, "entry %zu: \"%s\"%s is %s, not a string or null", entry, key, in,
	         json_type_to_name(json_object_get_type(v)));
	return why;
}

/* The file's shape (docs/cli.md), checked whole before any entry is used. */
static const char *baseline_check(json_object *doc, char *why, size_t n)
{
	if (!json_object_is_type(doc, json_type_object))
		return "not a threadleak baseline (not a JSON object)";
	const char *tool = jstr(doc, "tool");
	if (tool == NULL || strcmp(tool, "threadleak") != 0)
		return "not a threadleak baseline (no \"tool\": \"threadleak\")";
	json_object *v;
	if (!json_object_object_get_ex(doc, "baseline", &v) ||
	    !json_object_is_type(v, json_type_int))
		return "not a threadleak baseline (no \"baseline\" version number)";
	if (json_object_get_int64(v) != 1) {
		snprintf(why, n,
		         "baseline version %s is not supported (this threadleak reads version 1)",
		         json_object_to_json_string(v));
		return why;
	}
	json_object *entries = jarr(doc, "entries");
	if (entries == NULL)
		return "not a threadleak baseline (no \"entries\" array)";
	for (size_t i = 0; i < json_object_array_length(entries); i++) {
		json_object *e = json_object_array_get_idx(entries, i), *at = NULL;
		if (!json_object_is_type(e, json_type_object)) {
			snprintf(why, n, "entry %zu is %s, not an object", i + 1,
			         json_type_to_name(json_object_get_type(e)));
			return why;
		}
		if (str_or_null(e, "state", why, n, i + 1, "") ||
		    str_or_null(e, "start_routine", why, n, i + 1, ""))
			return why;
		if (json_object_object_get_ex(e, "created_at", &at) && at != NULL &&
		    !json_object_is_type(at, json_type_object)) {
			snprintf(why, n, "entry %zu: \"created_at\" is %s, not an object", i + 1,
			         json_type_to_name(json_object_get_type(at)));
			return why;
		}
		if (at == NULL)
			continue;
		if (str_or_null(at, "function", why, n, i + 1, " of created_at") ||
		    str_or_null(at, "file", why, n, i + 1, " of created_at"))
			return why;
		if (json_object_object_get_ex(at, "line", &v) && v != NULL &&
		    (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0 ||
		     json_object_get_int64(v) > INT32_MAX)) {
			snprintf(why, n,
			         "entry %zu: \"line\" of created_at is %s, not a line number",
			         i + 1, json_object_to_json_string(v));
			return why;
		}
	}
	return NULL;
}

int baseline_load(struct baseline *b, const char *path)
{
	memset(b, 0, sizeof(*b));
	b->path = path;
	struct stat st;
	if (lstat(path, &st) != 0 && errno == ENOENT)
		return 0; /* recorded by this run */
	char why[512];
	json_object *doc = json_read_file(path, TL_MAX_BASELINE, why, sizeof(why));
	const char *bad = doc ? baseline_check(doc, why, sizeof(why)) : why;
	if (bad) {
		cli_err("baseline %s: %s; checking without it (every leak is new; the file is kept "
		        "as it is)",
		        path, bad);
		json_object_put(doc);
		return -1;
	}
	json_object *entries = jarr(doc, "entries");
	b->entries = json_object_get(entries);
	json_object_put(doc);
	b->n = json_object_array_length(entries);
	b->seen = calloc(b->n + 1, sizeof(bool));
	b->existed = true;
	return 0;
}

void baseline_apply(struct baseline *b, struct procset *s, const char *root, bool accept_all)
{
	for (size_t i = 0; i < s->n; i++) {
		json_object *leaks = jarr(s->v[i].doc, "leaks");
		for (size_t j = 0; leaks && j < json_object_array_length(leaks); j++) {
			json_object *leak = json_object_array_get_idx(leaks, j);
			json_object *sig = leak_signature(leak, root);
			bool known = accept_all || !b->existed;
			for (size_t k = 0; k < b->n; k++) {
				if (sig_eq(sig, json_object_array_get_idx(b->entries, k))) {
					b->seen[k] = true;
					known = true;
				}
			}
			json_object_object_add(leak, "baselined", json_object_new_boolean(known));
			json_object_put(sig);
		}
	}
}

json_object *baseline_gone(const struct baseline *b)
{
	json_object *gone = json_object_new_array();
	for (size_t k = 0; k < b->n; k++)
		if (!b->seen[k])
			json_object_array_add(
			    gone, json_object_get(json_object_array_get_idx(b->entries, k)));
	return gone;
}

static int cmp_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

/* Stable order, so that a baseline kept in version control diffs well. */
static int sig_cmp(const void *x, const void *y)
{
	json_object *a = *(json_object *const *)x, *b = *(json_object *const *)y;
	json_object *sa = jobj(a, "created_at"), *sb = jobj(b, "created_at");
	int c = cmp_str(jstr(sa, "file"), jstr(sb, "file"));
	if (c == 0)
		c = (int)(jint(sa, "line", 0) - jint(sb, "line", 0));
	if (c == 0)
		c = cmp_str(jstr(sa, "function"), jstr(sb, "function"));
	if (c == 0)
		c = cmp_str(jstr(a, "start_routine"), jstr(b, "start_routine"));
	if (c == 0)
		c = cmp_str(jstr(a, "state"), jstr(b, "state"));
	return c;
}

int baseline_record(const char *path, const struct procset *s, const char *root)
{
	json_object *entries = json_object_new_array();
	for (size_t i = 0; i < s->n; i++) {
		json_object *leaks = jarr(s->v[i].doc, "leaks");
		for (size_t j = 0; leaks && j < json_object_array_length(leaks); j++) {
			json_object *sig =
			    leak_signature(json_object_array_get_idx(leaks, j), root);
			bool dup = false;
			for (size_t k = 0; k < json_object_array_length(entries) && !dup; k++)
				dup = sig_eq(sig, json_object_array_get_idx(entries, k));
			if (dup)
				json_object_put(sig);
			else
				json_object_array_add(entries, sig);
		}
	}
	json_object_array_sort(entries, sig_cmp);
	json_object *doc = json_object_new_object();
	json_object_object_add(doc, "tool", json_object_new_string("threadleak"));
	json_object_object_add(doc, "baseline", json_object_new_int(1));
	json_object_object_add(doc, "entries", entries);
	int rc = write_json_file(path, doc);
	json_object_put(doc);
	return rc;
}

void baseline_free(struct baseline *b)
{
	json_object_put(b->entries);
	free(b->seen);
	memset(b, 0, sizeof(*b));
}
