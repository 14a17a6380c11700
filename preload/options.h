/* The library's options (THREADLEAK_OPTIONS=k=v:k=v), one row each. This list generates the
 * struct tl_options, its static defaults, the parser's table and help=1 (options.c), the
 * limits the CLI checks (tools/run.c), and the README's options table must match help=1's
 * output (tests/core/test_options_table.py checks it). Plain C: the CLI includes it too. */
#ifndef TL_OPTIONS_H
#define TL_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <strings.h>

/* Hard upper bound of frames in any captured stack; option max_frames picks the depth used. */
#define TL_MAX_FRAMES 64
/* How many suppression files THREADLEAK_OPTIONS may name. */
#define TL_MAX_SUPPRESSION_FILES 8

enum tl_format { TL_FORMAT_TEXT, TL_FORMAT_JSON };
enum tl_fail_on { TL_FAIL_ALL, TL_FAIL_UNREACHABLE };

/* The kinds of option (X's first column): how a value is parsed, by the library and by
 * threadleak run's check of --options alike. */
enum tl_opt_kind {
	TL_KIND_INT,
	TL_KIND_BOOL,
	TL_KIND_STR,
	TL_KIND_FORMAT,
	TL_KIND_LIST,
	TL_KIND_SIGNAL,
	TL_KIND_FAIL_ON
};

/* X(kind, name, field, default, min, max, help). Kinds: INT (a whole decimal number from min
 * to max), BOOL (1/0, true/false, yes/no, on/off), STR (text, NULL by default), FORMAT (text
 * or json), SIGNAL (0 or a real-time signal), LIST (repeatable: up to max values), FAIL_ON
 * (all or unreachable). */
#define TL_OPTIONS(X)                                                                             \
	X(INT, exitcode, exitcode, 23, 0, 255,                                                    \
	  "exit status when leaks are found and the program exited with 0 (a failing program "    \
	  "keeps its own status)")                                                                \
	X(STR, log_path, log_path, NULL, 0, 0,                                                    \
	  "write the report to PATH.PID instead of stderr (never through a symlink, never over "  \
	  "another user's file); 'stderr' and 'stdout' also work, and so do their paths "         \
	  "('/dev/stderr', '/proc/self/fd/1'; an empty value is stderr), a device ('/dev/null') " \
	  "or a named pipe is written as it is, a folder ('logs/') gets "                         \
	  "'logs/threadleak.PID'; a relative path is "                                            \
	  "from the folder the program started in. A log that cannot be opened or written (a "    \
	  "full disk) gets one line saying why, and the report goes to stderr")                   \
	X(STR, log_dir_id, log_dir_id, NULL, 0, 0,                                                \
	  "set by threadleak run: DEV,INO of log_path's folder; no report is written elsewhere")  \
	X(FORMAT, format, format, TL_FORMAT_TEXT, 0, 0, "report format: text or json")            \
	X(INT, grace_ms, grace_ms, 250, 0, 60000,                                                 \
	  "how long the check waits for threads that are winding down (retries with backoff)")    \
	X(BOOL, system_lines, system_lines, false, 0, 1,                                          \
	  "file:line also for frames in libc, the loader and libstdc++ (inflates their "          \
	  "compressed debug info: about 60 ms and 16 MB per report)")                             \
	X(INT, max_frames, max_frames, 32, 1, TL_MAX_FRAMES,                                      \
	  "frames kept per stack (current and creation), at most 64; a stack cut there says so "  \
	  "(stack_cut)")                                                                          \
	X(BOOL, children, children, true, 0, 1,                                                   \
	  "also check child processes (0: remove threadleak from their LD_PRELOAD, and no exit "  \
	  "check in a forked child)")                                                             \
	X(BOOL, check_at_exit, check_at_exit, true, 0, 1,                                         \
	  "check for leaks when the process exits (0: only when the program asks, through the "   \
	  "API)")                                                                                 \
	X(LIST, suppressions, suppressions, {NULL}, 0, TL_MAX_SUPPRESSION_FILES,                  \
	  "a suppression file; may be given several times (at most 8); a relative path is from "  \
	  "the folder the program started in")                                                    \
	X(BOOL, default_suppressions, default_suppressions, true, 0, 1,                           \
	  "suppress the threads that libc and common runtimes keep for the process lifetime (0: " \
	  "turn off every default set)")                                                          \
	X(STR, disable_default_sets, disable_sets, NULL, 0, 0,                                    \
	  "default suppression sets to turn off, comma-separated (libc,node,glib)")               \
	X(SIGNAL, signal, signal, 0, 0, 0,                                                        \
	  "signal used to sample the stacks of running threads (0: a free real-time signal)")     \
	X(FAIL_ON, fail_on, fail_on, TL_FAIL_ALL, 0, 0,                                           \
	  "which leaks change the exit status: all, or unreachable (proven ones: verdict "        \
	  "unreachable or freed)")                                                                \
	X(BOOL, source_lines, source_lines, true, 0, 1,                                           \
	  "text report: the source line under the innermost frame in the program's own sources "  \
	  "and under the creator frame (0: off)")                                                 \
	X(BOOL, dump_on_signal, dump_on_signal, false, 0, 1,                                      \
	  "on SIGTERM, SIGINT and SIGQUIT, report every thread first (a hang report), then let "  \
	  "the signal do what it did (set by threadleak run)")                                    \
	X(SIGNAL, dump_signal, dump_signal, 0, 0, 0,                                              \
	  "real-time signal on which threadleak dump and run --timeout ask for a hang report "    \
	  "(0: none; set by threadleak run)")                                                     \
	X(BOOL, help, help, false, 0, 1, "print the options and their defaults")

#define TL_OPT_FIELD_INT(field, max) int field;
#define TL_OPT_FIELD_BOOL(field, max) bool field;
#define TL_OPT_FIELD_STR(field, max) const char *field;
#define TL_OPT_FIELD_FORMAT(field, max) int field;
#define TL_OPT_FIELD_SIGNAL(field, max) int field;
#define TL_OPT_FIELD_FAIL_ON(field, max) int field;
#define TL_OPT_FIELD_LIST(field, max) \
	const char *field[max];       \
	int n##field;
#define TL_OPT_FIELD(kind, name, field, def, min, max, help) TL_OPT_FIELD_##kind(field, max)

struct tl_options {
	TL_OPTIONS(TL_OPT_FIELD)
};

/* Each option's limits and default as constants: TL_OPT_MIN_grace_ms, TL_OPT_DEFAULT_exitcode,
 * ... (defaults only for the numeric kinds). */
#define TL_OPT_LIMITS(kind, name, field, def, min, max, help) \
	TL_OPT_MIN_##name = (min), TL_OPT_MAX_##name = (max),
enum { TL_OPTIONS(TL_OPT_LIMITS) };
#define TL_OPT_DEFAULT_INT(name, def) TL_OPT_DEFAULT_##name = (def),
#define TL_OPT_DEFAULT_BOOL(name, def) TL_OPT_DEFAULT_##name = (def),
#define TL_OPT_DEFAULT_STR(name, def)
#define TL_OPT_DEFAULT_FORMAT(name, def) TL_OPT_DEFAULT_##name = (def),
#define TL_OPT_DEFAULT_SIGNAL(name, def) TL_OPT_DEFAULT_##name = (def),
#define TL_OPT_DEFAULT_FAIL_ON(name, def) TL_OPT_DEFAULT_##name = (def),
#define TL_OPT_DEFAULT_LIST(name, def)
#define TL_OPT_DEFAULT(kind, name, field, def, min, max, help) TL_OPT_DEFAULT_##kind(name, def)
enum { TL_OPTIONS(TL_OPT_DEFAULT) };

/* The static initializer of struct tl_options: every default, nothing parsed at start. */
#define TL_OPT_INIT(kind, name, field, def, min, max, help) .field = def,
#define TL_OPTIONS_DEFAULTS             \
	{                               \
		TL_OPTIONS(TL_OPT_INIT) \
	}

/* The syntax's one tokenizer, the library's (options.c) and the CLI's (tools/run.c): the next
 * key=value of the text at *p, which it cuts in place (the key and the value end with a NUL),
 * after any separators (':' and blanks). A value may be quoted, as the sanitizers take it:
 * log_path='/tmp/a b/report' or "...". 1: a key and its value (*value NULL: no '='); 0: the
 * end; -1: a quoted value with no closing quote (*key set; the text goes on after the next
 * ':'). Inline, so that the library's
 * start-up parse stays on its start pages. */
static inline __attribute__((always_inline)) bool tl_options_sep(char c)
{
	return c == ':' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static inline __attribute__((always_inline)) int tl_options_next(char **p, char **key, char **value)
{
	char *s = *p;
	while (tl_options_sep(*s))
		s++;
	*key = s;
	*value = NULL;
	if (*s == '\0') {
		*p = s;
		return 0;
	}
	while (*s && !tl_options_sep(*s) && *s != '=')
		s++;
	if (*s == '=') {
		*s++ = '\0';
		char quote = *s == '"' || *s == '\'' ? *s++ : '\0';
		*value = s;
		while (*s && (quote ? *s != quote : !tl_options_sep(*s)))
			s++;
		/* not closed: the value is dropped up to the next ':', not the whole rest (what
		 * threadleak run appends to the user's options comes after) */
		if (quote && *s == '\0') {
			for (s = *value; *s && *s != ':'; s++)
				;
			*p = *s ? s + 1 : s;
			return -1;
		}
	}
	if (*s)
		*s++ = '\0';
	*p = s;
	return 1;
}

/* A BOOL option's value, in any case: 1/0, true/false, yes/no, on/off. False when it is none. */
static inline __attribute__((always_inline)) bool tl_options_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"1", "true", "yes", "on"};
	static const char *const no[] = {"0", "false", "no", "off"};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return (*out = true);
		if (strcasecmp(s, no[i]) == 0)
			return !(*out = false);
	}
	return false;
}

#endif
