/* Hang reports of live processes: `threadleak dump PID` and what `threadleak run --timeout`
 * shares with it. A process under the library with dump_signal set takes that real-time signal,
 * sent with sigqueue and the value (our pid << 32 | a descriptor of a private folder of ours),
 * as a request: it writes hang.PID (JSON, docs/report-schema.md) into /proc/OURPID/fd/N, which
 * only our user can reach, and goes on (preload/dump.c). The kernel lets only the process's
 * owner (or root) send it a signal. */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int dump_signal_default(void)
{
	return SIGRTMAX - 1; /* outside the range the library samples stacks with */
}

static bool read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	size_t got = 0;
	ssize_t n;
	while (got < len - 1 && (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = '\0';
	return true;
}

/* Does process pid run the library, and does it take `sig` (a handler on it)? */
enum live_state live_state(int pid, int sig)
{
	char path[64], buf[8192];
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (!read_small(path, buf, sizeof(buf)))
		return errno == EACCES ? LIVE_DENIED : LIVE_GONE;
	const char *c = strstr(buf, "\nSigCgt:");
	bool caught = c && ((strtoull(c + 8, NULL, 16) >> (sig - 1)) & 1);
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return errno == EACCES ? LIVE_DENIED : LIVE_GONE;
	bool lib = false;
	char line[PATH_MAX + 128];
	while (!lib && fgets(line, sizeof(line), f))
		lib = strstr(line, "/libthreadleak.so") != NULL;
	fclose(f);
	if (!lib)
		return LIVE_NO_LIBRARY;
	return caught ? LIVE_READY : LIVE_NO_SIGNAL;
}

int live_request(int pid, int sig, int dirfd, bool final)
{
	union sigval v;
	uint64_t word = ((uint64_t)getpid() << 32) | (uint32_t)dirfd | (final ? 1u << 31 : 0);
	v.sival_ptr = (void *)(uintptr_t)word;
	return sigqueue(pid, sig, v);
}

/* How many threads of pid block sig (SigBlk in /proc/PID/task/TID/status), of how many. */
void live_blocking(int pid, int sig, struct live_blocked *b)
{
	char path[64], buf[8192];
	*b = (struct live_blocked){0, 0};
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	DIR *d = opendir(path);
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/status", pid, e->d_name);
		if (!read_small(path, buf, sizeof(buf)))
			continue;
		const char *blk = strstr(buf, "\nSigBlk:");
		b->threads++;
		b->blocking += blk && ((strtoull(blk + 8, NULL, 16) >> (sig - 1)) & 1);
	}
	if (d)
		closedir(d);
}

/* Why pid wrote no report for signal sig: a clause for "did not answer signal N: ...". b: how
 * its threads stood when it was asked. The library takes the request in its handler, or in a
 * sigwait whose set holds the signal; a thread that blocks the signal and waits for other
 * signals only (or reads them from a signalfd, which leaves ours out) never sees it. */
void live_silence(int pid, int sig, const struct live_blocked *b, char *why, size_t len)
{
	if (b->threads > 0 && b->blocking == b->threads)
		snprintf(why, len,
		         "%s %d thread%s block%s signal %d (SigBlk in /proc/%d/task/*/status) and "
		         "none waits for it in sigwait, so the library never sees the request",
		         b->threads == 1 ? "its" : "all", b->threads, b->threads == 1 ? "" : "s",
		         b->threads == 1 ? "s" : "", sig, pid);
	else if (kill(pid, 0) != 0)
		snprintf(why, len, "it ended before it answered");
	else
		snprintf(why, len,
		         "the library got no thread to make the report (%d of %d threads block "
		         "signal %d)",
		         b->blocking, b->threads, sig);
}

/* The lines of a hang report: our own header and its chains of waits, then the threads as
 * every report prints them (render.c, whose header line we leave out). */
void render_hang(FILE *out, const struct proc *p, const char *cwd)
{
	json_object *leaks = jarr(p->doc, "leaks"), *waits = jarr(p->doc, "waits");
	size_t n = leaks ? json_object_array_length(leaks) : 0;
	const char *reason = jstr(p->doc, "reason");
	fprintf(out, "\nthreadleak: hang report of %s (pid %d): the process has not exited",
	        p->exe ? path_under(p->exe, cwd) : "?", p->pid);
	if (reason)
		fprintf(out, " (%s)", reason);
	fprintf(out, "; all %zu of its threads\n", n);
	const char *reduced = jstr(p->doc, "reduced");
	if (reduced)
		fprintf(out, "threadleak: %s\n", reduced);
	fputc('\n', out);
	for (size_t i = 0; waits && i < json_object_array_length(waits); i++)
		fprintf(out, "%s\n", json_object_get_string(json_object_array_get_idx(waits, i)));
	if (waits && json_object_array_length(waits))
		fputc('\n', out);
	char *text = render_process(p, cwd);
	if (text == NULL)
		return;
	/* render_text: "\n", the header line, then the deadlock lines and the threads */
	char *body = text;
	while (*body == '\n')
		body++;
	if (strncmp(body, "threadleak: ", 12) == 0) {
		char *nl = strchr(body, '\n');
		body = nl ? nl + 1 : body + strlen(body);
		while (*body == '\n')
			body++;
	}
	fputs(body, out);
	free(text);
}

/* Wait for hang.PID in the folder (opened as dfd) until the deadline; true when it came. */
bool live_wait_report(int dfd, int pid, int64_t deadline_ms)
{
	char name[64];
	snprintf(name, sizeof(name), "hang.%d", pid);
	for (;;) {
		struct stat st;
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			return true;
		if (live_now_ms() >= deadline_ms || kill(pid, 0) != 0)
			return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
		struct timespec ts = {0, 5 * 1000000};
		nanosleep(&ts, NULL);
	}
}

int64_t live_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- threadleak dump PID ---- */
void usage_dump(FILE *out)
{
	fputs("Usage: threadleak dump [--json] [--wait S] PID\n"
	      "\n"
	      "Prints a report of every thread of the running process PID (a hang report: the\n"
	      "main thread included, with the chains of waits), without stopping it. PID must\n"
	      "run under threadleak: `threadleak run`, or LD_PRELOAD=libthreadleak.so with\n"
	      "THREADLEAK_OPTIONS=dump_signal=N (N: a real-time signal, 63 here by default).\n"
	      "Only the process's owner (or root) can ask. For a process without the library,\n"
	      "what /proc shows of its threads (states, kernel waits, system calls).\n"
	      "\n"
	      "  --json       the library's JSON report (docs/report-schema.md)\n"
	      "  --signal N   the real-time signal the process takes requests on (its\n"
	      "               dump_signal; read from its environment when it can be)\n"
	      "  --wait S     how long to wait for the report (10)\n"
	      "  -h, --help   this help\n",
	      out);
}

/* dump_signal=N from the THREADLEAK_OPTIONS the process started with, or 0 */
static int signal_from_environ(int pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/environ", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	size_t cap = 1 << 20, len = 0;
	char *buf = malloc(cap + 1);
	ssize_t n;
	while (buf && len < cap && (n = read(fd, buf + len, cap - len)) > 0)
		len += (size_t)n;
	close(fd);
	if (buf == NULL)
		return 0;
	buf[len] = '\0';
	int sig = 0;
	for (size_t i = 0; i < len; i += strlen(buf + i) + 1) {
		const char *e = buf + i;
		if (strncmp(e, "THREADLEAK_OPTIONS=", 19) != 0)
			continue;
		for (const char *p = strstr(e, "dump_signal="); p;
		     p = strstr(p + 1, "dump_signal="))
			if (p == e + 19 || p[-1] == ':')
				sig = atoi(p + 12);
	}
	free(buf);
	return sig;
}

/* The request signal of process pid: its dump_signal, else run's. */
int live_signal_of(int pid)
{
	int sig = signal_from_environ(pid);
	return sig ? sig : dump_signal_default();
}

/* Can process pid be asked? Else one line saying what is missing. */
bool live_check(int pid, int sig)
{
	switch (live_state(pid, sig)) {
	case LIVE_GONE:
		cli_err("no process %d", pid);
		return false;
	case LIVE_DENIED:
		cli_err("process %d belongs to another user: only its owner can ask for its "
		        "report",
		        pid);
		return false;
	case LIVE_NO_LIBRARY:
		cli_err("process %d does not run libthreadleak.so: start it with `threadleak run "
		        "-- CMD` (or LD_PRELOAD=libthreadleak.so "
		        "THREADLEAK_OPTIONS=dump_signal=%d) to see its threads",
		        pid, dump_signal_default());
		return false;
	case LIVE_NO_SIGNAL:
		cli_err("process %d runs libthreadleak.so without a request signal: start it "
		        "with THREADLEAK_OPTIONS=dump_signal=%d (threadleak run sets it), or name "
		        "its signal with --signal",
		        pid, dump_signal_default());
		return false;
	case LIVE_READY:
		break;
	}
	return true;
}

/* A private folder (0700, mkdtemp) for the reports: its descriptor, or -1 after a message. */
int live_private_dir(char **path)
{
	const char *base = getenv("TMPDIR");
	if (asprintf(path, "%s/threadleak-dump.XXXXXX", base && base[0] ? base : "/tmp") < 0) {
		*path = NULL;
		return -1;
	}
	int dfd =
	    mkdtemp(*path) ? open(*path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
	if (dfd < 0) {
		cli_err("cannot create a private folder: %s", strerror(errno));
		free(*path);
		*path = NULL;
	}
	return dfd;
}

/* Ask pid for its hang report and read it (the file is removed): the document, or NULL after
 * a message. */
json_object *live_take(int pid, int sig, int dfd, const char *dir, int wait_ms)
{
	char name[64];
	snprintf(name, sizeof(name), "hang.%d", pid);
	unlinkat(dfd, name, 0);
	if (live_request(pid, sig, dfd, false) != 0) {
		cli_err("cannot ask process %d: %s", pid, strerror(errno));
		return NULL;
	}
	struct live_blocked b;
	live_blocking(pid, sig, &b); /* now, while it may still end before the deadline */
	if (!live_wait_report(dfd, pid, live_now_ms() + wait_ms)) {
		char why[256];
		live_silence(pid, sig, &b, why, sizeof(why));
		cli_err("process %d did not answer signal %d within %d s: %s", pid, sig,
		        wait_ms / 1000, why);
		return NULL;
	}
	char *path = NULL, why[256];
	json_object *doc = NULL;
	if (asprintf(&path, "%s/%s", dir, name) > 0) {
		doc = json_read_file(path, TL_MAX_OWN_REPORT, why, sizeof(why));
		if (doc == NULL)
			cli_err("%s: %s", path, why);
	}
	unlinkat(dfd, name, 0);
	free(path);
	return doc;
}

/* A process without the library: what /proc shows of its threads, one line each (state, kernel
 * wait, system call): no stacks, no objects, no creation sites. */
static void proc_fallback(int pid)
{
	char path[PATH_MAX], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	DIR *d = opendir(path);
	struct dirent *e;
	printf("threads of pid %d as /proc shows them (no stacks, objects or creation sites "
	       "without the library):\n",
	       pid);
	while (d && (e = readdir(d)) != NULL) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		char comm[64] = "?", wchan[128] = "", sys[128] = "", state = '?';
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", pid, e->d_name);
		if (read_small(path, buf, sizeof(buf))) {
			char *open = strchr(buf, '('), *close = strrchr(buf, ')');
			if (open && close && close > open) {
				snprintf(comm, sizeof(comm), "%.*s", (int)(close - open - 1),
				         open + 1);
				sscanf(close + 1, " %c", &state);
			}
		}
		snprintf(path, sizeof(path), "/proc/%d/task/%s/wchan", pid, e->d_name);
		if (read_small(path, wchan, sizeof(wchan)) && strcmp(wchan, "0") == 0)
			wchan[0] = '\0';
		snprintf(path, sizeof(path), "/proc/%d/task/%s/syscall", pid, e->d_name);
		if (read_small(path, sys, sizeof(sys)))
			sys[strcspn(sys, " \n")] = '\0';
		for (char *p = comm; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
		printf("  tid %s (\"%s\") %s", e->d_name, comm,
		       state == 'S' || state == 'D' ? "blocked"
		       : state == 'R'               ? "running"
		                                    : "state");
		if (state != 'S' && state != 'D' && state != 'R')
			printf(" %c", state);
		if (wchan[0])
			printf(" in %s", wchan);
		if (sys[0] && strcmp(sys, "running") != 0)
			printf(" (system call %s)", sys);
		putchar('\n');
	}
	if (d)
		closedir(d);
}

int cmd_dump(int argc, char **argv)
{
	static const struct option longs[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"signal", required_argument, NULL, 's'},
	    {"wait", required_argument, NULL, 'w'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	bool json = false;
	long sig = 0, wait_s = 10, pid = 0;
	opterr = 0;
	optind = 1;
	int c, bad = 0;
	while ((c = getopt_long(argc, argv, "+:h", longs, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 's':
			if (!parse_int(optarg, SIGRTMIN, SIGRTMAX, &sig))
				bad +=
				    (cli_err("--signal: '%s' is not a real-time signal (%d to %d)",
				             optarg, SIGRTMIN, SIGRTMAX),
				     1);
			break;
		case 'w':
			if (!parse_int(optarg, 1, 3600, &wait_s))
				bad +=
				    (cli_err("--wait: '%s' is not a number of seconds", optarg), 1);
			break;
		case 'h':
			usage_dump(stdout);
			return 0;
		default:
			cli_err("dump: unknown option '%s'", argv[optind - 1]);
			bad++;
		}
	}
	if (!bad && (optind != argc - 1 || !parse_int(argv[optind], 1, INT_MAX, &pid)))
		bad += (cli_err("dump: expected one process id: threadleak dump PID"), 1);
	if (bad) {
		fprintf(stderr, "Try 'threadleak dump --help'.\n");
		return TL_EXIT_USAGE;
	}
	if (sig == 0)
		sig = live_signal_of((int)pid);
	if (!live_check((int)pid, (int)sig)) {
		if (!json && live_state((int)pid, (int)sig) == LIVE_NO_LIBRARY)
			proc_fallback((int)pid);
		return 1;
	}
	char *dir = NULL;
	int dfd = live_private_dir(&dir);
	if (dfd < 0)
		return TL_EXIT_INTERNAL;
	json_object *doc = live_take((int)pid, (int)sig, dfd, dir, (int)wait_s * 1000);
	int rc = doc ? 0 : 1;
	if (doc && json) {
		fputs(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY), stdout);
		fputc('\n', stdout);
	} else if (doc) {
		struct procset set = {0};
		procset_add(&set, json_object_get(doc), "dump");
		char cwd[PATH_MAX];
		if (set.n == 1)
			render_hang(stdout, &set.v[0], getcwd(cwd, sizeof(cwd)) ? cwd : NULL);
		procset_free(&set);
	}
	json_object_put(doc);
	/* a late report, and the temporary name of one being written */
	char late[64];
	snprintf(late, sizeof(late), ".hang.%ld", pid);
	unlinkat(dfd, late, 0);
	snprintf(late, sizeof(late), "hang.%ld", pid);
	unlinkat(dfd, late, 0);
	close(dfd);
	rmdir(dir);
	free(dir);
	return rc;
}
