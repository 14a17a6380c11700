/* libthreadleak-demangle.so: GNU libiberty's demangler (C++, Rust legacy and v0), built beside
 * the preloaded library and loaded by it on its first report (preload/deps.c). Linked into the
 * preloaded library itself, libiberty's tables were 3 KiB of pointers that the loader relocates
 * in every process, /bin/true included: a page fault each process paid at start for a report
 * it almost never writes (docs/internals.md, Process start). */
#include <libiberty/demangle.h>

char *tl_demangle_module(const char *name, int options);

__attribute__((visibility("default"))) char *tl_demangle_module(const char *name, int options)
{
	return cplus_demangle(name, options);
}
