/* THREADLEAK_OPTIONS="k=v:k=v", the sanitizers' convention. One table: name, kind, limits,
 * default, help. A value must parse whole; a bad one is named in one warning and the previous
 * value is kept, so the check always runs. Pure code: unit-tested in tests/unit/. */
#include "tl.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tl_options tl_opt;

enum kind { K_INT, K_BOOL, K_STR, K_FORMAT, K_LIST, K_SIGNAL, K_FAIL_ON };

struct option_def {
	const char *name;
	int kind;
	void *ptr;
	long min, max;
	const char *def;
	const char *help;
};

static const struct option_def defs[] = {
    {"exitcode", K_INT, &tl_opt.exitcode, 0, 255, "23",
     "exit status when leaks are found and the program itself exited with 0"},
    {"log_path", K_STR, &tl_opt.log_path, 0, 0, "",
     "write the report to PATH.PID instead of stderr ('stderr' and 'stdout' also work)"},
    {"log_dir_id", K_STR, &tl_opt.log_dir_id, 0, 0, "",
     "set by threadleak run: DEV,INO of log_path's folder; no report is written elsewhere"},
    {"format", K_FORMAT, &tl_opt.format, 0, 0, "text", "report format: text or json"},
    {"grace_ms", K_INT, &tl_opt.grace_ms, 0, 60000, "250",
     "how long the check waits for threads that are winding down (retry with backoff)"},
    {"max_frames", K_INT, &tl_opt.max_frames, 1, TL_MAX_FRAMES, "32",
     "frames kept per stack (current and creation)"},
    {"children", K_BOOL, &tl_opt.children, 0, 1, "1",
     "also check child processes (0: remove threadleak from their LD_PRELOAD)"},
    {"check_at_exit", K_BOOL, &tl_opt.check_at_exit, 0, 1, "1",
     "check for leaks when the process exits"},
    {"suppressions", K_LIST, &tl_opt.suppressions, 0, 0, "",
     "suppression file (may be given several times)"},
    {"default_suppressions", K_BOOL, &tl_opt.default_suppressions, 0, 1, "1",
     "suppress threads that libc and common runtimes keep for the process lifetime"},
    {"disable_default_sets", K_STR, &tl_opt.disable_sets, 0, 0, "",
     "comma-separated default suppression sets to turn off (see README)"},
    {"signal", K_SIGNAL, &tl_opt.signal, 0, 0, "0",
     "signal used to sample running threads' stacks (0: a free real-time signal)"},
    {"fail_on", K_FAIL_ON, &tl_opt.fail_on, 0, 0, "all",
     "which leaks change the exit status: all, or unreachable (proven: nothing can wake them)"},
    {"help", K_BOOL, &tl_opt.help, 0, 1, "0", "print the options and their defaults"},
};

/* Parse a whole decimal integer within [min, max]. */
static bool parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno == ERANGE || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static bool parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"1", "true", "yes", "on"};
	static const char *const no[] = {"0", "false", "no", "off"};
	for (size_t i = 0; i < TL_ARRAY_SIZE(yes); i++) {
		if (strcmp(s, yes[i]) == 0)
			return (*out = true);
		if (strcmp(s, no[i]) == 0)
			return !(*out = false);
	}
	return false;
}

/* Print at most 40 visible bytes of untrusted text: control bytes become '?'. */
static void sanitize(const char *s, size_t n, char *out, size_t outlen)
{
	size_t j = 0;
	for (size_t i = 0; i < n && j + 4 < outlen; i++) {
		unsigned char c = (unsigned char)s[i];
		if (i == 40) {
			memcpy(out + j, "...", 3);
			j += 3;
			break;
		}
		out[j++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	out[j] = '\0';
}

/* One parse's warnings: a few name the problems, the rest are counted (a megabyte of garbage
 * in THREADLEAK_OPTIONS must not become a megabyte of warnings on the program's stderr). */
enum { SHOWN_WARNINGS = 10 };
static int warnings_shown;
#define complain(...)                                  \
	do {                                           \
		if (warnings_shown++ < SHOWN_WARNINGS) \
			tl_warn(__VA_ARGS__);          \
	} while (0)

static bool uses_copy; /* an option now points into this parse's copy of the input */

static int set_one(const struct option_def *d, const char *val, const char *origin)
{
	char shown[64];
	switch (d->kind) {
	case K_SIGNAL: {
		/* 0 (pick a free one) or a real-time signal: only those are free of default
		 * meanings; SIGRTMIN is computed at run time (glibc reserves the first ones). */
		long v;
		if (!parse_long(val, 0, SIGRTMAX, &v) || (v != 0 && v < SIGRTMIN))
			goto bad;
		*(int *)d->ptr = (int)v;
		return 0;
	}
	case K_INT: {
		long v;
		if (!parse_long(val, d->min, d->max, &v))
			goto bad;
		*(int *)d->ptr = (int)v;
		return 0;
	}
	case K_BOOL:
		if (!parse_bool(val, (bool *)d->ptr))
			goto bad;
		return 0;
	case K_STR:
		*(const char **)d->ptr = val;
		uses_copy = true;
		return 0;
	case K_FORMAT:
		if (strcmp(val, "text") == 0)
			tl_opt.format = TL_FORMAT_TEXT;
		else if (strcmp(val, "json") == 0)
			tl_opt.format = TL_FORMAT_JSON;
		else
			goto bad;
		return 0;
	case K_FAIL_ON:
		if (strcmp(val, "all") == 0)
			tl_opt.fail_on = TL_FAIL_ALL;
		else if (strcmp(val, "unreachable") == 0)
			tl_opt.fail_on = TL_FAIL_UNREACHABLE;
		else
			goto bad;
		return 0;
	case K_LIST:
		if (*val == '\0')
			return 0;
		if (tl_opt.nsuppressions >= (int)TL_ARRAY_SIZE(tl_opt.suppressions)) {
			complain("%s: too many suppression files (at most %zu); ignoring the rest",
			         origin, TL_ARRAY_SIZE(tl_opt.suppressions));
			return 1;
		}
		tl_opt.suppressions[tl_opt.nsuppressions++] = val;
		uses_copy = true;
		return 0;
	}
bad:
	sanitize(val, strlen(val), shown, sizeof(shown));
	if (d->kind == K_INT)
		complain("%s: invalid value '%s' for %s (expected an integer from %ld to %ld); "
		         "keeping %d",
		         origin, shown, d->name, d->min, d->max, *(int *)d->ptr);
	else if (d->kind == K_SIGNAL)
		complain(
		    "%s: invalid value '%s' for %s (expected 0 or a real-time signal from %d to "
		    "%d); keeping %d",
		    origin, shown, d->name, SIGRTMIN, SIGRTMAX, *(int *)d->ptr);
	else if (d->kind == K_BOOL)
		complain(
		    "%s: invalid value '%s' for %s (expected 0 or 1); keeping the previous value",
		    origin, shown, d->name);
	else if (d->kind == K_FAIL_ON)
		complain("%s: invalid value '%s' for %s (expected all or unreachable); keeping the "
		         "previous value",
		         origin, shown, d->name);
	else
		complain(
		    "%s: invalid value '%s' for %s (expected text or json); keeping the previous "
		    "value",
		    origin, shown, d->name);
	return 1;
}

void tl_options_defaults(void)
{
	memset(&tl_opt, 0, sizeof(tl_opt));
	for (size_t i = 0; i < TL_ARRAY_SIZE(defs); i++)
		if (defs[i].kind != K_LIST)
			set_one(&defs[i], defs[i].def, "defaults");
	tl_opt.log_path = NULL;
	tl_opt.disable_sets = NULL;
}

static bool is_sep(char c)
{
	return c == ':' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* String values point into a copy of the input, kept for the process lifetime when they do
 * (`kept` holds it, so leak checkers see it reachable) and freed at once when none does. */
int tl_options_parse(const char *input, const char *origin)
{
	/* volatile: never read, so the compiler would drop the stores otherwise */
	static char *volatile kept[8];
	static size_t nkept;
	if (input == NULL)
		return 0;
	char *s = strdup(input);
	if (s == NULL)
		return 1;
	uses_copy = false;
	warnings_shown = 0;
	int problems = 0;
	char *p = s;
	while (*p) {
		while (*p && is_sep(*p))
			p++;
		if (!*p)
			break;
		char *start = p;
		while (*p && !is_sep(*p))
			p++;
		if (*p)
			*p++ = '\0';
		char *eq = strchr(start, '=');
		char shown[64];
		if (eq == NULL) {
			sanitize(start, strlen(start), shown, sizeof(shown));
			complain("%s: '%s' is not key=value; ignored", origin, shown);
			problems++;
			continue;
		}
		*eq = '\0';
		const struct option_def *d = NULL;
		for (size_t i = 0; i < TL_ARRAY_SIZE(defs); i++)
			if (strcmp(defs[i].name, start) == 0)
				d = &defs[i];
		if (d == NULL) {
			sanitize(start, strlen(start), shown, sizeof(shown));
			complain("%s: unknown option '%s' (help=1 lists them); ignored", origin,
			         shown);
			problems++;
			continue;
		}
		problems += set_one(d, eq + 1, origin);
	}
	if (warnings_shown > SHOWN_WARNINGS)
		tl_warn("%s: %d more problems not shown", origin, warnings_shown - SHOWN_WARNINGS);
	if (!uses_copy)
		free(s);
	else if (nkept < TL_ARRAY_SIZE(kept))
		kept[nkept++] = s;
	return problems;
}

void tl_options_print_help(void)
{
	tl_warn("options (THREADLEAK_OPTIONS=key=value:key=value):");
	for (size_t i = 0; i < TL_ARRAY_SIZE(defs); i++)
		tl_warn("  %-22s default %-6s %s", defs[i].name,
		        defs[i].def[0] ? defs[i].def : "''", defs[i].help);
}
