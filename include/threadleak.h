/* threadleak: find leaked threads. Public API for test runners.
 *
 * Include this header and call the functions below; a program built with it runs unchanged
 * without threadleak (the calls then do nothing and report no leaks). Under
 * LD_PRELOAD=libthreadleak.so (or `threadleak run`) they check for real.
 *
 *   threadleak_ignore_current();        // before a test: threads alive now are expected
 *   run_test();
 *   if (threadleak_verify_none() > 0)   // after it: like goleak.VerifyNone
 *       fail("leaked threads");
 *
 * The functions are looked up at run time (dlsym), so no link flag is needed; with glibc
 * before 2.34 link with -ldl. Usable from C and C++. */
#ifndef THREADLEAK_H
#define THREADLEAK_H

#ifdef __cplusplus
extern "C" {
#endif

#ifdef THREADLEAK_BUILDING
/* Definitions, in libthreadleak.so. */
int threadleak_verify_none(void);
char *threadleak_report_json(int *leaked);
void threadleak_ignore_current(void);
void threadleak_set_exit_check(int enabled);
int threadleak_active(void);
#else

#ifndef _GNU_SOURCE
#define THREADLEAK_UNDEF_GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#ifdef THREADLEAK_UNDEF_GNU_SOURCE
#undef _GNU_SOURCE
#undef THREADLEAK_UNDEF_GNU_SOURCE
#endif

#define THREADLEAK_FN_(name, type) ((type)dlsym(RTLD_DEFAULT, name))

/* Nonzero when the program runs under threadleak. */
static inline int threadleak_active(void)
{
	return THREADLEAK_FN_("threadleak_active", int (*)(void)) != 0;
}

/* Check now: every live thread but the caller and the ignored ones, after the grace period
 * (grace_ms). Prints the report (text or JSON, per THREADLEAK_OPTIONS) when there are leaks.
 * Returns the number of leaked threads (suppressed ones excluded); 0 without threadleak. */
static inline int threadleak_verify_none(void)
{
	int (*f)(void) = THREADLEAK_FN_("threadleak_verify_none", int (*)(void));
	return f ? f() : 0;
}

/* Like threadleak_verify_none() but prints nothing: returns the JSON report (free() it), or
 * NULL without threadleak; *leaked (if not NULL) gets the number of leaked threads. */
static inline char *threadleak_report_json(int *leaked)
{
	char *(*f)(int *) = THREADLEAK_FN_("threadleak_report_json", char *(*)(int *));
	if (f)
		return f(leaked);
	if (leaked)
		*leaked = 0;
	return 0;
}

/* Every thread alive now is expected from now on (goleak's IgnoreCurrent). */
static inline void threadleak_ignore_current(void)
{
	void (*f)(void) = THREADLEAK_FN_("threadleak_ignore_current", void (*)(void));
	if (f)
		f();
}

/* Turn the check at exit off (0) or on (1), e.g. when a test runner checks after each test. */
static inline void threadleak_set_exit_check(int enabled)
{
	void (*f)(int) = THREADLEAK_FN_("threadleak_set_exit_check", void (*)(int));
	if (f)
		f(enabled);
}

#undef THREADLEAK_FN_
#endif /* THREADLEAK_BUILDING */

#ifdef __cplusplus
}
#endif
#endif
