/* Uses its own library's libiberty-named functions; no threads at all. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xnames.h"

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
