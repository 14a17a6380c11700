/* Stubs for what the fuzzed library files need from the rest of libthreadleak: the
 * fuzz targets link preload/options.c, suppress.c and report/buf.c directly, not the library.
 * Everything here is weak, so a target that links the real definition gets the real one.
 * tl_warn formats like log.c and checks the property log.c relies on: a warning built from
 * untrusted text never carries raw control bytes to the terminal. */
#include "tl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

#define WEAK __attribute__((weak))

WEAK struct tl_options tl_opt;
WEAK bool tl_log_quiet;

WEAK void tl_warn(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		fuzz_fail("tl_warn: vsnprintf failed");
	size_t len = strnlen(buf, sizeof(buf));
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			fprintf(stderr, "warning: %s\n", buf);
			fuzz_fail("tl_warn: raw control byte 0x%02x at %zu in a warning", c, i);
		}
	}
	fuzz_warnings++;
}

WEAK void tl_output(const char *buf, size_t len)
{
	(void)buf;
	(void)len;
}

WEAK const char *tl_hook_string(const char *name, struct tl_symbolizer *sym)
{
	(void)name;
	(void)sym;
	return NULL;
}

/* the fake symbolizer: pc N (1-based) is frame N-1 of fuzz_fn/fuzz_mod */
const char *fuzz_fn[FUZZ_MAX_FRAMES], *fuzz_mod[FUZZ_MAX_FRAMES];

WEAK int tl_sym_pc(struct tl_symbolizer *s, uintptr_t pc, bool exact, struct tl_frame *out, int max)
{
	(void)s;
	(void)exact;
	if (max < 1)
		fuzz_fail("tl_sym_pc: max %d", max);
	memset(out, 0, sizeof(*out));
	out[0].pc = pc;
	if (pc >= 1 && pc <= FUZZ_MAX_FRAMES) {
		out[0].function = fuzz_fn[pc - 1];
		out[0].module = fuzz_mod[pc - 1];
	}
	return 1;
}

WEAK bool tl_module_is_system(const char *module)
{
	return module != NULL && strstr(module, "/libc.so") != NULL;
}

WEAK bool tl_pc_is_own(uintptr_t pc)
{
	(void)pc;
	return false;
}

WEAK const struct tl_default_set tl_default_sets[] = {
    {"libc", "glibc's helpers", "start:timer_helper_thread\nstart:helper_thread\n"},
    {NULL, NULL, NULL},
};

WEAK ssize_t (*tl_real_read)(int, void *, size_t) = read;

WEAK void tl_real_find(enum tl_real_id id)
{
	(void)id;
}

WEAK int64_t tl_now_ns(void)
{
	return 0;
}

WEAK void tl_suppress_used(struct tl_buf *b, bool json)
{
	(void)b;
	(void)json;
}

int fuzz_warnings;

void fuzz_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "FUZZ PROPERTY FAILED: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	abort();
}
