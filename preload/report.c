/* The report writers: goleak-style text for people, one JSON document per process for
 * machines (schema in docs/report-schema.md). Both read a finished struct tl_report. */
#include "tl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- buffer ---- */
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

/* ---- shared helpers ---- */
static const char *state_name(int st)
{
	switch (st) {
	case TL_ST_BLOCKED:
		return "blocked";
	case TL_ST_RUNNING:
		return "running";
	case TL_ST_EXITED:
		return "exited";
	case TL_ST_UNTRACKED:
		return "untracked";
	}
	return "unknown";
}

static int64_t blocked_ms(const struct tl_report *r, const struct tl_seen *s)
{
	(void)r;
	if (s->state != TL_ST_BLOCKED || s->since_ns == 0)
		return -1;
	int64_t d = tl_now_ns() - s->since_ns;
	return d < 0 ? 0 : d / 1000000;
}

static void exe_path(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/thread-self/exe", buf, len - 1);
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	if (n == 0)
		snprintf(buf, len, "%s", program_invocation_name ? program_invocation_name : "?");
}

/* Frames of a stack, inline expanded, our own dropped. Returns count written to out. */
static int expand(struct tl_report *r, const uintptr_t *pcs, int n, uint64_t exact,
                  struct tl_frame *out, int max)
{
	int k = 0;
	for (int i = 0; i < n && k < max; i++) {
		struct tl_frame fr[8];
		int m = tl_sym_pc(r->sym, pcs[i], (exact >> i) & 1, fr, 8);
		for (int j = 0; j < m && k < max; j++)
			if (!fr[j].own)
				out[k++] = fr[j];
	}
	return k;
}

const char *tl_start_name(struct tl_report *r, struct tl_seen *s)
{
	if (s->start_name)
		return s->start_name;
	if (s->start == NULL)
		return NULL;
	struct tl_frame fr[8];
	int m = tl_sym_pc(r->sym, (uintptr_t)s->start, true, fr, 8);
	return fr[m - 1].function;
}

/* Frames of the runtime that starts threads for the program: libc and libstdc++, C++'s
 * std::thread (inlined into the program at -O2), and Rust's std, which is linked into the
 * program itself. The "created by" headline names the first frame past them. */
static bool creator_runtime_frame(const struct tl_frame *f)
{
	static const char *const prefixes[] = {
	    "std::thread::",         "<std::thread::", "std::sys::",
	    "<std::sys::",           "std::rt::",      "core::ops::function::",
	    "<core::ops::function::"};
	if (tl_module_is_system(f->module))
		return true;
	/* inlined from the C++ library's headers or Rust's std sources */
	static const char *const dirs[] = {"/usr/include/", "/usr/lib/gcc/", "/rustc/"};
	for (size_t i = 0; f->file && i < TL_ARRAY_SIZE(dirs); i++)
		if (strncmp(f->file, dirs[i], strlen(dirs[i])) == 0)
			return true;
	if (f->function == NULL)
		return false;
	for (size_t i = 0; i < TL_ARRAY_SIZE(prefixes); i++)
		if (strncmp(f->function, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return strstr(f->function, "__rust_begin_short_backtrace") != NULL;
}

/* ---- text ---- */
static const char *shorten(const char *path, const char *cwd, size_t cwdlen)
{
	if (path && cwdlen > 1 && strncmp(path, cwd, cwdlen) == 0 && path[cwdlen] == '/')
		return path + cwdlen + 1;
	return path;
}

static const char *module_base(const char *module)
{
	const char *slash = module ? strrchr(module, '/') : NULL;
	return slash ? slash + 1 : (module ? module : "?");
}

static void text_frame(struct tl_buf *b, const struct tl_frame *f, const char *cwd, size_t cwdlen)
{
	const char *fn = f->function ? f->function : "??";
	if (f->file && f->line > 0) {
		tl_buf_printf(b, "    %s%s at %s:%d\n", fn, f->inlined ? " (inlined)" : "",
		              shorten(f->file, cwd, cwdlen), f->line);
	} else {
		tl_buf_printf(b, "    %s (%s+0x%lx)\n", fn, module_base(f->module),
		              (unsigned long)f->offset);
	}
}

static void text_duration(struct tl_buf *b, int64_t ms)
{
	if (ms < 0)
		return;
	if (ms < 1000)
		tl_buf_printf(b, " for %lldms", (long long)ms);
	else if (ms < 60000)
		tl_buf_printf(b, " for %.1fs", (double)ms / 1000.0);
	else
		tl_buf_printf(b, " for %lldm%llds", (long long)(ms / 60000),
		              (long long)(ms % 60000) / 1000);
}

/* Text meant for a terminal: control bytes (thread names, file names and paths are the
 * program's to choose) are written as \xNN, so an escape sequence cannot retitle or clear the
 * terminal; newlines too, unless they are the report's own line ends. */
static void text_str(struct tl_buf *b, const char *s, size_t n, bool escape_newlines)
{
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && (unsigned char)s[j] >= 0x20 && s[j] != 0x7f)
			j++;
		while (j < n && s[j] == '\n' && !escape_newlines)
			j++;
		if (j > i) {
			tl_buf_put(b, s + i, j - i);
			i = j;
			continue;
		}
		tl_buf_printf(b, "\\x%02x", (unsigned char)s[i]);
		i++;
	}
}

static void text_thread_line(struct tl_buf *b, struct tl_report *r, struct tl_seen *s, bool first)
{
	if (s->number)
		tl_buf_printf(b, "%s %llu (tid %d", first ? "Thread" : "  thread",
		              (unsigned long long)s->number, (int)s->tid);
	else
		tl_buf_printf(b, "%s tid %d (untracked", first ? "Thread" : "  thread",
		              (int)s->tid);
	if (s->name[0]) {
		tl_buf_put(b, ", \"", 3);
		text_str(b, s->name, strlen(s->name), true);
		tl_buf_put(b, "\"", 1);
	}
	if (s->number)
		tl_buf_printf(b, ", %s", (s->flags & TL_F_DETACHED) ? "detached" : "joinable");
	tl_buf_printf(b, ")");
	switch (s->state) {
	case TL_ST_BLOCKED:
		tl_buf_printf(b, " blocked in %s", s->call ? s->call : "?");
		text_duration(b, blocked_ms(r, s));
		if (s->object[0])
			tl_buf_printf(b, " on %s", s->object);
		if (s->held_by)
			tl_buf_printf(b, " held by thread %llu (tid %d)",
			              (unsigned long long)s->held_by, (int)s->held_by_tid);
		else if (s->held_by_tid)
			tl_buf_printf(b, " held by tid %d", (int)s->held_by_tid);
		break;
	case TL_ST_RUNNING:
		tl_buf_printf(b, " running");
		break;
	case TL_ST_EXITED:
		tl_buf_printf(b, " exited without join");
		break;
	case TL_ST_UNTRACKED:
		tl_buf_printf(b, " never seen created");
		if (s->call)
			tl_buf_printf(b, ", blocked in %s", s->call);
		if (s->object[0])
			tl_buf_printf(b, " on %s", s->object);
		break;
	}
	if (s->verdict == TL_V_UNREACHABLE)
		tl_buf_printf(b, "; blocked forever: %s", s->verdict_reason);
	else if (s->verdict == TL_V_FREED)
		tl_buf_printf(b, "; waits on freed memory: %s", s->verdict_reason);
	tl_buf_put(b, "\n", 1);
}

char *tl_report_text(struct tl_report *r, size_t *len)
{
	struct tl_buf b = {0};
	char exe[512], cwd[512];
	exe_path(exe, sizeof(exe));
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		cwd[0] = '\0';
	size_t cwdlen = strlen(cwd);
	tl_buf_printf(&b, "\nthreadleak: found %zu leaked thread%s in %s (pid %d)", r->nleaked,
	              r->nleaked == 1 ? "" : "s", exe, (int)getpid());
	if (r->kind == TL_CHECK_EXIT && r->exit_status == 0 && tl_opt.exitcode)
		tl_buf_printf(&b, "; exit status 0 becomes %d", tl_opt.exitcode);
	tl_buf_printf(&b, "\n\n");
	if (r->deadlock[0])
		tl_buf_printf(&b, "%s\n\n", r->deadlock);
	struct tl_frame *fr = malloc(sizeof(*fr) * TL_MAX_FRAMES * 4);
	if (fr == NULL)
		return NULL;
	for (size_t i = 0; i < r->n; i++) {
		struct tl_seen *s = &r->v[i];
		if (s->suppressed_by || s->group != (int)i)
			continue;
		text_thread_line(&b, r, s, true);
		size_t more = 0;
		for (size_t j = i + 1; j < r->n; j++)
			if (r->v[j].group == (int)i && !r->v[j].suppressed_by)
				more++;
		if (more) {
			tl_buf_printf(&b, "  and %zu more with the same stacks:\n", more);
			size_t shown = 0;
			for (size_t j = i + 1; j < r->n; j++) {
				if (r->v[j].group != (int)i || r->v[j].suppressed_by)
					continue;
				if (shown++ == 8) {
					tl_buf_printf(&b, "  ... (%zu more)\n", more - 8);
					break;
				}
				text_thread_line(&b, r, &r->v[j], false);
			}
		}
		if (s->state != TL_ST_EXITED) {
			int k = expand(r, s->stack.pcs, s->stack.n, s->stack.exact, fr,
			               TL_MAX_FRAMES * 4);
			if (s->stack_note)
				tl_buf_printf(&b, "    (%s)\n", s->stack_note);
			for (int j = 0; j < k; j++)
				text_frame(&b, &fr[j], cwd, cwdlen);
			if (k == 0 && !s->stack_note)
				tl_buf_printf(&b, "    (no stack)\n");
		}
		const char *sn = tl_start_name(r, s);
		if (s->number) {
			int k = expand(r, s->create_pcs, s->ncreate, 0, fr, TL_MAX_FRAMES * 4);
			if (k > 0) {
				/* name the creator in the user's code: std::thread's constructor
				 * and other runtime frames are still listed below in JSON only */
				int h = 0;
				while (h + 1 < k && creator_runtime_frame(&fr[h]))
					h++;
				const struct tl_frame *f = &fr[h];
				tl_buf_printf(&b, "  created by %s%s",
				              f->function ? f->function : "??",
				              f->inlined ? " (inlined)" : "");
				if (f->file && f->line > 0)
					tl_buf_printf(&b, " at %s:%d",
					              shorten(f->file, cwd, cwdlen), f->line);
				else
					tl_buf_printf(&b, " (%s+0x%lx)", module_base(f->module),
					              (unsigned long)f->offset);
				tl_buf_printf(&b, " in thread %llu",
				              (unsigned long long)s->creator);
				if (sn)
					tl_buf_printf(&b, ", start routine %s", sn);
				tl_buf_printf(&b, ":\n");
				for (int j = h + 1; j < k; j++)
					text_frame(&b, &fr[j], cwd, cwdlen);
			}
		}
		tl_buf_put(&b, "\n", 1);
	}
	free(fr);
	if (r->nsuppressed)
		tl_buf_printf(&b, "threadleak: %zu thread%s suppressed\n", r->nsuppressed,
		              r->nsuppressed == 1 ? "" : "s");
	tl_suppress_used(&b, false);
	struct tl_buf clean = {0};
	text_str(&clean, b.p, b.len, false);
	free(b.p);
	if (clean.oom) {
		free(clean.p);
		return NULL;
	}
	*len = clean.len;
	return clean.p;
}

/* ---- JSON ---- */
static void json_frames(struct tl_buf *b, struct tl_frame *fr, int k)
{
	tl_buf_put(b, "[", 1);
	for (int j = 0; j < k; j++) {
		const struct tl_frame *f = &fr[j];
		tl_buf_printf(b, "%s{\"pc\": \"0x%lx\", \"module\": ", j ? ", " : "",
		              (unsigned long)f->pc);
		tl_buf_json_str(b, f->module);
		tl_buf_printf(b,
		              ", \"offset\": \"0x%lx\", \"function\": ", (unsigned long)f->offset);
		tl_buf_json_str(b, f->function);
		tl_buf_printf(b, ", \"file\": ");
		tl_buf_json_str(b, f->file);
		if (f->line > 0)
			tl_buf_printf(b, ", \"line\": %d", f->line);
		else
			tl_buf_printf(b, ", \"line\": null");
		tl_buf_printf(b, ", \"inlined\": %s}", f->inlined ? "true" : "false");
	}
	tl_buf_put(b, "]", 1);
}

static void json_thread(struct tl_buf *b, struct tl_report *r, struct tl_seen *s,
                        struct tl_frame *fr)
{
	if (s->number)
		tl_buf_printf(b, "{\"thread\": %llu", (unsigned long long)s->number);
	else
		tl_buf_printf(b, "{\"thread\": null");
	tl_buf_printf(b, ", \"tid\": %d, \"name\": ", (int)s->tid);
	tl_buf_json_str(b, s->name[0] ? s->name : NULL);
	tl_buf_printf(b, ", \"state\": \"%s\", \"detached\": %s, \"blocked_in\": ",
	              state_name(s->state), (s->flags & TL_F_DETACHED) ? "true" : "false");
	tl_buf_json_str(b, s->call);
	tl_buf_printf(b, ", \"object\": ");
	tl_buf_json_str(b, s->object[0] ? s->object : NULL);
	int64_t ms = blocked_ms(r, s);
	if (ms >= 0)
		tl_buf_printf(b, ", \"blocked_ms\": %lld", (long long)ms);
	else
		tl_buf_printf(b, ", \"blocked_ms\": null");
	if (s->held_by || s->held_by_tid) {
		if (s->held_by)
			tl_buf_printf(b, ", \"held_by\": {\"thread\": %llu, \"tid\": %d}",
			              (unsigned long long)s->held_by, (int)s->held_by_tid);
		else
			tl_buf_printf(b, ", \"held_by\": {\"thread\": null, \"tid\": %d}",
			              (int)s->held_by_tid);
	} else {
		tl_buf_printf(b, ", \"held_by\": null");
	}
	tl_buf_printf(b, ", \"verdict\": ");
	tl_buf_json_str(b, tl_verdict_name(s->verdict));
	tl_buf_printf(b, ", \"verdict_reason\": ");
	tl_buf_json_str(b, s->verdict_reason[0] ? s->verdict_reason : NULL);
	tl_buf_printf(b, ", \"start_routine\": ");
	tl_buf_json_str(b, tl_start_name(r, s));
	tl_buf_printf(b, ", \"group\": %d, \"stack\": ", s->group);
	int k = s->state == TL_ST_EXITED
	            ? 0
	            : expand(r, s->stack.pcs, s->stack.n, s->stack.exact, fr, TL_MAX_FRAMES * 4);
	json_frames(b, fr, k);
	tl_buf_printf(b, ", \"stack_note\": ");
	tl_buf_json_str(b, s->stack_note);
	if (s->number) {
		tl_buf_printf(b, ", \"created_by\": {\"thread\": %llu, \"stack\": ",
		              (unsigned long long)s->creator);
		k = expand(r, s->create_pcs, s->ncreate, 0, fr, TL_MAX_FRAMES * 4);
		json_frames(b, fr, k);
		tl_buf_put(b, "}", 1);
	} else {
		tl_buf_printf(b, ", \"created_by\": null");
	}
	if (s->suppressed_by) {
		tl_buf_printf(b, ", \"suppressed_by\": ");
		tl_buf_json_str(b, s->suppressed_by);
	}
	tl_buf_put(b, "}", 1);
}

char *tl_report_json(struct tl_report *r, size_t *len)
{
	struct tl_buf b = {0};
	char exe[512];
	exe_path(exe, sizeof(exe));
	tl_buf_printf(
	    &b, "{\"tool\": \"threadleak\", \"schema\": 1, \"pid\": %d, \"exe\": ", (int)getpid());
	tl_buf_json_str(&b, exe);
	tl_buf_printf(&b, ", \"check\": \"%s\"", r->kind == TL_CHECK_EXIT ? "exit" : "api");
	if (r->kind == TL_CHECK_EXIT)
		tl_buf_printf(&b, ", \"exit_status\": %d", r->exit_status);
	else
		tl_buf_printf(&b, ", \"exit_status\": null");
	tl_buf_printf(&b,
	              ", \"leaked\": %zu, \"suppressed\": %zu, \"check_ms\": %.1f, \"deadlock\": ",
	              r->nleaked, r->nsuppressed, (double)r->check_ns / 1e6);
	tl_buf_json_str(&b, r->deadlock[0] ? r->deadlock : NULL);
	struct tl_frame *fr = malloc(sizeof(*fr) * TL_MAX_FRAMES * 4);
	if (fr == NULL)
		return NULL;
	for (int pass = 0; pass < 2; pass++) {
		tl_buf_printf(&b,
		              pass == 0 ? ",\n \"leaks\": [" : "],\n \"suppressed_threads\": [");
		bool first = true;
		for (size_t i = 0; i < r->n; i++) {
			struct tl_seen *s = &r->v[i];
			if ((s->suppressed_by != NULL) != (pass == 1))
				continue;
			tl_buf_printf(&b, "%s\n  ", first ? "" : ",");
			first = false;
			json_thread(&b, r, s, fr);
		}
	}
	free(fr);
	tl_buf_printf(&b, "],\n \"suppressions_used\": ");
	tl_suppress_used(&b, true);
	tl_buf_printf(&b, "}\n");
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}
