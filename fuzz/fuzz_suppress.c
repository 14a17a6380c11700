/* libFuzzer target: suppression rules (preload/suppress.c tl_suppress_parse, tl_pattern_match,
 * tl_suppress_match, tl_suppress_used). suppress.c is included whole so that its rule list can
 * be emptied between inputs.
 * Input: rule text, then NUL-separated fields: thread name, start routine, then up to 8
 * (function, module) pairs for the frames of the current and creation stacks.
 * Properties: no crash or sanitizer report; every rule kept is well formed (known type,
 * non-empty pattern without control characters or surrounding blanks); warnings are free of
 * raw control bytes; tl_pattern_match agrees with LeakSanitizer's TemplateMatch (a reference
 * copy below, with threadleak's anchored '$'); tl_suppress_match returns the first rule that
 * matches by the README's definitions; the "suppressions used" JSON is valid. Known limitation,
 * left out of the comparison unless FUZZ_LONG_PIECES=1: tl_pattern_match cuts each literal piece of
 * a pattern to 255 bytes (tests/robust/test_bad_suppressions.py shows the wrong match this causes).
 */
#include "../preload/suppress.c"

#include "fuzz.h"

/* LeakSanitizer's TemplateMatch (sanitizer_common.cpp), on a private copy of the template,
 * with threadleak's '$' (below). */
static bool ref_match(const char *templ_in, const char *str)
{
	if (str == NULL || str[0] == '\0')
		return false;
	char *copy = strdup(templ_in), *templ = copy;
	bool start = false, asterisk = false, result = true;
	if (templ[0] == '^') {
		start = true;
		templ++;
	}
	while (templ && templ[0]) {
		if (templ[0] == '*') {
			templ++;
			start = false;
			asterisk = true;
			continue;
		}
		if (templ[0] == '$') {
			result = str[0] == '\0' || asterisk;
			goto out;
		}
		if (str[0] == '\0') {
			result = false;
			goto out;
		}
		char *tpos = strchr(templ, '*'), *tpos1 = strchr(templ, '$');
		if (!tpos || (tpos1 && tpos1 < tpos))
			tpos = tpos1;
		if (tpos)
			tpos[0] = '\0';
		const char *str0 = str;
		const char *spos = strstr(str, templ);
		/* threadleak's one change (README, Suppressions): a piece before '$' must end the
		 * string, wherever it also occurs earlier (LSan takes the first occurrence, so "a$"
		 * does not match "banana") */
		size_t tl = strlen(templ), sl = strlen(str);
		if (tpos && tpos == tpos1)
			spos = sl >= tl && strcmp(str + sl - tl, templ) == 0 ? str + sl - tl : NULL;
		str = spos ? spos + strlen(templ) : str;
		templ = tpos;
		if (tpos)
			tpos[0] = tpos == tpos1 ? '$' : '*';
		if (!spos || (start && spos != str0)) {
			result = false;
			goto out;
		}
		start = false;
		asterisk = false;
	}
out:
	free(copy);
	return result;
}

static bool long_piece(const char *p)
{
	size_t run = 0;
	for (; *p; p++) {
		run = (*p == '*' || *p == '$') ? 0 : run + 1;
		if (run >= 255)
			return true;
	}
	return false;
}

static void reset_rules(void)
{
	for (size_t i = 0; i < nrules; i++) {
		for (int j = 0; j < rules[i].ncond; j++)
			free(rules[i].pattern[j]);
		free(rules[i].text);
	}
	free(rules);
	rules = NULL;
	nrules = caprules = 0;
}

/* The README's definitions, evaluated with the reference matcher: one condition. */
static bool ref_cond(int type, const char *pattern, const struct tl_seen *s, int nframes)
{
	switch (type) {
	case R_NAME:
		return s->name[0] && ref_match(pattern, s->name);
	case R_START:
		return ref_match(pattern, s->start_name);
	case R_ANY:
	case R_CREATED_BY:
		for (int i = 0; i < nframes; i++)
			if (ref_match(pattern, stub_fn[i]))
				return true;
		return false;
	case R_TOP:
	case R_MODULE:
		for (int i = 0; i < nframes; i++) {
			if (tl_module_is_system(stub_mod[i]))
				continue;
			/* top: past C++'s and Rust's std (the frames have no source file here) */
			if (type == R_TOP && tl_function_is_std(stub_fn[i]))
				continue;
			/* another interposer's pthread_create is not the creator: its caller is */
			if (type == R_MODULE && stub_fn[i] &&
			    strcmp(stub_fn[i], "pthread_create") == 0)
				continue;
			return ref_match(pattern, type == R_TOP ? stub_fn[i] : stub_mod[i]);
		}
		return false;
	case R_ONLY_IN: {
		/* every frame outside libc is in a matching module, and there is one */
		int in = 0;
		for (int i = 0; i < nframes; i++) {
			if (tl_module_is_system(stub_mod[i]))
				continue;
			if (!ref_match(pattern, stub_mod[i]))
				return false;
			in++;
		}
		return in > 0;
	}
	}
	fuzz_fail("rule type %d", type);
}

/* A rule: all of its conditions. */
static bool ref_rule(const struct rule *rl, const struct tl_seen *s, int nframes)
{
	for (int j = 0; j < rl->ncond; j++)
		if (!ref_cond(rl->type[j], rl->pattern[j], s, nframes))
			return false;
	return true;
}

static bool rule_long_piece(const struct rule *rl)
{
	for (int j = 0; j < rl->ncond; j++)
		if (long_piece(rl->pattern[j]))
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 2);
	memcpy(buf, data, size);
	buf[size] = buf[size + 1] = '\0';
	/* fields */
	const char *field[2 + 2 * FUZZ_MAX_FRAMES] = {0};
	size_t nf = 0;
	const char *text = buf;
	for (char *p = buf + strlen(buf) + 1; p <= buf + size && nf < TL_ARRAY_SIZE(field);
	     p += strlen(p) + 1)
		field[nf++] = p;
	struct tl_seen s;
	memset(&s, 0, sizeof(s));
	snprintf(s.name, sizeof(s.name), "%s", field[0] ? field[0] : "");
	s.start_name = field[1] && field[1][0] ? field[1] : NULL;
	int nframes = 0;
	for (size_t i = 2; i + 1 < nf + 1 && nframes < FUZZ_MAX_FRAMES; i += 2) {
		if (field[i] == NULL)
			break;
		stub_fn[nframes] = field[i][0] ? field[i] : NULL;
		stub_mod[nframes] = field[i + 1] && field[i + 1][0] ? field[i + 1] : NULL;
		nframes++;
	}
	static uintptr_t create[FUZZ_MAX_FRAMES];
	for (int i = 0; i < nframes; i++)
		create[i] = (uintptr_t)(i + 1);
	s.stack.pcs = create; /* the same frames, created and now */
	s.create_pcs = create;
	s.stack.n = s.ncreate = nframes;

	reset_rules();
	stub_nmsgs = 0;
	int problems = tl_suppress_parse(text, "fuzz.supp");
	/* the first MAX_LINE_WARNINGS problems are named, the rest counted in one more line */
	int want = problems > MAX_LINE_WARNINGS ? MAX_LINE_WARNINGS + 1 : problems;
	if (want != stub_nmsgs)
		fuzz_fail("%d problems, %d warnings", problems, stub_nmsgs);
	bool strict = getenv("FUZZ_LONG_PIECES") != NULL;
	for (size_t i = 0; i < nrules; i++) {
		const struct rule *rl = &rules[i];
		if (rl->ncond < 1 || rl->ncond > RULE_CONDS)
			fuzz_fail("rule %zu: %d conditions", i, rl->ncond);
		char want[8192];
		size_t used = 0;
		bool long_text = false;
		for (int j = 0; j < rl->ncond; j++) {
			const char *pat = rl->pattern[j];
			if (rl->type[j] < 0 || rl->type[j] >= (int)TL_ARRAY_SIZE(type_names))
				fuzz_fail("rule %zu: type %d", i, rl->type[j]);
			size_t n = strlen(pat);
			if (n == 0 || pat[0] == ' ' || pat[0] == '\t' || pat[n - 1] == ' ' ||
			    pat[n - 1] == '\t' || pat[n - 1] == '\r')
				fuzz_fail("rule %zu: pattern '%s' empty or with surrounding blanks",
				          i, pat);
			for (const char *q = pat; *q; q++)
				if ((unsigned char)*q < 0x20 && *q != '\t')
					fuzz_fail("rule %zu: control byte in the pattern", i);
			long_text = long_text || n >= 8000 / RULE_CONDS;
			if (!long_text)
				used +=
				    (size_t)snprintf(want + used, sizeof(want) - used, "%s%s:%s",
				                     j ? " && " : "", type_names[rl->type[j]], pat);
		}
		if (!long_text && strcmp(want, rl->text) != 0)
			fuzz_fail("rule %zu: text '%s' is not its conditions joined", i, rl->text);
		/* the matcher against the reference, on every subject string we have */
		if (!strict && rule_long_piece(rl))
			continue;
		const char *subjects[3 + 2 * FUZZ_MAX_FRAMES];
		size_t ns = 0;
		subjects[ns++] = s.name;
		subjects[ns++] = s.start_name;
		subjects[ns++] = text;
		for (int k = 0; k < nframes; k++) {
			subjects[ns++] = stub_fn[k];
			subjects[ns++] = stub_mod[k];
		}
		for (int j = 0; j < rl->ncond; j++)
			for (size_t k = 0; k < ns; k++) {
				bool a = tl_pattern_match(rl->pattern[j], subjects[k]);
				bool b = ref_match(rl->pattern[j], subjects[k]);
				if (a != b)
					fuzz_fail(
					    "tl_pattern_match('%s', '%.100s') = %d, TemplateMatch "
					    "says %d",
					    rl->pattern[j], subjects[k] ? subjects[k] : "(null)", a,
					    b);
			}
	}

	/* the first matching rule wins and is counted */
	struct tl_report r;
	memset(&r, 0, sizeof(r));
	tl_suppress_reset_counts();
	const char *m = tl_suppress_match(&s, &r);
	const char *ref = NULL;
	bool comparable = true;
	for (size_t i = 0; i < nrules && ref == NULL; i++) {
		if (!strict && rule_long_piece(&rules[i]))
			comparable = false;
		if (ref_rule(&rules[i], &s, nframes))
			ref = rules[i].text;
	}
	if (comparable && m != ref)
		fuzz_fail("tl_suppress_match gave '%s', the first matching rule is '%s'",
		          m ? m : "(none)", ref ? ref : "(none)");
	/* the report's "suppressions used": valid JSON, and text without a crash */
	struct tl_buf jb = {0}, tb = {0};
	tl_suppress_used(&jb, true);
	const char *why = NULL;
	if (jb.oom || !fuzz_json_valid(jb.p, jb.len, &why))
		fuzz_fail("suppressions used: not valid JSON (%s): %.300s", why, jb.p);
	tl_suppress_used(&tb, false);
	free(jb.p);
	free(tb.p);
	free(buf);
	return 0;
}
