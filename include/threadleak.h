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
 * before 2.34 link with -ldl. Usable from C (C89 on) and C++; the header defines no feature
 * macro. `pkg-config --cflags --libs threadleak` gives the include directory, -ldl when
 * needed, and -Wl,--export-dynamic-symbol for the hooks a program may define,
 * threadleak_default_options() and threadleak_default_suppressions() (without it they are
 * still found, in the symbol table, at the first check). */
#ifndef THREADLEAK_H
#define THREADLEAK_H

#ifndef THREADLEAK_BUILDING
/* No feature macro is defined here: the program's own choice (say, the XSI strerror_r) must
 * not depend on whether this header comes first. */
#include <dlfcn.h>
#include <stddef.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Hooks the program may define, the LeakSanitizer way: options applied before
 * THREADLEAK_OPTIONS, and suppression rules added to the suppression files'. Declared here so
 * that a definition in C++ gets C linkage, the name the library looks for (one without this
 * declaration is found at the first check, by its C++ name). */
const char *threadleak_default_options(void);
const char *threadleak_default_suppressions(void);

#ifdef THREADLEAK_BUILDING
/* Definitions, in libthreadleak.so. */
int threadleak_verify_none(void);
char *threadleak_report_json(int *leaked);
void threadleak_ignore_current(void);
void threadleak_set_exit_check(int enabled);
int threadleak_active(void);
#else

#ifdef RTLD_DEFAULT
#define THREADLEAK_DEFAULT_ RTLD_DEFAULT
#else
#define THREADLEAK_DEFAULT_ ((void *)0) /* glibc before 2.34 defines it only with _GNU_SOURCE */
#endif
/* dlsym returns an object pointer: ISO C has no cast to a function pointer (-pedantic says so),
 * POSIX guarantees it works. */
#if defined(__cplusplus) && defined(__GNUC__)
#define THREADLEAK_FN_(name, type) \
	(__extension__ reinterpret_cast<type>(dlsym(THREADLEAK_DEFAULT_, name)))
#elif defined(__cplusplus)
#define THREADLEAK_FN_(name, type) (reinterpret_cast<type>(dlsym(THREADLEAK_DEFAULT_, name)))
#elif defined(__GNUC__)
#define THREADLEAK_FN_(name, type) (__extension__(type) dlsym(THREADLEAK_DEFAULT_, name))
#else
#define THREADLEAK_FN_(name, type) ((type)dlsym(THREADLEAK_DEFAULT_, name))
#endif
#if defined(__cplusplus) && __cplusplus >= 201103L
#define THREADLEAK_NULL_ nullptr
#else
#define THREADLEAK_NULL_ NULL
#endif
#if defined(__cplusplus) || (defined(__STDC_VERSION__) && __STDC_VERSION__ >= 199901L)
#define THREADLEAK_INLINE_ static inline
#else
#define THREADLEAK_INLINE_ static __inline__ /* C89 */
#endif

/* Nonzero when the program runs under threadleak. */
THREADLEAK_INLINE_ int threadleak_active(void)
{
	return THREADLEAK_FN_("threadleak_active", int (*)(void)) != THREADLEAK_NULL_;
}

/* Check now: every live thread but the caller and the ignored ones, after the grace period
 * (grace_ms). Prints the report (text or JSON, per THREADLEAK_OPTIONS) when there are leaks.
 * Returns the number of leaked threads that fail the check (suppressed ones excluded; with
 * the option fail_on=unreachable only the proven ones: the report's "failing"); 0 without
 * threadleak.
 * From a signal handler it refuses (the check takes locks that the interrupted code may hold,
 * malloc's among them): it returns -1 and says so once on stderr. So it does in a thread whose
 * earlier check a handler left by siglongjmp (that check never ended, and holds its lock). */
THREADLEAK_INLINE_ int threadleak_verify_none(void)
{
	int (*f)(void) = THREADLEAK_FN_("threadleak_verify_none", int (*)(void));
	return f ? f() : 0;
}

/* Like threadleak_verify_none() but prints nothing: returns the JSON report (free() it), or
 * NULL without threadleak; *leaked (if not NULL) gets the number verify_none would return. From a
 * signal handler it refuses: NULL, and *leaked gets -1. */
THREADLEAK_INLINE_ char *threadleak_report_json(int *leaked)
{
	char *(*f)(int *) = THREADLEAK_FN_("threadleak_report_json", char *(*)(int *));
	if (f)
		return f(leaked);
	if (leaked)
		*leaked = 0;
	return THREADLEAK_NULL_;
}

/* Every thread alive now is expected from now on (goleak's IgnoreCurrent). */
THREADLEAK_INLINE_ void threadleak_ignore_current(void)
{
	void (*f)(void) = THREADLEAK_FN_("threadleak_ignore_current", void (*)(void));
	if (f)
		f();
}

/* Turn the check at exit off (0) or on (1), e.g. when a test runner checks after each test. */
THREADLEAK_INLINE_ void threadleak_set_exit_check(int enabled)
{
	void (*f)(int) = THREADLEAK_FN_("threadleak_set_exit_check", void (*)(int));
	if (f)
		f(enabled);
}

#undef THREADLEAK_FN_
#undef THREADLEAK_DEFAULT_
#undef THREADLEAK_INLINE_
#undef THREADLEAK_NULL_
#endif /* THREADLEAK_BUILDING */

#ifdef __cplusplus
}
#endif
#endif
