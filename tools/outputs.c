/* Files for machines: the merged JSON of a run, and JUnit XML (one test case per process:
 * failing when it leaked threads that are not in the baseline). */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The path a write to PATH opens: PATH itself, or where its final component leads when it is
 * a symlink (fopen "w" follows a dangling symlink and creates the file it names). malloc'd. */
static char *link_target(const char *path)
{
	char *cur = strdup(path);
	/* 40: the kernel's own limit (ELOOP); past it the write fails anyway */
	for (int hops = 0; cur && hops < 40; hops++) {
		struct stat st;
		char buf[PATH_MAX];
		ssize_t n;
		if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode) ||
		    (n = readlink(cur, buf, sizeof(buf) - 1)) < 0)
			break;
		buf[n] = '\0';
		char *next = NULL, *slash = strrchr(cur, '/');
		/* a relative target is relative to the link's folder, not to ours */
		if (buf[0] == '/' || slash == NULL)
			next = strdup(buf);
		else if (asprintf(&next, "%.*s/%s", (int)(slash - cur), cur, buf) < 0)
			next = NULL;
		free(cur);
		cur = next;
	}
	return cur;
}

/* Which file an output is. One that exists is its device and inode: a path string cannot tell
 * that two hard links, or ./x and x through a symlinked folder, are one file. One that does
 * not exist yet (nor the file a dangling symlink names) is the folder it would be made in
 * (device and inode) and its name there. */
struct file_id {
	bool exists, known; /* known: false when even its folder cannot be found */
	dev_t dev;
	ino_t ino;
	char *name; /* not existing: its name in that folder (malloc'd) */
};

static void file_id_of(const char *path, struct file_id *id)
{
	struct stat st;
	*id = (struct file_id){0};
	if (stat(path, &st) == 0) {
		*id = (struct file_id){
		    .exists = true, .known = true, .dev = st.st_dev, .ino = st.st_ino};
		return;
	}
	char *target = link_target(path);
	char *slash = target ? strrchr(target, '/') : NULL;
	if (target == NULL)
		return;
	const char *name = slash ? slash + 1 : target;
	char *dir =
	    slash ? strndup(target, slash == target ? 1 : (size_t)(slash - target)) : strdup(".");
	if (dir && stat(dir, &st) == 0) {
		id->known = true;
		id->dev = st.st_dev;
		id->ino = st.st_ino;
		id->name = strdup(name);
	}
	free(dir);
	free(target);
}

static bool file_id_same(const struct file_id *a, const struct file_id *b)
{
	if (!a->known || !b->known || a->exists != b->exists || a->dev != b->dev ||
	    a->ino != b->ino)
		return false;
	return a->exists || (a->name && b->name && strcmp(a->name, b->name) == 0);
}

int outputs_distinct(const char *const *names, const char *const *paths, size_t n)
{
	struct file_id id[8];
	bool used[8] = {false};
	int rc = 0;
	struct stat st;
	for (size_t i = 0; i < n && i < 8; i++) { /* /dev/null twice is fine */
		used[i] = paths[i] && (stat(paths[i], &st) != 0 || S_ISREG(st.st_mode));
		if (used[i])
			file_id_of(paths[i], &id[i]);
	}
	for (size_t i = 0; i < n && i < 8 && rc == 0; i++)
		for (size_t j = i + 1; j < n && j < 8 && rc == 0; j++)
			if (used[i] && used[j] &&
			    (file_id_same(&id[i], &id[j]) || strcmp(paths[i], paths[j]) == 0)) {
				cli_err("%s and %s name the same file %s: each needs its own",
				        names[i], names[j], paths[j]);
				rc = -1;
			}
	for (size_t i = 0; i < n && i < 8; i++)
		if (used[i])
			free(id[i].name);
	return rc;
}

int outputs_writable(const char *const *names, const char *const *paths, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *p = paths[i];
		if (p == NULL)
			continue;
		if (p[0] == '\0' || strcmp(p, "--") == 0) {
			cli_err("%s: '%s' is not a file name (%s FILE)", names[i], p, names[i]);
			return -1;
		}
		struct stat st;
		if (stat(p, &st) == 0) {
			if (S_ISDIR(st.st_mode)) {
				cli_err("%s %s: a folder, not a file", names[i], p);
				return -1;
			}
			if (access(p, W_OK) != 0) {
				cli_err("%s %s: %s", names[i], p, strerror(errno));
				return -1;
			}
			continue;
		}
		char *copy = strdup(p), *slash = copy ? strrchr(copy, '/') : NULL;
		const char *dir = slash ? (slash == copy ? "/" : copy) : ".";
		if (slash && slash != copy)
			*slash = '\0';
		int ok =
		    copy && stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && access(dir, W_OK) == 0;
		int saved = errno;
		free(copy);
		if (!ok) {
			cli_err("%s %s: cannot be written (%s)", names[i], p,
			        saved ? strerror(saved) : "its folder is not a folder");
			return -1;
		}
	}
	return 0;
}

/* Does the file at path begin as a threadleak JSON document ({"tool": "threadleak", ...})? */
static bool is_json_report(const char *path)
{
	char head[128] = "";
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return false;
	size_t got = fread(head, 1, sizeof(head) - 1, f);
	fclose(f);
	head[got] = '\0';
	const char *p = head + strspn(head, " \t\r\n");
	const char *tool = strstr(head, "\"tool\"");
	return *p == '{' && tool && strstr(tool, "\"threadleak\"");
}

int outputs_not_inputs(const char *const *names, const char *const *paths, size_t n,
                       char *const *inputs, size_t ninputs)
{
	struct stat out, in;
	for (size_t i = 0; i < n; i++) {
		if (paths[i] == NULL || stat(paths[i], &out) != 0 || !S_ISREG(out.st_mode))
			continue;
		if (strcmp(names[i], "--json") != 0 && is_json_report(paths[i])) {
			cli_err(
			    "%s %s is a threadleak JSON report: it would be overwritten (an output "
			    "file name forgotten?)",
			    names[i], paths[i]);
			return -1;
		}
		for (size_t k = 0; k < ninputs; k++)
			if (stat(inputs[k], &in) == 0 && in.st_dev == out.st_dev &&
			    in.st_ino == out.st_ino) {
				cli_err("%s %s is also a report to read: it would be overwritten "
				        "(an output file name forgotten?)",
				        names[i], paths[i]);
				return -1;
			}
	}
	return 0;
}

int write_json_file(const char *path, json_object *o)
{
	FILE *f = fopen(path, "w");
	if (f == NULL) {
		cli_err("cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	const char *text = json_object_to_json_string_ext(
	    o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
	fputs(text, f);
	fputc('\n', f);
	if (fclose(f) != 0) {
		cli_err("cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static json_object *strv_json(char **v)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; v && v[i]; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

int write_merged_json(const char *path, const struct procset *s, const struct run_info *ri)
{
	json_object *doc = json_object_new_object();
	json_object_object_add(doc, "tool", json_object_new_string("threadleak"));
	json_object_object_add(doc, "schema", json_object_new_int(1));
	json_object_object_add(doc, "version", json_object_new_string(cli_version));
	json_object_object_add(doc, "command", ri->argv ? strv_json(ri->argv) : NULL);
	json_object_object_add(doc, "command_status",
	                       ri->cmd_status >= 0 ? json_object_new_int(ri->cmd_status) : NULL);
	json_object_object_add(doc, "exit_status",
	                       ri->exit_status >= 0 ? json_object_new_int(ri->exit_status) : NULL);
	json_object_object_add(doc, "processes_checked",
	                       json_object_new_int64((int64_t)procset_processes(s, NULL)));
	json_object_object_add(doc, "leaked", json_object_new_int64((int64_t)procset_leaked(s)));
	if (ri->baseline) {
		json_object *b = json_object_new_object();
		json_object_object_add(b, "file", json_object_new_string(ri->baseline));
		json_object_object_add(b, "recorded", json_object_new_boolean(ri->recorded));
		json_object_object_add(b, "new_leaks",
		                       json_object_new_int64((int64_t)procset_new_leaks(s)));
		json_object_object_add(
		    b, "gone", ri->gone ? json_object_get(ri->gone) : json_object_new_array());
		json_object_object_add(doc, "baseline", b);
	} else {
		json_object_object_add(doc, "baseline", NULL);
	}
	json_object *procs = json_object_new_array();
	for (size_t i = 0; i < s->n; i++)
		json_object_array_add(procs, json_object_get(s->v[i].doc));
	json_object_object_add(doc, "processes", procs);
	/* run --timeout: whether it ended the command, and each process's hang report */
	json_object_object_add(doc, "timed_out", json_object_new_boolean(ri->timed_out));
	json_object *hangs = json_object_new_array();
	for (size_t i = 0; ri->hangs && i < ri->hangs->n; i++)
		json_object_array_add(hangs, json_object_get(ri->hangs->v[i].doc));
	json_object_object_add(doc, "hangs", hangs);
	int rc = write_json_file(path, doc);
	json_object_put(doc);
	return rc;
}

/* Text as XML character data or attribute value: escaped, and without the control
 * characters XML 1.0 forbids. */
static void xml_text(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		switch (*p) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&apos;", f);
			break;
		default:
			if (*p < 0x20 && *p != '\n' && *p != '\t' && *p != '\r')
				fputc('?', f);
			else
				fputc(*p, f);
		}
	}
}

/* `<testcase classname="threadleak.KINDPROGRAM" name="PATH (pid N)" time="..."`, unclosed;
 * a process's checks made mid-run (a test fixture's, one per test) are told apart by their
 * order: "PATH (pid N, mid-run check K)". */
static void junit_open(FILE *f, const struct proc *p, const char *kind, const char *cwd, int nth)
{
	fprintf(f, "    <testcase classname=\"threadleak.%s", kind);
	xml_text(f, base_name(p->exe));
	fputs("\" name=\"", f);
	xml_text(f, path_under(p->exe, cwd));
	if (nth > 0)
		fprintf(f, " (pid %d, mid-run check %d)", p->pid, nth);
	else
		fprintf(f, " (pid %d)", p->pid);
	fprintf(f, "\" time=\"%.3f\"", (double)jint(p->doc, "check_ms", 0) / 1000.0);
}

/* 1, 2, ...: which of its process's mid-run checks v[i] is; 0: not a mid-run check */
static int midrun_ordinal(const struct procset *s, size_t i)
{
	const char *check = jstr(s->v[i].doc, "check");
	if (check == NULL || strcmp(check, "api") != 0)
		return 0;
	int nth = 1;
	for (size_t j = 0; j < i; j++) {
		const char *c = jstr(s->v[j].doc, "check");
		nth += s->v[j].pid == s->v[i].pid && strcmp(s->v[j].exe, s->v[i].exe) == 0 && c &&
		       strcmp(c, "api") == 0;
	}
	return nth;
}

bool leak_fails_on(const struct proc *p, json_object *leak)
{
	const char *fail_on = jstr(p->doc, "fail_on"); /* absent before 0.1: all */
	if (fail_on == NULL || strcmp(fail_on, "unreachable") != 0)
		return true;
	const char *v = jstr(leak, "verdict");
	return v && (strcmp(v, "unreachable") == 0 || strcmp(v, "freed") == 0);
}

size_t proc_failing_leaks(const struct proc *p)
{
	json_object *leaks = jarr(p->doc, "leaks");
	size_t n = 0;
	for (size_t j = 0; leaks && j < json_object_array_length(leaks); j++) {
		json_object *l = json_object_array_get_idx(leaks, j);
		n += !leak_baselined(l) && leak_fails_on(p, l);
	}
	return n;
}

static void junit_case(FILE *f, const struct proc *p, const char *cwd, int nth)
{
	size_t n = proc_failing_leaks(p), fresh = proc_new_leaks(p);
	size_t all = json_object_array_length(jarr(p->doc, "leaks"));
	junit_open(f, p, "", cwd, nth);
	if (n == 0 && all == 0) {
		fputs("/>\n", f);
		return;
	}
	fputs(">\n", f);
	char *text = render_process(p, cwd);
	if (n > 0) {
		fprintf(f,
		        "      <failure type=\"threadleak.leak\" message=\"%zu leaked thread%s\">",
		        n, n == 1 ? "" : "s");
		xml_text(f, text);
		fputs("</failure>\n", f);
	} else if (fresh > 0) {
		/* leaks the process's fail_on=unreachable does not count: they do not fail run
		 * either, so they pass here too, but stay readable with the report's text */
		fprintf(f,
		        "      <system-out>%zu leaked thread%s, none proven (fail_on=unreachable: "
		        "not a failure)\n",
		        fresh, fresh == 1 ? "" : "s");
		xml_text(f, text);
		fputs("</system-out>\n", f);
	} else {
		fprintf(f,
		        "      <system-out>%zu leaked thread%s, all in the baseline</system-out>\n",
		        all, all == 1 ? "" : "s");
	}
	free(text);
	fputs("    </testcase>\n", f);
}

/* A hang report (the process had not exited) as a failed test case. */
static void junit_hang(FILE *f, const struct proc *p, const char *cwd)
{
	junit_open(f, p, "hang.", cwd, 0);
	fputs(">\n", f);
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	if (m != NULL) {
		render_hang(m, p, cwd);
		fclose(m);
	}
	const char *why = jstr(p->doc, "reason");
	fputs("      <failure type=\"threadleak.hang\" message=\"the process had not exited", f);
	if (why) {
		fputs(": ", f);
		xml_text(f, why);
	}
	fputs("\">", f);
	xml_text(f, text);
	fputs("</failure>\n    </testcase>\n", f);
	free(text);
}

int write_junit(const char *path, const struct procset *s, const struct procset *hangs,
                const char *cwd)
{
	FILE *f = fopen(path, "w");
	if (f == NULL) {
		cli_err("cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	size_t failures = 0;
	double secs = 0;
	for (size_t i = 0; i < s->n; i++) {
		failures += proc_failing_leaks(&s->v[i]) > 0;
		secs += (double)jint(s->v[i].doc, "check_ms", 0) / 1000.0;
	}
	size_t nhang = hangs ? hangs->n : 0, tests = s->n + nhang;
	failures += nhang;
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
	fprintf(f,
	        "<testsuites name=\"threadleak\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
	        "time=\"%.3f\">\n",
	        tests, failures, secs);
	fprintf(f,
	        "  <testsuite name=\"threadleak\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
	        "skipped=\"0\" "
	        "time=\"%.3f\">\n",
	        tests, failures, secs);
	for (size_t i = 0; i < s->n; i++)
		junit_case(f, &s->v[i], cwd, midrun_ordinal(s, i));
	for (size_t i = 0; i < nhang; i++)
		junit_hang(f, &hangs->v[i], cwd);
	fputs("  </testsuite>\n</testsuites>\n", f);
	if (fclose(f) != 0) {
		cli_err("cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}
