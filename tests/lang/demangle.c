/* Demangling as threadleak does it: linked with report/symbolize.c, calls tl_demangle (GNU
 * libiberty's cplus_demangle with DMGL_PARAMS | DMGL_ANSI) on each line of stdin and prints
 * "mangled<TAB>demangled", or "mangled<TAB>-" when the name is not mangled (NULL). The names
 * come from real binaries (test_demangle.py). */
#include "tl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* what symbolize.c and deps.c need from the rest of the library */
void tl_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

bool tl_pc_is_own(uintptr_t pc)
{
	(void)pc;
	return false;
}

int tl_high_fd(int fd)
{
	return fd;
}

pid_t tl_pid; /* real.c's tl_getpid falls back to it */

int main(void)
{
	char line[65536];
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0')
			continue;
		char *d = tl_demangle(line);
		printf("%s\t%s\n", line, d ? d : "-");
		free(d);
	}
	return 0;
}
