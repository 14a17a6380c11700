/* Unit test of the options parser (preload/options.c), linked directly with it: no preload, no
 * process under test. tl_warn() is the stub of stubs.c that records every message, so the
 * tests can assert on the exact number of warnings and on what each one says.
 * Exit status: 0 when every check passed, 1 otherwise (each failure printed). */
#include "tl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stubs.h"

/* Start a case from the defaults, with no recorded message. */
static void begin(const char *name)
{
	unit_current = name;
	tl_options_defaults();
	stub_nmsgs = 0;
}

static bool contains(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

/* ---- the cases ---- */
/* The defaults are in tl_opt before any call: the library's constructor parses nothing when
 * THREADLEAK_OPTIONS is empty. Runs first, before anything sets tl_opt. */
static void test_static_defaults(void)
{
	unit_current = "static defaults";
	CHECK(tl_opt.exitcode == 23 && tl_opt.grace_ms == 250 && tl_opt.max_frames == 32 &&
	          tl_opt.format == TL_FORMAT_TEXT && tl_opt.children && tl_opt.check_at_exit &&
	          tl_opt.default_suppressions && !tl_opt.help && tl_opt.signal == 0 &&
	          tl_opt.log_path == NULL && tl_opt.nsuppressions == 0,
	      "tl_opt is not initialized with the defaults");
}

static void test_defaults(void)
{
	begin("defaults");
	CHECK(tl_opt.exitcode == 23, "exitcode %d", tl_opt.exitcode);
	CHECK(tl_opt.log_path == NULL, "log_path %s", tl_opt.log_path);
	CHECK(tl_opt.format == TL_FORMAT_TEXT, "format %d", tl_opt.format);
	CHECK(tl_opt.grace_ms == 250, "grace_ms %d", tl_opt.grace_ms);
	CHECK(tl_opt.max_frames == 32, "max_frames %d", tl_opt.max_frames);
	CHECK(tl_opt.help == false, "help");
	CHECK(tl_opt.check_at_exit == true, "check_at_exit");
	CHECK(tl_opt.children == true, "children");
	CHECK(tl_opt.default_suppressions == true, "default_suppressions");
	CHECK(tl_opt.signal == 0, "signal %d", tl_opt.signal);
	CHECK(tl_opt.nsuppressions == 0, "nsuppressions %d", tl_opt.nsuppressions);
	CHECK(tl_opt.disable_sets == NULL, "disable_sets");
	CHECK(stub_nmsgs == 0, "setting the defaults warned %d times", stub_nmsgs);
	/* NULL and empty input: nothing to do */
	CHECK(tl_options_parse(NULL, "T") == 0, "NULL input");
	CHECK(tl_options_parse("", "T") == 0, "empty input");
	CHECK(tl_options_parse(" : \t::\n", "T") == 0, "only separators");
	CHECK(stub_nmsgs == 0, "no warnings for empty input (%d)", stub_nmsgs);
	CHECK(tl_opt.exitcode == 23 && tl_opt.grace_ms == 250, "defaults unchanged");
}

static void test_all_valid(void)
{
	begin("all valid");
	int p = tl_options_parse(
	    "exitcode=7:log_path=/tmp/tl:format=json:grace_ms=0:max_frames=64:"
	    "children=0:check_at_exit=false:suppressions=a.supp:suppressions=b.supp:"
	    "default_suppressions=no:disable_default_sets=libc,node:signal=40:help=1",
	    "T");
	CHECK(p == 0, "problems %d", p);
	CHECK(stub_nmsgs == 0, "warnings %d", stub_nmsgs);
	CHECK(tl_opt.exitcode == 7, "exitcode %d", tl_opt.exitcode);
	CHECK(tl_opt.log_path && strcmp(tl_opt.log_path, "/tmp/tl") == 0, "log_path");
	CHECK(tl_opt.format == TL_FORMAT_JSON, "format");
	CHECK(tl_opt.grace_ms == 0, "grace_ms %d", tl_opt.grace_ms);
	CHECK(tl_opt.max_frames == 64, "max_frames %d", tl_opt.max_frames);
	CHECK(tl_opt.children == false, "children");
	CHECK(tl_opt.check_at_exit == false, "check_at_exit");
	CHECK(tl_opt.nsuppressions == 2 && strcmp(tl_opt.suppressions[0], "a.supp") == 0 &&
	          strcmp(tl_opt.suppressions[1], "b.supp") == 0,
	      "suppressions %d", tl_opt.nsuppressions);
	CHECK(tl_opt.default_suppressions == false, "default_suppressions");
	CHECK(tl_opt.disable_sets && strcmp(tl_opt.disable_sets, "libc,node") == 0, "disable_sets");
	CHECK(tl_opt.signal == 40, "signal %d", tl_opt.signal);
	CHECK(tl_opt.help == true, "help");

	/* the input is copied: the caller's buffer may go away */
	begin("input copied");
	char buf[64];
	strcpy(buf, "log_path=/var/tmp/x:format=json");
	tl_options_parse(buf, "T");
	memset(buf, 'Z', sizeof(buf) - 1);
	CHECK(tl_opt.log_path && strcmp(tl_opt.log_path, "/var/tmp/x") == 0, "log_path %s",
	      tl_opt.log_path);

	/* separators: ':' and whitespace, repeated, leading and trailing */
	begin("separators");
	p = tl_options_parse("  exitcode=9 \t grace_ms=5\n::max_frames=3:", "T");
	CHECK(p == 0 && stub_nmsgs == 0, "problems %d warnings %d", p, stub_nmsgs);
	CHECK(tl_opt.exitcode == 9 && tl_opt.grace_ms == 5 && tl_opt.max_frames == 3,
	      "values %d %d %d", tl_opt.exitcode, tl_opt.grace_ms, tl_opt.max_frames);

	/* the last one wins; a value may contain '=' */
	begin("last wins");
	p = tl_options_parse("exitcode=1:exitcode=2:log_path=/tmp/a=b", "T");
	CHECK(p == 0 && tl_opt.exitcode == 2, "exitcode %d", tl_opt.exitcode);
	CHECK(strcmp(tl_opt.log_path, "/tmp/a=b") == 0, "log_path %s", tl_opt.log_path);

	/* every spelling of a boolean */
	const char *yes[] = {"1", "true", "yes", "on"}, *no[] = {"0", "false", "no", "off"};
	for (int i = 0; i < 4; i++) {
		char s[64];
		begin("booleans");
		snprintf(s, sizeof(s), "children=%s:help=%s", no[i], yes[i]);
		p = tl_options_parse(s, "T");
		CHECK(p == 0 && tl_opt.children == false && tl_opt.help == true, "%s", s);
	}

	/* the limits themselves are valid */
	begin("limits");
	p = tl_options_parse("exitcode=0:grace_ms=60000:max_frames=1:signal=64", "T");
	CHECK(p == 0 && tl_opt.exitcode == 0 && tl_opt.grace_ms == 60000 &&
	          tl_opt.max_frames == 1 && tl_opt.signal == 64,
	      "limits rejected (%d problems)", p);
	begin("limits 2");
	p = tl_options_parse("exitcode=255:max_frames=64", "T");
	CHECK(p == 0 && tl_opt.exitcode == 255 && tl_opt.max_frames == 64, "upper limits");
}

/* One malformed item: exactly one warning, naming the origin, the key (or the item) and the
 * value; the option keeps the value it had; the items around it still apply. */
static void one_bad(const char *item, const char *must_name, const char *must_name2, int *field,
                    int expected_kept)
{
	char input[256];
	begin(item);
	snprintf(input, sizeof(input), "grace_ms=7:%s:check_at_exit=0", item);
	int p = tl_options_parse(input, "ORIGIN");
	CHECK(p == 1, "%s: %d problems", item, p);
	CHECK(stub_nmsgs == 1, "%s: %d warnings, expected exactly 1", item, stub_nmsgs);
	if (stub_nmsgs >= 1) {
		CHECK(contains(stub_msgs[0], "ORIGIN"), "%s: origin not named: %s", item,
		      stub_msgs[0]);
		CHECK(contains(stub_msgs[0], must_name), "%s: '%s' not named: %s", item, must_name,
		      stub_msgs[0]);
		if (must_name2)
			CHECK(contains(stub_msgs[0], must_name2), "%s: '%s' not named: %s", item,
			      must_name2, stub_msgs[0]);
		CHECK(strchr(stub_msgs[0], '\n') == NULL, "%s: one line: %s", item, stub_msgs[0]);
	}
	if (field)
		CHECK(*field == expected_kept, "%s: value %d, expected %d kept", item, *field,
		      expected_kept);
	if (field != &tl_opt.grace_ms)
		CHECK(tl_opt.grace_ms == 7, "%s: the item before was lost", item);
	CHECK(tl_opt.check_at_exit == false, "%s: the item after was lost", item);
}

static void test_malformed(void)
{
	one_bad("grace_ms=abc", "grace_ms", "abc", &tl_opt.grace_ms, 7);
	one_bad("exitcode=999", "exitcode", "999", &tl_opt.exitcode, 23);
	one_bad("exitcode=256", "exitcode", "256", &tl_opt.exitcode, 23);
	one_bad("exitcode=-1", "exitcode", "-1", &tl_opt.exitcode, 23);
	one_bad("exitcode=", "exitcode", NULL, &tl_opt.exitcode, 23);
	one_bad("exitcode=12abc", "exitcode", "12abc", &tl_opt.exitcode, 23);
	one_bad("exitcode=0x10", "exitcode", "0x10", &tl_opt.exitcode, 23);
	one_bad("exitcode=99999999999999999999", "exitcode", NULL, &tl_opt.exitcode, 23);
	one_bad("exitcode=+5x", "exitcode", NULL, &tl_opt.exitcode, 23);
	one_bad("max_frames=0", "max_frames", NULL, &tl_opt.max_frames, 32);
	one_bad("max_frames=65", "max_frames", NULL, &tl_opt.max_frames, 32);
	one_bad("grace_ms=60001", "grace_ms", NULL, &tl_opt.grace_ms, 7);
	one_bad("signal=65", "signal", NULL, &tl_opt.signal, 0);
	one_bad("bogus=1", "bogus", NULL, NULL, 0);
	one_bad("=5", "no option name", "=5", NULL, 0); /* exitcode =5: a blank before = */
	one_bad("exitcode=", "no value for exitcode", "keeping 23", &tl_opt.exitcode, 23);
	one_bad("format=xml", "format", "keeping text", NULL, 0);
	one_bad("fail_on=some", "fail_on", "keeping all", NULL, 0);
	one_bad("grace_ms", "grace_ms", NULL, &tl_opt.grace_ms, 7);
	one_bad("exitcode", "exitcode", NULL, &tl_opt.exitcode, 23);
	one_bad("Exitcode=3", "Exitcode", NULL, &tl_opt.exitcode,
	        23); /* names are case-sensitive */

	begin("bad format keeps the previous value");
	int p = tl_options_parse("format=json:format=xml", "T");
	CHECK(p == 1 && stub_nmsgs == 1 && contains(stub_msgs[0], "format") &&
	          contains(stub_msgs[0], "xml"),
	      "format=xml");
	CHECK(tl_opt.format == TL_FORMAT_JSON, "format=xml did not keep json");

	begin("bad boolean keeps the previous value");
	p = tl_options_parse("children=0:children=maybe:check_at_exit=2", "T");
	CHECK(p == 2 && stub_nmsgs == 2, "problems %d warnings %d", p, stub_nmsgs);
	CHECK(stub_nmsgs >= 2 && contains(stub_msgs[0], "children") &&
	          contains(stub_msgs[0], "maybe") && contains(stub_msgs[1], "check_at_exit"),
	      "keys named");
	CHECK(tl_opt.children == false && tl_opt.check_at_exit == true, "values kept");

	/* several problems: one warning each, in order, and the good items still apply */
	begin("several problems");
	p = tl_options_parse("grace_ms=abc:exitcode=999:bogus=1:grace_ms:exitcode=5:format=json",
	                     "T");
	CHECK(p == 4, "problems %d", p);
	CHECK(stub_nmsgs == 4, "warnings %d", stub_nmsgs);
	if (stub_nmsgs == 4) {
		CHECK(contains(stub_msgs[0], "grace_ms") && contains(stub_msgs[0], "abc"),
		      "msg 0: %s", stub_msgs[0]);
		CHECK(contains(stub_msgs[1], "exitcode") && contains(stub_msgs[1], "999"),
		      "msg 1: %s", stub_msgs[1]);
		CHECK(contains(stub_msgs[2], "bogus"), "msg 2: %s", stub_msgs[2]);
		CHECK(contains(stub_msgs[3], "grace_ms"), "msg 3: %s", stub_msgs[3]);
	}
	CHECK(tl_opt.grace_ms == 250 && tl_opt.exitcode == 5 && tl_opt.format == TL_FORMAT_JSON,
	      "values: grace %d exitcode %d", tl_opt.grace_ms, tl_opt.exitcode);
}

/* A warning that says which value is kept must say the value actually kept: after a valid
 * exitcode=7, a bad exitcode=999 keeps 7, not the default 23. */
static void test_kept_value_named(void)
{
	begin("kept value named");
	int p = tl_options_parse("exitcode=7:exitcode=999", "T");
	CHECK(p == 1 && stub_nmsgs == 1, "problems %d warnings %d", p, stub_nmsgs);
	CHECK(tl_opt.exitcode == 7, "exitcode %d, expected 7 kept", tl_opt.exitcode);
	if (stub_nmsgs == 1)
		CHECK(!contains(stub_msgs[0], "keeping 23"),
		      "the warning claims the default 23 is kept while 7 is: %s", stub_msgs[0]);
	begin("kept value named 2");
	p = tl_options_parse("grace_ms=1000:grace_ms=-5", "T");
	CHECK(tl_opt.grace_ms == 1000, "grace_ms %d, expected 1000 kept", tl_opt.grace_ms);
	if (stub_nmsgs == 1)
		CHECK(!contains(stub_msgs[0], "keeping 250"),
		      "the warning claims the default 250 is kept while 1000 is: %s", stub_msgs[0]);
}

/* More suppression files than allowed: one line says so, not one per file left out. */
static void test_too_many_files(void)
{
	begin("too many suppression files");
	char input[1024] = "";
	for (int i = 0; i < TL_MAX_SUPPRESSION_FILES + 3; i++) {
		char one[32];
		snprintf(one, sizeof(one), "%ssuppressions=f%d", i ? ":" : "", i);
		strcat(input, one);
	}
	tl_options_parse(input, "T");
	CHECK(stub_nmsgs == 1 && contains(stub_msgs[0], "too many suppression files"),
	      "%d warnings, expected one: %s", stub_nmsgs, stub_nmsgs ? stub_msgs[0] : "");
	CHECK(tl_opt.nsuppressions == TL_MAX_SUPPRESSION_FILES, "%d files kept",
	      tl_opt.nsuppressions);
}

/* Untrusted text in a warning: control bytes are not echoed, long text is cut. */
static void test_sanitized(void)
{
	begin("control bytes");
	int p = tl_options_parse("exitcode=1\x1b[2J\x07", "T");
	CHECK(p == 1 && stub_nmsgs == 1, "problems %d warnings %d", p, stub_nmsgs);
	if (stub_nmsgs == 1) {
		CHECK(strchr(stub_msgs[0], '\x1b') == NULL && strchr(stub_msgs[0], '\x07') == NULL,
		      "control bytes echoed: %s", stub_msgs[0]);
		CHECK(contains(stub_msgs[0], "exitcode"), "key named: %s", stub_msgs[0]);
	}
	begin("long value");
	char big[5000];
	memset(big, 'x', sizeof(big));
	memcpy(big, "grace_ms=", 9);
	big[sizeof(big) - 1] = '\0';
	p = tl_options_parse(big, "T");
	CHECK(p == 1 && stub_nmsgs == 1, "problems %d warnings %d", p, stub_nmsgs);
	if (stub_nmsgs == 1) {
		CHECK(strlen(stub_msgs[0]) < 300, "warning is %zu bytes long",
		      strlen(stub_msgs[0]));
		CHECK(contains(stub_msgs[0], "grace_ms") && contains(stub_msgs[0], "..."),
		      "cut and named: %s", stub_msgs[0]);
	}
	CHECK(tl_opt.grace_ms == 250, "grace_ms %d", tl_opt.grace_ms);
	begin("long key");
	memset(big, 'k', sizeof(big));
	big[4000] = '=';
	big[4001] = '1';
	big[4002] = '\0';
	p = tl_options_parse(big, "T");
	CHECK(p == 1 && stub_nmsgs == 1 && strlen(stub_msgs[0]) < 300,
	      "long unknown key: %d warnings", stub_nmsgs);
}

static void test_suppression_files(void)
{
	begin("suppression files");
	char s[512] = "";
	for (int i = 0; i < 9; i++) {
		char one[32];
		snprintf(one, sizeof(one), "%ssuppressions=f%d", i ? ":" : "", i);
		strcat(s, one);
	}
	int p = tl_options_parse(s, "T");
	int cap = (int)TL_ARRAY_SIZE(tl_opt.suppressions);
	CHECK(tl_opt.nsuppressions == cap, "nsuppressions %d", tl_opt.nsuppressions);
	CHECK(p == 9 - cap && stub_nmsgs == 9 - cap, "problems %d warnings %d", p, stub_nmsgs);
	if (stub_nmsgs == 1)
		CHECK(contains(stub_msgs[0], "suppression"), "names suppressions: %s",
		      stub_msgs[0]);
	CHECK(strcmp(tl_opt.suppressions[0], "f0") == 0 &&
	          strcmp(tl_opt.suppressions[cap - 1], "f7") == 0,
	      "order kept");
	begin("empty suppression file name");
	p = tl_options_parse("suppressions=", "T");
	CHECK(p == 0 && tl_opt.nsuppressions == 0, "empty name ignored");
	/* the defaults reset the list */
	tl_options_parse("suppressions=x", "T");
	tl_options_defaults();
	CHECK(tl_opt.nsuppressions == 0, "defaults do not reset the suppression list");
}

static void test_help(void)
{
	static const char *const names[] = {"exitcode",
	                                    "log_path",
	                                    "format",
	                                    "grace_ms",
	                                    "max_frames",
	                                    "children",
	                                    "check_at_exit",
	                                    "suppressions",
	                                    "default_suppressions",
	                                    "disable_default_sets",
	                                    "signal",
	                                    "help"};
	begin("help");
	tl_options_print_help();
	CHECK(stub_nmsgs >= (int)TL_ARRAY_SIZE(names) + 1, "help printed %d lines", stub_nmsgs);
	for (size_t i = 0; i < TL_ARRAY_SIZE(names); i++) {
		bool found = false;
		for (int j = 1; j < stub_nmsgs && j < STUB_MAX_MSGS; j++) {
			const char *m = stub_msgs[j];
			while (*m == ' ')
				m++;
			size_t n = strlen(names[i]);
			if (strncmp(m, names[i], n) == 0 && m[n] == ' ' && contains(m, "default"))
				found = true;
		}
		CHECK(found, "help does not list %s with its default", names[i]);
	}
	bool has23 = false, has250 = false;
	for (int j = 0; j < stub_nmsgs && j < STUB_MAX_MSGS; j++) {
		has23 |= contains(stub_msgs[j], "exitcode") && contains(stub_msgs[j], "23");
		has250 |= contains(stub_msgs[j], "grace_ms") && contains(stub_msgs[j], "250");
	}
	CHECK(has23 && has250, "defaults shown");
}

int main(void)
{
	test_static_defaults();
	test_defaults();
	test_all_valid();
	test_malformed();
	test_sanitized();
	test_suppression_files();
	test_help();
	test_kept_value_named();
	test_too_many_files();
	return unit_result();
}
