/* The public API (include/threadleak.h): what a test runner calls mid-run. */
#define THREADLEAK_BUILDING 1
#include "threadleak.h"
#include "tl.h"

#include <stdlib.h>

TL_EXPORT int threadleak_verify_none(void)
{
	tl_ensure_init();
	return tl_check(TL_CHECK_API, 0, true, NULL);
}

TL_EXPORT char *threadleak_report_json(int *leaked)
{
	tl_ensure_init();
	char *json = NULL;
	int n = tl_check(TL_CHECK_API, 0, false, &json);
	if (leaked)
		*leaked = n;
	return json;
}

TL_EXPORT void threadleak_ignore_current(void)
{
	tl_ensure_init();
	tl_ignore_current();
}

TL_EXPORT void threadleak_set_exit_check(int enabled)
{
	tl_ensure_init();
	tl_opt.check_at_exit = enabled != 0;
}

TL_EXPORT int threadleak_active(void)
{
	return 1;
}
