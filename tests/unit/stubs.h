/* What the unit tests (tests/unit/) and the fuzz targets (fuzz/) share: stubs for the parts of
 * libthreadleak that the file under test calls (stubs.c, all weak, so a program that links the
 * real definition gets the real one) and a small check harness. */
#ifndef TL_UNIT_STUBS_H
#define TL_UNIT_STUBS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* tl_warn() records each message (the first STUB_MAX_MSGS of them) and counts them all. */
#define STUB_MAX_MSGS 64
extern char stub_msgs[STUB_MAX_MSGS][1024];
extern int stub_nmsgs;
/* Called by tl_warn() for a warning that carries a raw control byte at pos (log.c relies on
 * warnings never doing so): nothing by default, the fuzz targets make it a failure. */
void stub_bad_warning(const char *msg, size_t pos);

/* tl_hook_string("threadleak_default_suppressions") returns stub_hook_text; the name last
 * asked for is kept in stub_hook_asked. */
extern const char *stub_hook_text;
extern const char *stub_hook_asked;

/* tl_sym_pc(): pc N (1-based) is frame N-1 of these (function, module) pairs. */
#define STUB_MAX_FRAMES 8
extern const char *stub_fn[STUB_MAX_FRAMES], *stub_mod[STUB_MAX_FRAMES];

/* ---- the harness: CHECK counts, prints a failure with its context and goes on ---- */
extern int unit_failures, unit_checks;
extern const char *unit_current; /* the case running, for failure messages */
/* What a failure prints after its own line: the recorded warnings by default. */
void unit_explain(void);
void stub_dump_msgs(void);
/* Prints the count; the exit status of the test program. */
int unit_result(void);

#define CHECK(cond, ...)                                                                    \
	do {                                                                                \
		unit_checks++;                                                              \
		if (!(cond)) {                                                              \
			unit_failures++;                                                    \
			fprintf(stderr,                                                     \
			        "FAIL [%s] %s:%d: %s: ", unit_current ? unit_current : "-", \
			        __FILE__, __LINE__, #cond);                                 \
			fprintf(stderr, __VA_ARGS__);                                       \
			fputc('\n', stderr);                                                \
			unit_explain();                                                     \
		}                                                                           \
	} while (0)

#endif
