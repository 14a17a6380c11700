/* threadleak, the command: runs a program under libthreadleak.so and turns the JSON reports of
 * every process into text, merged JSON, SARIF and JUnit. Layout: main.c (subcommands, help),
 * run.c (`threadleak run`), exec.c (library lookup, environment, child, signals), reports.c
 * (reading reports with json-c, frames, signatures), groups.c (programs and groups), render.c
 * (text: each group through report/text.c, the library's renderer), outputs.c (merged JSON,
 * JUnit), sarif.c, baseline.c, symbolize.c (frames symbolized again offline through
 * report/symbolize.c, the library's symbolizer), report_cmd.c (`threadleak report`). */
#ifndef TL_CLI_H
#define TL_CLI_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "report.h"

/* Exit statuses of threadleak itself (the command's own status is passed through):
 * 2 a bad command line; 125 threadleak could not do its job (no library, a static binary, ...);
 * 126 the command exists but cannot be executed; 127 the command was not found. */
enum {
	TL_EXIT_USAGE = 2,
	TL_EXIT_TIMEOUT = 124, /* run --timeout expired, as timeout(1) */
	TL_EXIT_INTERNAL = 125,
	TL_EXIT_NOEXEC = 126,
	TL_EXIT_NOTFOUND = 127,
};

/* main.c */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern const char *cli_version;
int cmd_run(int argc, char **argv);
int cmd_report(int argc, char **argv);
void usage_run(FILE *out);
void usage_report(FILE *out);
/* Parse a whole decimal integer in [min, max]. */
bool parse_int(const char *s, long min, long max, long *out);
/* --color's value: 1 always (also no value), 0 never, -1 auto, -2 not one of them */
int color_arg(const char *v);
/* Collect a repeatable option's value. */
void strv_push(char ***v, size_t *n, const char *s);

/* ---- reports.c: the process reports, as json-c objects ---- */
struct proc {
	json_object *doc; /* the library's document for one process (docs/report-schema.md) */
	char *source;     /* the file it was read from */
	int pid;
	const char *exe;
	bool root;     /* the command itself, in `run` */
	bool matched;  /* a later file held the same document again (reports.c already_read) */
	unsigned read; /* which reading of a file it came from (reports.c procset_read) */
};

struct procset {
	struct proc *v;
	size_t n, cap;
	int bad_files; /* files that could not be read or were not valid reports */
	/* where hang reports go (dump --json, run --json's "hangs"); NULL: with the others */
	struct procset *hangs;
	bool timed_out; /* one of the files is a run --json of a run whose --timeout expired */
};

/* Reports and baselines may come from anywhere (CI artifacts): only a regular file ("-":
 * stdin) of at most MAX bytes is read (a FIFO would block, a device never end), streamed to
 * the parser; a UTF-8 byte-order mark is skipped. NULL with a one-line reason in WHY. */
json_object *json_read_file(const char *path, size_t max, char *why, size_t whylen);
/* json-c needs about ten times the text in memory */
#define TL_MAX_REPORT ((size_t)64 << 20)    /* a file given to `threadleak report` */
#define TL_MAX_OWN_REPORT ((size_t)1 << 30) /* a report of run's own processes */
#define TL_MAX_BASELINE ((size_t)16 << 20)
/* Read one file: a process report, a merged document (`--json`) or a JSON array of either.
 * A file that is not valid JSON is named on stderr and counted in bad_files. */
void procset_read(struct procset *s, const char *path, size_t max);
void procset_add(struct procset *s, json_object *doc, const char *source);
void procset_sort(struct procset *s, int root_pid);
void procset_free(struct procset *s);
size_t procset_leaked(const struct procset *s); /* leaked threads, all processes */
size_t procset_processes(const struct procset *s, bool (*which)(const struct proc *));
bool proc_leaky(const struct proc *p); /* its report found leaks */
size_t procset_proven_leaks(const struct procset *s);
size_t procset_new_leaks(const struct procset *s); /* leaked threads not in the baseline */
size_t proc_new_leaks(const struct proc *p);

/* json-c accessors: NULL / default when missing, null, or of another type. */
const char *jstr(json_object *o, const char *key);
int64_t jint(json_object *o, const char *key, int64_t def);
bool jbool(json_object *o, const char *key);
json_object *jarr(json_object *o, const char *key);
json_object *jobj(json_object *o, const char *key);

struct frame {
	const char *function, *module, *file;
	int line; /* 0 unknown */
	unsigned long offset;
	bool inlined;
	bool signal_frame; /* the kernel's signal frame: the next frame was interrupted there */
};
void frame_get(json_object *f, struct frame *out);
json_object *leak_creation_stack(json_object *leak); /* created_by.stack, or NULL */
/* A frame in the user's code: an absolute file that exists and is not under /usr. */
bool frame_is_user(const struct frame *f);
/* Index of the frame where the thread was created in the user's code: the first user frame
 * of the creation stack (else of the current stack, for untracked threads), or -1. */
int leak_site(json_object *leak, json_object **stack);
/* The index of the first frame of the user's code in a stack (a readable source file outside
 * /usr), -1: none. */
int first_user_frame(json_object *stack);
/* A path relative to root when under it, else the path itself. */
const char *path_under(const char *path, const char *root);
const char *base_name(const char *path);
/* The next line of *cursor (a string, or NULL) into out, and *cursor past it; false at the end.
 * A report's "deadlock" holds a line per cycle. */
bool next_line(const char **cursor, char *out, size_t n);
bool leak_baselined(json_object *leak);

/* ---- groups.c: programs, and threads with the same stacks ---- */
struct member {
	const struct proc *p;
	json_object *leak;
};
struct group {
	char *key;
	struct member *m; /* m[0] stands for the group */
	size_t n, cap;
};
struct program {
	const char *exe;
	const struct proc **procs; /* its processes that leaked */
	size_t nprocs;
	struct group *g;
	size_t ng;
	size_t leaked;      /* threads, baselined ones included (hung ones too) */
	size_t hung;        /* of those, threads of hang reports: not leaks (the process had not
	                     * exited) */
	size_t hidden;      /* baselined threads left out of the groups */
	json_object *index; /* group key -> index in g */
};
bool proc_is_hang(const struct proc *p); /* a hang report (check "hang") */
bool suppressed_first(json_object *seen, const struct proc *p, json_object *t);
int64_t suppressed_counts(const struct procset *s, json_object *rules);
/* Programs in order of first appearance; baselined leaks only when with_baselined. */
struct program *programs(const struct procset *s, bool with_baselined, size_t *np);
void programs_free(struct program *v, size_t n);
void *cli_realloc(void *p, size_t n);
/* A JSON stack as frames for report/ (strings point into the document); *n frames, malloc'd. */
struct tl_frame *stack_frames(json_object *stack, int *n);

/* ---- render.c: text ---- */
struct render_opts {
	bool color;
	bool show_baselined; /* print baselined leaks like new ones (the run that records them) */
	const char *cwd;     /* paths under it are shown relative */
	bool no_source;      /* no source lines under the frames (report/text.c) */
};
/* The combined report, grouped by program. Prints nothing for clean processes. */
void render_text(FILE *out, const struct procset *s, const struct render_opts *o);
/* A group as report/text.c takes it: its threads and frames (free with text_group_free). */
void text_group_of(const struct group *g, bool show_pid, struct tl_text_group *tg);
void text_group_free(struct tl_text_group *tg);
bool text_frame_is_user(const struct tl_frame *f); /* frame_is_user, for report/text.c */
/* One process alone (JUnit failure bodies), without colors. malloc'd. */
char *render_process(const struct proc *p, const char *cwd);

/* ---- outputs.c, sarif.c ---- */
struct run_info {
	char **argv;     /* the command, NULL for `report` */
	int cmd_status;  /* wait status as exit code (128+sig for signals), -1 unknown */
	int exit_status; /* threadleak's own */
	const char *baseline;
	json_object *gone; /* baseline entries that no longer occur, or NULL */
	bool recorded;     /* the baseline was recorded by this run */
	/* run --timeout: the command did not finish in time; the hang reports of its processes
	 * (NULL for `report`) */
	bool timed_out;
	const struct procset *hangs;
};
int write_json_file(const char *path, json_object *o); /* pretty, newline at the end */
/* -1 after a one-line message when two of the (at most 8) files named by options NAMES are
 * one file (the same path, or links to one file): one would silently replace the other. */
int outputs_distinct(const char *const *names, const char *const *paths, size_t n);
/* -1 after one line when an output file cannot be written (its folder missing, no
 * permission, an empty name, "--"): said before the command runs, not after. */
int outputs_writable(const char *const *names, const char *const *paths, size_t n);
/* -1 after one line when an output (by its option's name) is one of the input files, or, for
 * an output other than --json, an existing threadleak JSON report: a forgotten file name. */
int outputs_not_inputs(const char *const *names, const char *const *paths, size_t n,
                       char *const *inputs, size_t ninputs);
/* Whether the fail_on of leak's process (its report's "fail_on") counts it: always with
 * "all", only proven ones (verdict unreachable or freed) with "unreachable". */
bool leak_fails_on(const struct proc *p, json_object *leak);
/* The leaks that fail the run for p: new (not in the baseline) and counted by its fail_on.
 * JUnit failures and SARIF errors are these, as run's exit status is. */
size_t proc_failing_leaks(const struct proc *p);
int write_merged_json(const char *path, const struct procset *s, const struct run_info *ri);
int write_junit(const char *path, const struct procset *s, const struct procset *hangs,
                const char *cwd); /* hangs: NULL, or run --timeout's hang reports */
int write_sarif(const char *path, const struct procset *s, const struct procset *hangs,
                const char *root);
/* html.c: one self-contained page (no network): the groups with their stacks and source
 * lines, the wait-for graph and, for watch sessions (JSON lines of "kind": "watch"), the
 * thread count per creation site over time. Returns 0, or -1 after a message. */
struct watchset {
	json_object *samples; /* the watch objects of every file, in order */
};
/* Whether PATH holds a watch session (JSON lines, each {"kind": "watch", ...}); its lines
 * are added to w. A file that is not one is left to procset_read. */
bool watch_read(struct watchset *w, const char *path);
int write_html(const char *path, const struct procset *s, const struct watchset *w,
               const struct render_opts *o);
/* the same with the hang reports among the processes (run and report) */
int write_html_page(const char *path, const struct procset *set, const struct procset *hangs,
                    const struct watchset *w, const struct render_opts *o);

/* ---- baseline.c ---- */
struct baseline {
	const char *path;
	json_object *entries; /* array of signatures */
	bool *seen;
	size_t n;
	bool existed;
};
/* Returns 0, or -1 after a one-line message (unreadable or invalid file: run then checks
 * without it). A missing file is fine. */
int baseline_load(struct baseline *b, const char *path);
/* Mark each leak "baselined": true/false; every leak is with accept_all or no existing file. */
void baseline_apply(struct baseline *b, struct procset *s, const char *root, bool accept_all);
/* Record every leak signature of s. Returns 0, or -1 after a message. */
int baseline_record(const char *path, const struct procset *s, const char *root);
/* Entries of an existing baseline that no run matched (new array). */
json_object *baseline_gone(const struct baseline *b);
void baseline_free(struct baseline *b);
/* A leak's signature object: state, start routine, creation site (function, file, line). */
json_object *leak_signature(json_object *leak, const char *root);

/* ---- symbolize.c: offline symbolization of frames that lack file:line ---- */
struct osym_opts {
	char **debug_dirs;
	size_t ndebug_dirs;
	char **maps; /* OLD=NEW module paths */
	size_t nmaps;
	bool verbose;
};
/* Returns the number of frames that got a file:line. */
size_t symbolize_offline(struct procset *s, const struct osym_opts *o);

/* ---- dump.c: hang reports of live processes (threadleak dump, run --timeout) ---- */
int cmd_dump(int argc, char **argv);
void usage_dump(FILE *out);
int dump_signal_default(void); /* the dump_signal run gives the library */
enum live_state { LIVE_READY, LIVE_GONE, LIVE_DENIED, LIVE_NO_LIBRARY, LIVE_NO_SIGNAL };
enum live_state live_state(int pid, int sig);
/* A task of pid that has not exited (pid itself unless its main thread called pthread_exit),
 * 0 when none is left. */
int live_task(int pid);
/* Ask pid for its hang report, written as hang.PID into the private folder dirfd (ours);
 * final: a termination follows (the process then skips its own report on that signal). The
 * signal goes to one thread that it leaves undisturbed; with none (after LIVE_AIM_MS), -1 with
 * errno EBUSY and why in `why` (a clause). */
#define LIVE_AIM_MS 1000
int live_request(int pid, int sig, int dirfd, bool final, char *why, size_t len);
bool live_wait_report(int dirfd, int pid, int64_t deadline_ms);
struct live_blocked {
	int threads, blocking; /* threads of the process, those that block the signal */
	int sigwaiting;        /* of the others, those in sigwait whose set could not be read */
	bool mem_unreadable;   /* /proc/PID/mem could not be opened (ptrace rules): errno's */
	int mem_errno;
	bool pending; /* the signal is pending (ShdPnd, or a thread's SigPnd): nobody took it */
};
void live_blocking(int pid, int sig, struct live_blocked *b);
/* Why pid wrote no report: a clause (it ended; every thread blocks the signal; ...). */
void live_silence(int pid, int sig, const struct live_blocked *b, char *why, size_t len);
int64_t live_now_ms(void);
void render_hang(FILE *out, const struct proc *p, const char *cwd);
int live_signal_of(int pid);       /* its dump_signal (from its environment), else run's */
bool live_check(int pid, int sig); /* false after one line saying what is missing */
int live_private_dir(char **path); /* a 0700 folder: descriptor, or -1 after a message */
json_object *live_take(int pid, int sig, int dfd, const char *dir, int wait_ms);
/* watch.c */
int cmd_watch(int argc, char **argv);
void usage_watch(FILE *out);
/* Groups of threads over the intervals of one process; a step prints (to out, each line after
 * prefix) the groups that grew, or with json the interval's JSON line. */
struct watch;
struct watch *watch_new(void);
json_object *watch_take(int pid, int sig, int dfd, const char *dir, int wait_ms);
bool watch_step(struct watch *w, json_object *doc, int pid, double t, bool json, FILE *out,
                const char *prefix);
void watch_free(struct watch *w);

/* ---- exec.c ---- */
char *find_library(const char *argv0);  /* malloc'd path of libthreadleak.so, or NULL */
bool library_is_ours(const char *path); /* an ELF object defining threadleak's API */
/* Why the program at PATH (run as ARGV) gets no library although LD_PRELOAD names it: statically
 * linked, secure execution (set-ID), or `env -i` (report/unchecked.c for the file). */
enum tl_unchecked program_unchecked(const char *path, char **argv);
/* One line on stderr: PATH (pid PID, when > 0) was not checked, and why (CALLER: the program
 * that started it). */
void print_unchecked(const char *path, int pid, enum tl_unchecked why, const char *caller);
/* Resolve a command as execvp would. malloc'd, or NULL with errno set. */
char *resolve_command(const char *cmd);
void say_exec_failure(const char *cmd, int e);
struct child {
	int pid;
	int status;           /* raw wait status */
	int exec_errno;       /* execvp failed in the child */
	char **still_running; /* descendants left running at the end (text for messages) */
	size_t nstill;
};
struct spawn_opts {
	const char *preload; /* new LD_PRELOAD value */
	const char *options; /* THREADLEAK_OPTIONS value */
	const char *asan;    /* ASAN_OPTIONS value, NULL: unchanged */
	int orphan_wait_ms;  /* how long to wait for orphaned descendants after the command */
};
/* Run argv with the environment changes, forwarding to it the signals other processes send
 * us, and wait for it (and for orphaned descendants, as a subreaper). Returns 0 or -1.
 * spawn_done() ends the forwarding, once the reports are read. */
int spawn_wait(char **argv, const struct spawn_opts *o, struct child *c);
void spawn_done(void);
/* The command's status as a shell shows it: exit code, or 128+signal. */
int child_exit_code(int status);
/* Terminate like the child did: exit with its code or raise its signal. */
void exit_like(int status) __attribute__((noreturn));

#endif
