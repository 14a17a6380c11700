/* The public API (include/threadleak.h): what a test runner calls mid-run. */
#define THREADLEAK_BUILDING 1
#include "threadleak.h"
#include "tl.h"

#include <errno.h>

#include <stdlib.h>

/* threadleak_set_exit_check()'s last word, -1 before any call. The first check may load the
 * program's threadleak_default_options() from the symbol table and parse every option again
 * (hooks.c, load_options), which would undo the call: apply it again after each check. */
static atomic_int exit_check_api = -1;

/* From a signal handler the check could wait forever on a lock the interrupted code holds
 * (malloc's, the loader's): refuse, and say so once. */
static bool refused_in_handler(void)
{
	static atomic_bool warned;
	if (!tl_in_signal_handler())
		return false;
	if (!atomic_exchange(&warned, true))
		tl_warn("threadleak_verify_none() and threadleak_report_json() cannot check from a "
		        "signal handler: refused (they return -1 and NULL)");
	return true;
}

/* A check of this thread's that a signal handler left by a jump (siglongjmp out of
 * threadleak_verify_none: a test runner's watchdog) still holds the check's lock and whatever
 * it held when the handler came: a new check here would wait for it for ever. Refuse, and say
 * so once. (An exit from this thread takes the reduced check: exit.c abandon_own_check.) */
static bool refused_after_jump(void)
{
	static atomic_bool warned;
	if (!tl_check_running_here())
		return false;
	if (!atomic_exchange(&warned, true))
		tl_warn(
		    "threadleak_verify_none() and threadleak_report_json(): an earlier check of "
		    "this thread was left by a jump out of a signal handler (siglongjmp) and never "
		    "ended: refused (they return -1 and NULL)");
	return true;
}

/* errno as the program left it: the check's own calls set it (a /proc file of a thread gone
 * meanwhile), and a test that checks errno after its own call would see ours */
static int api_check(bool print, char **json)
{
	if (refused_in_handler() || refused_after_jump())
		return -1;
	int saved = errno;
	int n = tl_check(TL_CHECK_API, 0, print, json);
	int on = atomic_load(&exit_check_api);
	if (on >= 0)
		tl_opt.check_at_exit = on;
	errno = saved;
	return n;
}

TL_EXPORT int threadleak_verify_none(void)
{
	tl_ensure_init();
	return api_check(true, NULL);
}

TL_EXPORT char *threadleak_report_json(int *leaked)
{
	tl_ensure_init();
	char *json = NULL;
	int n = api_check(false, &json);
	if (leaked)
		*leaked = n;
	return n < 0 ? NULL : json;
}

TL_EXPORT void threadleak_ignore_current(void)
{
	int saved = errno;
	tl_ensure_init();
	tl_ignore_current();
	errno = saved;
}

TL_EXPORT void threadleak_set_exit_check(int enabled)
{
	tl_ensure_init();
	atomic_store(&exit_check_api, enabled != 0);
	tl_opt.check_at_exit = enabled != 0;
}

TL_EXPORT int threadleak_active(void)
{
	return 1;
}
