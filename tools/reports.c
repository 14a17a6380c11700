/* The process reports (docs/report-schema.md), read with json-c, and what the outputs need to
 * know about a leaked thread: its frames, where it was created in the user's code, and which
 * threads share the same stacks. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
/* The same report of the same process, read twice (a file given twice, a merged run --json
 * given with the files it was made from): counted once. Documents of one reading of a file
 * are all distinct, even equal ones: a process's clean mid-run checks are alike to the byte
 * (a test fixture's, one per test). A document of another reading matches each earlier one
 * once. */
static unsigned reading; /* procset_read's count */

static bool already_read(struct procset *s, json_object *doc)
{
	int pid = (int)jint(doc, "pid", 0);
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].pid == pid && !s->v[i].matched && s->v[i].read != reading &&
		    json_object_equal(s->v[i].doc, doc)) {
			s->v[i].matched = true;
			return true;
		}
	return false;
}

void procset_add(struct procset *s, json_object *doc, const char *source)
{
	if (already_read(s, doc))
		return;
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
	p->matched = false;
	p->read = reading;
}

static bool is_process_report(json_object *o)
{
	const char *tool = jstr(o, "tool");
	return tool && strcmp(tool, "threadleak") == 0 && jarr(o, "leaks") != NULL;
}

/* What a process report needs to be shown, as every version of the library writes it; NULL
 * when it has it, else what is wrong (a file of the right "tool" with the wrong fields was
 * shown as a leak of "Thread tid 0 (untracked) ??"). */
static const char *report_problem(json_object *o, char *why, size_t len)
{
	json_object *v, *leaks = jarr(o, "leaks");
	/* the schema first: a report of another schema has other fields, and saying which one
	 * is missing would hide why (it was "\"pid\" is not a number" for schema 2, and schema
	 * 99 was read as if it were 1) */
	if (json_object_object_get_ex(o, "schema", &v) &&
	    (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) != 1)) {
		snprintf(why, len, "\"schema\" is %s; this threadleak reads schema 1",
		         json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
		return why;
	}
	if (!json_object_object_get_ex(o, "pid", &v) || !json_object_is_type(v, json_type_int))
		return "\"pid\" is not a number";
	for (size_t i = 0; i < json_object_array_length(leaks); i++) {
		json_object *l = json_object_array_get_idx(leaks, i), *f;
		bool has_state = json_object_is_type(l, json_type_object) &&
		                 json_object_object_get_ex(l, "state", &f);
		const char *what = !json_object_is_type(l, json_type_object) ? "is not an object"
		                   : !has_state                              ? "has no \"state\""
		                   : !jstr(l, "state") ? "has a \"state\" that is not a string"
		                   : !jarr(l, "stack") ? "has no \"stack\" list"
		                   : !json_object_object_get_ex(l, "tid", &f) ||
		                           !json_object_is_type(f, json_type_int)
		                       ? "has no \"tid\" number"
		                       : NULL;
		if (what) {
			snprintf(why, len, "leaks[%zu] %s", i, what);
			return why;
		}
	}
	return NULL;
}

/* A process report, a merged document with "processes", or an array of either: how many
 * reports were found (an invalid one is named on stderr and skipped). */
/* depth: a file's sequence of documents (0), a run --json document in it (1), its "processes"
 * (2), a process's report (3); deeper nesting is no report of ours. It stopped at 2, and a file
 * of two run --json documents (cat ci-*.json) read as no process at all, status 0. */
#define ADD_DEPTH_MAX 3

static int add_any(struct procset *s, json_object *o, const char *path, int depth)
{
	if (depth > ADD_DEPTH_MAX)
		return 0;
	if (json_object_is_type(o, json_type_array)) {
		int found = 0;
		for (size_t i = 0; i < json_object_array_length(o); i++)
			found += add_any(s, json_object_array_get_idx(o, i), path, depth + 1);
		return found;
	}
	if (is_process_report(o)) {
		char why[96];
		const char *bad = report_problem(o, why, sizeof(why));
		if (bad) {
			cli_err("%s: not a valid threadleak report (%s); skipped", path, bad);
			s->bad_files++;
			return 1; /* found, and named as skipped */
		}
		const char *check = jstr(o, "check");
		procset_add(s->hangs && check && strcmp(check, "hang") == 0 ? s->hangs : s, o,
		            path);
		return 1;
	}
	/* run --json: its processes, and the hang reports of a run that timed out or was ended */
	json_object *procs = jarr(o, "processes"), *hangs = s->hangs ? jarr(o, "hangs") : NULL;
	if (procs && jbool(o, "timed_out"))
		s->timed_out = true; /* said again by report --json */
	int found = procs ? add_any(s, procs, path, depth + 1) : 0;
	if (hangs)
		found += add_any(s, hangs, path, depth + 1);
	if (procs && !found)
		found = 1; /* a run of clean processes */
	return found;
}

/* json-c's error, in the words of someone who wrote or truncated the file. */
static const char *json_error_words(enum json_tokener_error e)
{
	switch (e) {
	case json_tokener_error_depth:
		return "nested too deeply";
	case json_tokener_error_parse_utf8_string:
		return "invalid UTF-8";
	case json_tokener_error_parse_string:
		return "a broken string (a control character or a bad escape)";
	case json_tokener_error_parse_object_key_name:
	case json_tokener_error_parse_object_key_sep:
	case json_tokener_error_parse_object_value_sep:
		return "a broken object (expected \"name\": value pairs separated by commas)";
	case json_tokener_error_parse_array:
		return "a broken array (expected values separated by commas)";
	case json_tokener_error_parse_null:
	case json_tokener_error_parse_boolean:
	case json_tokener_error_parse_number:
		return "an invalid number, true, false or null";
	case json_tokener_error_parse_comment:
		return "a broken comment";
	case json_tokener_error_size:
		return "a value too large";
	default:
		return "an unexpected character";
	}
}

/* Feed the file to the tokenizer in chunks, counting lines for the messages. A file may hold
 * several documents one after the other: a process's log file has one per check (the API's
 * checks, then the exit check's); they come back as an array. */
static json_object *parse_fd(int fd, size_t max, char *why, size_t whylen)
{
	json_tokener *tok = json_tokener_new();
	json_tokener_set_flags(tok, JSON_TOKENER_VALIDATE_UTF8);
	json_object *o = NULL, *all = NULL;
	char buf[65536];
	size_t total = 0, line = 1, line_start = 0, ndocs = 0;
	bool open = false; /* inside a document */
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(why, whylen, "%s", strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		size_t off = 0, n = (size_t)r;
		if (total == 0 && n >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
			off = 3; /* a UTF-8 byte-order mark, as some editors write */
		if (total + n > max) {
			snprintf(why, whylen, "larger than the limit of %zu MiB", max >> 20);
			goto fail;
		}
		while (off < n) {
			if (!open) {
				while (off < n && strchr(" \t\r\n", buf[off]))
					off++;
				if (off == n)
					break;
				open = true;
			}
			json_object *doc = json_tokener_parse_ex(tok, buf + off, (int)(n - off));
			enum json_tokener_error e = json_tokener_get_error(tok);
			size_t end = off + (size_t)json_tokener_get_parse_end(tok);
			if (e == json_tokener_continue)
				break;
			if (e == json_tokener_success && doc == NULL) { /* valid JSON: null */
				snprintf(why, whylen,
				         "not a threadleak report (the JSON value null)");
				goto fail;
			}
			if (e != json_tokener_success) {
				for (size_t i = 0; i < end; i++)
					if (buf[i] == '\n')
						line++, line_start = total + i + 1;
				snprintf(why, whylen,
				         "not valid JSON: %s at line %zu, column %zu (byte %zu)",
				         json_error_words(e), line, total + end - line_start + 1,
				         total + end);
				goto fail;
			}
			if (ndocs == 1) {
				all = json_object_new_array();
				json_object_array_add(all, o);
			}
			if (ndocs++ == 0)
				o = doc;
			else
				json_object_array_add(all, doc);
			json_tokener_reset(tok);
			open = false;
			off = end;
		}
		for (size_t i = 0; i < n; i++)
			if (buf[i] == '\n')
				line++, line_start = total + i + 1;
		total += n;
	}
	if (open || ndocs == 0) {
		if (ndocs == 0 && !open)
			snprintf(why, whylen, "not valid JSON: the file is empty");
		else
			snprintf(
			    why, whylen,
			    "not valid JSON: the file ends in the middle of the document, at byte "
			    "%zu (truncated?)",
			    total);
		goto fail;
	}
	json_tokener_free(tok);
	return all ? all : o;
fail:
	json_object_put(all ? all : o);
	json_tokener_free(tok);
	return NULL;
}

json_object *json_read_file(const char *path, size_t max, char *why, size_t whylen)
{
	bool is_stdin = strcmp(path, "-") == 0;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer */
	int fd = is_stdin ? 0 : open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat st;
	json_object *o = NULL;
	if (fd < 0 || fstat(fd, &st) != 0)
		snprintf(why, whylen, "%s", strerror(errno));
	else if (!is_stdin && !S_ISREG(st.st_mode))
		snprintf(why, whylen, "not a regular file");
	else if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > max)
		snprintf(why, whylen, "%jd bytes, larger than the limit of %zu MiB",
		         (intmax_t)st.st_size, max >> 20);
	else if (!is_stdin && fcntl(fd, F_SETFL, 0) != 0)
		snprintf(why, whylen, "%s", strerror(errno));
	else
		o = parse_fd(fd, max, why, whylen);
	if (fd > 0)
		close(fd);
	return o;
}

static bool same_thread(json_object *a, json_object *b)
{
	int64_t na = jint(a, "thread", 0), nb = jint(b, "thread", 0);
	return na || nb ? na == nb : jint(a, "tid", -1) == jint(b, "tid", -2);
}

/* A process's log file holds a report per check, and a thread that stays leaked is in each of
 * them: it counts once, as the last report that names it shows it (the exit check's, usually),
 * and is dropped from the earlier ones. Reports from..n-1 are the file's. */
static void drop_repeated(struct procset *s, size_t from)
{
	for (size_t i = from; i + 1 < s->n; i++) {
		json_object *leaks = jarr(s->v[i].doc, "leaks");
		size_t dropped = 0;
		for (size_t k = leaks ? json_object_array_length(leaks) : 0; k-- > 0;) {
			json_object *l = json_object_array_get_idx(leaks, k);
			bool later = false;
			for (size_t j = i + 1; j < s->n && !later; j++) {
				json_object *lj = jarr(s->v[j].doc, "leaks");
				for (size_t m = 0; s->v[j].pid == s->v[i].pid && lj &&
				                   m < json_object_array_length(lj) && !later;
				     m++)
					later = same_thread(l, json_object_array_get_idx(lj, m));
			}
			if (later) {
				json_object_array_del_idx(leaks, k, 1);
				dropped++;
			}
		}
		int64_t leaked = jint(s->v[i].doc, "leaked", 0);
		if (dropped)
			json_object_object_add(s->v[i].doc, "leaked",
			                       json_object_new_int64(leaked > (int64_t)dropped
			                                                 ? leaked - (int64_t)dropped
			                                                 : 0));
	}
}

void procset_read(struct procset *s, const char *path, size_t max)
{
	char why[256];
	json_object *o = json_read_file(path, max, why, sizeof(why));
	size_t from = s->n;
	reading++;
	if (o == NULL) {
		cli_err("%s: %s; skipped", path, why);
		s->bad_files++;
	} else if (add_any(s, o, path, 0) == 0) {
		cli_err("%s: not a threadleak report (no \"tool\": \"threadleak\" with \"leaks\"); "
		        "skipped",
		        path);
		s->bad_files++;
	} else if (s->n - from > 1 && json_object_is_type(o, json_type_array)) {
		drop_repeated(s, from); /* a sequence of one process's reports */
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

/* Processes, not reports: a process's log file holds one report per check (the API's, then
 * the exit check's), all read from the same file. which: only the reports it takes (NULL:
 * all). */
size_t procset_processes(const struct procset *s, bool (*which)(const struct proc *))
{
	size_t n = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (which && !which(&s->v[i]))
			continue;
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = (!which || which(&s->v[j])) && s->v[j].pid == s->v[i].pid &&
			       s->v[j].source && s->v[i].source &&
			       strcmp(s->v[j].source, s->v[i].source) == 0;
		n += !seen;
	}
	return n;
}

bool proc_leaky(const struct proc *p)
{
	return jint(p->doc, "leaked", 0) > 0;
}

static void rule_add(json_object *rules, json_object *sets, const char *rule, int64_t n)
{
	json_object *prev, *set = NULL;
	if (json_object_object_get_ex(rules, rule, &prev))
		n += jint(prev, "count", 0);
	json_object_object_get_ex(sets, rule, &set);
	json_object *e = json_object_new_object();
	json_object_object_add(e, "count", json_object_new_int64(n));
	json_object_object_add(e, "set", set ? json_object_get(set) : NULL);
	json_object_object_add(rules, rule, e);
}

/* A process's log holds one report per check (a test's mid-run checks, then the exit check):
 * a thread suppressed at each of them is one thread. True the first time (pid, tid) of a
 * suppressed thread is seen in seen (a JSON object used as a set). */
bool suppressed_first(json_object *seen, const struct proc *p, json_object *t)
{
	char key[64];
	snprintf(key, sizeof(key), "%d:%lld:%lld", p->pid, (long long)jint(t, "tid", 0),
	         (long long)jint(t, "thread", 0));
	if (json_object_object_get_ex(seen, key, NULL))
		return false;
	json_object_object_add(seen, key, NULL);
	return true;
}

/* Suppressed threads over every process, each once: their number, and per rule
 * {"count": threads, "set": default set or null}, into rules (a JSON object). A report whose
 * suppressed_threads is not the whole list counts its "suppressed" figure and its rules'
 * counts as they are. */
int64_t suppressed_counts(const struct procset *s, json_object *rules)
{
	int64_t total = 0;
	json_object *seen = json_object_new_object(), *sets = json_object_new_object();
	for (size_t i = 0; i < s->n; i++) {
		json_object *used = jarr(s->v[i].doc, "suppressions_used");
		for (size_t j = 0; used && j < json_object_array_length(used); j++) {
			json_object *u = json_object_array_get_idx(used, j);
			if (jstr(u, "rule") && jstr(u, "set"))
				json_object_object_add(sets, jstr(u, "rule"),
				                       json_object_new_string(jstr(u, "set")));
		}
	}
	for (size_t i = 0; i < s->n; i++) {
		json_object *st = jarr(s->v[i].doc, "suppressed_threads");
		json_object *used = jarr(s->v[i].doc, "suppressions_used");
		if (st &&
		    (int64_t)json_object_array_length(st) != jint(s->v[i].doc, "suppressed", 0))
			st = NULL; /* not the whole list: its figures as they are */
		for (size_t j = 0; st == NULL && used && j < json_object_array_length(used); j++) {
			json_object *u = json_object_array_get_idx(used, j);
			if (jstr(u, "rule") && jint(u, "count", 0) > 0)
				rule_add(rules, sets, jstr(u, "rule"), jint(u, "count", 0));
		}
		if (st == NULL) {
			total += jint(s->v[i].doc, "suppressed", 0);
			continue;
		}
		for (size_t j = 0; j < json_object_array_length(st); j++) {
			json_object *t = json_object_array_get_idx(st, j);
			if (!suppressed_first(seen, &s->v[i], t))
				continue;
			total++;
			if (jstr(t, "suppressed_by"))
				rule_add(rules, sets, jstr(t, "suppressed_by"), 1);
		}
	}
	json_object_put(seen);
	json_object_put(sets);
	return total;
}

bool proc_is_hang(const struct proc *p)
{
	const char *check = jstr(p->doc, "check");
	return check != NULL && strcmp(check, "hang") == 0;
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

/* With fail_on=unreachable, the leaks that fail the run: the new ones proven
 * (docs/report-schema.md, verdict). */
size_t procset_proven_leaks(const struct procset *s)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n; i++) {
		json_object *leaks = jarr(s->v[i].doc, "leaks");
		for (size_t j = 0; leaks && j < json_object_array_length(leaks); j++) {
			json_object *l = json_object_array_get_idx(leaks, j);
			const char *v = jstr(l, "verdict");
			n += !leak_baselined(l) && v &&
			     (strcmp(v, "unreachable") == 0 || strcmp(v, "freed") == 0);
		}
	}
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
	out->signal_frame = jbool(f, "signal_frame");
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

int first_user_frame(json_object *stack)
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

bool next_line(const char **cursor, char *out, size_t n)
{
	const char *p = *cursor;
	if (p == NULL || *p == '\0')
		return false;
	size_t len = strcspn(p, "\n");
	snprintf(out, n, "%.*s", (int)len, p);
	*cursor = p + len + (p[len] == '\n');
	return true;
}
