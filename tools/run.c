/* threadleak run [OPTIONS] -- COMMAND [ARGS...]: the command runs with libthreadleak.so
 * preloaded (children and grandchildren too), every process writes a JSON report into a
 * private folder, and at the end one text report covers them all. Exit status: the command's
 * own when it failed, else the leak exit code when threads leaked (outside the baseline),
 * else 0. The library itself is told exitcode=0, so that the programs of the run behave as
 * they would without threadleak (a script that checks its children's status still works). */
#include "cli.h"
#include "../preload/options.h"      /* the library's options: limits and defaults */
#include "../preload/default_sets.h" /* their names, for disable_default_sets */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct run_opts {
	char **supps, **raw;
	size_t nsupps, nraw;
	size_t nsupp_options; /* suppressions= in --options */
	long grace, exitcode, orphan_wait;
	long timeout_ms; /* --timeout: 0 none */
	double watch_s;  /* --watch: 0 none */
	bool exitcode_set, no_children, allow_static, update_baseline;
	bool fail_unreachable; /* --options fail_on=unreachable: only proven leaks fail the run */
	bool timed_out;        /* the --timeout expired */
	bool unread_baseline;  /* --baseline could not be read: run ends with 125 */
	enum tl_unchecked unchecked; /* why the command itself will not get the library */
	const char *cmd0;
	const char *json, *sarif, *junit, *baseline, *source_root, *html;
	int color; /* -1 auto */
	bool no_source;
};

void usage_run(FILE *out)
{
	fputs("Usage: threadleak run [OPTIONS] [--] COMMAND [ARGS...]\n"
	      "\n"
	      "Runs COMMAND with libthreadleak.so preloaded into it and into every process it\n"
	      "starts, then prints one report of the threads each process leaked, grouped by\n"
	      "program. Exit status: the command's own when it failed; else the leak exit\n"
	      "code (23) when any thread leaked; else 0. 127: the command was not found;\n"
	      "126: it could not be executed; 125: threadleak could not do its job (no\n"
	      "library, a statically linked command, ...); 2: a wrong command line.\n"
	      "\n"
	      "Options for the library:\n"
	      "  --suppressions FILE  suppression rules (see the README); repeatable\n"
	      "  --grace MS           how long the exit check waits for threads winding down\n"
	      "                       (250)\n"
	      "  --no-children        check only COMMAND, not the processes it starts\n"
	      "  --options K=V:K=V    raw THREADLEAK_OPTIONS, checked before COMMAND runs\n"
	      "                       (not format, log_path nor log_dir_id: run's own)\n"
	      "Result:\n"
	      "  --exitcode N         status when threads leaked and COMMAND succeeded (23)\n"
	      "  --json FILE          write every process report into one JSON document\n"
	      "  --sarif FILE         write SARIF 2.1.0 (code scanning), a result per leak\n"
	      "  --junit FILE         write JUnit XML, a test case per process\n"
	      "  --baseline FILE      known leaks: record them when FILE does not exist;\n"
	      "                       else fail only on leaks not in FILE, and list the\n"
	      "                       entries that no longer occur\n"
	      "  --update-baseline    rewrite the baseline FILE with this run's leaks\n"
	      "  --source-root DIR    SARIF and baseline paths are relative to DIR (.)\n"
	      "  --html FILE          write one self-contained HTML page of the report\n"
	      "  --no-source          no source lines under the frames\n"
	      "Running:\n"
	      "  --timeout DURATION   when COMMAND has not finished after DURATION (5, 2.5s,\n"
	      "                       500ms, 2m), every process of it under the library writes\n"
	      "                       a report of all its threads (a hang report); then the\n"
	      "                       processes get SIGTERM, SIGKILL 2 s later; run prints the\n"
	      "                       reports and exits with 124, as timeout(1)\n"
	      "  --watch S            every S seconds, the groups of threads that grew in each\n"
	      "                       process of the command, as threadleak watch prints them\n"
	      "  --orphan-wait MS     after COMMAND ends, wait up to MS for the processes it\n"
	      "                       left running, to read their reports too (1000)\n"
	      "  --allow-static       run a statically linked COMMAND anyway (unchecked)\n"
	      "  --color[=WHEN]       colors: auto (on a terminal), always, never\n"
	      "  --no-color           no colors\n"
	      "  -h, --help           this help\n"
	      "\n"
	      "Environment: THREADLEAK_OPTIONS is kept (run's options come after it);\n"
	      "THREADLEAK_LIB names the library when it is not next to threadleak.\n"
	      "In CI: meson test -C build --wrapper 'threadleak run --'\n",
	      out);
}

static bool has_separator(const char *s)
{
	return strpbrk(s, ": \t\n\r") != NULL;
}

/* --options, checked here as the library would take them (preload/options.h), so that a
 * mistake stops run at once with one line, rather than a warning from every process of the
 * command: format and log_path belong to run; exitcode becomes run's own. */
static const struct {
	const char *name;
	enum tl_opt_kind kind;
	long min, max;
} raw_defs[] = {
#define RAW_DEF(kind, name, field, def, min, max, help) {#name, TL_KIND_##kind, min, max},
    TL_OPTIONS(RAW_DEF)
#undef RAW_DEF
};

/* A value or key as an error line shows it: at most 40 bytes (a value of thousands made one line
 * of thousands), control bytes as '?'. */
static const char *shown(const char *s, char *buf, size_t len)
{
	size_t n = 0, max = len > 4 ? len - 4 : 0;
	for (; s[n] && n < max && n < 40; n++)
		buf[n] = (unsigned char)s[n] < 0x20 || s[n] == 0x7f ? '?' : s[n];
	snprintf(buf + n, len - n, "%s", s[n] ? "..." : "");
	return buf;
}

/* disable_default_sets: every name one of the default sets' (the library warns about one that
 * is not, in every process) */
static int check_set_names(const char *key, const char *val)
{
	char copy[4096], names[512] = "", v[64];
	snprintf(copy, sizeof(copy), "%s", val);
	size_t used = 0;
	for (const struct tl_default_set *d = tl_default_sets; d->name; d++)
		used +=
		    (size_t)snprintf(names + used, used < sizeof(names) ? sizeof(names) - used : 0,
		                     "%s%s", used ? ", " : "", d->name);
	for (char *save = NULL, *name = strtok_r(copy, ",", &save); name;
	     name = strtok_r(NULL, ",", &save)) {
		const struct tl_default_set *d = tl_default_sets;
		while (d->name && strcmp(d->name, name) != 0)
			d++;
		if (d->name == NULL)
			return cli_err("--options: %s: no default suppression set named '%s' "
			               "(sets: %s)",
			               key, shown(name, v, sizeof(v)), names),
			       1;
	}
	return 0;
}

static int check_one(struct run_opts *o, const char *key, const char *val)
{
	char k_[64], v_[64];
	const char *val_full = val;
	size_t i = 0;
	while (i < (sizeof(raw_defs) / sizeof(raw_defs[0])) && strcmp(raw_defs[i].name, key) != 0)
		i++;
	key = shown(key, k_, sizeof(k_)); /* as the lines below show them */
	val = shown(val, v_, sizeof(v_));
	if (i == (sizeof(raw_defs) / sizeof(raw_defs[0])))
		return cli_err("--options: unknown option '%s' (THREADLEAK_OPTIONS=help=1 lists "
		               "them)",
		               key),
		       1;
	if (strcmp(key, "format") == 0 || strcmp(key, "log_path") == 0 ||
	    strcmp(key, "log_dir_id") == 0)
		return cli_err("--options: '%s' is set by threadleak run itself%s", key,
		               strcmp(key, "log_dir_id") ? " (use --json FILE for JSON)" : ""),
		       1;
	long v;
	bool b;
	switch (raw_defs[i].kind) {
	case TL_KIND_INT:
		if (!parse_int(val_full, raw_defs[i].min, raw_defs[i].max, &v))
			return cli_err("--options: invalid %s '%s' (%ld to %ld)", key, val,
			               raw_defs[i].min, raw_defs[i].max),
			       1;
		if (strcmp(key, "exitcode") == 0 && !o->exitcode_set)
			o->exitcode = v;
		return 0;
	case TL_KIND_BOOL:
		if (!tl_options_bool(val_full, &b))
			return cli_err("--options: invalid %s '%s' (0 or 1, false or true, no or "
			               "yes, off or on)",
			               key, val),
			       1;
		return 0;
	case TL_KIND_SIGNAL:
		if (strcmp(val_full, "0") != 0 && !parse_int(val_full, SIGRTMIN, SIGRTMAX, &v))
			return cli_err("--options: invalid %s '%s' (0, or a real-time signal from "
			               "%d to %d)",
			               key, val, SIGRTMIN, SIGRTMAX),
			       1;
		return 0;
	case TL_KIND_FAIL_ON:
		if (strcmp(val_full, "all") != 0 && strcmp(val_full, "unreachable") != 0)
			return cli_err("--options: invalid %s '%s' (all or unreachable)", key, val),
			       1;
		o->fail_unreachable = strcmp(val_full, "unreachable") == 0;
		return 0;
	case TL_KIND_LIST: /* suppressions=FILE */
		if (val_full[0] && access(val_full, R_OK) != 0)
			return cli_err("--options: %s=%s: %s", key, val, strerror(errno)), 1;
		o->nsupp_options += val_full[0] != '\0';
		return 0;
	case TL_KIND_STR:
		return strcmp(raw_defs[i].name, "disable_default_sets") == 0
		           ? check_set_names(key, val_full)
		           : 0;
	case TL_KIND_FORMAT:
		return 0;
	}
	return 0;
}

static int check_raw(struct run_opts *o, const char *raw)
{
	char *copy = strdup(raw), *p = copy, *key, *val, k_[64];
	int bad = 0, got;
	while (p && (got = tl_options_next(&p, &key, &val)) != 0) {
		if (got < 0) {
			cli_err("--options: the value of %s has no closing quote",
			        shown(key, k_, sizeof(k_)));
			bad++;
			continue;
		}
		if (val == NULL) {
			cli_err("--options: '%s' is not key=value", shown(key, k_, sizeof(k_)));
			bad++;
			continue;
		}
		bad += check_one(o, key, val);
	}
	free(copy);
	return bad;
}

/* What run appends to THREADLEAK_OPTIONS for the library (library_options), up to its paths. */
#define RUN_OWN_OPTIONS "exitcode=0:format=json:"

/* An exitcode or fail_on in the THREADLEAK_OPTIONS of the environment is run's own too (the library
 * is told exitcode=0): the last valid one, unless --exitcode or --options give one. A bad value is
 * left to the library, which names it. Not what an outer run appended (threadleak run -- make
 * check, whose Makefile runs threadleak run again): from there on, the options are not the user's.
 */
static int exitcode_from_env(struct run_opts *o)
{
	const char *env = getenv("THREADLEAK_OPTIONS");
	int bad = 0;
	if (env == NULL)
		return 0;
	char *copy = strdup(env), *outer = copy ? strstr(copy, RUN_OWN_OPTIONS) : NULL;
	if (outer)
		*outer = '\0';
	char *p = copy, *key, *val;
	int got;
	while (p && (got = tl_options_next(&p, &key, &val)) != 0) {
		long v;
		/* a quote left open would take in run's own options, appended after these */
		if (got < 0)
			bad += (cli_err("THREADLEAK_OPTIONS: the value of %s has no closing quote",
			                key),
			        1);
		else if (val && strcmp(key, "exitcode") == 0 && !o->exitcode_set &&
		         parse_int(val, TL_OPT_MIN_exitcode, TL_OPT_MAX_exitcode, &v))
			o->exitcode = v;
		else if (val && strcmp(key, "fail_on") == 0) /* --options, checked after, wins */
			o->fail_unreachable = strcmp(val, "unreachable") == 0;
	}
	free(copy);
	return bad;
}

/* "5", "2.5s", "500ms", "2m", "1h" in milliseconds; -1 when not a positive duration, -2 when
 * one out of range (under 1 ms, over 7 days). */
static long parse_duration_ms(const char *s)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	double unit = 1000;
	if (end == s || errno || !(v > 0))
		return -1;
	if (strcmp(end, "ms") == 0)
		unit = 1;
	else if (strcmp(end, "m") == 0)
		unit = 60000;
	else if (strcmp(end, "h") == 0)
		unit = 3600000;
	else if (strcmp(end, "s") != 0 && *end != '\0')
		return -1;
	double ms = v * unit;
	return ms >= 1 && ms <= 7 * 24 * 3600000.0 ? (long)ms : -2;
}

static int parse_run(int argc, char **argv, struct run_opts *o)
{
	static const struct option longs[] = {
	    {"suppressions", required_argument, NULL, 's'},
	    {"grace", required_argument, NULL, 'g'},
	    {"exitcode", required_argument, NULL, 'e'},
	    {"no-children", no_argument, NULL, 'N'},
	    {"options", required_argument, NULL, 'o'},
	    {"json", required_argument, NULL, 'j'},
	    {"sarif", required_argument, NULL, 'S'},
	    {"junit", required_argument, NULL, 'J'},
	    {"baseline", required_argument, NULL, 'b'},
	    {"update-baseline", no_argument, NULL, 'U'},
	    {"source-root", required_argument, NULL, 'r'},
	    {"orphan-wait", required_argument, NULL, 'w'},
	    {"timeout", required_argument, NULL, 'T'},
	    {"watch", required_argument, NULL, 'W'},
	    {"allow-static", no_argument, NULL, 'A'},
	    {"color", optional_argument, NULL, 'c'},
	    {"no-color", no_argument, NULL, 'C'},
	    {"html", required_argument, NULL, 'H'},
	    {"no-source", no_argument, NULL, 'L'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	*o = (struct run_opts){
	    .grace = -1, .exitcode = TL_OPT_DEFAULT_exitcode, .orphan_wait = 1000, .color = -1};
	opterr = 0;
	optind = 1;
	int c, bad = 0;
	while ((c = getopt_long(argc, argv, "+:h", longs, NULL)) != -1) {
		switch (c) {
		case 's':
			strv_push(&o->supps, &o->nsupps, strdup(optarg));
			break;
		case 'g':
			if (!parse_int(optarg, TL_OPT_MIN_grace_ms, TL_OPT_MAX_grace_ms, &o->grace))
				bad += (cli_err("--grace: '%s' is not a number of milliseconds "
				                "from %d to %d",
				                optarg, TL_OPT_MIN_grace_ms, TL_OPT_MAX_grace_ms),
				        1);
			break;
		case 'e':
			if (!parse_int(optarg, TL_OPT_MIN_exitcode, TL_OPT_MAX_exitcode,
			               &o->exitcode))
				bad += (cli_err("--exitcode: '%s' is not a status from %d to %d",
				                optarg, TL_OPT_MIN_exitcode, TL_OPT_MAX_exitcode),
				        1);
			o->exitcode_set = true;
			break;
		case 'N':
			o->no_children = true;
			break;
		case 'o':
			strv_push(&o->raw, &o->nraw, optarg);
			break;
		case 'j':
			o->json = optarg;
			break;
		case 'S':
			o->sarif = optarg;
			break;
		case 'J':
			o->junit = optarg;
			break;
		case 'b':
			o->baseline = optarg;
			break;
		case 'U':
			o->update_baseline = true;
			break;
		case 'r':
			o->source_root = optarg;
			break;
		case 'w':
			if (!parse_int(optarg, 0, 3600000, &o->orphan_wait))
				bad +=
				    (cli_err("--orphan-wait: '%s' is not a number of milliseconds",
				             optarg),
				     1);
			break;
		case 'A':
			o->allow_static = true;
			break;
		case 'W': {
			char *end;
			o->watch_s = strtod(optarg, &end);
			if (*end || !(o->watch_s >= 0.05 && o->watch_s <= 86400))
				bad +=
				    (cli_err("--watch: '%s' is not a number of seconds from 0.05 "
				             "to 86400",
				             optarg),
				     1);
			break;
		}
		case 'T':
			if ((o->timeout_ms = parse_duration_ms(optarg)) == -2)
				bad += (cli_err("--timeout: '%s' is out of range (1ms to 7 days)",
				                optarg),
				        1);
			else if (o->timeout_ms <= 0)
				bad +=
				    (cli_err("--timeout: '%s' is not a duration (5, 2.5s, 500ms, "
				             "2m)",
				             optarg),
				     1);
			break;
		case 'c':
			if ((o->color = color_arg(optarg)) == -2)
				bad +=
				    (cli_err("--color: '%s' is not auto, always or never", optarg),
				     1);
			break;
		case 'C':
			o->color = 0;
			break;
		case 'H':
			o->html = optarg;
			break;
		case 'L':
			o->no_source = true;
			break;
		case 'h':
			usage_run(stdout);
			exit(0);
		case ':':
			cli_err("run: option '%s' needs a value", argv[optind - 1]);
			bad++;
			break;
		default:
			cli_err("run: unknown option '%s'", argv[optind - 1]);
			bad++;
		}
	}
	bad += exitcode_from_env(o);
	for (size_t i = 0; i < o->nraw; i++)
		bad += check_raw(o, o->raw[i]);
	if (o->update_baseline && o->baseline == NULL)
		bad += (cli_err("--update-baseline needs --baseline FILE"), 1);

	if (!bad && optind >= argc)
		bad +=
		    (cli_err("run: missing command: threadleak run [OPTIONS] -- COMMAND [ARGS...]"),
		     1);
	if (bad) {
		fprintf(stderr, "Try 'threadleak run --help'.\n");
		return -1;
	}
	return optind;
}

/* run's private folder for the reports. The library finds it through run's own descriptor,
 * /proc/RUNPID/fd/N, and checks its device and inode (log_dir_id): once run has ended, a
 * process that outlived it writes nothing, wherever the old path now leads. The path also
 * holds no ':' or blank of TMPDIR, which THREADLEAK_OPTIONS could not carry. */
struct report_dir {
	char *path;
	int fd;
	unsigned long long dev, ino;
};

/* THREADLEAK_OPTIONS for the command: the user's, then ours (later values win). */
static char *library_options(const struct run_opts *o, const struct report_dir *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	const char *env = getenv("THREADLEAK_OPTIONS");
	if (env && env[0])
		fprintf(m, "%s:", env);
	for (size_t i = 0; i < o->nraw; i++)
		fprintf(m, "%s:", o->raw[i]);
	for (size_t i = 0; i < o->nsupps; i++) /* quoted when it has blanks or ':' */
		fprintf(m, has_separator(o->supps[i]) ? "suppressions='%s':" : "suppressions=%s:",
		        o->supps[i]);
	if (o->grace >= 0)
		fprintf(m, "grace_ms=%ld:", o->grace);
	if (o->no_children)
		fprintf(m, "children=0:");
	/* hang reports: on the signals that end a process (unless --options says otherwise: the
	 * report holds signals that come meanwhile, README Limits), and on our requests */
	bool dump_set = env && strstr(env, "dump_on_signal=") != NULL;
	for (size_t i = 0; i < o->nraw; i++)
		dump_set |= strstr(o->raw[i], "dump_on_signal=") != NULL;
	if (!dump_set)
		fprintf(m, "dump_on_signal=1:");
	fprintf(m, "dump_signal=%d:", dump_signal_default());
	fprintf(m, RUN_OWN_OPTIONS "log_path=/proc/%d/fd/%d/report:log_dir_id=%llu,%llu",
	        (int)getpid(), d->fd, d->dev, d->ino);
	fclose(m);
	return buf;
}

/* Suppression files as absolute paths (the command may change directory). */
static int check_suppressions(struct run_opts *o)
{
	if (o->nsupps + o->nsupp_options > TL_MAX_SUPPRESSION_FILES) {
		cli_err("--suppressions and --options suppressions=: at most %d files",
		        TL_MAX_SUPPRESSION_FILES);
		return -1;
	}
	for (size_t i = 0; i < o->nsupps; i++) {
		char *abs = realpath(o->supps[i], NULL);
		struct stat st;
		if (abs == NULL || access(abs, R_OK) != 0 || stat(abs, &st) != 0) {
			cli_err("--suppressions %s: %s", o->supps[i], strerror(errno));
			free(abs);
			return -1;
		}
		if (!S_ISREG(st.st_mode)) {
			cli_err("--suppressions %s: not a regular file", o->supps[i]);
			free(abs);
			return -1;
		}
		if (has_separator(abs) && strchr(abs, '\'')) {
			cli_err(
			    "--suppressions %s: a path with ':' or blanks is quoted in "
			    "THREADLEAK_OPTIONS, and this one also has a \"'\"; copy or link the "
			    "file elsewhere",
			    abs);
			free(abs);
			return -1;
		}
		free(o->supps[i]);
		o->supps[i] = abs;
	}
	return 0;
}

/* A private folder in base, malloc'd path; NULL with errno. */
static char *folder_in(const char *base)
{
	char *path;
	if (asprintf(&path, "%s/threadleak.XXXXXX", base) < 0)
		return NULL;
	if (mkdtemp(path) == NULL) {
		int e = errno;
		free(path);
		errno = e;
		return NULL;
	}
	return path;
}

static int private_dir(struct report_dir *d)
{
	const char *base = getenv("TMPDIR");
	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	d->fd = -1;
	d->path = folder_in(base);
	if (d->path == NULL && strcmp(base, "/tmp") != 0)
		d->path = folder_in(base = "/tmp"); /* a TMPDIR that is gone: /tmp, as unset */
	struct stat st;
	if (d->path == NULL ||
	    (d->fd = open(d->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    fstat(d->fd, &st) != 0) {
		cli_err("cannot create a folder in %s for the reports: %s", base, strerror(errno));
		if (d->fd >= 0)
			close(d->fd);
		free(d->path);
		d->path = NULL;
		return -1;
	}
	d->dev = st.st_dev;
	d->ino = st.st_ino;
	return 0;
}

/* The library's notes (preload/wrap_exec.c): a program started without it, note.PID holding
 * "REASON\nCALLER\nPATH". */
struct note {
	int pid;
	enum tl_unchecked why;
	char *caller, *path;
};
struct notes {
	struct note *v;
	size_t n;
	size_t clean; /* processes that ended by _exit without a thread (clean.PID) */
};

static void read_note(struct notes *ns, int dfd, const char *name)
{
	char buf[2 * PATH_MAX + 64], *end;
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	ssize_t n = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)
	                ? read(fd, buf, sizeof(buf) - 1)
	                : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	long why = strtol(buf, &end, 10), pid = strtol(name + 5, NULL, 10);
	char *caller = *end == '\n' ? end + 1 : NULL, *path = caller ? strchr(caller, '\n') : NULL;
	if (path == NULL || why <= TL_UNCHECKED_NO || why > TL_UNCHECKED_NOOPTS || pid <= 0)
		return;
	*path++ = '\0';
	ns->v = cli_realloc(ns->v, (ns->n + 1) * sizeof(*ns->v));
	ns->v[ns->n++] =
	    (struct note){(int)pid, (enum tl_unchecked)why, strdup(caller), strdup(path)};
}

static int note_by_pid(const void *a, const void *b)
{
	const struct note *x = a, *y = b;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

static void notes_free(struct notes *ns)
{
	for (size_t i = 0; i < ns->n; i++) {
		free(ns->v[i].caller);
		free(ns->v[i].path);
	}
	free(ns->v);
}

/* Read every report in the folder (one per process) and every note, and remove them with the
 * folder. */
static void collect(struct procset *set, struct procset *hangs, struct notes *ns,
                    struct report_dir *d)
{
	int dup_fd = dup(d->fd);
	DIR *dir = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	struct dirent *e;
	while (dir && (e = readdir(dir)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char *path = NULL;
		if (asprintf(&path, "%s/%s", d->path, e->d_name) < 0)
			continue;
		if (strncmp(e->d_name, "report.", 7) == 0)
			procset_read(set, path, TL_MAX_OWN_REPORT);
		else if (strncmp(e->d_name, "hang.", 5) == 0)
			procset_read(hangs, path, TL_MAX_OWN_REPORT);
		else if (strncmp(e->d_name, "note.", 5) == 0)
			read_note(ns, d->fd, e->d_name);
		else if (strncmp(e->d_name, "clean.", 6) == 0)
			ns->clean++;
		unlinkat(d->fd, e->d_name, 0);
		free(path);
	}
	if (dir)
		closedir(dir);
	if (ns->n > 1)
		qsort(ns->v, ns->n, sizeof(*ns->v), note_by_pid);
	if (rmdir(d->path) != 0)
		cli_err("could not remove %s: %s", d->path, strerror(errno));
	/* d->fd stays open until run exits: /proc/RUNPID/fd/N names the removed folder until
	 * then, in which nothing can be created */
}

static char *preload_value(const char *lib)
{
	const char *old = getenv("LD_PRELOAD");
	char *v = NULL;
	if (old && old[0]) {
		/* already there (threadleak run inside threadleak run): keep it once */
		char *copy = strdup(old);
		bool present = false;
		for (char *save = NULL, *t = strtok_r(copy, ": ", &save); t;
		     t = strtok_r(NULL, ": ", &save))
			present = present || strcmp(t, lib) == 0;
		free(copy);
		if (present || asprintf(&v, "%s:%s", lib, old) < 0)
			v = strdup(old);
	} else {
		v = strdup(lib);
	}
	return v;
}

/* AddressSanitizer's runtime aborts a program in which it is not the first object loaded
 * ("ASan runtime does not come first"), and the library preloaded comes first: its
 * verify_asan_link_order=0 lets it run (ASan's interceptors are still reached, through ours).
 * Left alone when the user set that flag. */
static char *asan_value(void)
{
	const char *old = getenv("ASAN_OPTIONS");
	char *v = NULL;
	if (old && strstr(old, "verify_asan_link_order"))
		return NULL;
	if (asprintf(&v, "%s%sverify_asan_link_order=0", old ? old : "", old && old[0] ? ":" : "") <
	    0)
		return NULL;
	return v;
}

/* Everything up to the fork: the library, the command, and whether it can be preloaded. */
static int prepare(struct run_opts *o, char **cmd, char **lib)
{
	if (check_suppressions(o) != 0)
		return TL_EXIT_USAGE;
	*lib = find_library(cmd[0]);
	const char *env = getenv("THREADLEAK_LIB");
	if (*lib == NULL && env && env[0]) {
		cli_err("THREADLEAK_LIB=%s: %s", env, strerror(errno));
		return TL_EXIT_INTERNAL;
	}
	if (*lib == NULL) {
		cli_err("cannot find libthreadleak.so (looked next to this program, in the build "
		        "tree and "
		        "the install folders); set THREADLEAK_LIB=/path/to/libthreadleak.so");
		return TL_EXIT_INTERNAL;
	}
	if (has_separator(*lib)) {
		cli_err("the library path %s contains ':' or blanks, which LD_PRELOAD cannot hold",
		        *lib);
		return TL_EXIT_INTERNAL;
	}
	if (!library_is_ours(*lib)) {
		cli_err("%s%s is not libthreadleak.so (it does not define threadleak_verify_none)",
		        env && env[0] ? "THREADLEAK_LIB=" : "", *lib);
		return TL_EXIT_INTERNAL;
	}
	char *path = resolve_command(cmd[0]);
	if (path == NULL) {
		int e = errno;
		say_exec_failure(cmd[0], e);
		return e == ENOENT ? TL_EXIT_NOTFOUND : TL_EXIT_NOEXEC;
	}
	o->unchecked = program_unchecked(path, cmd);
	if (o->unchecked == TL_UNCHECKED_STATIC && !o->allow_static) {
		cli_err(
		    "%s is statically linked: libthreadleak.so cannot be preloaded into it, so its "
		    "threads cannot be checked. Link it dynamically, or use --allow-static to run "
		    "it "
		    "anyway and check only the programs it starts.",
		    path);
		free(path);
		return TL_EXIT_INTERNAL;
	}
	if (o->unchecked == TL_UNCHECKED_STATIC)
		cli_err(
		    "%s is statically linked: it is not checked (only the programs it starts are)",
		    path);
	o->cmd0 = cmd[0];
	free(path);
	return 0;
}

struct outcome {
	size_t leaked, fresh, leaky_procs, procs, proven;
	bool recording;
	json_object *gone;
};

static void summary(const struct run_opts *o, const struct procset *set, const struct notes *ns,
                    const struct child *c, const struct outcome *r)
{
	bool failed = !(WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0);
	if (r->fresh > 0) {
		fprintf(stderr, "threadleak: %zu leaked thread%s in %zu of %zu process%s", r->fresh,
		        r->fresh == 1 ? "" : "s", r->leaky_procs, r->procs,
		        r->procs == 1 ? "" : "es");
		if (o->timed_out) /* run's status is timeout(1)'s, whatever the command did then */
			fprintf(stderr,
			        "; exit status %d: the command did not finish within its "
			        "--timeout\n",
			        TL_EXIT_TIMEOUT);
		else if (WIFSIGNALED(c->status))
			fprintf(stderr, "; the command was killed by signal %d\n",
			        WTERMSIG(c->status));
		else if (failed)
			fprintf(stderr, "; the command's own exit status %d is kept\n",
			        WEXITSTATUS(c->status));
		else if (o->unread_baseline)
			fprintf(stderr, "; exit status %d (the baseline could not be read)\n",
			        TL_EXIT_INTERNAL);
		else if (o->fail_unreachable && r->proven == 0)
			fprintf(stderr,
			        "; exit status stays 0 (fail_on=unreachable: none is proven)\n");
		else if (o->exitcode)
			fprintf(stderr, "; exit status 0 becomes %ld\n", o->exitcode);
		else
			fprintf(stderr, "; exit status stays 0 (--exitcode 0)\n");
	}
	if (o->baseline && !r->recording && r->leaked > r->fresh)
		fprintf(stderr, "threadleak: %zu leaked thread%s the baseline %s\n",
		        r->leaked - r->fresh, r->leaked - r->fresh == 1 ? " matches" : "s match",
		        o->baseline);
	size_t ngone = r->gone ? json_object_array_length(r->gone) : 0;
	if (ngone && r->recording)
		fprintf(stderr,
		        "threadleak: %zu baseline entr%s no longer occur%s and %s removed:\n",
		        ngone, ngone == 1 ? "y" : "ies", ngone == 1 ? "s" : "",
		        ngone == 1 ? "is" : "are");
	else if (ngone)
		fprintf(stderr,
		        "threadleak: %zu baseline entr%s no longer occur%s (fixed? "
		        "--update-baseline removes them):\n",
		        ngone, ngone == 1 ? "y" : "ies", ngone == 1 ? "s" : "");
	for (size_t i = 0; i < ngone; i++) {
		json_object *e = json_object_array_get_idx(r->gone, i), *at = jobj(e, "created_at");
		const char *fn = jstr(at, "function"), *file = jstr(at, "file"),
		           *sr = jstr(e, "start_routine");
		fprintf(stderr, "  %s thread, start routine %s, created by %s",
		        jstr(e, "state") ? jstr(e, "state") : "?", sr ? sr : "?", fn ? fn : "?");
		if (file)
			fprintf(stderr, " at %s:%lld", file, (long long)jint(at, "line", 0));
		fputc('\n', stderr);
	}
	for (size_t i = 0; i < c->nstill; i++)
		fprintf(stderr,
		        "threadleak: %s, started by the command, is still running; its report is "
		        "not included\n",
		        c->still_running[i]);
	bool root_explained = false;
	for (size_t i = 0; i < set->n; i++)
		root_explained = root_explained || set->v[i].root;
	for (size_t i = 0; i < ns->n; i++) {
		print_unchecked(ns->v[i].path, ns->v[i].pid, ns->v[i].why, ns->v[i].caller);
		root_explained = root_explained || ns->v[i].pid == c->pid;
	}
	if (!root_explained && o->unchecked != TL_UNCHECKED_NO)
		print_unchecked(o->cmd0, 0, o->unchecked, "env");
	else if (set->n == 0 && ns->n == 0 && ns->clean == 0 && WIFEXITED(c->status))
		fprintf(
		    stderr,
		    "threadleak: no process of the command %s a report: each ended without "
		    "running exit handlers (_exit, a fatal signal; Go programs end with the "
		    "exit_group system call), lost LD_PRELOAD from its environment (env -i, sudo), "
		    "was statically linked, or had the check turned off\n",
		    /* one still running (above) has not ended: the others */
		    c->nstill ? "that has ended wrote" : "wrote");
}

static bool use_color(int mode)
{
	if (mode >= 0)
		return mode;
	const char *term = getenv("TERM");
	return isatty(2) && getenv("NO_COLOR") == NULL && !(term && strcmp(term, "dumb") == 0);
}

/* Baseline, report, summary and files; returns threadleak's status for a command that succeeded. */
static bool has_new_leaks(const struct proc *p)
{
	return proc_new_leaks(p) > 0;
}

static int finish(const struct run_opts *o, struct baseline *b, struct procset *set,
                  const struct procset *hangs, const struct procset *found_hangs,
                  const struct notes *ns, const struct child *c, char **cmd, const char *root)
{
	struct outcome r = {0};
	r.recording = o->baseline && (!b->existed || o->update_baseline);
	if (o->baseline) {
		baseline_apply(b, set, root, r.recording);
		r.gone = baseline_gone(b);
	}
	r.leaked = procset_leaked(set);
	r.fresh = procset_new_leaks(set);
	r.proven = procset_proven_leaks(set);
	r.leaky_procs = procset_processes(set, has_new_leaks);
	r.procs = procset_processes(set, NULL);
	char cwd[PATH_MAX];
	struct render_opts ro = {.color = use_color(o->color),
	                         .show_baselined = r.recording,
	                         .cwd = getcwd(cwd, sizeof(cwd)) ? cwd : NULL,
	                         .no_source = o->no_source};
	if (r.fresh > 0 || (r.recording && r.leaked > 0))
		render_text(stderr, set, &ro);
	summary(o, set, ns, c, &r);
	int status = (o->fail_unreachable ? r.proven : r.fresh) > 0 ? (int)o->exitcode : 0;
	bool cmd_failed = !(WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0);
	struct run_info ri = {.argv = cmd,
	                      .cmd_status = child_exit_code(c->status),
	                      .baseline = o->baseline,
	                      .gone = r.gone,
	                      .recorded = r.recording,
	                      .timed_out = o->timed_out,
	                      .hangs = hangs};
	ri.exit_status = o->timed_out ? TL_EXIT_TIMEOUT : cmd_failed ? ri.cmd_status : status;
	int werr = 0;
	if (o->json)
		werr |= write_merged_json(o->json, set, &ri);
	if (o->sarif)
		werr |= write_sarif(o->sarif, set, found_hangs, root);
	if (o->junit)
		werr |= write_junit(o->junit, set, found_hangs, cwd);
	if (o->html)
		werr |= write_html_page(o->html, set, hangs, NULL, &ro);
	if (r.recording) {
		werr |= baseline_record(o->baseline, set, root);
		if (werr == 0)
			fprintf(stderr,
			        "threadleak: recorded %zu leaked thread%s in the baseline %s; "
			        "later runs fail only on others\n",
			        r.leaked, r.leaked == 1 ? "" : "s", o->baseline);
	}
	json_object_put(r.gone);
	return werr ? TL_EXIT_INTERNAL : status;
}

static void run_opts_free(struct run_opts *o)
{
	for (size_t i = 0; i < o->nsupps; i++)
		free(o->supps[i]); /* realpath'd by check_suppressions */
	free(o->supps);
	free(o->raw);
}

/* ---- --timeout: hang reports, then the end of the tree ---- */
#define TIMEOUT_REPORT_WAIT_MS 5000 /* for the hang reports of every process */
#define TIMEOUT_KILL_AFTER_MS 2000  /* from SIGTERM to SIGKILL */
#define MAX_TREE 8192

struct deadline {
	long ms;
	int dirfd;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool finished, expired;
	/* what the end of the tree did, for run's last line: SIGTERM, then SIGKILL, reached the
	 * command alive; why a process asked for its hang report wrote none */
	bool termed, killed;
	char silent[512];
};

/* The live processes below us (our children, theirs, ...): /proc's parent links, zombies left
 * out. Returns their count (at most max). */
static size_t descendants(int *out, size_t max)
{
	static int pid[MAX_TREE * 4], ppid[MAX_TREE * 4];
	size_t n = 0, k = 0;
	DIR *d = opendir("/proc");
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL && n < sizeof(pid) / sizeof(pid[0])) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		char path[300], buf[512];
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t got = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (got <= 0)
			continue;
		buf[got] = '\0';
		char *close_paren = strrchr(buf, ')'), state;
		int parent;
		/* a zombie main task whose other threads run on (main called pthread_exit) is
		 * a live process: left out, a --timeout never asked it nor ended it */
		if (close_paren == NULL ||
		    sscanf(close_paren + 1, " %c %d", &state, &parent) != 2 || state == 'X' ||
		    (state == 'Z' && live_task(atoi(e->d_name)) == 0))
			continue;
		pid[n] = atoi(e->d_name);
		ppid[n++] = parent;
	}
	if (d)
		closedir(d);
	/* breadth first from us */
	int me = getpid();
	for (size_t i = 0; i < n && k < max; i++)
		if (ppid[i] == me)
			out[k++] = pid[i];
	for (size_t at = 0; at < k; at++)
		for (size_t i = 0; i < n && k < max; i++)
			if (ppid[i] == out[at])
				out[k++] = pid[i];
	return k;
}

/* The signal to every live process of the tree. Returns whether it reached a child of ours (the
 * command) alive: waitid on any other process fails with ECHILD. */
static bool signal_tree(int sig)
{
	static int tree[MAX_TREE];
	size_t n = descendants(tree, MAX_TREE);
	bool child = false;
	for (size_t i = 0; i < n; i++) {
		/* our child, and not ended yet: asked before the signal, since once signalled it
		 * may be reaped by the main thread (spawn_wait) before a look after it */
		siginfo_t si = {0};
		bool alive_child =
		    waitid(P_PID, (id_t)tree[i], &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
		    si.si_pid == 0;
		if (kill(tree[i], sig) == 0 && alive_child)
			child = true;
	}
	return child;
}

/* At the deadline: every process of the tree that runs the library writes its hang report
 * into our folder (we wait for each, up to TIMEOUT_REPORT_WAIT_MS in all); then SIGTERM to
 * the tree, SIGKILL to what is left TIMEOUT_KILL_AFTER_MS later, as timeout --kill-after. */
static void *deadline_thread(void *arg)
{
	struct deadline *d = arg;
	struct timespec at;
	clock_gettime(CLOCK_MONOTONIC, &at);
	at.tv_sec += d->ms / 1000;
	at.tv_nsec += (d->ms % 1000) * 1000000;
	if (at.tv_nsec >= 1000000000) {
		at.tv_sec++;
		at.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&d->mu);
	while (!d->finished && pthread_cond_timedwait(&d->cv, &d->mu, &at) != ETIMEDOUT)
		;
	d->expired = !d->finished;
	pthread_mutex_unlock(&d->mu);
	if (!d->expired)
		return NULL;
	static int tree[MAX_TREE], asked[MAX_TREE];
	static struct live_blocked blocked[MAX_TREE];
	size_t n = descendants(tree, MAX_TREE), nasked = 0, used = 0;
	int sig = dump_signal_default();
	for (size_t i = 0; i < n; i++) {
		char refused[512];
		if (live_state(tree[i], sig) != LIVE_READY)
			continue;
		if (live_request(tree[i], sig, d->dirfd, true, refused, sizeof(refused)) == 0) {
			live_blocking(tree[i], sig, &blocked[nasked]);
			asked[nasked++] = tree[i];
		} else if (errno == EBUSY) { /* asking would have made a call fail: say why */
			int w = snprintf(d->silent + used, sizeof(d->silent) - used,
			                 "%sprocess %d: %s", used ? "; " : "", tree[i], refused);
			used =
			    w > 0 && (size_t)w < sizeof(d->silent) - used ? used + (size_t)w : used;
		}
	}
	int64_t until = live_now_ms() + TIMEOUT_REPORT_WAIT_MS;
	for (size_t i = 0; i < nasked; i++) {
		if (live_wait_report(d->dirfd, asked[i], until))
			continue;
		char why[256];
		live_silence(asked[i], sig, &blocked[i], why, sizeof(why));
		int w = snprintf(d->silent + used, sizeof(d->silent) - used,
		                 "%sprocess %d did not answer signal %d: %s", used ? "; " : "",
		                 asked[i], sig, why);
		used = w > 0 && (size_t)w < sizeof(d->silent) - used ? used + (size_t)w : used;
	}
	d->termed = signal_tree(SIGTERM);
	until = live_now_ms() + TIMEOUT_KILL_AFTER_MS;
	while (live_now_ms() < until && descendants(tree, 1) > 0) {
		struct timespec ts = {0, 10 * 1000000};
		nanosleep(&ts, NULL);
	}
	d->killed = signal_tree(SIGKILL);
	return NULL;
}

static bool deadline_start(struct deadline *d, long ms, int dirfd)
{
	*d = (struct deadline){.ms = ms, .dirfd = dirfd};
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&d->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&d->mu, NULL);
	/* the forwarded signals stay with the main thread, which forwards them */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	bool ok = pthread_create(&d->thread, NULL, deadline_thread, d) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!ok)
		cli_err("--timeout: cannot start a thread: %s", strerror(errno));
	return ok;
}

/* How the command ended after its deadline, as a clause: only what was done. A process may
 * block or handle SIGTERM, or end by itself while its report was awaited (before any signal). */
static void timeout_end(const struct deadline *d, int status, char *out, size_t len)
{
	char how[64];
	if (WIFSIGNALED(status))
		snprintf(how, sizeof(how), "ended with signal %d (%s)", WTERMSIG(status),
		         strsignal(WTERMSIG(status)));
	else
		snprintf(how, sizeof(how), "exited with status %d", WEXITSTATUS(status));
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM && d->termed)
		snprintf(out, len, "it was ended with SIGTERM");
	else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && d->killed)
		snprintf(out, len,
		         "it was ended with SIGKILL, %d s after a SIGTERM that did not end it",
		         TIMEOUT_KILL_AFTER_MS / 1000);
	else if (d->termed)
		snprintf(out, len, "it was sent SIGTERM, then %s", how);
	else
		snprintf(out, len, "it %s by itself, before it was sent SIGTERM", how);
}

/* The command is over: stop the clock, or let the end of the tree finish. */
static bool deadline_stop(struct deadline *d)
{
	pthread_mutex_lock(&d->mu);
	d->finished = true;
	pthread_cond_signal(&d->cv);
	pthread_mutex_unlock(&d->mu);
	pthread_join(d->thread, NULL);
	pthread_cond_destroy(&d->cv);
	pthread_mutex_destroy(&d->mu);
	return d->expired;
}

/* --watch: every interval, the threads of each process of the tree that runs the library, and
 * the groups that grew (watch.c), on stderr. */
#define WATCH_MAX_PROCS 64

struct watcher {
	double every;
	int dirfd;
	const char *dir;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool finished;
};

static void *watcher_thread(void *arg)
{
	struct watcher *wt = arg;
	int pids[WATCH_MAX_PROCS];
	struct watch *ws[WATCH_MAX_PROCS];
	size_t nw = 0;
	int sig = dump_signal_default();
	int64_t t0 = live_now_ms();
	for (long i = 1;; i++) {
		int64_t at_ms = t0 + (int64_t)(wt->every * 1000 * (double)i);
		struct timespec at = {at_ms / 1000, (at_ms % 1000) * 1000000};
		pthread_mutex_lock(&wt->mu);
		while (!wt->finished && pthread_cond_timedwait(&wt->cv, &wt->mu, &at) != ETIMEDOUT)
			;
		bool done = wt->finished;
		pthread_mutex_unlock(&wt->mu);
		if (done)
			break;
		static int tree[MAX_TREE];
		size_t n = descendants(tree, MAX_TREE);
		for (size_t k = 0; k < n; k++) {
			if (live_state(tree[k], sig) != LIVE_READY)
				continue;
			size_t j = 0;
			while (j < nw && pids[j] != tree[k])
				j++;
			if (j == nw && nw == WATCH_MAX_PROCS)
				continue;
			if (j == nw) {
				pids[nw] = tree[k];
				ws[nw++] = watch_new();
			}
			json_object *doc = watch_take(tree[k], sig, wt->dirfd, wt->dir, 5000);
			if (doc == NULL)
				continue;
			char prefix[64];
			snprintf(prefix, sizeof(prefix), "threadleak watch: pid %d: ", tree[k]);
			watch_step(ws[j], doc, tree[k], (double)(live_now_ms() - t0) / 1000, false,
			           stderr, prefix);
			json_object_put(doc);
		}
	}
	for (size_t j = 0; j < nw; j++)
		watch_free(ws[j]);
	return NULL;
}

static bool watcher_start(struct watcher *wt, double every, int dirfd, const char *dir)
{
	*wt = (struct watcher){.every = every, .dirfd = dirfd, .dir = dir};
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&wt->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&wt->mu, NULL);
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	bool ok = pthread_create(&wt->thread, NULL, watcher_thread, wt) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!ok)
		cli_err("--watch: cannot start a thread: %s", strerror(errno));
	return ok;
}

static void watcher_stop(struct watcher *wt)
{
	pthread_mutex_lock(&wt->mu);
	wt->finished = true;
	pthread_cond_signal(&wt->cv);
	pthread_mutex_unlock(&wt->mu);
	pthread_join(wt->thread, NULL);
	pthread_cond_destroy(&wt->cv);
	pthread_mutex_destroy(&wt->mu);
}

/* A hang report is a finding when the command failed or ran out of time, or when somebody
 * asked for it (SIGQUIT, threadleak dump). A process that the command ended itself with
 * SIGTERM, SIGINT or SIGHUP while the command succeeded (a test stopping the server it
 * started) writes one too: that is the command working, not a finding. */
static bool hang_is_finding(const struct proc *p, bool cmd_ok)
{
	static const char *const ends[] = {"received SIGTERM", "received SIGINT",
	                                   "received SIGHUP"};
	const char *why = jstr(p->doc, "reason");
	if (!cmd_ok || why == NULL)
		return true;
	for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++)
		if (strstr(why, ends[i]))
			return false;
	return true;
}

/* Hang reports: the processes that had not exited, at the deadline or on a signal. The
 * findings come first in hangs and are printed (the others only in --json: a clean command
 * gets no report); returns their count. */
static size_t print_hangs(struct procset *hangs, int root_pid, bool cmd_ok)
{
	char cwd[PATH_MAX];
	procset_sort(hangs, root_pid);
	size_t k = 0;
	for (size_t i = 0; i < hangs->n; i++)
		if (hang_is_finding(&hangs->v[i], cmd_ok)) {
			struct proc p = hangs->v[k];
			hangs->v[k++] = hangs->v[i];
			hangs->v[i] = p;
		}
	for (size_t i = 0; i < k; i++)
		render_hang(stderr, &hangs->v[i], getcwd(cwd, sizeof(cwd)) ? cwd : NULL);
	return k;
}

/* The command, then its reports. Returns threadleak's status; *raw_status gets the command's
 * wait status (-1 when it did not run). */
static int run_command(struct run_opts *o, char **cmd, const char *lib, const char *root,
                       int *raw_status)
{
	/* A broken baseline is named, and the command still runs, checked as without one: every
	 * leak is new, the file is left as it is, and the status says that run could not do all
	 * of its job. */
	struct baseline b = {0};
	bool bad_baseline = o->baseline && baseline_load(&b, o->baseline) != 0;
	struct run_opts eff = *o;
	if (bad_baseline) {
		eff.baseline = NULL;
		eff.update_baseline = false;
		eff.unread_baseline = true;
	}
	struct report_dir dir;
	if (private_dir(&dir) != 0) {
		baseline_free(&b);
		return TL_EXIT_INTERNAL;
	}
	char *options = library_options(o, &dir);
	char *preload = preload_value(lib), *asan = asan_value();
	struct spawn_opts so = {.preload = preload,
	                        .options = options,
	                        .asan = asan,
	                        .orphan_wait_ms = (int)o->orphan_wait};
	struct child c;
	struct procset set = {0}, hangs = {0};
	struct notes notes = {0};
	struct deadline dl;
	bool timing = o->timeout_ms > 0 && deadline_start(&dl, o->timeout_ms, dir.fd);
	struct watcher wt;
	bool watching = o->watch_s > 0 && watcher_start(&wt, o->watch_s, dir.fd, dir.path);
	int rc = spawn_wait(cmd, &so, &c);
	if (watching)
		watcher_stop(&wt);
	if (timing)
		eff.timed_out = o->timed_out = deadline_stop(&dl);
	collect(&set, &hangs, &notes, &dir);
	spawn_done();
	if (rc != 0) {
		rc = TL_EXIT_INTERNAL;
	} else if (c.exec_errno) {
		say_exec_failure(cmd[0], c.exec_errno);
		rc = c.exec_errno == ENOENT ? TL_EXIT_NOTFOUND : TL_EXIT_NOEXEC;
	} else {
		bool cmd_ok = !o->timed_out && WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0;
		struct procset found = hangs; /* the findings: the first ones (print_hangs) */
		found.n = print_hangs(&hangs, c.pid, cmd_ok);
		procset_sort(&set, c.pid);
		rc = finish(&eff, &b, &set, &hangs, &found, &notes, &c, cmd, root);
		rc = bad_baseline ? TL_EXIT_INTERNAL : rc;
		*raw_status = c.status;
		if (o->timed_out) {
			char end[160];
			timeout_end(&dl, c.status, end, sizeof(end));
			cli_err("%s did not finish within its --timeout: %zu hang report%s "
			        "above%s%s%s; "
			        "%s",
			        cmd[0], hangs.n, hangs.n == 1 ? "" : "s", dl.silent[0] ? " (" : "",
			        dl.silent, dl.silent[0] ? ")" : "", end);
			rc = TL_EXIT_TIMEOUT;
		}
	}
	for (size_t i = 0; i < c.nstill; i++)
		free(c.still_running[i]);
	free(c.still_running);
	baseline_free(&b);
	procset_free(&set);
	procset_free(&hangs);
	notes_free(&notes);
	free(options);
	free(preload);
	free(asan);
	free(dir.path);
	return rc;
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o;
	int first = parse_run(argc, argv, &o);
	const char *names[] = {"--json", "--sarif", "--junit", "--baseline", "--html"};
	const char *paths[] = {o.json, o.sarif, o.junit, o.baseline, o.html};
	const char *out_names[] = {"--json", "--sarif", "--junit", "--html"};
	const char *out_paths[] = {o.json, o.sarif, o.junit, o.html};
	if (first < 0 || outputs_distinct(names, paths, 5) != 0 ||
	    outputs_writable(out_names, out_paths, 4) != 0) {
		run_opts_free(&o);
		return TL_EXIT_USAGE;
	}
	char **cmd = argv + first;
	char *lib = NULL;
	char root[PATH_MAX];
	int raw_status = -1;
	int rc = prepare(&o, cmd, &lib);
	struct stat root_st;
	if (rc == 0 && realpath(o.source_root ? o.source_root : ".", root) == NULL) {
		cli_err("--source-root %s: %s", o.source_root, strerror(errno));
		rc = TL_EXIT_USAGE;
	} else if (rc == 0 && (stat(root, &root_st) != 0 || !S_ISDIR(root_st.st_mode))) {
		cli_err("--source-root %s: not a folder", o.source_root);
		rc = TL_EXIT_USAGE;
	}
	if (rc == 0)
		rc = run_command(&o, cmd, lib, root, &raw_status);
	free(lib);
	run_opts_free(&o);
	if (raw_status != -1 && !o.timed_out &&
	    !(WIFEXITED(raw_status) && WEXITSTATUS(raw_status) == 0))
		exit_like(raw_status); /* the command failed: its status, or its signal */
	return rc;
}
