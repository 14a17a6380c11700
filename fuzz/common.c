/* Shared by the fuzz targets: a property failure aborts (libFuzzer keeps the input), and so
 * does a warning with a raw control byte (tests/unit/stubs.c tl_warn checks every one). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "stubs.h"

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

void stub_bad_warning(const char *msg, size_t pos)
{
	fprintf(stderr, "warning: %s\n", msg);
	fuzz_fail("tl_warn: raw control byte 0x%02x at %zu in a warning", (unsigned char)msg[pos],
	          pos);
}
