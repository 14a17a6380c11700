/* A library that defines names libiberty also defines (as libreadline, libbfd, libgettextlib
 * do), with different behaviour: its xmalloc puts a header before each block and its xfree
 * checks it. If a preloaded library exports libiberty's xmalloc, the program's xmalloc binds
 * there and xfree aborts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xnames.h"

#define MAGIC 0x5eedf00dcafeULL

struct hdr {
	unsigned long long magic;
	size_t size;
};

void *xmalloc(size_t n)
{
	struct hdr *h = malloc(sizeof(*h) + n);
	if (h == NULL)
		abort();
	h->magic = MAGIC;
	h->size = n;
	return h + 1;
}

void *xrealloc(void *p, size_t n)
{
	void *q = xmalloc(n);
	if (p) {
		struct hdr *h = (struct hdr *)p - 1;
		memcpy(q, p, h->size < n ? h->size : n);
	}
	return q;
}

void *xcalloc(size_t a, size_t b)
{
	void *p = xmalloc(a * b);
	memset(p, 0, a * b);
	return p;
}

char *xstrdup(const char *s)
{
	char *p = xmalloc(strlen(s) + 1);
	return strcpy(p, s);
}

void xfree(void *p)
{
	if (p == NULL)
		return;
	struct hdr *h = (struct hdr *)p - 1;
	if (h->magic != MAGIC) {
		fprintf(stderr, "xfree: not my block\n");
		abort();
	}
	h->magic = 0;
	free(h);
}

/* libiberty's xexit(int) exits; ours only counts */
int xexit_calls;
void xexit(int code)
{
	xexit_calls += code;
}

/* libiberty's cplus_demangle(const char *, int) returns a malloc'd string or NULL */
char *cplus_demangle(const char *name, int options)
{
	(void)options;
	return xstrdup(name);
}
