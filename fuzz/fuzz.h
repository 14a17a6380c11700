/* Shared by the fuzz targets: property failures (common.c) and a strict JSON / UTF-8 checker
 * written independently of report/buf.c (json_check.c). The stubs for the rest of the library,
 * with the fake symbolizer's frames and the recorded warnings, are tests/unit/stubs.h, shared
 * with the unit tests. */
#ifndef TL_FUZZ_H
#define TL_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stubs.h"

#define FUZZ_MAX_FRAMES STUB_MAX_FRAMES

void fuzz_fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* A growable byte string. */
struct fuzz_bytes {
	unsigned char *p;
	size_t len, cap;
};
void fuzz_bytes_put(struct fuzz_bytes *b, const void *s, size_t n);

/* Length (1..4) of the strict UTF-8 sequence at p (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF), or 0 when the bytes there are not one. */
int fuzz_utf8_seq(const unsigned char *p, const unsigned char *end);

/* Strict RFC 8259 check of a whole document: UTF-8 everywhere, no raw control characters in
 * strings, valid escapes, paired surrogate escapes, nothing after the value. */
bool fuzz_json_valid(const char *s, size_t len, const char **why);

/* Parse one JSON string literal at the start of s (len bytes) and append its decoded UTF-8 to
 * out. Returns the number of bytes consumed, 0 if it is not a valid string literal. */
size_t fuzz_json_string(const char *s, size_t len, struct fuzz_bytes *out, const char **why);

#endif
