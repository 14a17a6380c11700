/* SARIF 2.1.0 for code scanning: one result per leak (threads of one program with the same
 * state and stacks make one result, with occurrenceCount), located where the thread was
 * created in the user's code; the current and creation stacks as SARIF stacks, their frames
 * in the user's code as related locations. The threads of a hang report (run --timeout) the
 * same way, under their own rule, located where they wait. */
#include "cli.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

struct rule {
	const char *state, *id, *name, *text, *help;
};

static const struct rule rules[] = {
    {
        .state = "blocked",
        .id = "leaked-thread/blocked",
        .name = "LeakedBlockedThread",
        .text = "A thread was still blocked when the program exited",
        .help = "A thread the program started was blocked in a call (a condition variable, a "
                "lock, a read, a join, ...) when the program exited: nothing will wake it, so "
                "it and everything it holds leak, once per call of the code that started it. "
                "Make what it waits for happen (close the channel, signal the condition, "
                "cancel it) and join it before returning.",
    },
    {
        .state = "running",
        .id = "leaked-thread/running",
        .name = "LeakedRunningThread",
        .text = "A thread was still running when the program exited",
        .help = "A thread the program started was still running (or in a call threadleak "
                "does not know) when the program exited. Stop it and join it before "
                "returning, or suppress it if it is meant to live as long as the process.",
    },
    {
        .state = "exited",
        .id = "leaked-thread/exited",
        .name = "UnjoinedThread",
        .text = "A thread finished but was never joined nor detached",
        .help = "A joinable thread finished but nobody joined it: its stack and thread-local "
                "storage are never freed. Join it, or detach it when it is created.",
    },
    {
        .state = "untracked",
        .id = "leaked-thread/untracked",
        .name = "UntrackedThread",
        .text = "A thread nobody saw created was alive at exit",
        .help = "A thread that threadleak never saw created (started by libc internals, "
                "before threadleak, or with a raw clone) was alive when the program exited.",
    },
    /* not a state: the threads of a hang report (run --timeout), main included */
    {
        .state = NULL,
        .id = "hang/thread",
        .name = "HungProcessThread",
        .text = "A thread of a process that had not exited when its time was up",
        .help = "threadleak run --timeout ended a process that had not exited in time; this "
                "thread was where its location says (blocked, with the chain of waits in the "
                "message when it waits for another thread). Find what it waits for that never "
                "comes: a lock held, a thread never joined, a read nobody writes to.",
    },
};
enum { HANG_RULE = sizeof(rules) / sizeof(rules[0]) - 1 };

static int rule_index(const char *state)
{
	for (size_t i = 0; i < HANG_RULE; i++) /* the states' rules */
		if (state && strcmp(state, rules[i].state) == 0)
			return (int)i;
	return 1; /* running: a thread doing something unknown */
}

static json_object *text_msg(const char *text)
{
	json_object *m = json_object_new_object();
	json_object_object_add(m, "text", json_object_new_string(text));
	return m;
}

static json_object *rule_json(const struct rule *r)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(r->id));
	json_object_object_add(o, "name", json_object_new_string(r->name));
	json_object_object_add(o, "shortDescription", text_msg(r->text));
	json_object_object_add(o, "fullDescription", text_msg(r->help));
	json_object_object_add(o, "help", text_msg(r->help));
	json_object *conf = json_object_new_object();
	json_object_object_add(conf, "level", json_object_new_string("error"));
	json_object_object_add(o, "defaultConfiguration", conf);
	return o;
}

/* An RFC 3986 path: unreserved characters and '/' as they are, the rest percent-encoded. */
static char *uri_path(const char *prefix, const char *path)
{
	size_t n = strlen(prefix) + strlen(path) * 3 + 1;
	char *out = malloc(n), *o = out;
	if (out == NULL)
		return NULL;
	o = stpcpy(o, prefix);
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("/-._~+", *p))
			*o++ = (char)*p;
		else
			o += sprintf(o, "%%%02X", *p);
	}
	*o = '\0';
	return out;
}

/* file relative to root when it is under it, else NULL. Not path_under, which leaves a path
 * absolute under "/" (a report's paths under the current folder "/" read better whole), and
 * SRCROOT-relative URIs must be relative for every root: "/" and "/src/" too. */
static const char *under_root(const char *file, const char *root)
{
	size_t n = strlen(root);
	while (n > 0 && root[n - 1] == '/') /* "/" becomes "", "/src/" "/src" */
		n--;
	if (root[0] != '/' || file[0] != '/' || strncmp(file, root, n) != 0 || file[n] != '/')
		return NULL;
	const char *rel = file + n;
	while (*rel == '/') /* "//x" under "/" */
		rel++;
	return *rel ? rel : NULL;
}

static json_object *artifact(const char *file, const char *root)
{
	json_object *a = json_object_new_object();
	const char *rel = under_root(file, root);
	char *uri = rel ? uri_path("", rel) : uri_path("file://", file);
	json_object_object_add(a, "uri", json_object_new_string(uri ? uri : file));
	if (rel)
		json_object_object_add(a, "uriBaseId", json_object_new_string("SRCROOT"));
	free(uri);
	return a;
}

/* A location for a frame: physical when its file is an absolute path, logical always. */
static json_object *frame_location(const struct frame *f, const char *root, const char *text)
{
	json_object *loc = json_object_new_object();
	if (f->file && f->file[0] == '/' && f->line > 0) {
		json_object *phys = json_object_new_object();
		json_object_object_add(phys, "artifactLocation", artifact(f->file, root));
		json_object *region = json_object_new_object();
		json_object_object_add(region, "startLine", json_object_new_int(f->line));
		json_object_object_add(phys, "region", region);
		json_object_object_add(loc, "physicalLocation", phys);
	}
	if (f->function) {
		json_object *ll = json_object_new_object();
		json_object_object_add(ll, "name", json_object_new_string(f->function));
		json_object_object_add(ll, "kind", json_object_new_string("function"));
		json_object *lls = json_object_new_array();
		json_object_array_add(lls, ll);
		json_object_object_add(loc, "logicalLocations", lls);
	}
	if (text)
		json_object_object_add(loc, "message", text_msg(text));
	return loc;
}

static char *frame_text(const struct frame *f)
{
	char *t = NULL;
	int r;
	if (f->file && f->line > 0)
		r = asprintf(&t, "%s at %s:%d", f->function ? f->function : "??", f->file, f->line);
	else
		r = asprintf(&t, "%s (%s+0x%lx)", f->function ? f->function : "??",
		             base_name(f->module), f->offset);
	return r < 0 ? NULL : t;
}

static json_object *stack_json(json_object *stack, const char *what, const char *root)
{
	json_object *st = json_object_new_object();
	json_object_object_add(st, "message", text_msg(what));
	json_object *frames = json_object_new_array();
	for (size_t i = 0; stack && i < json_object_array_length(stack); i++) {
		struct frame f;
		frame_get(json_object_array_get_idx(stack, i), &f);
		char *t = frame_text(&f);
		json_object *fr = json_object_new_object();
		json_object_object_add(fr, "location", frame_location(&f, root, t));
		if (f.module)
			json_object_object_add(fr, "module", json_object_new_string(f.module));
		json_object_array_add(frames, fr);
		free(t);
	}
	json_object_object_add(st, "frames", frames);
	return st;
}

static void add_related(json_object *rel, json_object *stack, const char *what, const char *root,
                        json_object *skip)
{
	for (size_t i = 0; stack && i < json_object_array_length(stack); i++) {
		json_object *fo = json_object_array_get_idx(stack, i);
		struct frame f;
		frame_get(fo, &f);
		if (fo == skip || !frame_is_user(&f))
			continue;
		char *t = NULL;
		if (asprintf(&t, "%s: %s", what, f.function ? f.function : "??") < 0)
			t = NULL;
		json_object *loc = frame_location(&f, root, t);
		json_object_object_add(loc, "id",
		                       json_object_new_int((int)json_object_array_length(rel) + 1));
		json_object_array_add(rel, loc);
		free(t);
	}
}

/* hang: NULL for a leak; for a thread of a hang report, " (why)" or "" */
static char *result_text(const struct program *pg, const struct group *g, const char *hang)
{
	json_object *leak = g->m[0].leak;
	const char *state = jstr(leak, "state");
	const char *call = jstr(leak, "blocked_in");
	const char *sr = jstr(leak, "start_routine");
	char *what = NULL, *t = NULL;
	bool blocked = state && strcmp(state, "blocked") == 0;
	/* no object: its address changes from run to run (it is in the properties) */
	if (blocked && asprintf(&what, "blocked in %s", call ? call : "?") < 0)
		what = NULL;
	else if (!blocked)
		what = strdup(state && strcmp(state, "exited") == 0 ? "finished but never joined"
		              : state && strcmp(state, "untracked") == 0 ? "never seen created"
		                                                         : "running");
	char *how = NULL; /* " leaked", or ", which had not exited (why)" */
	if (hang == NULL)
		how = strdup(" leaked");
	else if (asprintf(&how, ", which had not exited%s", hang) < 0)
		how = NULL;
	int r;
	int64_t number = jint(leak, "thread", 0);
	if (g->n == 1 && number)
		r = asprintf(&t, "Thread %lld of %s (pid %d)%s: %s. Start routine %s.",
		             (long long)number, base_name(pg->exe), g->m[0].p->pid, how ? how : "",
		             what ? what : "?", sr ? sr : "unknown");
	else if (g->n == 1)
		r = asprintf(&t, "Thread tid %lld of %s (pid %d)%s: %s.",
		             (long long)jint(leak, "tid", 0), base_name(pg->exe), g->m[0].p->pid,
		             how ? how : "", what ? what : "?");
	else
		r = asprintf(&t,
		             "%zu threads of %s%s%s with the same stacks: %s. Start routine %s.",
		             g->n, base_name(pg->exe), how ? how : "", hang ? "," : "",
		             what ? what : "?", sr ? sr : "unknown");
	free(how);
	free(what);
	/* where it is now, in the user's code: groups of one creation site differ there */
	json_object *now = jarr(leak, "stack");
	int k = first_user_frame(now);
	char *with = NULL;
	if (r >= 0 && k >= 0 && blocked) {
		struct frame f;
		frame_get(json_object_array_get_idx(now, (size_t)k), &f);
		size_t n = strlen(t);
		if (n > 0 && t[n - 1] == '.' && strstr(t, ": blocked in ")) {
			const char *end = strstr(t, ". Start routine");
			size_t cut = end ? (size_t)(end - t) : n - 1;
			if (asprintf(&with, "%.*s, at %s (%s:%d)%s", (int)cut, t,
			             f.function ? f.function : "?", base_name(f.file), f.line,
			             t + cut) < 0)
				with = NULL;
		}
	}
	if (with) {
		free(t);
		t = with;
	}
	return r < 0 ? NULL : t;
}

static json_object *threads_json(const struct group *g)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < g->n; i++) {
		json_object *t = json_object_new_object();
		json_object_object_add(t, "pid", json_object_new_int(g->m[i].p->pid));
		int64_t num = jint(g->m[i].leak, "thread", 0);
		json_object_object_add(t, "thread", num ? json_object_new_int64(num) : NULL);
		json_object_object_add(t, "tid",
		                       json_object_new_int64(jint(g->m[i].leak, "tid", 0)));
		json_object_array_add(a, t);
	}
	return a;
}

static json_object *primary_location(json_object *leak, const struct program *pg, const char *root,
                                     json_object **site)
{
	json_object *stack = NULL;
	int i = leak_site(leak, &stack);
	json_object *locs = json_object_new_array();
	*site = NULL;
	if (i >= 0) {
		*site = json_object_array_get_idx(stack, (size_t)i);
		struct frame f;
		frame_get(*site, &f);
		json_object_array_add(locs, frame_location(&f, root, NULL));
	} else {
		/* no frame in the user's code: the program itself */
		json_object *loc = json_object_new_object();
		json_object *phys = json_object_new_object();
		json_object_object_add(phys, "artifactLocation", artifact(pg->exe, root));
		json_object_object_add(loc, "physicalLocation", phys);
		json_object_array_add(locs, loc);
	}
	return locs;
}

/* A hang report's group: where its threads are now, in the user's code, with the process's
 * chains of waits ("main thread blocked in pthread_join on thread 2 ..."). */
/* A hang report's group: the text of a leak's, saying the process had not exited instead, then
 * the process's deadlock and chains of waits ("main thread blocked in pthread_join on thread 2
 * ..."). */
static char *hang_text(const struct program *pg, const struct group *g)
{
	json_object *doc = g->m[0].p->doc, *waits = jarr(doc, "waits");
	const char *reason = jstr(doc, "reason"), *deadlock = jstr(doc, "deadlock");
	char *why = NULL, *t = NULL;
	if (asprintf(&why, reason ? " (%s)" : "%s", reason ? reason : "") < 0)
		return NULL;
	char *text = result_text(pg, g, why);
	free(why);
	size_t len = 0;
	FILE *m = text ? open_memstream(&t, &len) : NULL;
	if (m == NULL)
		return text;
	fputs(text, m);
	free(text);
	/* the cycle, which waits leave out: "deadlock: thread 1 waits for ...", a line each */
	for (const char *l = deadlock; l && *l;) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);
		if (n > 0)
			fprintf(m, " %c%.*s.", toupper((unsigned char)*l), (int)n - 1, l + 1);
		l += n + (e != NULL);
	}
	for (size_t i = 0; waits && i < json_object_array_length(waits); i++)
		fprintf(m, " %s.", json_object_get_string(json_object_array_get_idx(waits, i)));
	fclose(m);
	return t;
}

static json_object *result_json(const struct program *pg, const struct group *g, const char *root,
                                bool hang)
{
	json_object *leak = g->m[0].leak;
	int ri = hang ? HANG_RULE : rule_index(jstr(leak, "state"));
	json_object *res = json_object_new_object();
	json_object_object_add(res, "ruleId", json_object_new_string(rules[ri].id));
	json_object_object_add(res, "ruleIndex", json_object_new_int(ri));
	/* "error" as the run's exit status counts it; a leak the process's fail_on=unreachable
	 * does not count (not proven) is a "warning": code scanning must not fail what run
	 * passed. A hang fails the run (124). */
	bool counts = hang;
	for (size_t i = 0; i < g->n && !counts; i++)
		counts = leak_fails_on(g->m[i].p, g->m[i].leak);
	json_object_object_add(res, "level", json_object_new_string(counts ? "error" : "warning"));
	char *text = hang ? hang_text(pg, g) : result_text(pg, g, NULL);
	json_object_object_add(res, "message", text_msg(text ? text : "leaked thread"));
	free(text);
	json_object *site = NULL;
	json_object *cur = jarr(leak, "stack");
	int where = hang ? first_user_frame(cur) : -1;
	if (where >= 0) { /* a hang: where the thread waits, in the user's code */
		struct frame f;
		frame_get(json_object_array_get_idx(cur, (size_t)where), &f);
		json_object *locs = json_object_new_array();
		json_object_array_add(locs, frame_location(&f, root, NULL));
		json_object_object_add(res, "locations", locs);
	} else {
		json_object_object_add(res, "locations", primary_location(leak, pg, root, &site));
	}
	json_object *rel = json_object_new_array();
	add_related(rel, leak_creation_stack(leak), "creation stack", root, site);
	add_related(rel, jarr(leak, "stack"), "current stack", root, NULL);
	json_object_object_add(res, "relatedLocations", rel);
	json_object *stacks = json_object_new_array();
	if (jarr(leak, "stack") && json_object_array_length(jarr(leak, "stack")) > 0)
		json_object_array_add(stacks,
		                      stack_json(jarr(leak, "stack"), "current stack", root));
	if (leak_creation_stack(leak))
		json_object_array_add(
		    stacks, stack_json(leak_creation_stack(leak), "creation stack", root));
	json_object_object_add(res, "stacks", stacks);
	json_object *sig = leak_signature(leak, root);
	if (hang)
		json_object_object_add(sig, "hang", json_object_new_boolean(true));
	/* and where the threads are now: two groups made at one site and blocked at two lines
	 * (the seed's senders) were two results of one fingerprint, which code scanning takes for
	 * one alert. Not in the baseline's signature, which counts them together. */
	json_object *now = jarr(leak, "stack");
	int k = first_user_frame(now);
	if (k >= 0) {
		struct frame f;
		frame_get(json_object_array_get_idx(now, (size_t)k), &f);
		json_object *at = json_object_new_object();
		json_object_object_add(at, "function",
		                       f.function ? json_object_new_string(f.function) : NULL);
		json_object_object_add(at, "line", json_object_new_int(f.line));
		json_object_object_add(sig, "now_at", at);
	}
	const char *sig_text = json_object_to_json_string(sig);
	char fp[32];
	snprintf(fp, sizeof(fp), "%016llx",
	         (unsigned long long)tl_hash_bytes(sig_text, strlen(sig_text)));
	json_object_put(sig);
	json_object *fps = json_object_new_object();
	json_object_object_add(fps, "threadleakSignature/v1", json_object_new_string(fp));
	json_object_object_add(res, "partialFingerprints", fps);
	json_object_object_add(res, "occurrenceCount", json_object_new_int64((int64_t)g->n));
	json_object *has;
	if (json_object_object_get_ex(leak, "baselined", &has))
		json_object_object_add(
		    res, "baselineState",
		    json_object_new_string(leak_baselined(leak) ? "unchanged" : "new"));
	json_object *props = json_object_new_object();
	json_object_object_add(props, "program", json_object_new_string(pg->exe));
	const char *object = jstr(leak, "object");
	json_object_object_add(props, "object", object ? json_object_new_string(object) : NULL);
	json_object_object_add(props, "threads", threads_json(g));
	json_object_object_add(res, "properties", props);
	return res;
}

static json_object *tool_json(void)
{
	json_object *driver = json_object_new_object();
	json_object_object_add(driver, "name", json_object_new_string("threadleak"));
	json_object_object_add(driver, "version", json_object_new_string(cli_version));
	json_object *rs = json_object_new_array();
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		json_object_array_add(rs, rule_json(&rules[i]));
	json_object_object_add(driver, "rules", rs);
	json_object *tool = json_object_new_object();
	json_object_object_add(tool, "driver", driver);
	return tool;
}

int write_sarif(const char *path, const struct procset *s, const struct procset *hangs,
                const char *root)
{
	json_object *run = json_object_new_object();
	json_object_object_add(run, "tool", tool_json());
	char *rooturi = uri_path("file://", root);
	size_t n = strlen(rooturi);
	json_object *base = json_object_new_object(), *srcroot = json_object_new_object();
	if (n && rooturi[n - 1] != '/') {
		char *with = NULL;
		if (asprintf(&with, "%s/", rooturi) > 0) {
			free(rooturi);
			rooturi = with;
		}
	}
	json_object_object_add(srcroot, "uri", json_object_new_string(rooturi));
	free(rooturi);
	json_object_object_add(base, "SRCROOT", srcroot);
	json_object_object_add(run, "originalUriBaseIds", base);
	json_object *inv = json_object_new_object();
	json_object_object_add(inv, "executionSuccessful", json_object_new_boolean(true));
	json_object *invs = json_object_new_array();
	json_object_array_add(invs, inv);
	json_object_object_add(run, "invocations", invs);
	json_object *results = json_object_new_array();
	size_t np;
	struct program *pg = programs(s, true, &np);
	for (size_t i = 0; i < np; i++)
		for (size_t j = 0; j < pg[i].ng; j++)
			json_object_array_add(results,
			                      result_json(&pg[i], &pg[i].g[j], root, false));
	programs_free(pg, np);
	/* run --timeout: the threads of each process that had not exited (the JUnit file has a
	 * failed test case for it; here it had no result at all) */
	pg = hangs ? programs(hangs, true, &np) : NULL;
	for (size_t i = 0; pg && i < np; i++)
		for (size_t j = 0; j < pg[i].ng; j++)
			json_object_array_add(results,
			                      result_json(&pg[i], &pg[i].g[j], root, true));
	if (pg)
		programs_free(pg, np);
	json_object_object_add(run, "results", results);
	json_object *runs = json_object_new_array();
	json_object_array_add(runs, run);
	json_object *doc = json_object_new_object();
	json_object_object_add(
	    doc, "$schema",
	    json_object_new_string("https://json.schemastore.org/sarif-2.1.0.json"));
	json_object_object_add(doc, "version", json_object_new_string("2.1.0"));
	json_object_object_add(doc, "runs", runs);
	int rc = write_json_file(path, doc);
	json_object_put(doc);
	return rc;
}
