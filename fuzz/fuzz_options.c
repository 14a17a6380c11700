/* libFuzzer target: THREADLEAK_OPTIONS parsing (preload/options.c tl_options_parse).
 * Properties: no crash or sanitizer report; every option stays within its documented range
 * whatever the input (a bad value keeps the previous one); string options are NUL-terminated
 * text from the input, with a separator only when the input quoted them; at most 8 suppression
 * files; every warning is free of raw control bytes (tests/unit/stubs.c tl_warn); as many warnings
 * as problems reported (at most 10 per source, then one line that counts the rest). */
#include "tl.h"

#include <sanitizer/lsan_interface.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static void check_str(const char *s, const char *what)
{
	if (s != NULL && strlen(s) > (1u << 24))
		fuzz_fail("%s: implausible length", what);
}

/* v appears in the input between two quotes of one kind ('v' or "v") */
static bool quoted_in(const char *in, const char *v)
{
	size_t n = strlen(v);
	for (const char *p = in; (p = strstr(p, v)) != NULL; p++)
		if (p > in && (p[-1] == '\'' || p[-1] == '"') && p[n] == p[-1])
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	tl_options_defaults();
	stub_nmsgs = 0;
	/* the parsed copy is kept for the process lifetime by design (values point into it) */
	__lsan_disable();
	int p1 = tl_options_parse(s, "fuzz");
	/* a second source on top, as threadleak_default_options() then THREADLEAK_OPTIONS */
	int p2 = tl_options_parse(s + size / 2, "fuzz2");
	__lsan_enable();
	/* each source names its first 10 problems and counts the rest in one more line */
	int want = (p1 > 10 ? 11 : p1) + (p2 > 10 ? 11 : p2);
	if (want != stub_nmsgs)
		fuzz_fail("%d+%d problems but %d warnings", p1, p2, stub_nmsgs);
	if (tl_opt.exitcode < 0 || tl_opt.exitcode > 255)
		fuzz_fail("exitcode %d", tl_opt.exitcode);
	if (tl_opt.grace_ms < 0 || tl_opt.grace_ms > 60000)
		fuzz_fail("grace_ms %d", tl_opt.grace_ms);
	if (tl_opt.max_frames < 1 || tl_opt.max_frames > TL_MAX_FRAMES)
		fuzz_fail("max_frames %d", tl_opt.max_frames);
	if (tl_opt.signal < 0 || tl_opt.signal > 64)
		fuzz_fail("signal %d", tl_opt.signal);
	if (tl_opt.format != TL_FORMAT_TEXT && tl_opt.format != TL_FORMAT_JSON)
		fuzz_fail("format %d", tl_opt.format);
	if (tl_opt.nsuppressions < 0 ||
	    tl_opt.nsuppressions > (int)TL_ARRAY_SIZE(tl_opt.suppressions))
		fuzz_fail("nsuppressions %d", tl_opt.nsuppressions);
	for (int i = 0; i < tl_opt.nsuppressions; i++) {
		if (tl_opt.suppressions[i] == NULL || tl_opt.suppressions[i][0] == '\0')
			fuzz_fail("suppressions[%d] empty", i);
		check_str(tl_opt.suppressions[i], "suppressions");
	}
	check_str(tl_opt.log_path, "log_path");
	check_str(tl_opt.disable_sets, "disable_default_sets");
	/* a value contains a separator only when it was quoted: they split the input */
	const char *strs[] = {tl_opt.log_path, tl_opt.disable_sets};
	for (size_t i = 0; i < 2; i++)
		if (strs[i] && strpbrk(strs[i], ": \t\n\r") && !quoted_in(s, strs[i]) &&
		    !quoted_in(s + size / 2, strs[i])) /* the second source may follow a NUL */
			fuzz_fail("a string option contains a separator, unquoted: '%s'", strs[i]);
	free(s);
	return 0;
}
