/* A strict JSON and UTF-8 checker for the fuzz targets, written from RFC 8259 and RFC 3629
 * without looking at report/buf.c, so that the two do not share a mistake. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

void fuzz_bytes_put(struct fuzz_bytes *b, const void *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (b->p == NULL)
			fuzz_fail("out of memory");
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

int fuzz_utf8_seq(const unsigned char *p, const unsigned char *end)
{
	if (p >= end)
		return 0;
	unsigned c = p[0];
	int n;
	uint32_t cp, min;
	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0) {
		n = 2, cp = c & 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3, cp = c & 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		n = 4, cp = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (end - p < n)
		return 0;
	for (int i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static void put_utf8(struct fuzz_bytes *out, uint32_t cp)
{
	unsigned char b[4];
	size_t n;
	if (cp < 0x80) {
		b[0] = (unsigned char)cp, n = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | (cp >> 6)),
		b[1] = (unsigned char)(0x80 | (cp & 0x3f)), n = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xe0 | (cp >> 12)),
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp & 0x3f)), n = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | (cp >> 18)),
		b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f)),
		b[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	if (out)
		fuzz_bytes_put(out, b, n);
}

static int hex4(const unsigned char *p, const unsigned char *end, uint32_t *v)
{
	if (end - p < 4)
		return 0;
	*v = 0;
	for (int i = 0; i < 4; i++) {
		unsigned c = p[i];
		int d = c >= '0' && c <= '9'   ? (int)(c - '0')
		        : c >= 'a' && c <= 'f' ? (int)(c - 'a' + 10)
		        : c >= 'A' && c <= 'F' ? (int)(c - 'A' + 10)
		                               : -1;
		if (d < 0)
			return 0;
		*v = *v * 16 + (uint32_t)d;
	}
	return 1;
}

size_t fuzz_json_string(const char *s, size_t len, struct fuzz_bytes *out, const char **why)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len, *start = p;
	if (p >= end || *p != '"')
		return *why = "string: no opening quote", 0;
	p++;
	while (p < end) {
		unsigned c = *p;
		if (c == '"')
			return (size_t)(p + 1 - start);
		if (c < 0x20)
			return *why = "string: raw control character", 0;
		if (c == '\\') {
			if (end - p < 2)
				return *why = "string: truncated escape", 0;
			unsigned e = p[1];
			const char *simple = "\"\\/bfnrt";
			const char *val = "\"\\/\b\f\n\r\t";
			const char *k = e ? strchr(simple, (int)e) : NULL;
			if (k) {
				if (out)
					fuzz_bytes_put(out, &val[k - simple], 1);
				p += 2;
				continue;
			}
			if (e != 'u')
				return *why = "string: bad escape", 0;
			uint32_t u;
			if (!hex4(p + 2, end, &u))
				return *why = "string: bad \\u escape", 0;
			p += 6;
			if (u >= 0xdc00 && u <= 0xdfff)
				return *why = "string: lone low surrogate escape", 0;
			if (u >= 0xd800 && u <= 0xdbff) {
				uint32_t lo;
				if (end - p < 6 || p[0] != '\\' || p[1] != 'u' ||
				    !hex4(p + 2, end, &lo) || lo < 0xdc00 || lo > 0xdfff)
					return *why = "string: unpaired high surrogate escape", 0;
				u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
				p += 6;
			}
			put_utf8(out, u);
			continue;
		}
		int n = fuzz_utf8_seq(p, end);
		if (n == 0)
			return *why = "string: invalid UTF-8", 0;
		if (out)
			fuzz_bytes_put(out, p, (size_t)n);
		p += n;
	}
	return *why = "string: no closing quote", 0;
}

struct jp {
	const unsigned char *p, *end;
	int depth;
	const char *why;
};

static void skip_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static bool lit(struct jp *j, const char *w)
{
	size_t n = strlen(w);
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
		return j->why = "bad literal", false;
	j->p += n;
	return true;
}

static bool digits(struct jp *j)
{
	const unsigned char *s = j->p;
	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return j->p > s;
}

static bool number(struct jp *j)
{
	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p < j->end && *j->p == '0')
		j->p++;
	else if (j->p >= j->end || *j->p < '1' || *j->p > '9' || !digits(j))
		return j->why = "bad number", false;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (!digits(j))
			return j->why = "bad fraction", false;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (!digits(j))
			return j->why = "bad exponent", false;
	}
	return true;
}

static bool value(struct jp *j);

static bool string_value(struct jp *j)
{
	size_t n = fuzz_json_string((const char *)j->p, (size_t)(j->end - j->p), NULL, &j->why);
	j->p += n;
	return n > 0;
}

static bool container(struct jp *j, char close, bool object)
{
	if (++j->depth > 256)
		return j->why = "too deep", false;
	j->p++;
	skip_ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		j->depth--;
		return true;
	}
	for (;;) {
		skip_ws(j);
		if (object) {
			if (!string_value(j))
				return false;
			skip_ws(j);
			if (j->p >= j->end || *j->p != ':')
				return j->why = "object: no colon", false;
			j->p++;
		}
		if (!value(j))
			return false;
		skip_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == close) {
			j->p++;
			j->depth--;
			return true;
		}
		return j->why = "container: expected , or close", false;
	}
}

static bool value(struct jp *j)
{
	skip_ws(j);
	if (j->p >= j->end)
		return j->why = "no value", false;
	switch (*j->p) {
	case '{':
		return container(j, '}', true);
	case '[':
		return container(j, ']', false);
	case '"':
		return string_value(j);
	case 't':
		return lit(j, "true");
	case 'f':
		return lit(j, "false");
	case 'n':
		return lit(j, "null");
	default:
		return number(j);
	}
}

bool fuzz_json_valid(const char *s, size_t len, const char **why)
{
	struct jp j = {(const unsigned char *)s, (const unsigned char *)s + len, 0, NULL};
	bool ok = value(&j);
	if (ok) {
		skip_ws(&j);
		if (j.p != j.end)
			ok = false, j.why = "trailing bytes";
	}
	if (!ok && why)
		*why = j.why ? j.why : "invalid";
	return ok;
}
