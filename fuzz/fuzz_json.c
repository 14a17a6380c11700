/* libFuzzer target: the JSON string writer (report/buf.c tl_buf_json_str).
 * Properties: the output is one valid JSON string literal and valid UTF-8 (checked by
 * json_check.c, written independently); decoding it gives back the input with each byte
 * that does not start a valid UTF-8 sequence replaced by U+FFFD (and nothing else changed);
 * many strings appended to one buffer (growth) make a valid JSON array. */
#include "tl.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

/* What the decoded output must be, computed without buf.c's code. */
static void expected(const unsigned char *s, size_t n, struct fuzz_bytes *out)
{
	const unsigned char *p = s, *end = s + n;
	while (p < end) {
		int k = fuzz_utf8_seq(p, end);
		if (k == 0) {
			fuzz_bytes_put(out, "\xef\xbf\xbd", 3);
			p++;
		} else {
			fuzz_bytes_put(out, p, (size_t)k);
			p += k;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	size_t n = strlen(s); /* the writer takes C strings: up to the first NUL */

	struct tl_buf b = {0};
	tl_buf_json_str(&b, s);
	if (b.oom)
		fuzz_fail("oom");
	const char *why = NULL;
	if (!fuzz_json_valid(b.p, b.len, &why))
		fuzz_fail("not valid JSON (%s): %.200s", why, b.p);
	struct fuzz_bytes got = {0}, want = {0};
	size_t used = fuzz_json_string(b.p, b.len, &got, &why);
	if (used != b.len)
		fuzz_fail("not one string literal (%s)", why ? why : "trailing bytes");
	expected((const unsigned char *)s, n, &want);
	if (got.len != want.len || (got.len && memcmp(got.p, want.p, got.len) != 0))
		fuzz_fail("decoded output differs from the input (%zu vs %zu bytes)", got.len,
		          want.len);
	if (b.len != strlen(b.p))
		fuzz_fail("NUL byte inside the output");

	/* growth: the same string and NULL many times into one array */
	struct tl_buf a = {0};
	tl_buf_put(&a, "[", 1);
	int times = 1 + (int)(size % 7);
	for (int i = 0; i < times; i++) {
		if (i)
			tl_buf_put(&a, ",", 1);
		tl_buf_json_str(&a, (i & 1) ? NULL : s + (size_t)i % (n + 1));
	}
	tl_buf_printf(&a, ",%d]", times);
	if (a.oom || !fuzz_json_valid(a.p, a.len, &why))
		fuzz_fail("array not valid JSON (%s)", why);
	free(a.p);
	free(b.p);
	free(got.p);
	free(want.p);
	free(s);
	return 0;
}
