/* threadleak watch PID: every interval, a hang report of the running process (as `threadleak
 * dump` asks for it), its threads grouped by where they were created (the first frame in the
 * program's own code), state and what they wait in (the innermost frame in the program's own
 * code, else the call), and the creation sites whose count of threads grew, whatever their
 * state (wsite): "submit (seed.c:65): 3 -> 6 -> 9
 * threads, +3 per interval, all blocked in chan_send". A pool that holds steady is never
 * listed. With --json, one line per interval for machines:
 * {"tool":"threadleak","kind":"watch","pid":P,"t":SECONDS,"groups":[{"site":"submit",
 * "file":"seed.c","line":65,"state":"blocked","call":"chan_send","count":9,"grew":true}]} */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define HISTORY 5 /* counts shown per group */

struct wgroup {
	char *key;
	char *site, *file, *state, *call;
	int line;
	size_t at;          /* its creation site, in watch.s */
	long hist[HISTORY]; /* oldest first */
	int nhist;
	long count; /* this interval */
	long peak;  /* the most of any interval before this one: growth is past it */
	bool seen;  /* in this interval */
};

/* A creation site: growth is judged on all of its threads, whatever their state. A steady pool
 * whose threads move between running and blocked made the groups of each state come and go
 * (0 -> 1 -> 2 in one of them), which read as growth. */
struct wsite {
	char *key;
	long hist[HISTORY];
	int nhist;
	long count, peak;
	bool grew;
};

struct watch {
	struct wgroup *g;
	size_t n;
	struct wsite *s;
	size_t ns;
	long steps; /* intervals counted */
};

struct watch *watch_new(void)
{
	struct watch *w = cli_realloc(NULL, sizeof(*w));
	*w = (struct watch){0};
	return w;
}

void watch_free(struct watch *w)
{
	for (size_t k = 0; w && k < w->n; k++) {
		free(w->g[k].key);
		free(w->g[k].site);
		free(w->g[k].file);
		free(w->g[k].state);
		free(w->g[k].call);
	}
	for (size_t k = 0; w && k < w->ns; k++)
		free(w->s[k].key);
	if (w) {
		free(w->g);
		free(w->s);
	}
	free(w);
}

static const char *user_function(json_object *stack, const char **file, int *line)
{
	for (size_t i = 0; stack && i < json_object_array_length(stack); i++) {
		struct frame f;
		frame_get(json_object_array_get_idx(stack, i), &f);
		if (frame_is_user(&f)) {
			*file = f.file;
			*line = f.line;
			return f.function;
		}
	}
	return NULL;
}

static struct wgroup *group_of(struct watch *w, json_object *t)
{
	json_object *stack;
	const char *site = NULL, *file = NULL;
	int line = 0;
	int i = leak_site(t, &stack);
	if (i >= 0) {
		struct frame f;
		frame_get(json_object_array_get_idx(stack, (size_t)i), &f);
		site = f.function;
		file = f.file;
		line = f.line;
	}
	if (site == NULL)
		site = jstr(t, "start_routine");
	const char *state = jstr(t, "state"), *cfile;
	int cline;
	const char *call = user_function(jarr(t, "stack"), &cfile, &cline);
	if (call == NULL)
		call = jstr(t, "blocked_in");
	char *key = NULL;
	if (asprintf(&key, "%s|%s|%d|%s|%s", site ? site : "?", file ? file : "", line,
	             state ? state : "?", call ? call : "") < 0)
		return NULL;
	for (size_t k = 0; k < w->n; k++)
		if (strcmp(w->g[k].key, key) == 0) {
			free(key);
			return &w->g[k];
		}
	char *skey = NULL;
	if (asprintf(&skey, "%s|%s|%d", site ? site : "?", file ? file : "", line) < 0) {
		free(key);
		return NULL;
	}
	size_t at = 0;
	while (at < w->ns && strcmp(w->s[at].key, skey) != 0)
		at++;
	if (at == w->ns) {
		w->s = cli_realloc(w->s, (w->ns + 1) * sizeof(*w->s));
		w->s[w->ns++] = (struct wsite){.key = skey};
	} else {
		free(skey);
	}
	w->g = cli_realloc(w->g, (w->n + 1) * sizeof(*w->g));
	struct wgroup *g = &w->g[w->n++];
	*g = (struct wgroup){.key = key,
	                     .at = at,
	                     .site = strdup(site ? site : "?"),
	                     .file = file ? strdup(base_name(file)) : NULL,
	                     .line = line,
	                     .state = strdup(state ? state : "?"),
	                     .call = call ? strdup(call) : NULL};
	return g;
}

static void push(long *hist, int *nhist, long v)
{
	if (*nhist == HISTORY) {
		memmove(hist, hist + 1, sizeof(long) * (HISTORY - 1));
		(*nhist)--;
	}
	hist[(*nhist)++] = v;
}

/* "all blocked in chan_send", or the states of a site's threads one by one */
static void states_text(FILE *out, const struct watch *w, size_t at)
{
	size_t shown = 0, kinds = 0;
	for (size_t k = 0; k < w->n; k++)
		kinds += w->g[k].at == at && w->g[k].count > 0;
	for (size_t k = 0; k < w->n; k++) {
		const struct wgroup *g = &w->g[k];
		if (g->at != at || g->count == 0)
			continue;
		bool in = g->call && strcmp(g->state, "blocked") == 0;
		if (kinds == 1)
			fprintf(out, ", all %s", g->state);
		else
			fprintf(out, "%s%ld %s", shown ? ", " : ": ", g->count, g->state);
		if (in)
			fprintf(out, " in %s", g->call);
		shown++;
	}
	fputc('\n', out);
}

static json_object *watch_line(int pid, double t)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "tool", json_object_new_string("threadleak"));
	json_object_object_add(o, "kind", json_object_new_string("watch"));
	json_object_object_add(o, "pid", json_object_new_int(pid));
	char ts[32];
	snprintf(ts, sizeof(ts), "%.3f", t);
	json_object_object_add(o, "t", json_object_new_double_s(t, ts));
	return o;
}

/* pid's report for one interval. A reduced one has no creation sites to group by (made when no
 * thread could take stacks at that moment: preload/dump.c make_report), so it is asked for
 * again, a few times. NULL after a message when none came. */
json_object *watch_take(int pid, int sig, int dfd, const char *dir, int wait_ms)
{
	json_object *doc = live_take(pid, sig, dfd, dir, wait_ms);
	for (int again = 0; again < 3 && doc != NULL && jstr(doc, "reduced") != NULL; again++) {
		json_object_put(doc);
		struct timespec ts = {0, 50 * 1000000};
		nanosleep(&ts, NULL);
		doc = live_take(pid, sig, dfd, dir, wait_ms);
	}
	return doc;
}

/* One interval: count the threads of doc by group; print (or JSON) what grew. A reduced report
 * (still, after watch_take asked again) counts no interval: false, after a note on stderr. */
bool watch_step(struct watch *w, json_object *doc, int pid, double t, bool json, FILE *out,
                const char *prefix)
{
	const char *reduced = jstr(doc, "reduced");
	if (reduced != NULL) {
		fprintf(stderr,
		        "threadleak watch: process %d: interval at %.1f s not counted: %s\n", pid,
		        t, reduced);
		return false;
	}
	bool first = w->steps++ == 0;
	for (size_t k = 0; k < w->n; k++) {
		w->g[k].count = 0;
		w->g[k].seen = false;
	}
	for (size_t k = 0; k < w->ns; k++)
		w->s[k].count = 0;
	json_object *threads = jarr(doc, "leaks");
	for (size_t i = 0; threads && i < json_object_array_length(threads); i++) {
		json_object *th = json_object_array_get_idx(threads, i);
		/* the main thread: one, never made by anyone, and keyed by where it is now, which
		 * moves (a main that computes, then sleeps, "grew" from 0 to 1 at each turn) */
		if (jint(th, "thread", 0) == 1 && jobj(th, "created_by") == NULL)
			continue;
		struct wgroup *g = group_of(w, th);
		if (g) {
			g->count++;
			g->seen = true;
		}
	}
	for (size_t k = 0; k < w->n; k++)
		w->s[w->g[k].at].count += w->g[k].count;
	for (size_t k = 0; k < w->ns; k++) {
		struct wsite *s = &w->s[k];
		/* past every count before: a site whose threads come and go (1 -> 0 -> 1) holds
		 * steady */
		s->grew = !first && s->count > s->peak;
		if (s->count > s->peak)
			s->peak = s->count;
		push(s->hist, &s->nhist, s->count);
	}
	json_object *line = watch_line(pid, t);
	json_object *groups = json_object_new_array();
	for (size_t k = 0; k < w->n; k++) {
		struct wgroup *g = &w->g[k];
		bool grew = w->s[g->at].grew;
		push(g->hist, &g->nhist, g->count);
		if (json && g->count > 0) {
			json_object *o = json_object_new_object();
			json_object_object_add(o, "site", json_object_new_string(g->site));
			json_object_object_add(o, "file",
			                       g->file ? json_object_new_string(g->file) : NULL);
			json_object_object_add(o, "line",
			                       g->line ? json_object_new_int(g->line) : NULL);
			json_object_object_add(o, "state", json_object_new_string(g->state));
			json_object_object_add(o, "call",
			                       g->call ? json_object_new_string(g->call) : NULL);
			json_object_object_add(o, "count", json_object_new_int64(g->count));
			json_object_object_add(o, "grew", json_object_new_boolean(grew));
			json_object_array_add(groups, o);
		}
	}
	/* a line per site that grew, at its first group */
	for (size_t k = 0; !json && out != NULL && k < w->n; k++) {
		struct wgroup *g = &w->g[k];
		struct wsite *s = &w->s[g->at];
		bool first_of_site = true;
		for (size_t j = 0; j < k && first_of_site; j++)
			first_of_site = w->g[j].at != g->at;
		if (!s->grew || !first_of_site)
			continue;
		fprintf(out, "%s%s", prefix ? prefix : "", g->site);
		if (g->file)
			fprintf(out, " (%s:%d)", g->file, g->line);
		fprintf(out, ": ");
		for (int h = 0; h < s->nhist; h++)
			fprintf(out, "%s%ld", h ? " -> " : "", s->hist[h]);
		fprintf(out, " thread%s", s->count == 1 ? "" : "s");
		if (s->nhist > 1) {
			/* 1 -> 1 -> 2 is half a thread an interval, not "+0" */
			long d = s->hist[s->nhist - 1] - s->hist[0], steps = s->nhist - 1;
			if (d % steps == 0)
				fprintf(out, ", %+ld per interval", d / steps);
			else
				fprintf(out, ", %+.1f per interval", (double)d / (double)steps);
		}
		states_text(out, w, g->at);
	}
	if (!json && out != NULL)
		fflush(out); /* a line when it is news, to a pipe or a file too */
	if (json && out != NULL) {
		json_object_object_add(line, "groups", groups);
		fprintf(out, "%s\n", json_object_to_json_string_ext(line, JSON_C_TO_STRING_PLAIN));
		fflush(out);
	} else {
		json_object_put(groups);
	}
	json_object_put(line);
	return true;
}

static int by_count(const void *a, const void *b)
{
	const struct wgroup *x = *(struct wgroup *const *)a, *y = *(struct wgroup *const *)b;
	return (y->count > x->count) - (y->count < x->count);
}

/* On a terminal: the whole table redrawn each interval, biggest groups first, the ones that
 * grew marked with their growth. */
static void watch_table(struct watch *w, int pid, double t, FILE *out)
{
	struct wgroup **v = cli_realloc(NULL, (w->n + 1) * sizeof(*v));
	size_t n = 0;
	long total = 0;
	for (size_t k = 0; k < w->n; k++)
		if (w->g[k].count > 0) {
			v[n++] = &w->g[k];
			total += w->g[k].count;
		}
	qsort(v, n, sizeof(*v), by_count);
	fprintf(out, "\033[H\033[2J");
	fprintf(out, "threadleak watch %d: %.0f s, %ld thread%s in %zu group%s\n\n", pid, t, total,
	        total == 1 ? "" : "s", n, n == 1 ? "" : "s");
	fprintf(out, "%7s %8s  %-9s %-28s %s\n", "THREADS", "CHANGE", "STATE", "WAITING IN",
	        "CREATED AT");
	for (size_t k = 0; k < n; k++) {
		struct wgroup *g = v[k];
		long prev = g->nhist > 1 ? g->hist[g->nhist - 2] : g->count;
		char change[24] = "", site[256];
		if (g->count != prev)
			snprintf(change, sizeof(change), "%+ld", g->count - prev);
		if (g->file)
			snprintf(site, sizeof(site), "%s (%s:%d)", g->site, g->file, g->line);
		else
			snprintf(site, sizeof(site), "%s", g->site);
		fprintf(out, "%7ld %8s  %-9s %-28s %s%s\n", g->count, change, g->state,
		        g->call ? g->call : "-", site,
		        g->count > prev && w->s[g->at].grew ? "  <- grew" : "");
	}
	fflush(out);
	free(v);
}

void usage_watch(FILE *out)
{
	fputs(
	    "Usage: threadleak watch [--interval S] [--count N] [--json] [--lines] [--signal N] "
	    "PID\n"
	    "\n"
	    "Every S seconds (1), takes the threads of the running process PID (as\n"
	    "`threadleak dump` does), groups them by creation site, state and what they wait\n"
	    "in, and prints the creation sites whose count of threads grew:\n"
	    "  submit (seed.c:65): 3 -> 6 -> 9 threads, +3 per interval, all blocked in chan_send\n"
	    "A pool that holds steady is not listed. Ends when PID ends, or after N intervals.\n"
	    "On a terminal, a table of every group redrawn each interval instead.\n"
	    "\n"
	    "  --json       one JSON object per interval, every group with its count and\n"
	    "               whether it grew\n"
	    "  --lines      the growth lines even on a terminal\n"
	    "  --signal N   the real-time signal the process takes requests on\n"
	    "  -h, --help   this help\n",
	    out);
}

/* ^C or a SIGTERM ends the watch after the step under way: its lines are out (each step flushes
 * them), the private folder is removed, and the status says which signal ended it. */
static volatile sig_atomic_t watch_stop;

static void on_stop(int sig)
{
	watch_stop = sig;
}

int cmd_watch(int argc, char **argv)
{
	static const struct option longs[] = {
	    {"interval", required_argument, NULL, 'i'},
	    {"count", required_argument, NULL, 'c'},
	    {"json", no_argument, NULL, 'j'},
	    {"signal", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {"lines", no_argument, NULL, 'l'},
	    {NULL, 0, NULL, 0},
	};
	bool json = false, lines = false;
	double every = 1;
	long count = 0, sig = 0, pid = 0;
	opterr = 0;
	optind = 1;
	int c, bad = 0;
	char *end;
	while ((c = getopt_long(argc, argv, "+:h", longs, NULL)) != -1) {
		switch (c) {
		case 'i':
			every = strtod(optarg, &end);
			if (*end || !(every >= 0.05 && every <= 86400))
				bad +=
				    (cli_err(
				         "--interval: '%s' is not a number of seconds from 0.05 to "
				         "86400",
				         optarg),
				     1);
			break;
		case 'c':
			if (!parse_int(optarg, 1, INT_MAX, &count))
				bad += (cli_err("--count: '%s' is not a count", optarg), 1);
			break;
		case 'j':
			json = true;
			break;
		case 'l':
			lines = true;
			break;
		case 's':
			if (!parse_int(optarg, SIGRTMIN, SIGRTMAX, &sig))
				bad += (cli_err("--signal: '%s' is not a real-time signal", optarg),
				        1);
			break;
		case 'h':
			usage_watch(stdout);
			return 0;
		default:
			cli_err("watch: unknown option '%s'", argv[optind - 1]);
			bad++;
		}
	}
	if (!bad && (optind != argc - 1 || !parse_int(argv[optind], 1, INT_MAX, &pid)))
		bad += (cli_err("watch: expected one process id: threadleak watch PID"), 1);
	if (bad) {
		fprintf(stderr, "Try 'threadleak watch --help'.\n");
		return TL_EXIT_USAGE;
	}
	if (sig == 0)
		sig = live_signal_of((int)pid);
	if (!live_check((int)pid, (int)sig))
		return 1;
	char *dir = NULL;
	int dfd = live_private_dir(&dir);
	if (dfd < 0)
		return TL_EXIT_INTERNAL;
	struct watch *w = watch_new();
	int64_t t0 = live_now_ms();
	int rc = 0;
	/* SA_RESTART: a write to a slow pipe goes on (nanosleep ends with EINTR all the same) */
	struct sigaction sa = {.sa_handler = on_stop, .sa_flags = SA_RESTART};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	for (long i = 0; (count == 0 || i < count) && !watch_stop; i++) {
		int64_t next = t0 + (int64_t)(every * 1000 * (double)(i + 1));
		json_object *doc = watch_take((int)pid, (int)sig, dfd, dir, 10000);
		if (doc == NULL) {
			if (kill((pid_t)pid, 0) != 0)
				break; /* it ended */
			cli_err("process %ld wrote no report", pid);
			rc = 1;
			break;
		}
		double t = (double)(live_now_ms() - t0) / 1000;
		bool table = !json && !lines && isatty(STDOUT_FILENO);
		if (watch_step(w, doc, (int)pid, t, json, table ? NULL : stdout, NULL) && table)
			watch_table(w, (int)pid, t, stdout);
		json_object_put(doc);
		int64_t left = next - live_now_ms();
		if (left > 0 && (count == 0 || i + 1 < count) && !watch_stop) {
			struct timespec ts = {left / 1000, (left % 1000) * 1000000};
			nanosleep(&ts, NULL);
		}
	}
	close(dfd);
	rmdir(dir);
	free(dir);
	watch_free(w);
	if (watch_stop) { /* ended by the signal, as the caller expects (status 128 + N) */
		fflush(stdout);
		signal((int)watch_stop, SIG_DFL);
		raise((int)watch_stop);
	}
	return rc;
}
