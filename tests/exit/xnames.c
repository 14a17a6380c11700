/* Uses its own library's libiberty-named functions; no threads at all. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
void *xcalloc(size_t a, size_t b);
char *xstrdup(const char *s);
void xfree(void *p);
void xexit(int code);
char *cplus_demangle(const char *name, int options);
extern int xexit_calls;

int main(void)
{
	char *a = xmalloc(16);
	strcpy(a, "abc");
	a = xrealloc(a, 32);
	char *b = xstrdup("hello");
	char *c = xcalloc(4, 4);
	char *d = cplus_demangle("_Z3foov", 0);
	xexit(2);
	printf("%s %s %d %s %d\n", a, b, c[3], d, xexit_calls);
	xfree(a);
	xfree(b);
	xfree(c);
	xfree(d);
	return 0;
}
