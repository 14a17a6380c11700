/* Stubs for what the unit tests and the fuzz targets need from the rest of libthreadleak: they
 * link single library files (preload/options.c, suppress.c, real.c, report/buf.c) directly,
 * not the library. Everything here is weak, so a program that links or includes the real
 * definition (or a fake of its own) gets that one. See stubs.h. */
#include "tl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stubs.h"

#define WEAK __attribute__((weak))

WEAK struct tl_options tl_opt;
WEAK bool tl_log_quiet;
WEAK pid_t tl_pid; /* real.c tl_getpid falls back to it */
/* what suppress.c and the tests call through real.c's table */
WEAK struct tl_real_table tl_real = {.fstat = fstat, .read = read};

char stub_msgs[STUB_MAX_MSGS][1024];
int stub_nmsgs;

WEAK void stub_bad_warning(const char *msg, size_t pos)
{
	(void)msg;
	(void)pos;
}

/* Formats like log.c; checks the property log.c relies on: a warning built from untrusted
 * text never carries raw control bytes to the terminal. */
WEAK void tl_warn(const char *fmt, ...)
{
	char spare[1024];
	char *buf = stub_nmsgs < STUB_MAX_MSGS ? stub_msgs[stub_nmsgs] : spare;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(spare), fmt, ap);
	va_end(ap);
	if (n < 0)
		snprintf(buf, sizeof(spare), "(vsnprintf failed)");
	stub_nmsgs++;
	size_t len = strnlen(buf, sizeof(spare));
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			stub_bad_warning(buf, i);
			break;
		}
	}
}

WEAK void tl_output(const char *buf, size_t len)
{
	(void)buf;
	(void)len;
}

const char *stub_hook_text;
const char *stub_hook_asked;

/* not under threadleak run: every process says what is wrong */
WEAK bool tl_run_first(const char *key)
{
	(void)key;
	return true;
}

WEAK const char *tl_hook_string(const char *name, struct tl_symbolizer *sym)
{
	(void)sym;
	stub_hook_asked = name;
	return strcmp(name, "threadleak_default_suppressions") == 0 ? stub_hook_text : NULL;
}

const char *stub_fn[STUB_MAX_FRAMES], *stub_mod[STUB_MAX_FRAMES];

WEAK int tl_sym_pc(struct tl_symbolizer *s, uintptr_t pc, bool exact, struct tl_frame *out, int max)
{
	(void)s;
	(void)exact;
	if (max < 1)
		abort();
	memset(out, 0, sizeof(*out));
	out[0].pc = pc;
	if (pc >= 1 && pc <= STUB_MAX_FRAMES) {
		out[0].function = stub_fn[pc - 1];
		out[0].module = stub_mod[pc - 1];
	}
	return 1;
}

/* the C and C++ runtimes, by file name */
WEAK bool tl_module_is_system(const char *m)
{
	const char *b = m ? strrchr(m, '/') : NULL;
	b = b ? b + 1 : m;
	return b && (strncmp(b, "libc.so", 7) == 0 || strncmp(b, "libstdc++.so", 12) == 0);
}

WEAK bool tl_pc_is_own(uintptr_t pc)
{
	(void)pc;
	return false;
}

WEAK const char *tl_module_of_pc(uintptr_t pc)
{
	(void)pc;
	return NULL;
}

WEAK bool tl_kernel_comm(pid_t tid, char *buf, size_t len)
{
	(void)tid;
	(void)len;
	buf[0] = '\0'; /* no task to read: no name, and no creator's to compare with */
	return false;
}

WEAK const struct tl_default_set tl_default_sets[] = {
    {"libc", "glibc's helpers", "start:timer_helper_thread\nstart:helper_thread\n"},
    {NULL, NULL, NULL},
};

WEAK void tl_real_find(enum tl_real_id id)
{
	(void)id;
}

WEAK int64_t tl_now_ns(void)
{
	return 0;
}

WEAK void tl_suppress_used(struct tl_buf *b, bool json)
{
	(void)b;
	(void)json;
}

/* ---- the harness ---- */
int unit_failures, unit_checks;
const char *unit_current;

void stub_dump_msgs(void)
{
	for (int i = 0; i < stub_nmsgs && i < STUB_MAX_MSGS; i++)
		fprintf(stderr, "    warning %d: %s\n", i, stub_msgs[i]);
}

WEAK void unit_explain(void)
{
	stub_dump_msgs();
}

int unit_result(void)
{
	if (unit_failures) {
		fprintf(stderr, "%d of %d checks failed\n", unit_failures, unit_checks);
		return 1;
	}
	printf("ok: %d checks\n", unit_checks);
	return 0;
}
