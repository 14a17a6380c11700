/* Unit test of the suppression matcher and parser (preload/suppress.c), compiled into this
 * program (#include, so the test can reset suppress.c's static rule list between cases) with
 * the real default sets, report/buf.c, and the stubs of stubs.c for what suppress.c calls:
 * tl_warn() records messages, the hook string is whatever a case sets; the symbolizer is a
 * table of fake frames of its own.
 * Exit status: 0 when every check passed, 1 otherwise (each failure printed). */
#include "suppress.c"
#include "default_suppressions.c"

#include <stdarg.h>

#include "stubs.h"

/* ---- fakes of its own (the rest: stubs.c) ---- */
/* fake symbolizer: pc N is fake_frames[N]; pc 7 expands to an inlined frame and its caller */
struct fake {
	const char *function, *module;
	bool own;
};
static const struct fake fake_frames[] = {
    [1] = {"tl_wrap_read", "/x/libthreadleak.so", true},
    [2] = {"__libc_read", "/lib/x86_64-linux-gnu/libc.so.6", false},
    [3] = {"logger_wait", "/app/bin/server", false},
    [4] = {"logger_loop", "/app/bin/server", false},
    [5] = {"start_thread", "/lib/x86_64-linux-gnu/libc.so.6", false},
    [6] = {"std::thread::_State_impl<int>::_M_run()", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
           false},
    [7] = {"outer_caller", "/opt/vendor/libvendor.so.1", false}, /* inlined: inner_helper */
    [8] = {"start_logger", "/app/bin/server", false},
    [9] = {"main", "/app/bin/server", false},
    [10] = {NULL, "/app/bin/server", false}, /* no symbol */
    /* C++'s std inlined into the program, and Rust's std linked into it */
    [11] =
        {"void std::this_thread::sleep_for<long, std::ratio<1l, 1l> >(std::chrono::duration<long, "
         "std::ratio<1l, 1l> > const&)",
         "/app/bin/server", false},
    [12] = {"__gthread_mutex_lock(pthread_mutex_t*)", "/app/bin/server", false},
    [13] = {"std::sys::pal::unix::futex::futex_wait", "/app/bin/rs", false},
    [14] = {"rs::consume", "/app/bin/rs", false},
    /* std::async's invoker: a return type other than void before std:: */
    [15] = {"int std::thread::_Invoker<std::tuple<int (*)(int), int> >::_M_invoke<0ul, 1ul>("
            "std::_Index_tuple<0ul, 1ul>)",
            "/app/bin/server", false},
    [16] = {"std::__invoke_result<int (*)(int), int>::type std::__invoke<int (*)(int), int>(int "
            "(*&&)(int), int&&)",
            "/app/bin/server", false},
    [17] = {"bool operator< <int>(foo<int> const&, foo<int> const&)", "/app/bin/server", false},
};

int tl_sym_pc(struct tl_symbolizer *s, uintptr_t pc, bool exact, struct tl_frame *out, int max)
{
	(void)s;
	(void)exact;
	int k = 0;
	if (pc == 7 && max > 1) {
		out[k++] = (struct tl_frame){.pc = pc,
		                             .module = fake_frames[7].module,
		                             .function = "inner_helper",
		                             .inlined = true};
	}
	const struct fake *f = pc < TL_ARRAY_SIZE(fake_frames) ? &fake_frames[pc] : &fake_frames[0];
	out[k++] = (struct tl_frame){
	    .pc = pc, .module = f->module, .function = f->function, .own = f->own};
	return k;
}

/* the loader's list names the program "" (tl_module_of_pc) */
const char *tl_module_of_pc(uintptr_t pc)
{
	const struct fake *f = pc < TL_ARRAY_SIZE(fake_frames) ? &fake_frames[pc] : &fake_frames[0];
	return f->module && strncmp(f->module, "/app/bin/", 9) == 0 ? "" : f->module;
}

/* ---- harness ---- */
/* after a failure: the warnings and the rules kept */
void unit_explain(void)
{
	stub_dump_msgs();
	for (size_t i = 0; i < nrules; i++)
		fprintf(stderr, "    rule %zu: %s\n", i, rules[i].text);
}

/* A fresh start: no rules, no messages, default options. */
static void begin(const char *name)
{
	unit_current = name;
	tl_suppress_forget();
	stub_nmsgs = 0;
	stub_hook_text = NULL;
	memset(&tl_opt, 0, sizeof(tl_opt));
	tl_opt.default_suppressions = true;
}

static bool has(const char *hay, const char *needle)
{
	return hay && strstr(hay, needle) != NULL;
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* ---- the pattern matcher ---- */
struct pm {
	const char *pattern, *str;
	bool want;
};

static void test_patterns(void)
{
	unit_current = "patterns";
	static const struct pm cases[] = {
	    {"abc", "xabcx", true},
	    {"abc", "ab", false},
	    {"^abc", "abcx", true},
	    {"^abc", "xabc", false},
	    {"abc$", "xabc", true},
	    {"abc$", "abcx", false},
	    {"^abc$", "abc", true},
	    {"^abc$", "abcabc", false},
	    {"^abc$", "xabc", false},
	    {"a*c", "abbbc", true},
	    {"a*c", "cba", false},
	    {"^a*c$", "abc", true},
	    {"^a*c$", "abcd", false},
	    {"^a*c$", "xabc", false},
	    {"*", "anything", true},
	    {"*", "", false},
	    {"abc", "", false},
	    {"a*$", "ab", true},
	    {"^*abc", "xxabc", true},
	    {"ab*ab$", "abab", true},
	    {"ab*ab$", "abxab", true},
	    {"ab*ab$", "ab", false},
	    {"a*b*c", "aXbYc", true},
	    {"a*b*c", "aXcYb", false},
	    /* '$' anchors the end even when the piece also occurs earlier */
	    {"wait$", "wait_for_wait", true},
	    {"^wait$", "wait_for_wait", false},
	    {"_wait$", "pthread_cond_wait", true},
	    {"^init_pool$", "init_pool", true},
	    {"^init_pool$", "init_pool2", false},
	    {"grpc_core::Executor*", "grpc_core::Executor::ThreadMain(void*)", true},
	    {"^node::inspector::Agent::Start(", "node::inspector::Agent::Start(std::string const&)",
	     true},
	    {"Executor::Run", "Executor::Ru", false},
	    {"libvendor.so", "/opt/vendor/libvendor.so.1", true},
	    {"^libvendor.so", "/opt/vendor/libvendor.so.1", false},
	};
	for (size_t i = 0; i < TL_ARRAY_SIZE(cases); i++) {
		bool got = tl_pattern_match(cases[i].pattern, cases[i].str);
		CHECK(got == cases[i].want, "pattern '%s' on '%s': %d, expected %d",
		      cases[i].pattern, cases[i].str, got, cases[i].want);
	}
	CHECK(!tl_pattern_match("abc", NULL), "NULL string never matches");
	CHECK(!tl_pattern_match(NULL, "abc"), "NULL pattern never matches");

	/* pieces longer than any fixed buffer are compared whole */
	char longstr[1200], pat[1300];
	memset(longstr, 'm', 1000);
	strcpy(longstr + 1000, "/leaky");
	snprintf(pat, sizeof(pat), "%s-NOT", longstr);
	CHECK(!tl_pattern_match(pat, longstr),
	      "a 1000-byte piece plus '-NOT' must not match the string alone");
	CHECK(tl_pattern_match(longstr, longstr), "a 1006-byte pattern matches itself");
	snprintf(pat, sizeof(pat), "^%s$", longstr);
	CHECK(tl_pattern_match(pat, longstr), "^long$ matches");
	longstr[500] = 'x';
	CHECK(!tl_pattern_match(pat, longstr),
	      "^long$ with one byte changed in the middle does not match");
}

/* ---- the parser ---- */
static const char *rule_text(size_t i)
{
	return i < nrules ? rules[i].text : "(none)";
}

static void test_parser(void)
{
	begin("valid rules");
	int p = tl_suppress_parse("# a comment\n"
	                          "\n"
	                          "   \t\n"
	                          "top:wait_for_work\n"
	                          "  any:grpc_core::Executor*  \r\n"
	                          "\tstart:metrics_flush_loop\t\n"
	                          "created_by:^init_pool$\n"
	                          "name:logger\n"
	                          "module:libvendor.so",
	                          "t.supp");
	CHECK(p == 0 && stub_nmsgs == 0, "%d problems, %d warnings", p, stub_nmsgs);
	CHECK(nrules == 6, "%zu rules, expected 6", nrules);
	const char *want[] = {"top:wait_for_work",
	                      "any:grpc_core::Executor*",
	                      "start:metrics_flush_loop",
	                      "created_by:^init_pool$",
	                      "name:logger",
	                      "module:libvendor.so"};
	for (size_t i = 0; i < 6; i++)
		CHECK(strcmp(rule_text(i), want[i]) == 0, "rule %zu is '%s', expected '%s'", i,
		      rule_text(i), want[i]);
	CHECK(nrules == 6 && rules[1].ncond == 1 && rules[1].type[0] == R_ANY &&
	          strcmp(rules[1].pattern[0], "grpc_core::Executor*") == 0 && rules[0].set == NULL,
	      "rule fields");

	/* conditions joined with " && ": one rule; "&&" inside a pattern (C++) is not a join */
	begin("conjunctions");
	p = tl_suppress_parse("top:wait_for_job && only_in:libvendor.so\n"
	                      "any:f(int&&)\n"
	                      "name:x  &&\tstart:y   # both\n",
	                      "and.supp");
	CHECK(p == 0 && stub_nmsgs == 0 && nrules == 3, "%d problems, %zu rules", p, nrules);
	CHECK(nrules == 3 && rules[0].ncond == 2 && rules[0].type[1] == R_ONLY_IN &&
	          strcmp(rule_text(0), "top:wait_for_job && only_in:libvendor.so") == 0,
	      "two conditions: '%s'", rule_text(0));
	CHECK(nrules == 3 && rules[1].ncond == 1 && strcmp(rules[1].pattern[0], "f(int&&)") == 0,
	      "a pattern with && in it: '%s'", rule_text(1));
	CHECK(nrules == 3 && rules[2].ncond == 2 && strcmp(rule_text(2), "name:x && start:y") == 0,
	      "blanks around && normalized: '%s'", rule_text(2));
	begin("malformed conjunctions");
	p = tl_suppress_parse("top:a &&\n"                                       /* 1 */
	                      "top:a && frame:b\n"                               /* 2 */
	                      "top:a && b\n"                                     /* 3 */
	                      "name:a && name:b && name:c && name:d && name:e\n" /* 4 */
	                      "top:a && name:\n",                                /* 5 */
	                      "and.supp");
	const char *and_why[] = {"nothing after &&", "unknown rule type", "is not type:pattern",
	                         "more than 4 conditions", "empty pattern"};
	CHECK(p == 5 && stub_nmsgs == 5 && nrules == 0, "%d problems, %d warnings, %zu rules", p,
	      stub_nmsgs, nrules);
	for (int i = 0; i < 5 && i < stub_nmsgs; i++) {
		char where[32];
		snprintf(where, sizeof(where), "and.supp:%d: ", i + 1);
		CHECK(strncmp(stub_msgs[i], where, strlen(where)) == 0 &&
		          has(stub_msgs[i], and_why[i]) && has(stub_msgs[i], "ignored"),
		      "warning %d '%s': expected '%s...%s'", i, stub_msgs[i], where, and_why[i]);
	}

	/* the README's example, comments after the rules included */
	begin("README example");
	p = tl_suppress_parse(
	    "# threadleak.supp\n"
	    "name:logger                  # the thread's name (pthread_setname_np)\n"
	    "start:metrics_flush_loop     # the start routine\n"
	    "top:wait_for_work            # the innermost frame of the current stack\n"
	    "any:grpc_core::Executor*     # any frame of the current stack (demangled names)\n"
	    "created_by:^init_pool$       # any frame of the creation stack\n"
	    "module:libvendor.so          # the shared object that created the thread\n",
	    "threadleak.supp");
	CHECK(p == 0 && stub_nmsgs == 0 && nrules == 6, "%d problems, %zu rules", p, nrules);
	CHECK(strcmp(rule_text(0), "name:logger") == 0 &&
	          strcmp(rule_text(5), "module:libvendor.so") == 0,
	      "comments after rules are not part of the pattern: '%s', '%s'", rule_text(0),
	      rule_text(5));

	begin("'#' inside a pattern");
	p = tl_suppress_parse("name:worker#1\nname : pool\n", "t.supp");
	CHECK(p == 0 && nrules == 2 && strcmp(rule_text(0), "name:worker#1") == 0 &&
	          strcmp(rule_text(1), "name:pool") == 0,
	      "'#' not after a blank is kept, blanks before the colon are fine: '%s' '%s'",
	      rule_text(0), rule_text(1));

	/* one warning per problem, naming the origin and the line; valid lines still apply */
	begin("malformed lines");
	p = tl_suppress_parse("name:logger\n"        /* 1 ok */
	                      "frame:foo\n"          /* 2 unknown type */
	                      "logger\n"             /* 3 no colon */
	                      "name:\n"              /* 4 empty */
	                      "start:   \t\n"        /* 5 empty */
	                      "# fine\n"             /* 6 */
	                      "name:\x1b[31mred\n"   /* 7 control characters */
	                      "Name:logger\n"        /* 8 types are lower case */
	                      ":logger\n"            /* 9 no type */
	                      "start:worker_loop\n", /* 10 ok */
	                      "bad.supp");
	CHECK(p == 7 && stub_nmsgs == 7, "%d problems, %d warnings, expected 7", p, stub_nmsgs);
	CHECK(nrules == 2 && strcmp(rule_text(0), "name:logger") == 0 &&
	          strcmp(rule_text(1), "start:worker_loop") == 0,
	      "the two valid rules are kept");
	const int lines[] = {2, 3, 4, 5, 7, 8, 9};
	const char *why[] = {"unknown rule type", "is not type:pattern", "empty pattern",
	                     "empty pattern",     "control characters",  "unknown rule type",
	                     "unknown rule type"};
	for (int i = 0; i < 7 && i < stub_nmsgs; i++) {
		char where[32];
		snprintf(where, sizeof(where), "bad.supp:%d: ", lines[i]);
		CHECK(strncmp(stub_msgs[i], where, strlen(where)) == 0 &&
		          has(stub_msgs[i], why[i]) && has(stub_msgs[i], "ignored"),
		      "warning %d '%s': expected '%s...%s'", i, stub_msgs[i], where, why[i]);
		CHECK(strchr(stub_msgs[i], '\x1b') == NULL && strchr(stub_msgs[i], '\n') == NULL,
		      "no raw control bytes in '%s'", stub_msgs[i]);
	}
	CHECK(stub_nmsgs > 4 && has(stub_msgs[4], "name:?[31mred"),
	      "control characters shown as '?': %s", stub_msgs[4]);

	begin("long line");
	char big[5000];
	memcpy(big, "frame:", 6);
	memset(big + 6, 'x', sizeof(big) - 7);
	big[sizeof(big) - 1] = '\0';
	p = tl_suppress_parse(big, "long.supp");
	CHECK(p == 1 && stub_nmsgs == 1 && strlen(stub_msgs[0]) < 200 &&
	          has(stub_msgs[0], "long.supp:1: ") && has(stub_msgs[0], "..."),
	      "one short warning for a 5000-byte line: '%s'", stub_msgs[0]);

	/* a flood is cut: 20 lines, then one with the count of the rest */
	begin("many malformed lines");
	char flood[4000] = "";
	for (int i = 0; i < 30; i++)
		strcat(flood, "fun:malloc\n");
	strcat(flood, "name:kept\n");
	p = tl_suppress_parse(flood, "vg.supp");
	CHECK(p == 30 && stub_nmsgs == 21, "%d problems, %d warnings, expected 30 and 21", p,
	      stub_nmsgs);
	CHECK(stub_nmsgs == 21 && has(stub_msgs[19], "vg.supp:20: ") &&
	          strcmp(stub_msgs[20], "vg.supp: 10 more malformed lines not "
	                                "shown; their rules are ignored") == 0,
	      "the last two: '%s' '%s'", stub_msgs[19], stub_msgs[20]);
	CHECK(nrules == 1 && strcmp(rule_text(0), "name:kept") == 0,
	      "the valid rule after them is kept");
	begin("20 malformed lines: no summary");
	flood[0] = '\0';
	for (int i = 0; i < 20; i++)
		strcat(flood, "fun:malloc\n");
	p = tl_suppress_parse(flood, "vg.supp");
	CHECK(p == 20 && stub_nmsgs == 20, "%d problems, %d warnings", p, stub_nmsgs);

	begin("CRLF and no final newline");
	p = tl_suppress_parse("name:a\r\nname:b\r\nname:c", "crlf.supp");
	CHECK(p == 0 && nrules == 3 && strcmp(rule_text(2), "name:c") == 0 &&
	          strcmp(rule_text(0), "name:a") == 0,
	      "3 rules");
}

/* ---- loading: default sets, the hook, files ---- */
static size_t rules_of_set(const char *set)
{
	size_t n = 0;
	for (size_t i = 0; i < nrules; i++)
		n += set ? (rules[i].set && strcmp(rules[i].set, set) == 0) : rules[i].set == NULL;
	return n;
}

static void test_load(void)
{
	int all = 0, libc = 0;
	for (const struct tl_default_set *d = tl_default_sets; d->name; d++) {
		all += count_lines(d->rules);
		if (strcmp(d->name, "libc") == 0)
			libc = count_lines(d->rules);
	}
	CHECK(libc == 4,
	      "the libc set has %d rules, expected 4 (timer, mq_notify, aio, getaddrinfo_a)", libc);

	begin("defaults");
	tl_suppress_load(NULL);
	CHECK((int)nrules == all && stub_nmsgs == 0, "%zu rules, expected %d, %d warnings", nrules,
	      all, stub_nmsgs);
	CHECK((int)rules_of_set("libc") == libc, "libc rules tagged with their set");
	CHECK(stub_hook_asked && strcmp(stub_hook_asked, "threadleak_default_suppressions") == 0,
	      "hook asked for");
	size_t before = nrules;
	tl_suppress_load(NULL);
	CHECK(nrules == before, "loaded once");

	begin("disable_default_sets=libc");
	tl_opt.disable_sets = "libc";
	tl_suppress_load(NULL);
	CHECK((int)nrules == all - libc && rules_of_set("libc") == 0 && stub_nmsgs == 0,
	      "%zu rules", nrules);

	begin("disable_default_sets=every set");
	char every[512] = "";
	for (const struct tl_default_set *d = tl_default_sets; d->name; d++)
		snprintf(every + strlen(every), sizeof(every) - strlen(every), "%s%s",
		         every[0] ? "," : "", d->name);
	tl_opt.disable_sets = every;
	tl_suppress_load(NULL);
	CHECK(nrules == 0 && stub_nmsgs == 0, "%zu rules", nrules);

	begin("disable_default_sets with a typo");
	tl_opt.disable_sets = "libcc,node";
	tl_suppress_load(NULL);
	CHECK(stub_nmsgs == 1 && has(stub_msgs[0], "'libcc'") &&
	          has(stub_msgs[0], "libc, node, glib"),
	      "one warning naming it");
	CHECK((int)rules_of_set("libc") == libc && rules_of_set("node") == 0,
	      "libc still on, node off");

	begin("default_suppressions=0 and the hook");
	tl_opt.default_suppressions = false;
	stub_hook_text = "name:^logger$\nbogus\nstart:x\n";
	tl_suppress_load(NULL);
	CHECK(nrules == 2 && rules_of_set(NULL) == 2, "the hook's two rules only (%zu)", nrules);
	CHECK(stub_nmsgs == 1 && has(stub_msgs[0], "threadleak_default_suppressions():2: "),
	      "hook line 2 named: %s", stub_msgs[0]);

	/* files, in order, after the hook; missing and unreadable ones get one warning each */
	char dir[] = "/tmp/tlsuppunit.XXXXXX";
	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	char a[128], b[128], missing[128];
	snprintf(a, sizeof(a), "%s/a.supp", dir);
	snprintf(b, sizeof(b), "%s/b.supp", dir);
	snprintf(missing, sizeof(missing), "%s/missing.supp", dir);
	FILE *f = fopen(a, "w");
	fputs("name:from_a\n\nnope\n", f);
	fclose(f);
	f = fopen(b, "w");
	fputs("start:from_b\n", f);
	fclose(f);
	begin("files");
	tl_opt.default_suppressions = false;
	stub_hook_text = "name:from_hook";
	tl_opt.suppressions[0] = a;
	tl_opt.suppressions[1] = missing;
	tl_opt.suppressions[2] = dir;
	tl_opt.suppressions[3] = b;
	tl_opt.nsuppressions = 4;
	tl_suppress_load(NULL);
	CHECK(nrules == 3 && strcmp(rule_text(0), "name:from_hook") == 0 &&
	          strcmp(rule_text(1), "name:from_a") == 0 &&
	          strcmp(rule_text(2), "start:from_b") == 0,
	      "hook, then the files in order");
	CHECK(stub_nmsgs == 3, "%d warnings, expected 3", stub_nmsgs);
	char where[200];
	snprintf(where, sizeof(where), "%s:3: ", a);
	CHECK(stub_nmsgs > 0 && strncmp(stub_msgs[0], where, strlen(where)) == 0,
	      "'%s' starts with '%s'", stub_msgs[0], where);
	CHECK(stub_nmsgs > 1 && has(stub_msgs[1], missing) && has(stub_msgs[1], "No such file"),
	      "missing file: %s", stub_msgs[1]);
	CHECK(stub_nmsgs > 2 && has(stub_msgs[2], dir) && has(stub_msgs[2], "not a regular file"),
	      "directory: %s", stub_msgs[2]);
	unlink(a);
	unlink(b);
	rmdir(dir);
}

/* ---- matching ---- */
static void seen(struct tl_seen *s, const char *name, const char *start, const uintptr_t *stack,
                 int n, const uintptr_t *create, int nc)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->start_name = start;
	s->stack.n = n;
	s->stack.pcs = stack; /* the caller keeps it while matching */
	s->ncreate = nc;
	s->create_pcs = create; /* the caller keeps it while matching */
}

static const char *match1(const char *rule, struct tl_seen *s)
{
	begin(rule);
	tl_opt.default_suppressions = false;
	tl_suppress_parse(rule, "m.supp");
	struct tl_report r = {0};
	return tl_suppress_match(s, &r);
}

/* what the exit check decides before the stacks (tl_suppress_early) */
static const char *early1(const char *rule, struct tl_seen *s)
{
	begin(rule);
	tl_opt.default_suppressions = false;
	tl_suppress_parse(rule, "m.supp");
	return tl_suppress_early(s);
}

static void test_match(void)
{
	/* logger: blocked in read (our wrapper, then libc), in logger_wait, called by logger_loop;
	 * created by start_logger from main */
	const uintptr_t stack[] = {1, 2, 3, 4, 5}, create[] = {8, 9};
	/* vendor: created inside libvendor (an inlined helper), current stack in the C++ runtime
	 * then vendor code, then a frame without a symbol */
	const uintptr_t vstack[] = {2, 6, 7, 10}, vcreate[] = {5, 7, 8, 9};
	struct tl_seen lg, vd;
	seen(&lg, "logger", "logger_loop", stack, 5, create, 2);
	seen(&vd, "server", "vendor_main", vstack, 4, vcreate, 4);

	struct {
		const char *rule;
		bool logger, vendor;
	} cases[] = {
	    {"top:logger_wait", true, false},
	    {"top:^logger_wait$", true, false},
	    {"top:logger_loop", false, false},  /* not the innermost user frame */
	    {"top:__libc_read", false, false},  /* libc frames are skipped */
	    {"top:tl_wrap_read", false, false}, /* our own frames are skipped */
	    {"top:_M_run", false, false},       /* so is the C++ runtime */
	    {"top:inner_helper", false, true},  /* inlined frames count */
	    {"any:logger_loop", true, false},
	    {"any:__libc_read", true, true}, /* any: sees libc frames */
	    {"any:tl_wrap_read", false, false},
	    {"any:outer_caller", false, true},
	    {"any:std::thread::*_M_run", false, true},
	    {"start:logger_loop", true, false},
	    {"start:logger_wait", false, false},
	    {"start:^vendor", false, true},
	    {"created_by:start_logger", true, true},
	    {"created_by:^main$", true, true},
	    {"created_by:logger_wait", false, false},
	    {"name:logger", true, false},
	    {"name:^logger$", true, false},
	    {"name:^log$", false, false},
	    {"module:libvendor", false, true},       /* the innermost creating frame outside libc */
	    {"module:/app/bin/server", true, false}, /* vendor's creator is libvendor, not server */
	    {"module:libc.so", false, false},
	    /* every condition of a rule must match */
	    {"top:logger_wait && name:logger", true, false},
	    {"top:logger_wait && name:server", false, false},
	    {"only_in:/app/bin/server && top:^logger_wait$", true, false},
	    {"only_in:/app/bin/server && top:^logger_loop$", false, false},
	    {"top:inner_helper && only_in:libvendor", false, false}, /* a server frame too */
	    {"name:server && start:^vendor && module:libvendor", false, true},
	};
	for (size_t i = 0; i < TL_ARRAY_SIZE(cases); i++) {
		const char *m = match1(cases[i].rule, &lg);
		CHECK((m != NULL) == cases[i].logger, "%s on the logger: %s", cases[i].rule,
		      m ? m : "no match");
		CHECK(m == NULL || strcmp(m, cases[i].rule) == 0, "returns the rule text: %s", m);
		m = match1(cases[i].rule, &vd);
		CHECK((m != NULL) == cases[i].vendor, "%s on the vendor thread: %s", cases[i].rule,
		      m ? m : "no match");
		/* before the stacks: rules of name: and module: conditions only, never a match the
		 * full matcher would not make; the program's own module is not decided early (the
		 * logger's creator is the program, the vendor thread's libvendor) */
		const char *r = cases[i].rule;
		bool eligible = !strstr(r, "top:") && !strstr(r, "any:") && !strstr(r, "start:") &&
		                !strstr(r, "created_by:") && !strstr(r, "only_in:");
		bool want_lg = eligible && cases[i].logger && !strstr(r, "module:");
		bool want_vd = eligible && cases[i].vendor;
		m = early1(r, &lg);
		CHECK((m != NULL) == want_lg, "early %s on the logger: %s", r, m ? m : "no match");
		m = early1(r, &vd);
		CHECK((m != NULL) == want_vd, "early %s on the vendor thread: %s", r,
		      m ? m : "no match");
	}

	/* top: goes past C++'s and Rust's std frames in the program itself */
	const uintptr_t sleeper[] = {2, 11, 3, 4, 5}, locker[] = {2, 12, 4, 5},
	                rust[] = {2, 13, 14, 5};
	struct tl_seen sl, lk, rs;
	seen(&sl, "sleeper", "logger_loop", sleeper, 5, create, 2);
	seen(&lk, "locker", "logger_loop", locker, 4, create, 2);
	seen(&rs, "rs", "rs_main", rust, 4, create, 2);
	CHECK(match1("top:^logger_wait$", &sl) != NULL, "top: past std::this_thread::sleep_for");
	CHECK(match1("top:^logger_loop$", &lk) != NULL, "top: past __gthread_mutex_lock");
	CHECK(match1("top:^rs::consume$", &rs) != NULL, "top: past Rust's std::sys");
	CHECK(match1("top:sleep_for", &sl) == NULL, "top: not std::this_thread::sleep_for itself");
	const uintptr_t invoker[] = {15, 16, 3, 5}, op[] = {17, 3, 5};
	struct tl_seen iv, ov;
	seen(&iv, "invoker", "logger_loop", invoker, 4, create, 2);
	seen(&ov, "op", "logger_loop", op, 3, create, 2);
	CHECK(match1("top:^logger_wait$", &iv) != NULL, "top: past \"int std::...\" names");
	CHECK(match1("top:^bool operator<", &ov) != NULL, "top: an operator is not std");
	CHECK(match1("any:sleep_for", &sl) != NULL, "any: still sees std frames");
	CHECK(match1("only_in:/app/bin/server", &sl) != NULL, "only_in: by module");

	/* an unnamed thread never matches name: rules, even '*' */
	struct tl_seen anon;
	seen(&anon, "", NULL, stack, 5, create, 2);
	CHECK(match1("name:*", &anon) == NULL, "name:* on a thread without a name");
	CHECK(match1("start:*", &anon) == NULL, "start:* on a thread without a start routine");
	CHECK(early1("name:*", &anon) == NULL, "early name:* on a thread without a name");

	/* the first matching rule takes the thread; counts, reset, and the used-rules table */
	begin("counts");
	tl_opt.default_suppressions = false;
	tl_suppress_parse("name:nomatch\nstart:logger_loop\nname:logger\nmodule:libvendor\n",
	                  "c.supp");
	rules[3].set = "vendorset";
	struct tl_report r = {0};
	const char *m1 = tl_suppress_match(&lg, &r);
	const char *m2 = tl_suppress_match(&lg, &r);
	const char *m3 = tl_suppress_match(&vd, &r);
	CHECK(m1 && m2 && strcmp(m1, "start:logger_loop") == 0 && strcmp(m2, m1) == 0,
	      "first matching rule");
	CHECK(m3 && strcmp(m3, "module:libvendor") == 0, "vendor: %s", m3);
	CHECK(rules[0].count == 0 && rules[1].count == 2 && rules[2].count == 0 &&
	          rules[3].count == 1,
	      "counts");
	struct tl_buf b = {0};
	tl_suppress_used(&b, false);
	const char *text_want = "threadleak: suppressions used:\n  count rule\n"
	                        "      2 start:logger_loop\n"
	                        "      1 module:libvendor (default set vendorset)\n";
	CHECK(b.p && strcmp(b.p, text_want) == 0, "text table:\n%s", b.p);
	free(b.p);
	b = (struct tl_buf){0};
	tl_suppress_used(&b, true);
	const char *json_want =
	    "[{\"rule\": \"start:logger_loop\", \"count\": 2, \"set\": null}, "
	    "{\"rule\": \"module:libvendor\", \"count\": 1, \"set\": \"vendorset\"}]";
	CHECK(b.p && strcmp(b.p, json_want) == 0, "JSON list: %s", b.p);
	free(b.p);
	tl_suppress_reset_counts();
	b = (struct tl_buf){0};
	tl_suppress_used(&b, true);
	CHECK(b.p && strcmp(b.p, "[]") == 0, "after reset: %s", b.p);
	free(b.p);
	b = (struct tl_buf){0};
	tl_suppress_used(&b, false);
	CHECK(b.p == NULL || b.p[0] == '\0', "no text table when nothing was suppressed: %s", b.p);
	free(b.p);
}

int main(void)
{
	test_patterns();
	test_parser();
	test_load();
	test_match();
	begin("end");
	return unit_result();
}
