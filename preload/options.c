/* THREADLEAK_OPTIONS="k=v:k=v", the sanitizers' convention. The options are one table
 * (options.h); this file parses them. A value must parse whole; a bad one is named in one
 * warning and the previous value is kept, so the check always runs. The defaults are static:
 * a process whose THREADLEAK_OPTIONS is empty parses nothing at start. Pure code: unit-tested
 * in tests/unit/. */
#include "tl.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tl_options tl_opt = TL_OPTIONS_DEFAULTS;
static const struct tl_options defaults = TL_OPTIONS_DEFAULTS;

struct option_def {
	const char *name;
	int kind;
	size_t offset; /* of the field in struct tl_options */
	int *count;    /* LIST: how many values are set */
	long min, max;
	const char *help;
};

#define COUNT_INT(field) NULL
#define COUNT_BOOL(field) NULL
#define COUNT_STR(field) NULL
#define COUNT_FORMAT(field) NULL
#define COUNT_SIGNAL(field) NULL
#define COUNT_FAIL_ON(field) NULL
#define COUNT_LIST(field) &tl_opt.n##field
#define OPTION_DEF(kind, name, field, def, min, max, help)                                         \
	{#name, TL_KIND_##kind, offsetof(struct tl_options, field), COUNT_##kind(field), min, max, \
	 help},
static const struct option_def defs[] = {TL_OPTIONS(OPTION_DEF)};

static void *field_of(struct tl_options *o, const struct option_def *d)
{
	return (char *)o + d->offset;
}

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

/* At most 40 bytes of untrusted text, as tl_shown prints them. */
static void sanitize(const char *s, size_t n, char *out, size_t outlen)
{
	tl_shown(s, n, 40, out, outlen);
}

/* One parse's warnings: a few name the problems, the rest are counted (a megabyte of garbage
 * in THREADLEAK_OPTIONS must not become a megabyte of warnings on the program's stderr). */
enum { SHOWN_WARNINGS = 10 };
static int warnings_shown;
static bool quiet_parse; /* counted, not said (tl_options_parse) */
#define complain(...)                                                  \
	do {                                                           \
		if (warnings_shown++ < SHOWN_WARNINGS && !quiet_parse) \
			tl_warn(__VA_ARGS__);                          \
	} while (0)

static bool uses_copy; /* an option now points into this parse's copy of the input */

static bool too_many_said; /* this parse said that there are too many suppression files */

/* The value an option keeps after a bad one, as a user would write it. */
static const char *kept_value(const struct option_def *d, const void *ptr)
{
	static char num[24];
	switch (d->kind) {
	case TL_KIND_INT:
	case TL_KIND_SIGNAL:
		snprintf(num, sizeof(num), "%d", *(const int *)ptr);
		return num;
	case TL_KIND_BOOL:
		return *(const bool *)ptr ? "1" : "0";
	case TL_KIND_FORMAT:
		return *(const int *)ptr == TL_FORMAT_JSON ? "json" : "text";
	case TL_KIND_FAIL_ON:
		return *(const int *)ptr == TL_FAIL_UNREACHABLE ? "unreachable" : "all";
	case TL_KIND_STR:
	case TL_KIND_LIST:
		break;
	}
	return "the previous value";
}

static int set_one(const struct option_def *d, const char *val, const char *origin)
{
	char shown[64];
	void *ptr = field_of(&tl_opt, d);
	switch (d->kind) {
	case TL_KIND_SIGNAL: {
		/* 0 (pick a free one) or a real-time signal: only those are free of default
		 * meanings; SIGRTMIN is computed at run time (glibc reserves the first ones). */
		long v;
		if (!parse_long(val, 0, SIGRTMAX, &v) || (v != 0 && v < SIGRTMIN))
			goto bad;
		*(int *)ptr = (int)v;
		return 0;
	}
	case TL_KIND_INT: {
		long v;
		if (!parse_long(val, d->min, d->max, &v))
			goto bad;
		*(int *)ptr = (int)v;
		return 0;
	}
	case TL_KIND_BOOL:
		if (!tl_options_bool(val, (bool *)ptr))
			goto bad;
		return 0;
	case TL_KIND_STR:
		*(const char **)ptr = val;
		uses_copy = true;
		return 0;
	case TL_KIND_FORMAT:
		if (strcmp(val, "text") == 0)
			*(int *)ptr = TL_FORMAT_TEXT;
		else if (strcmp(val, "json") == 0)
			*(int *)ptr = TL_FORMAT_JSON;
		else
			goto bad;
		return 0;
	case TL_KIND_FAIL_ON:
		if (strcmp(val, "all") == 0)
			*(int *)ptr = TL_FAIL_ALL;
		else if (strcmp(val, "unreachable") == 0)
			*(int *)ptr = TL_FAIL_UNREACHABLE;
		else
			goto bad;
		return 0;
	case TL_KIND_LIST:
		if (*val == '\0')
			return 0;
		if (*d->count >= d->max) {
			/* one problem a parse, said once: not one line a file left out */
			if (too_many_said)
				return 0;
			complain("%s: too many suppression files (at most %ld); ignoring the rest",
			         origin, d->max);
			too_many_said = true;
			return 1;
		}
		((const char **)ptr)[(*d->count)++] = val;
		uses_copy = true;
		return 0;
	}
bad:
	sanitize(val, strlen(val), shown, sizeof(shown));
	if (*val == '\0' && d->kind != TL_KIND_STR)
		complain("%s: no value for %s (a blank after '='?); keeping %s", origin, d->name,
		         kept_value(d, ptr));
	else if (d->kind == TL_KIND_INT)
		complain("%s: invalid value '%s' for %s (expected an integer from %ld to %ld); "
		         "keeping %d",
		         origin, shown, d->name, d->min, d->max, *(int *)ptr);
	else if (d->kind == TL_KIND_SIGNAL)
		complain(
		    "%s: invalid value '%s' for %s (expected 0 or a real-time signal from %d to "
		    "%d); keeping %d",
		    origin, shown, d->name, SIGRTMIN, SIGRTMAX, *(int *)ptr);
	else if (d->kind == TL_KIND_BOOL)
		complain("%s: invalid value '%s' for %s (expected 0 or 1, or false/true, no/yes, "
		         "off/on); keeping %s",
		         origin, shown, d->name, kept_value(d, ptr));
	else if (d->kind == TL_KIND_FAIL_ON)
		complain("%s: invalid value '%s' for %s (expected all or unreachable); keeping %s",
		         origin, shown, d->name, kept_value(d, ptr));
	else
		complain("%s: invalid value '%s' for %s (expected text or json); keeping %s",
		         origin, shown, d->name, kept_value(d, ptr));
	return 1;
}

void tl_options_defaults(void)
{
	tl_opt = defaults;
}

/* String values point into a copy of the input, kept for the process lifetime when they do
 * (`kept` holds it, so leak checkers see it reachable) and freed at once when none does. The
 * first copy that fits goes to a static buffer: the start-up parse of THREADLEAK_OPTIONS
 * allocates nothing. */
TL_START_CODE static int parse_input(const char *input, const char *origin)
{
	/* volatile: never read, so the compiler would drop the stores otherwise */
	static char *volatile kept[8];
	static size_t nkept;
	static char first[1024];
	static bool first_kept;
	if (input == NULL)
		return 0;
	size_t len = strlen(input);
	bool in_first = !first_kept && len < sizeof(first);
	char *s = in_first ? memcpy(first, input, len + 1) : strdup(input);
	if (s == NULL)
		return 1;
	uses_copy = false;
	warnings_shown = 0;
	too_many_said = false;
	int problems = 0;
	char *p = s, *start, *value;
	int got;
	while ((got = tl_options_next(&p, &start, &value)) != 0) {
		char shown[64];
		if (got < 0) {
			sanitize(start, strlen(start), shown, sizeof(shown));
			complain("%s: the value of %s has no closing quote; ignored", origin,
			         shown);
			problems++;
			continue;
		}
		if (value == NULL) {
			sanitize(start, strlen(start), shown, sizeof(shown));
			complain("%s: '%s' is not key=value; ignored", origin, shown);
			problems++;
			continue;
		}
		const struct option_def *d = NULL;
		for (size_t i = 0; i < TL_ARRAY_SIZE(defs); i++)
			if (strcmp(defs[i].name, start) == 0)
				d = &defs[i];
		if (d == NULL && start[0] == '\0') {
			sanitize(value, strlen(value), shown, sizeof(shown));
			complain("%s: '=%s' has no option name (a blank before '='?); ignored",
			         origin, shown);
			problems++;
			continue;
		}
		if (d == NULL) {
			sanitize(start, strlen(start), shown, sizeof(shown));
			complain("%s: unknown option '%s' (help=1 lists them); ignored", origin,
			         shown);
			problems++;
			continue;
		}
		problems += set_one(d, value, origin);
	}
	if (warnings_shown > SHOWN_WARNINGS && !quiet_parse)
		tl_warn("%s: %d more problems not shown", origin, warnings_shown - SHOWN_WARNINGS);
	if (in_first)
		first_kept = uses_copy;
	else if (!uses_copy)
		free(s);
	else if (nkept < TL_ARRAY_SIZE(kept))
		kept[nkept++] = s;
	return problems;
}

/* Under threadleak run (its log_dir_id in the same input), what is wrong with the options is
 * said by the first process of the run, not again by every process the command starts (a
 * black-box round: a script of two programs said each problem three times): parsed without a
 * word first, then again aloud by that process only. */
TL_START_CODE int tl_options_parse(const char *input, const char *origin)
{
	if (input == NULL || strstr(input, "log_dir_id=") == NULL)
		return parse_input(input, origin);
	struct tl_options before = tl_opt; /* the second parse starts from there: lists append */
	quiet_parse = true;
	int problems = parse_input(input, origin);
	quiet_parse = false;
	if (problems > 0 && tl_run_first(input)) {
		tl_opt = before;
		parse_input(input, origin);
	}
	return problems;
}

/* Each option with its default (not its present value): the README's table shows the same. */
void tl_options_print_help(void)
{
	tl_warn("options (THREADLEAK_OPTIONS=key=value:key=value):");
	for (size_t i = 0; i < TL_ARRAY_SIZE(defs); i++) {
		const struct option_def *d = &defs[i];
		const void *p = field_of((struct tl_options *)&defaults, d);
		char def[32] = "''";
		if (d->kind == TL_KIND_INT || d->kind == TL_KIND_SIGNAL)
			snprintf(def, sizeof(def), "%d", *(const int *)p);
		else if (d->kind == TL_KIND_BOOL)
			snprintf(def, sizeof(def), "%d", *(const bool *)p);
		else if (d->kind == TL_KIND_FORMAT)
			snprintf(def, sizeof(def), "%s",
			         *(const int *)p == TL_FORMAT_JSON ? "json" : "text");
		else if (d->kind == TL_KIND_FAIL_ON)
			snprintf(def, sizeof(def), "%s",
			         *(const int *)p == TL_FAIL_UNREACHABLE ? "unreachable" : "all");
		else if (d->kind == TL_KIND_STR && *(const char *const *)p != NULL)
			snprintf(def, sizeof(def), "%s", *(const char *const *)p);
		tl_warn("  %-22s default %-6s %s", d->name, def, d->help);
	}
}
