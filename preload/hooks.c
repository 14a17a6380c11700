/* The program's hooks, the LeakSanitizer way: threadleak_default_options() and
 * threadleak_default_suppressions(), and the order in which options are applied (defaults, the
 * hook, THREADLEAK_OPTIONS, then what secure execution forbids). Apart from options.c, which is
 * pure parsing, because finding a hook needs the symbol tables. */
#include "tl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/auxv.h>

/* Hooks the program may define, the LeakSanitizer way. The dynamic symbol tables have them
 * when the program exports them (-rdynamic, or -Wl,--export-dynamic-symbol=threadleak_default_*
 * as the pkg-config file adds); with a symbolizer at hand we also look in the symbol table.
 * Not dlsym: an absent hook is the common case, and dlsym's error path allocates. */
const char *tl_hook_string(const char *name, struct tl_symbolizer *sym)
{
	/* a C++ definition that did not see threadleak.h's declaration has C++ linkage:
	 * _Z26threadleak_default_optionsv */
	char mangled[96];
	snprintf(mangled, sizeof(mangled), "_Z%zu%sv", strlen(name), name);
	const char *(*fn)(void) = (const char *(*)(void))tl_lookup_global(name);
	if (fn == NULL)
		fn = (const char *(*)(void))tl_lookup_global(mangled);
	if (fn == NULL && sym != NULL)
		fn = (const char *(*)(void))tl_sym_find_function(sym, name);
	if (fn == NULL && sym != NULL)
		fn = (const char *(*)(void))tl_sym_find_function(sym, mangled);
	return fn ? fn() : NULL;
}

/* Under secure execution (setuid, setgid, file capabilities) the environment is not to be
 * trusted with file names: an attacker could make a privileged program write or read them. */
static void secure_execution(void)
{
	/* getauxval only when there is something to drop: its first call costs every process a
	 * lazy binding (docs/internals.md, Process start) */
	if (((tl_opt.log_path && tl_opt.log_path[0]) || tl_opt.nsuppressions) &&
	    TL_REAL(getauxval)(AT_SECURE)) {
		tl_warn(
		    "secure execution: ignoring log_path and suppressions from THREADLEAK_OPTIONS");
		tl_opt.log_path = NULL;
		tl_opt.nsuppressions = 0;
	}
}

TL_START_DATA static bool options_hook_done;

/* The environment the constructor was given (glibc passes argc, argv and envp to the
 * functions of .init_array), NULL when something else initialised us first. */
TL_START_DATA char **tl_start_envp;

/* THREADLEAK_OPTIONS, read from the environment: libc's getenv, the first call to it through
 * our PLT, would cost every process the loader's lazy binding and a page of libc, and a
 * reference to `environ` a symbol lookup at load (docs/internals.md, Process start). */
TL_START_CODE static const char *options_env(bool at_start)
{
	/* with the start data: a constant would cost a page of our read-only data */
	TL_START_DATA static char name[] = "THREADLEAK_OPTIONS=";
	char **env = at_start && tl_start_envp != NULL ? tl_start_envp : tl_environ();
	for (char **e = env; e != NULL && *e != NULL; e++) {
		size_t i = 0;
		while (name[i] && (*e)[i] == name[i])
			i++;
		if (name[i] == '\0')
			return *e + i;
	}
	return NULL;
}

/* The options hook as the loader binds it at load time, when the program exports it: a weak
 * reference, so 0 when nothing defines it. The loader searches the same objects as
 * tl_lookup_global, from the hash tables it keeps for each; ours reads each object's dynamic
 * section first (2,700 instructions of every process's start, docs/internals.md, Process
 * start). */
extern const char *threadleak_default_options(void) __attribute__((weak));

/* What follows from the options, once they are loaded or loaded again */
/* signal= and dump_signal= name one signal: the check's sampling would take the requests of
 * threadleak dump and run --timeout for its own, and their reports for samples. The sampling
 * signal is then picked as with signal=0. */
static void same_signals(void)
{
	tl_warn("THREADLEAK_OPTIONS: signal=%d is dump_signal's too (they must differ); using a "
	        "free real-time signal for sampling",
	        tl_opt.signal);
	tl_opt.signal = 0;
}

TL_START_CODE static void options_loaded(void)
{
	if (TL_UNLIKELY(tl_opt.signal > 0 && tl_opt.signal == tl_opt.dump_signal))
		same_signals();
	secure_execution();
	if (tl_opt.log_path || tl_opt.nsuppressions) /* the code is not on the start pages */
		tl_absolute_paths();
	if (tl_opt.log_path)
		tl_log_note_stdout();
}

/* Options: defaults, then threadleak_default_options(), then THREADLEAK_OPTIONS. True when
 * the program has the hook (the options were parsed again). At start, THREADLEAK_OPTIONS is
 * checked here, after the hook, so that a warning's "keeping N" names the hook's value; at
 * the check (a hook found in the symbol table) it was checked, and warned about, at start. */
TL_START_CODE static bool load_options(struct tl_symbolizer *sym)
{
	/* with the start data: a constant would cost a page of our read-only data */
	TL_START_DATA static char hook_name[] = "threadleak_default_options";
	bool at_start = sym == NULL;
	const char *hook = at_start
	                       ? (threadleak_default_options ? threadleak_default_options() : NULL)
	                       : tl_hook_string(hook_name, sym);
	if (hook == NULL)
		return false;
	options_hook_done = true;
	tl_options_defaults();
	tl_options_parse(hook, "threadleak_default_options()");
	bool quiet = tl_log_quiet;
	tl_log_quiet = quiet || !at_start;
	tl_options_parse(options_env(at_start), "THREADLEAK_OPTIONS");
	tl_log_quiet = quiet;
	options_loaded();
	return true;
}

/* At start: the hook if the program exports it, then THREADLEAK_OPTIONS. */
TL_START_CODE void tl_options_load(void)
{
	if (!load_options(NULL)) {
		tl_options_parse(options_env(true), "THREADLEAK_OPTIONS");
		options_loaded();
	}
	/* the user's suppression files now, not at the first check that needs them: a mistake
	 * in one (no such file, a malformed line) is said in every run, not only in one that
	 * leaks. Only with the option: every other process reads nothing. */
	if (tl_opt.nsuppressions)
		tl_suppress_read_files();
	else if (tl_opt.disable_sets && tl_opt.disable_sets[0])
		tl_suppress_check_disabled_names();
}

/* Not found yet: the program exports no hook, and the symbol table was not read for one. */
bool tl_options_hook_pending(void)
{
	return !options_hook_done;
}

/* At the check, for programs that do not export their hook: look in the symbol table. True
 * when it found one (the options may have changed). */
bool tl_options_apply_hook(struct tl_symbolizer *sym)
{
	if (options_hook_done)
		return false;
	options_hook_done = true;
	return load_options(sym);
}
