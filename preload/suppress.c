/* Suppressions: threads that are meant to live. One rule per line, `type:pattern`, `#`
 * comments (a whole line, or after a blank following the rule), surrounding blanks ignored.
 * Patterns use LeakSanitizer's matching: a substring match where `*` matches anything, `^`
 * anchors the start and `$` the end.
 *   top:P         innermost frame of the current stack outside threadleak and libc
 *   any:P         any frame of the current stack
 *   start:P       the thread's start routine
 *   created_by:P  any frame of the creation stack
 *   name:P        the thread's name (pthread_setname_np), not one its creator passed on
 *   module:P      the shared object that created the thread (or that its start routine is in)
 *   only_in:P     every frame of the current stack outside threadleak and libc is in a
 *                 shared object matching P: the thread runs nothing but that library's code
 *                 (a runtime's idle worker, not one running the user's task)
 * Conditions joined with " && " on one line make one rule that matches a thread only when
 * all of them do (at most RULE_CONDS): "top:^wait_for_job$ && only_in:libvendor.so".
 * Sources, all loaded at the first check (nothing at start-up): the default sets
 * (default_suppressions.c, unless default_suppressions=0 or disabled by name), the
 * program's threadleak_default_suppressions() hook, and every suppressions=FILE. A malformed
 * line is reported with its file and line number (the first 20 of a source, then a count);
 * the valid rules still apply. */
#include "tl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum rule_type { R_TOP, R_ANY, R_START, R_CREATED_BY, R_NAME, R_MODULE, R_ONLY_IN };
static const char *const type_names[] = {"top",  "any",    "start",  "created_by",
                                         "name", "module", "only_in"};

#define RULE_CONDS 4 /* conditions a rule may join with " && " */

struct rule {
	int ncond;
	int type[RULE_CONDS];
	char *pattern[RULE_CONDS];
	char *text;      /* "type:pattern && ..." as written, blanks normalized */
	const char *set; /* default set name, NULL for the user's */
	size_t count;
};

static struct rule *rules;
static size_t nrules, caprules;

/* any_frame's answers within one pass over a check's threads (emptied by
 * tl_suppress_reset_counts, and whenever the rules change), by stack: threads with the same stack
 * share one interned copy of it (tl_intern_mem), so that 10,000 threads of a few stacks are matched
 * a few times, not 10,000 (18 ms of the check of 10,000 threads). Open addressing; a full
 * neighbourhood is matched without memo. */
#define FRAME_MEMO 1024 /* a power of two */
#define FRAME_MEMO_PROBES 8
struct frame_memo {
	const uintptr_t *pcs; /* NULL: empty */
	const char *pat;
	uint64_t exact;
	int n, which;
	bool answer;
};
static struct frame_memo *frame_memo; /* allocated at the first check that matches frames */

static void forget_frame_memo(void)
{
	if (frame_memo)
		memset(frame_memo, 0, sizeof(*frame_memo) * FRAME_MEMO);
}

/* LeakSanitizer's TemplateMatch (sanitizer_common): '*' wildcards, '^' anchors the start,
 * '$' the end, otherwise a substring match. Two differences: pieces are compared in place,
 * whatever their length, and a piece before '$' must end the string (TemplateMatch only
 * looks at the piece's first occurrence, so "wait$" would not match "wait_for_wait"). */
bool tl_pattern_match(const char *templ, const char *str)
{
	if (templ == NULL || str == NULL || str[0] == '\0')
		return false;
	bool start = false, asterisk = false;
	if (templ[0] == '^') {
		start = true;
		templ++;
	}
	while (templ[0]) {
		if (templ[0] == '*') {
			templ++;
			start = false;
			asterisk = true;
			continue;
		}
		if (templ[0] == '$')
			return str[0] == '\0' || asterisk;
		if (str[0] == '\0')
			return false;
		size_t len = strcspn(templ, "*$"), slen = strlen(str);
		const char *spos;
		if (templ[len] == '$') /* the last piece: it must end the string */
			spos = slen >= len && memcmp(str + slen - len, templ, len) == 0
			           ? str + slen - len
			           : NULL;
		else
			spos = memmem(str, slen, templ, len);
		if (spos == NULL || (start && spos != str))
			return false;
		str = spos + len;
		templ += len;
		start = false;
		asterisk = false;
	}
	return true;
}

/* Takes the patterns (malloc'ed, freed on failure). */
static int add_rule(int ncond, const int *type, char **pattern, const char *set)
{
	size_t n = 1;
	for (int i = 0; i < ncond; i++)
		n += strlen(type_names[type[i]]) + strlen(pattern[i]) + 5;
	char *text = malloc(n);
	if (nrules == caprules && text != NULL) {
		size_t cap = caprules ? caprules * 2 : 32;
		struct rule *v = realloc(rules, cap * sizeof(*v));
		if (v != NULL) {
			rules = v;
			caprules = cap;
		}
	}
	if (text == NULL || nrules == caprules) {
		free(text);
		for (int i = 0; i < ncond; i++)
			free(pattern[i]);
		return -1;
	}
	struct rule *r = &rules[nrules++];
	forget_frame_memo(); /* a pattern's address may be a freed one's */
	size_t used = 0;
	for (int i = 0; i < ncond; i++) {
		r->type[i] = type[i];
		r->pattern[i] = pattern[i];
		used += (size_t)snprintf(text + used, n - used, "%s%s:%s", i ? " && " : "",
		                         type_names[type[i]], pattern[i]);
	}
	r->ncond = ncond;
	r->text = text;
	r->set = set;
	r->count = 0;
	return 0;
}

static void shown(const char *s, size_t n, char *out, size_t outlen)
{
	tl_shown(s, n, 60, out, outlen);
}

/* One warning line per malformed line, for the first MAX_LINE_WARNINGS of a source; then one
 * line with the count of the rest (a file in another format, say valgrind's, would otherwise
 * flood the program's stderr). */
#define MAX_LINE_WARNINGS 20
#define LINE_WARN(...)                                                            \
	do {                                                                      \
		if (++problems <= MAX_LINE_WARNINGS && aloud(&say, origin, file)) \
			tl_warn(__VA_ARGS__);                                     \
	} while (0)

static const char OUT_OF_MEMORY[] = "out of memory", NOT_TYPE_PATTERN[] = "not type:pattern",
                  UNKNOWN_TYPE[] = "unknown rule type";

/* One condition, type:pattern, in [b, e) (blanks around it already trimmed): NULL and the
 * pattern (malloc'ed), or what is wrong with it. */
static const char *parse_cond(const char *b, const char *e, int *type, char **pat)
{
	while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	const char *colon = memchr(b, ':', (size_t)(e - b));
	if (colon == NULL)
		return NOT_TYPE_PATTERN;
	const char *te = colon; /* blanks between the type and the colon are fine */
	while (te > b && (te[-1] == ' ' || te[-1] == '\t'))
		te--;
	*type = -1;
	for (size_t i = 0; i < TL_ARRAY_SIZE(type_names); i++)
		if ((size_t)(te - b) == strlen(type_names[i]) &&
		    strncmp(b, type_names[i], (size_t)(te - b)) == 0)
			*type = (int)i;
	if (*type < 0)
		return UNKNOWN_TYPE;
	const char *pb = colon + 1;
	while (pb < e && (*pb == ' ' || *pb == '\t'))
		pb++;
	if (pb == e)
		return "empty pattern";
	for (const char *q = pb; q < e; q++)
		if ((unsigned char)*q < 0x20 && *q != '\t')
			return "control characters";
	*pat = strndup(pb, (size_t)(e - pb));
	return *pat == NULL ? OUT_OF_MEMORY : NULL;
}

/* Where the condition that starts at b ends: at the next "&&" with a blank before it and a
 * blank or the end after it ("any:f(int&&)" is one condition), else at e. */
static const char *cond_end(const char *b, const char *e)
{
	for (const char *q = b; q + 3 <= e; q++)
		if ((q[0] == ' ' || q[0] == '\t') && q[1] == '&' && q[2] == '&' &&
		    (q + 3 == e || q[3] == ' ' || q[3] == '\t'))
			return q;
	return e;
}

/* A condition (of `type`) that parses but can never match what it was meant to: NULL, or why
 * (the rule is kept, with a warning). */
static const char *dead_cond(int type, const char *pat)
{
	/* "top:f&&top:g": no blanks around &&, so one pattern (any:f(int&&) needs that) */
	for (const char *q = strstr(pat, "&&"); q != NULL; q = strstr(q + 2, "&&"))
		for (size_t i = 0; i < TL_ARRAY_SIZE(type_names); i++)
			if (strncmp(q + 2, type_names[i], strlen(type_names[i])) == 0 &&
			    q[2 + strlen(type_names[i])] == ':')
				return "'&&' without blanks around it is part of the pattern "
				       "(conditions are joined with ' && ')";
	if (type != R_NAME)
		return NULL;
	/* the kernel keeps 15 bytes of a thread's name: the pieces between '*' (up to a '$') must
	 * all be found in it, one after the other (tl_pattern_match) */
	size_t n = 0;
	for (const char *q = pat[0] == '^' ? pat + 1 : pat; *q && *q != '$'; q++)
		n += *q != '*';
	if (n <= 15)
		return NULL;
	return "names are at most 15 bytes (the kernel keeps no more): this pattern never matches";
}

/* Under threadleak run, what is wrong with a file is said by the first process of the run that
 * reads it, not again by each (a black-box round: once per program a script ran, into each
 * program's own stderr). The key holds the file's identity and time, so that a file the run
 * changes is judged again. */
static bool first_to_say(const char *path, const struct stat *st)
{
	char key[PATH_MAX + 64];
	snprintf(key, sizeof(key), "supp:%s:%llu:%llu:%lld.%ld", path,
	         st ? (unsigned long long)st->st_dev : 0, st ? (unsigned long long)st->st_ino : 0,
	         st ? (long long)st->st_mtim.tv_sec : 0, st ? st->st_mtim.tv_nsec : 0);
	return tl_run_first(key);
}

/* Whether this process says what is wrong with the source: asked at its first problem, once
 * (*say: -1 not asked yet). Other sources than files: always. */
static bool aloud(int *say, const char *origin, const struct stat *file)
{
	if (*say < 0)
		*say = file == NULL || first_to_say(origin, file);
	return *say;
}

/* Parse rules from text; `origin` names the source ("supp.txt", "default set libc"); `file`:
 * the file's, for a file (what is wrong with it is then said once under run). */
static int parse(const char *text, const char *origin, const char *set, const struct stat *file)
{
	int problems = 0, lineno = 0, say = -1;
	const char *p = text;
	while (*p) {
		lineno++;
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		const char *b = p, *e = p + len;
		p = eol ? eol + 1 : p + len;
		while (b < e && (*b == ' ' || *b == '\t' || *b == '\r'))
			b++;
		if (b < e && *b == '#')
			continue;
		/* a comment after the rule: '#' after a blank ("name:logger  # why") */
		for (const char *q = b + 1; q < e; q++)
			if (*q == '#' && (q[-1] == ' ' || q[-1] == '\t')) {
				e = q;
				break;
			}
		while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			e--;
		if (b == e)
			continue;
		char what[80];
		shown(b, (size_t)(e - b), what, sizeof(what));
		int ncond = 0, type[RULE_CONDS];
		char *pat[RULE_CONDS];
		const char *bad = NULL;
		for (const char *cb = b; cb < e && bad == NULL;) {
			const char *ce = cond_end(cb, e), *next = ce == e ? e : ce + 3;
			while (next < e && (*next == ' ' || *next == '\t'))
				next++;
			if (ncond == RULE_CONDS)
				bad = "more than 4 conditions joined with &&";
			else if (ce != e && next == e)
				bad = "nothing after &&";
			else if (cb[0] == '&' && cb + 1 < e && cb[1] == '&')
				bad = "an empty condition between two &&";
			else if ((bad = parse_cond(cb, ce, &type[ncond], &pat[ncond])) == NULL)
				ncond++;
			cb = next;
		}
		if (bad != NULL) {
			for (int i = 0; i < ncond; i++)
				free(pat[i]);
			if (bad == OUT_OF_MEMORY) {
				tl_warn("%s:%d: out of memory", origin, lineno);
				return problems + 1;
			}
			if (bad == NOT_TYPE_PATTERN)
				LINE_WARN("%s:%d: '%s' is not type:pattern; rule ignored", origin,
				          lineno, what);
			else if (bad == UNKNOWN_TYPE)
				LINE_WARN(
				    "%s:%d: unknown rule type in '%s' (expected top, any, start, "
				    "created_by, name, module or only_in); rule ignored",
				    origin, lineno, what);
			else
				LINE_WARN("%s:%d: %s in '%s'; rule ignored", origin, lineno, bad,
				          what);
			continue;
		}
		for (int i = 0; i < ncond; i++) {
			const char *dead = dead_cond(type[i], pat[i]);
			if (dead != NULL) {
				LINE_WARN("%s:%d: %s in '%s'", origin, lineno, dead, what);
				break;
			}
		}
		if (add_rule(ncond, type, pat, set) != 0) {
			tl_warn("%s:%d: out of memory", origin, lineno);
			return problems + 1;
		}
	}
	if (problems > MAX_LINE_WARNINGS && aloud(&say, origin, file))
		tl_warn("%s: %d more malformed lines not shown; their rules are ignored", origin,
		        problems - MAX_LINE_WARNINGS);
	return problems;
}

int tl_suppress_parse(const char *text, const char *origin)
{
	return parse(text, origin, NULL, NULL);
}

static void load_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK); /* a FIFO: no wait for a writer */
	if (fd < 0) {
		int e = errno;
		if (first_to_say(path, NULL))
			tl_warn("cannot read suppressions file %s: %s", path, strerror(e));
		return;
	}
	struct stat st;
	if (TL_REAL(fstat)(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > 16 * 1024 * 1024) {
		tl_warn("suppressions file %s is not a regular file of at most 16 MiB; ignored",
		        path);
		close(fd);
		return;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	size_t got = 0;
	ssize_t n;
	while (buf && got < (size_t)st.st_size &&
	       (n = TL_REAL(read)(fd, buf + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	if (buf == NULL)
		return;
	buf[got] = '\0';
	if (memchr(buf, '\0', got) != NULL)
		tl_warn("suppressions file %s contains NUL bytes; reading it up to the first one",
		        path);
	/* a UTF-8 byte order mark (editors on Windows write one) is not part of the first rule */
	bool bom = got >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0;
	parse(bom ? buf + 3 : buf, path, NULL, &st);
	free(buf);
}

static bool set_disabled(const char *name)
{
	const char *list = tl_opt.disable_sets;
	size_t n = strlen(name);
	while (list && *list) {
		const char *end = strchr(list, ',');
		size_t len = end ? (size_t)(end - list) : strlen(list);
		if (len == n && strncmp(list, name, n) == 0)
			return true;
		list = end ? end + 1 : list + len;
	}
	return false;
}

/* disable_default_sets naming no set is a typo that would leave a set on: say so, once (under
 * threadleak run, by its first process), at start (tl_options_load): a clean program said
 * nothing, its check never loading the sets. */
static char names_checked[320]; /* the key of the value checked last: each value once */

void tl_suppress_check_disabled_names(void)
{
	char key[320];
	snprintf(key, sizeof(key), "disable_default_sets=%.280s",
	         tl_opt.disable_sets ? tl_opt.disable_sets : "");
	if (strcmp(key, names_checked) == 0)
		return;
	memcpy(names_checked, key, sizeof(key));
	const char *list = tl_opt.disable_sets;
	bool said = false;
	while (list && *list) {
		const char *end = strchr(list, ',');
		size_t len = end ? (size_t)(end - list) : strlen(list);
		bool known = len == 0;
		for (const struct tl_default_set *d = tl_default_sets; d->name && !known; d++)
			known = strlen(d->name) == len && strncmp(d->name, list, len) == 0;
		if (!known && !said && !tl_run_first(key))
			return; /* another process of the run says it */
		said = said || !known;
		if (!known) {
			char what[80], names[256];
			size_t used = 0;
			names[0] = '\0';
			for (const struct tl_default_set *d = tl_default_sets; d->name; d++)
				if (used < sizeof(names))
					used += (size_t)snprintf(names + used, sizeof(names) - used,
					                         "%s%s", used ? ", " : "", d->name);
			shown(list, len, what, sizeof(what));
			tl_warn("disable_default_sets: no default suppression set named '%s' "
			        "(sets: %s)",
			        what, names);
		}
		list = end ? end + 1 : list + len;
	}
}

/* The default sets and the files: what the exit check can load before it has symbols, to tell
 * the threads that rules of names and creating modules suppress (tl_suppress_early) while it
 * waits out the grace period. */
static bool files_loaded, hook_loaded;
static size_t hook_at; /* where the hook's rules go: after the default sets, before the files */

static void load_sets_and_files(void)
{
	if (files_loaded)
		return;
	files_loaded = true;
	tl_suppress_check_disabled_names();
	if (tl_opt.default_suppressions) {
		for (const struct tl_default_set *d = tl_default_sets; d->name; d++) {
			if (set_disabled(d->name))
				continue;
			char origin[64];
			snprintf(origin, sizeof(origin), "default set %s", d->name);
			parse(d->rules, origin, d->name, NULL);
		}
	}
	hook_at = nrules;
	for (int i = 0; i < tl_opt.nsuppressions; i++)
		load_file(tl_opt.suppressions[i]);
}

void tl_suppress_read_files(void)
{
	load_sets_and_files();
}

/* Rules are tried in order: the default sets, the program's threadleak_default_suppressions()
 * (found with the symbols, so loaded last and moved to its place), then the files. */
void tl_suppress_load(struct tl_symbolizer *sym)
{
	load_sets_and_files();
	if (hook_loaded)
		return;
	hook_loaded = true;
	const char *hook = tl_hook_string("threadleak_default_suppressions", sym);
	size_t files_end = nrules;
	if (hook)
		parse(hook, "threadleak_default_suppressions()", NULL, NULL);
	size_t nhook = nrules - files_end, nfiles = files_end - hook_at;
	struct rule *moved = nhook && nfiles ? malloc(nhook * sizeof(*moved)) : NULL;
	if (moved) {
		memcpy(moved, rules + files_end, nhook * sizeof(*moved));
		memmove(rules + hook_at + nhook, rules + hook_at, nfiles * sizeof(*moved));
		memcpy(rules + hook_at, moved, nhook * sizeof(*moved));
		free(moved);
	}
}

/* The options changed after the rules were loaded (a hook found in the symbol table): load
 * them again. */
void tl_suppress_forget(void)
{
	for (size_t i = 0; i < nrules; i++) {
		for (int k = 0; k < rules[i].ncond; k++)
			free(rules[i].pattern[k]);
		free(rules[i].text);
	}
	nrules = hook_at = 0;
	forget_frame_memo();
	files_loaded = hook_loaded = false;
}

/* Is the thread's name one it was given, rather than its creator's, which the kernel copies
 * to a new thread? A thread that a GLib callback in "gmain", a Rust ctrlc handler in "ctrl-c"
 * or a gdb worker starts without naming it carries that name, and a default set's name: rule
 * would hide it. Given: named by pthread_setname_np since its creation, or named otherwise
 * than its creator is now (a creator that is gone: taken as given). */
static bool own_name(struct tl_seen *s)
{
	if (s->name_own == 0) {
		char creator[sizeof(s->name)];
		bool same = !s->named && s->creator_tid > 0 &&
		            tl_kernel_comm(s->creator_tid, creator, sizeof(creator)) &&
		            strcmp(creator, s->name) == 0;
		s->name_own = same ? -1 : 1;
	}
	return s->name_own > 0;
}

/* The shared object that created the thread, as the module: rule reads it (any_frame), but
 * from the loader's list rather than the symbols: the first creation frame outside threadleak
 * and the system libraries. NULL when unknown, or the program itself (its name in the list
 * is empty): not decided early. */
static const char *creating_module(const struct tl_seen *s)
{
	for (int i = 0; i < s->ncreate; i++) {
		if (tl_pc_is_own(s->create_pcs[i]))
			continue;
		const char *m = tl_module_of_pc(s->create_pcs[i]);
		if (m == NULL || m[0] == '\0')
			return NULL;
		if (!tl_module_is_system(m))
			return m;
	}
	return NULL;
}

/* The shared object the thread's start routine is in, when it is neither the program, a system
 * library (std::thread's and Rust's trampolines) nor ours: its thread too, for module: rules. A
 * library whose function ends in `return pthread_create(...)`, built with -O2, calls it by a
 * jump: no frame of the library is left in the creation stack, which begins in its caller. From
 * the loader's list; with r, a library unloaded since (dlclose) by the symbolizer's record of
 * it. NULL: none. */
static const char *start_module(const struct tl_seen *s, struct tl_report *r)
{
	uintptr_t pc = (uintptr_t)s->start;
	if (pc == 0 || tl_pc_is_own(pc))
		return NULL;
	const char *m = tl_module_of_pc(pc);
	struct tl_frame fr[TL_SYM_MAX_INLINE];
	if (m == NULL && r != NULL && tl_sym_pc(r->sym, pc, true, fr, TL_SYM_MAX_INLINE) > 0)
		m = fr[0].module;
	return m == NULL || m[0] == '\0' || tl_module_is_system(m) ? NULL : m;
}

/* Before the stacks and the symbols: the first rule made only of name: and module: conditions
 * that suppresses the thread, or NULL. The exit check does not wait for such threads, and when
 * they are all that is left it reports them without stacks (check.c). Reads the thread's name
 * from the kernel when a rule needs it. The full match (tl_suppress_match) agrees: both read
 * the same name and module (a rule tried earlier may be credited there instead). */
const char *tl_suppress_early(struct tl_seen *s)
{
	load_sets_and_files();
	bool named = s->name[0] != '\0';
	for (size_t i = 0; i < nrules; i++) {
		const struct rule *rl = &rules[i];
		bool all = true;
		for (int k = 0; all && k < rl->ncond; k++)
			all = rl->type[k] == R_NAME || rl->type[k] == R_MODULE;
		for (int k = 0; all && k < rl->ncond; k++) {
			if (rl->type[k] == R_NAME) {
				if (!named)
					named = tl_kernel_comm(s->tid, s->name, sizeof(s->name));
				all = named && tl_pattern_match(rl->pattern[k], s->name) &&
				      own_name(s);
			} else {
				all = tl_pattern_match(rl->pattern[k], creating_module(s)) ||
				      tl_pattern_match(rl->pattern[k], start_module(s, NULL));
			}
		}
		if (all)
			return rl->text;
	}
	return NULL;
}

/* A thread tl_suppress_early decided about is counted for its rule (text as returned). */
void tl_suppress_credit(const char *text)
{
	for (size_t i = 0; i < nrules; i++)
		if (rules[i].text == text)
			rules[i].count++;
}

void tl_suppress_reset_counts(void)
{
	for (size_t i = 0; i < nrules; i++)
		rules[i].count = 0;
	forget_frame_memo();
}

static bool any_frame_unmemoized(struct tl_report *r, const uintptr_t *pcs, int n, uint64_t exact,
                                 const char *pat, int which);

static bool any_frame(struct tl_report *r, const uintptr_t *pcs, int n, uint64_t exact,
                      const char *pat, int which /* 0 any, 1 top, 2 module of creator, 3 only_in */)
{
	if (pcs == NULL || n <= 0)
		return any_frame_unmemoized(r, pcs, n, exact, pat, which);
	if (frame_memo == NULL)
		frame_memo = calloc(FRAME_MEMO, sizeof(*frame_memo));
	if (frame_memo == NULL)
		return any_frame_unmemoized(r, pcs, n, exact, pat, which);
	uint64_t h = ((uintptr_t)pcs >> 3) * 0x9e3779b97f4a7c15ull ^ (uintptr_t)pat ^ exact ^
	             ((uint64_t)n << 40) ^ ((uint64_t)which << 56);
	h ^= h >> 29;
	for (int k = 0; k < FRAME_MEMO_PROBES; k++) {
		struct frame_memo *m = &frame_memo[(h + (uint64_t)k) & (FRAME_MEMO - 1)];
		if (m->pcs == NULL) {
			bool answer = any_frame_unmemoized(r, pcs, n, exact, pat, which);
			*m = (struct frame_memo){pcs, pat, exact, n, which, answer};
			return answer;
		}
		if (m->pcs == pcs && m->pat == pat && m->exact == exact && m->n == n &&
		    m->which == which)
			return m->answer;
	}
	return any_frame_unmemoized(r, pcs, n, exact, pat, which);
}

static bool any_frame_unmemoized(struct tl_report *r, const uintptr_t *pcs, int n, uint64_t exact,
                                 const char *pat, int which)
{
	int in = 0;
	for (int i = 0; i < n; i++) {
		struct tl_frame fr[8];
		int k = tl_sym_pc(r->sym, pcs[i], (exact >> i) & 1, fr, 8);
		for (int j = 0; j < k; j++) {
			if (fr[j].own)
				continue;
			if (which == 0) {
				if (tl_pattern_match(pat, fr[j].function))
					return true;
				continue;
			}
			/* top: past C++'s and Rust's std too, inlined into the program or not
			 * (report/runtime.c); module: and only_in: go by module only */
			if (which == 1 ? tl_frame_is_runtime(&fr[j])
			               : tl_module_is_system(fr[j].module))
				continue;
			/* another interposer's pthread_create, preloaded before us, is not the
			 * creator: the caller is */
			if (which == 2 && fr[j].function &&
			    strcmp(fr[j].function, "pthread_create") == 0)
				continue;
			if (which == 3) {
				/* a frame of unknown module (JIT code) is not the library's */
				if (!tl_pattern_match(pat, fr[j].module))
					return false;
				in++;
				continue;
			}
			/* the innermost frame outside threadleak and libc */
			return which == 1 ? tl_pattern_match(pat, fr[j].function)
			                  : tl_pattern_match(pat, fr[j].module);
		}
	}
	return in > 0;
}

static bool cond_matches(int type, const char *pat, struct tl_seen *s, struct tl_report *r)
{
	switch (type) {
	case R_TOP:
		return any_frame(r, s->stack.pcs, s->stack.n, s->stack.exact, pat, 1);
	case R_ANY:
		return any_frame(r, s->stack.pcs, s->stack.n, s->stack.exact, pat, 0);
	case R_START:
		return tl_pattern_match(pat, s->start_name);
	case R_CREATED_BY:
		return any_frame(r, s->create_pcs, s->ncreate, 0, pat, 0);
	case R_NAME:
		return s->name[0] && tl_pattern_match(pat, s->name) && own_name(s);
	case R_MODULE:
		return any_frame(r, s->create_pcs, s->ncreate, 0, pat, 2) ||
		       tl_pattern_match(pat, start_module(s, r));
	case R_ONLY_IN:
		return any_frame(r, s->stack.pcs, s->stack.n, s->stack.exact, pat, 3);
	}
	return false;
}

static bool matches(const struct rule *rl, struct tl_seen *s, struct tl_report *r)
{
	for (int i = 0; i < rl->ncond; i++)
		if (!cond_matches(rl->type[i], rl->pattern[i], s, r))
			return false;
	return true;
}

const char *tl_suppress_match(struct tl_seen *s, struct tl_report *r)
{
	for (size_t i = 0; i < nrules; i++) {
		if (matches(&rules[i], s, r)) {
			rules[i].count++;
			return rules[i].text;
		}
	}
	return NULL;
}

/* LeakSanitizer's "Suppressions used:" table; JSON: [{"rule", "count", "set"}]. */
void tl_suppress_used(struct tl_buf *b, bool json)
{
	bool first = true;
	if (json)
		tl_buf_put(b, "[", 1);
	for (size_t i = 0; i < nrules; i++) {
		const struct rule *rl = &rules[i];
		if (rl->count == 0)
			continue;
		if (json) {
			tl_buf_printf(b, "%s{\"rule\": ", first ? "" : ", ");
			tl_buf_json_str(b, rl->text);
			tl_buf_printf(b, ", \"count\": %zu, \"set\": ", rl->count);
			tl_buf_json_str(b, rl->set);
			tl_buf_put(b, "}", 1);
		} else {
			if (first)
				tl_buf_printf(b, "threadleak: suppressions used:\n  count rule\n");
			tl_buf_printf(b, "  %5zu %s%s%s%s\n", rl->count, rl->text,
			              rl->set ? " (default set " : "", rl->set ? rl->set : "",
			              rl->set ? ")" : "");
		}
		first = false;
	}
	if (json)
		tl_buf_put(b, "]", 1);
}
