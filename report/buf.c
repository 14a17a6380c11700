/* The growable buffer the reports are written into, and the two escapings they need: JSON
 * strings that are always valid, and terminal text without control bytes. */
#include "report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tl_buf_put(struct tl_buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (p == NULL) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	if (b->flush && b->len >= TL_BUF_FLUSH_AT)
		tl_buf_flush(b);
}

void tl_buf_flush(struct tl_buf *b)
{
	if (b->flush && b->len > 0 && !b->oom) {
		b->flush(b->p, b->len, b->ctx);
		b->len = 0;
		b->p[0] = '\0';
	}
}

void tl_buf_printf(struct tl_buf *b, const char *fmt, ...)
{
	char small[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		tl_buf_put(b, small, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (big == NULL) {
		b->oom = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	tl_buf_put(b, big, (size_t)n);
	free(big);
}

/* Length of a valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static int utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	int n = (s[0] & 0xe0) == 0xc0   ? 2
	        : (s[0] & 0xf0) == 0xe0 ? 3
	        : (s[0] & 0xf8) == 0xf0 ? 4
	                                : 0;
	if (n == 0 || (n == 2 && s[0] < 0xc2) || (n == 4 && s[0] > 0xf4))
		return 0;
	for (int i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if (n == 3 && ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0)))
		return 0; /* overlong, surrogates */
	if (n == 4 && ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90)))
		return 0;
	return n;
}

/* A JSON string: escapes quotes, backslashes and control characters; invalid UTF-8 bytes
 * become U+FFFD, so the document is always valid. NULL is written as null. */
void tl_buf_json_str(struct tl_buf *b, const char *s)
{
	if (s == NULL) {
		tl_buf_put(b, "null", 4);
		return;
	}
	tl_buf_put(b, "\"", 1);
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned char c = *p;
		if (c == '"' || c == '\\') {
			char e[2] = {'\\', (char)c};
			tl_buf_put(b, e, 2);
			p++;
		} else if (c < 0x20 || c == 0x7f) {
			tl_buf_printf(b, "\\u%04x", c);
			p++;
		} else {
			int n = utf8_len(p);
			if (n == 0) {
				tl_buf_put(b, "\xef\xbf\xbd", 3);
				p++;
			} else {
				tl_buf_put(b, (const char *)p, (size_t)n);
				p += n;
			}
		}
	}
	tl_buf_put(b, "\"", 1);
}

/* The length of the valid UTF-8 character at s, within the n bytes left; 0 when invalid, or a
 * C1 control (U+0080-U+009F: U+009B is CSI to some terminals). */
static size_t utf8_printable(const unsigned char *s, size_t n)
{
	size_t need = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 : 4;
	if (need > n || (s[0] == 0xc2 && s[1] < 0xa0 && s[1] >= 0x80))
		return 0;
	unsigned char c[4] = {0};
	memcpy(c, s, need); /* utf8_len reads up to the length the lead byte says: no further */
	return (size_t)utf8_len(c) == need ? need : 0;
}

/* Untrusted text in a one-line message (a malformed option or suppression line): at most max
 * bytes, then "..."; control bytes and bytes that are no UTF-8 become '?'. No allocation. */
void tl_shown(const char *s, size_t n, size_t max, char *out, size_t outlen)
{
	size_t i = 0, j = 0;
	while (i < n && j + 8 < outlen) {
		if (i >= max) {
			memcpy(out + j, "...", 3);
			j += 3;
			break;
		}
		unsigned char c = (unsigned char)s[i];
		size_t len =
		    c < 0x20 || c == 0x7f ? 0 : utf8_printable((const unsigned char *)s + i, n - i);
		if (len == 0) {
			out[j++] = '?';
			i++;
			continue;
		}
		memcpy(out + j, s + i, len);
		i += len;
		j += len;
	}
	out[j] = '\0';
}

/* Text meant for a terminal: control bytes, C1 controls included (thread names, file names
 * and paths are the program's to choose), are written as \xNN, so an escape sequence cannot
 * retitle or clear the terminal; newlines too, unless they are the report's own line ends.
 * Bytes that are no UTF-8 become U+FFFD, as in the JSON (whose text `threadleak run` prints:
 * both say the same). */
void tl_buf_text(struct tl_buf *b, const char *s, size_t n, bool escape_newlines)
{
	for (size_t i = 0; i < n;) {
		size_t j = i, k;
		while (j < n && (unsigned char)s[j] >= 0x20 && s[j] != 0x7f &&
		       (k = utf8_printable((const unsigned char *)s + j, n - j)) > 0)
			j += k;
		while (j < n && s[j] == '\n' && !escape_newlines)
			j++;
		if (j > i) {
			tl_buf_put(b, s + i, j - i);
			i = j;
			continue;
		}
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f) {
			tl_buf_printf(b, "\\x%02x", c);
			i++;
		} else if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
		           (unsigned char)s[i + 1] < 0xa0) { /* a C1 control */
			tl_buf_printf(b, "\\x%02x\\x%02x", c, (unsigned char)s[i + 1]);
			i += 2;
		} else {
			tl_buf_put(b, "\xef\xbf\xbd", 3);
			i++;
		}
	}
}

/* Text inside HTML (element content or a quoted attribute): markup characters as entities,
 * control bytes as \xNN as on a terminal, invalid UTF-8 as U+FFFD: whatever a program names
 * its threads or files, the page shows it as text. */
void tl_buf_html(struct tl_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	while (*p) {
		unsigned char c = *p;
		const char *e = c == '<'    ? "&lt;"
		                : c == '>'  ? "&gt;"
		                : c == '&'  ? "&amp;"
		                : c == '"'  ? "&quot;"
		                : c == '\'' ? "&#39;"
		                            : NULL;
		if (e) {
			tl_buf_put(b, e, strlen(e));
			p++;
		} else if (c < 0x20 || c == 0x7f) {
			tl_buf_printf(b, "\\x%02x", c);
			p++;
		} else {
			int n = utf8_len(p);
			tl_buf_put(b, n ? (const char *)p : "\xef\xbf\xbd", n ? (size_t)n : 3);
			p += n ? n : 1;
		}
	}
}
