/* libxnames: names libiberty also defines, with behaviour of its own */
#include <stddef.h>

void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
void *xcalloc(size_t a, size_t b);
char *xstrdup(const char *s);
void xfree(void *p);
void xexit(int code);
char *cplus_demangle(const char *name, int options);
extern int xexit_calls;
