/* report/buf.c's text for a terminal: what a program names its threads and files reaches the
 * terminal only as printable UTF-8; control bytes, C1 controls (U+009B is CSI to some
 * terminals) as \xNN; bytes that are no UTF-8 (a name cut inside a character included) as
 * U+FFFD, as the JSON has them. */
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failed;

static void expect(const char *in, size_t n, bool escape_newlines, const char *want)
{
	struct tl_buf b = {0};
	tl_buf_text(&b, in, n, escape_newlines);
	tl_buf_put(&b, "", 1);
	if (b.p == NULL || strcmp(b.p, want) != 0) {
		fprintf(stderr, "FAIL: text of %zu bytes: got \"%s\", want \"%s\"\n", n,
		        b.p ? b.p : "(null)", want);
		failed++;
	}
	free(b.p);
}

#define EXPECT(in, nl, want) expect(in, sizeof(in) - 1, nl, want)

int main(void)
{
	EXPECT("plain name", false, "plain name");
	EXPECT("new\nline", true, "new\\x0aline");
	EXPECT("two\nlines", false, "two\nlines");
	EXPECT("\x1b[31mred", false, "\\x1b[31mred");
	EXPECT("del\x7f", false, "del\\x7f");
	EXPECT("\xc3\xbc-umlaut \xe2\x82\xac \xf0\x9f\x98\x80", false,
	       "\xc3\xbc-umlaut \xe2\x82\xac \xf0\x9f\x98\x80");
	EXPECT("\xff\xfe bad", false, "\xef\xbf\xbd\xef\xbf\xbd bad");
	EXPECT("csi\xc2\x9b"
	       "2J",
	       false, "csi\\xc2\\x9b2J");
	EXPECT("nbsp\xc2\xa0ok", false, "nbsp\xc2\xa0ok");
	EXPECT("lone\xc2"
	       "A",
	       false,
	       "lone\xef\xbf\xbd"
	       "A");
	EXPECT("lone\xc2\n", false, "lone\xef\xbf\xbd\n");
	EXPECT("lone\xc2\xe2\x82\xac", false, "lone\xef\xbf\xbd\xe2\x82\xac");
	EXPECT("overlong\xc0\xaf", false, "overlong\xef\xbf\xbd\xef\xbf\xbd");
	EXPECT("surrogate\xed\xa0\x80", false, "surrogate\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	/* a name cut inside a character: the bytes that are there, escaped, nothing read past */
	expect("cut\xe2\x82\xac", 5, false, "cut\xef\xbf\xbd\xef\xbf\xbd");
	if (failed)
		return 1;
	puts("ok");
	return 0;
}
