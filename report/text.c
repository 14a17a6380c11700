/* The text report's thread blocks, goleak-style, for the library at the check and for the CLI
 * from JSON: a thread line (and the others with the same stacks), the current stack, and
 * "created by" the creator headline with the rest of the creation stack. Every string from the
 * program (names, paths, objects) is written with control bytes escaped. */
#include "report.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const struct tl_text_style tl_text_plain = {"", "", "", "", "", NULL, NULL, false};
const struct tl_text_style tl_text_colors = {"\033[1m", "\033[1;31m", "\033[33m", "\033[2m",
                                             "\033[0m", NULL,         NULL,       false};

/* Members listed under a group before "... (N more)". */
#define TL_TEXT_MEMBERS 9

static void str(struct tl_buf *b, const char *s)
{
	tl_buf_text(b, s, strlen(s), true);
}

static const char *relative(const char *path, const char *cwd)
{
	size_t n = cwd ? strlen(cwd) : 0;
	while (n > 1 && cwd[n - 1] == '/')
		n--;
	if (path && n > 1 && strncmp(path, cwd, n) == 0 && path[n] == '/')
		return path + n + 1;
	return path;
}

static const char *base_of(const char *module)
{
	const char *slash = module ? strrchr(module, '/') : NULL;
	return slash ? slash + 1 : module;
}

/* " at file:line", or where the code is when there is no line: "(libc.so.6+0x1234)", and for
 * a pc outside every module the pc and why. A signal frame is its name alone, as in gdb. */
static void where(struct tl_buf *b, const struct tl_text_style *st, const struct tl_frame *f)
{
	if (f->signal_frame)
		return;
	if (f->file && f->line > 0) {
		tl_buf_put(b, " at ", 4);
		str(b, relative(f->file, st->cwd));
		tl_buf_printf(b, ":%d", f->line);
	} else if (f->module) {
		tl_buf_put(b, " (", 2);
		str(b, base_of(f->module));
		tl_buf_printf(b, "+0x%lx)", (unsigned long)f->offset);
	} else {
		tl_buf_printf(b, " (0x%lx, %s)", (unsigned long)f->pc,
		              f->mapping == TL_MAP_ANONYMOUS  ? "anonymous executable mapping"
		              : f->mapping == TL_MAP_UNLOADED ? "module unloaded"
		                                              : "in no module");
	}
}

void tl_text_frame(struct tl_buf *b, const struct tl_text_style *st, const struct tl_frame *f)
{
	bool user = st->is_user && st->is_user(f);
	tl_buf_printf(b, "    %s%s", user ? "" : st->dim, user ? st->bold : "");
	str(b, f->function ? f->function : "??");
	tl_buf_printf(b, "%s%s", user ? st->reset : "", f->inlined ? " (inlined)" : "");
	where(b, st, f);
	tl_buf_printf(b, "%s\n", user ? "" : st->reset);
}

/* How far into a file a source line is looked for. */
#define TL_SOURCE_SCAN ((size_t)16 << 20)

/* Sources that are not the program's own: system headers and libraries, the sources of a
 * distribution's packages and of Rust's std (as its debug info names them). Relative paths
 * (glibc's "../sysdeps/...", "./nptl/...") are relative to a build folder we do not know. */
static bool system_source(const char *file)
{
	static const char *const dirs[] = {"/usr/include/", "/usr/lib/",   "/usr/local/include/",
	                                   "/usr/src/",     "/usr/share/", "/rustc/"};
	if (file[0] != '/')
		return true;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (strncmp(file, dirs[i], strlen(dirs[i])) == 0)
			return true;
	return false;
}

/* Line `line` of the open file fd into out, its leading blanks skipped (NUL-terminated, at
 * most len - 1 bytes kept, *cut set when more followed), or false when the file has fewer
 * lines, the line holds a NUL (not text) or lies beyond the first TL_SOURCE_SCAN bytes. Reads in
 * small pieces: this runs at the library's check too, on whatever stack the check has. */
static bool read_line(int fd, int line, char *out, size_t len, bool *cut)
{
	char buf[512];
	int at = 1;
	size_t k = 0, total = 0;
	bool found = false;
	out[0] = '\0';
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			return found; /* end of file: the last line may have no newline */
		if ((total += (size_t)n) > TL_SOURCE_SCAN)
			return false; /* not a source file a person reads */
		for (ssize_t i = 0; i < n; i++) {
			if (at < line) {
				at += buf[i] == '\n';
				continue;
			}
			found = true;
			if (buf[i] == '\n')
				return true;
			if (buf[i] == '\0')
				return false;
			if (k == 0 && (buf[i] == ' ' || buf[i] == '\t'))
				continue;
			if (k + 1 < len)
				out[k++] = buf[i], out[k] = '\0';
			else
				*cut = true;
		}
	}
}

/* Newer than the module: the file changed since the build, and its lines may have moved
 * (see docs/internals.md, "Source lines"). */
static bool newer(int fd, const char *module)
{
	struct stat src, mod;
	if (module == NULL || TL_LIBC(fstat)(fd, &src) != 0 || TL_LIBC(stat)(module, &mod) != 0)
		return false;
	return src.st_mtim.tv_sec > mod.st_mtim.tv_sec ||
	       (src.st_mtim.tv_sec == mod.st_mtim.tv_sec &&
	        src.st_mtim.tv_nsec > mod.st_mtim.tv_nsec);
}

bool tl_source_line(const struct tl_frame *f, char *out, size_t len)
{
	if (len < 8 || f->file == NULL || f->line <= 0 || system_source(f->file) ||
	    tl_module_is_system(f->module))
		return false;
	int fd = tl_open_regular(f->file);
	if (fd < 0)
		return false;
	bool cut = false;
	bool ok = !newer(fd, f->module) && read_line(fd, f->line, out, len, &cut);
	close(fd);
	if (!ok)
		return false;
	size_t n = strlen(out);
	if (cut) {
		n = len - 4; /* room for "..." */
		while (n > 0 && ((unsigned char)out[n] & 0xc0) == 0x80)
			n--; /* not inside a UTF-8 sequence */
		memcpy(out + n, "...", 4);
		n += 3;
	}
	while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '\t' || out[n - 1] == '\r'))
		out[--n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (out[i] == '\t')
			out[i] = ' ';
	return n > 0;
}

/* "      25 | code" under a frame line, when the frame is in the program's sources. */
static bool source(struct tl_buf *b, const struct tl_text_style *st, const struct tl_frame *f)
{
	char line[TL_SOURCE_MAX + 1];
	if (st->no_source || !tl_source_line(f, line, sizeof(line)))
		return false;
	tl_buf_printf(b, "    %s%6d |%s ", st->dim, f->line, st->reset);
	str(b, line);
	tl_buf_put(b, "\n", 1);
	return true;
}

static void duration(struct tl_buf *b, int64_t ms)
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

/* Who holds the object a thread waits on: a blocked thread's, an untracked one's alike */
static void holder_words(struct tl_buf *b, const struct tl_text_thread *t)
{
	if (t->held_by && t->held_by_readers > 0) { /* an rwlock held for reading */
		tl_buf_printf(b, " held for reading by thread %llu (tid %ld)",
		              (unsigned long long)t->held_by, t->held_by_tid);
		long rest = t->held_by_readers - 1 - t->n_other_readers;
		for (int i = 0; i < t->n_other_readers; i++)
			tl_buf_printf(b, "%s thread %llu (tid %ld)",
			              i + 1 == t->n_other_readers && rest <= 0 ? " and" : ",",
			              (unsigned long long)t->other_readers[i],
			              t->other_reader_tids[i]);
		if (rest > 0)
			tl_buf_printf(b, " and %ld more", rest);
	} else if (t->held_by)
		tl_buf_printf(b, " held by thread %llu (tid %ld)", (unsigned long long)t->held_by,
		              t->held_by_tid);
	else if (t->held_by_tid)
		tl_buf_printf(b, " held by tid %ld", t->held_by_tid);
	if (!t->held_by && t->held_by_tid && t->held_by_pid > 0) {
		tl_buf_printf(b, " of process %ld", t->held_by_pid);
		if (t->held_by_process) {
			tl_buf_put(b, " (", 2);
			str(b, t->held_by_process);
			tl_buf_put(b, ")", 1);
		}
	}
}

static void state_words(struct tl_buf *b, const struct tl_text_thread *t)
{
	const char *state = t->state ? t->state : "?";
	if (strcmp(state, "blocked") == 0) {
		tl_buf_put(b, " blocked in ", 12);
		str(b, t->call ? t->call : "?");
		duration(b, t->blocked_ms);
		if (t->object) {
			tl_buf_put(b, " on ", 4);
			str(b, t->object);
		}
		holder_words(b, t);
	} else if (strcmp(state, "running") == 0) {
		tl_buf_put(b, " running", 8);
	} else if (strcmp(state, "exited") == 0) {
		tl_buf_put(b, " exited without join", 20);
	} else if (strcmp(state, "untracked") == 0) {
		tl_buf_put(b, " never seen created", 19);
		if (t->call) {
			tl_buf_put(b, ", blocked in ", 13);
			str(b, t->call);
		}
		if (t->object) {
			tl_buf_put(b, " on ", 4);
			str(b, t->object);
		}
		holder_words(b, t);
	} else {
		tl_buf_put(b, " ", 1);
		str(b, state);
	}
	/* the proven verdicts say it in words; reachable and unknown stay in the JSON */
	if (t->verdict && t->verdict_reason && strcmp(t->verdict, "unreachable") == 0) {
		tl_buf_put(b, "; blocked forever: ", 19);
		str(b, t->verdict_reason);
	} else if (t->verdict && t->verdict_reason && strcmp(t->verdict, "freed") == 0) {
		tl_buf_put(b, "; waits on freed memory: ", 25);
		str(b, t->verdict_reason);
	}
}

void tl_text_thread_line(struct tl_buf *b, const struct tl_text_style *st,
                         const struct tl_text_thread *t, bool first)
{
	const char *label = first ? "Thread" : "  thread";
	tl_buf_printf(b, "%s", first ? st->red : "");
	if (t->number && t->pid > 0)
		tl_buf_printf(b, "%s %llu (pid %d, tid %ld", label, (unsigned long long)t->number,
		              t->pid, t->tid);
	else if (t->number)
		tl_buf_printf(b, "%s %llu (tid %ld", label, (unsigned long long)t->number, t->tid);
	else if (t->pid > 0)
		tl_buf_printf(b, "%s tid %ld (untracked, pid %d", label, t->tid, t->pid);
	else
		tl_buf_printf(b, "%s tid %ld (untracked", label, t->tid);
	if (t->name && t->name[0]) { /* quoted: a quote or backslash in it escaped, as C would */
		tl_buf_put(b, ", \"", 3);
		for (const char *p = t->name; *p;) {
			size_t n = strcspn(p, "\"\\");
			tl_buf_text(b, p, n, true);
			p += n;
			if (*p) {
				char e[2] = {'\\', *p++};
				tl_buf_put(b, e, 2);
			}
		}
		tl_buf_put(b, "\"", 1);
	}
	if (t->number)
		tl_buf_printf(b, ", %s", t->main ? "main" : t->detached ? "detached" : "joinable");
	tl_buf_printf(b, ")%s", first ? st->reset : "");
	state_words(b, t);
	tl_buf_put(b, "\n", 1);
}

/* C++'s and Rust's std plumbing between the program's frames and the start of the thread or
 * of main (std::__invoke_impl, std::thread::_State_impl::_M_run, Rust's lang_start and
 * catch_unwind frames): a run of COLLAPSE_MIN or more of them, past the first frame of the
 * program's own, is one line in the text (35 lines a thread for a std::async task, some of a
 * thousand characters); the JSON keeps every frame. libc's and the loader's frames stay. */
#define COLLAPSE_MIN 3

static bool collapsible(const struct tl_frame *f)
{
	if (!tl_frame_is_thread_plumbing(f))
		return false;
	const char *m = f->module ? base_of(f->module) : NULL;
	return !(m && (strncmp(m, "libc.so", 7) == 0 || strncmp(m, "ld-linux", 8) == 0));
}

/* Frames from..n-1, a run of plumbing as one line; the source line under the innermost frame
 * in the program's sources when none was shown (*shown). */
static void frames_text(struct tl_buf *b, const struct tl_text_style *st, const struct tl_frame *fr,
                        int from, int n, bool past_user, bool *shown)
{
	for (int j = from; j < n; j++) {
		int k = j;
		while (past_user && k < n && collapsible(&fr[k]))
			k++;
		if (k - j >= COLLAPSE_MIN) {
			tl_buf_printf(b, "    %s... %d frames of the runtime's thread plumbing%s\n",
			              st->dim, k - j, st->reset);
			j = k - 1;
			continue;
		}
		tl_text_frame(b, st, &fr[j]);
		*shown = *shown || source(b, st, &fr[j]);
		past_user = past_user || !tl_frame_is_runtime(&fr[j]);
	}
}

void tl_creator_words(struct tl_buf *b, uint64_t creator, long long creator_tid)
{
	if (creator)
		tl_buf_printf(b, " in thread %llu", (unsigned long long)creator);
	else if (creator_tid > 0)
		tl_buf_printf(b, " in tid %lld (untracked)", creator_tid);
	else
		tl_buf_printf(b, " in an untracked thread");
}

static void created_by(struct tl_buf *b, const struct tl_text_style *st,
                       const struct tl_text_group *g)
{
	int h = g->headline;
	if (h < 0 || h >= g->ncreate)
		h = tl_creator_headline(g->create, g->ncreate);
	tl_buf_printf(b, "%s", st->yellow);
	if (g->ncreate > 0) {
		const struct tl_frame *f = &g->create[h];
		tl_buf_put(b, "  created by ", 13);
		str(b, f->function ? f->function : "??");
		if (f->inlined)
			tl_buf_put(b, " (inlined)", 10);
		where(b, st, f);
	} else {
		tl_buf_put(b, "  created", 9);
	}
	tl_creator_words(b, g->creator, g->creator_tid);
	if (g->start_routine) {
		tl_buf_put(b, ", start routine ", 16);
		str(b, g->start_routine);
	}
	tl_buf_printf(b, ":%s\n", st->reset);
	/* the source line of the innermost frame in the program's sources: the headline's, or
	 * when that is a library's (GLib's g_thread_pool_push, libuv's uv_thread_create_ex), the
	 * program's call below it */
	bool shown = g->ncreate > 0 && source(b, st, &g->create[h]);
	/* the runtime frames before the headline are in the JSON only */
	frames_text(b, st, g->create, h + 1, g->ncreate, true, &shown);
	if (g->create_cut) {
		tl_buf_put(b, "    (", 5);
		str(b, g->create_cut);
		tl_buf_put(b, ")\n", 2);
	}
}

void tl_text_group(struct tl_buf *b, const struct tl_text_style *st, const struct tl_text_group *g)
{
	tl_text_thread_line(b, st, &g->t[0], true);
	if (g->n > 1) {
		tl_buf_printf(b, "  and %zu more with the same stacks:\n", g->n - 1);
		for (size_t j = 1; j < g->n; j++) {
			if (j == TL_TEXT_MEMBERS && g->n > TL_TEXT_MEMBERS + 1) {
				tl_buf_printf(b, "  ... (%zu more)\n", g->n - j);
				break;
			}
			tl_text_thread_line(b, st, &g->t[j], false);
		}
	}
	const char *state = g->t[0].state;
	if (!(state && strcmp(state, "exited") == 0)) {
		if (g->stack_note) {
			tl_buf_put(b, "    (", 5);
			str(b, g->stack_note);
			tl_buf_put(b, ")\n", 2);
		}
		bool shown = false; /* the innermost frame in the program's sources */
		frames_text(b, st, g->stack, 0, g->nstack, false, &shown);
		if (g->nstack == 0 && !g->stack_note)
			tl_buf_printf(b, "    (no stack)\n");
		if (g->stack_cut) {
			tl_buf_put(b, "    (", 5);
			str(b, g->stack_cut);
			tl_buf_put(b, ")\n", 2);
		}
	}
	if (g->created)
		created_by(b, st, g);
	tl_buf_put(b, "\n", 1);
}

static void key_frames(struct tl_buf *b, const struct tl_frame *f, int n)
{
	for (int i = 0; i < n; i++) {
		const char *fn = f[i].function ? f[i].function : "?";
		if (f[i].file && f[i].line > 0)
			tl_buf_printf(b, "|%s@%s:%d", fn, f[i].file, f[i].line);
		else if (f[i].module)
			tl_buf_printf(b, "|%s@%s+%lx", fn, f[i].module, (unsigned long)f[i].offset);
		else
			tl_buf_printf(b, "|%s@%lx", fn, (unsigned long)f[i].pc);
	}
}

void tl_text_group_key(struct tl_buf *b, const struct tl_text_group *g)
{
	const struct tl_text_thread *t = &g->t[0];
	tl_buf_printf(b, "%s/%s/%s/%s/%s/", t->state ? t->state : "", t->call ? t->call : "",
	              g->stack_note ? g->stack_note : "", g->stack_cut ? g->stack_cut : "",
	              g->create_cut ? g->create_cut : "");
	key_frames(b, g->stack, g->nstack);
	/* the creation as printed: from the headline's frame on (the runtime frames above it, in
	 * the JSON only, told apart four threads a loop of vector::emplace_back made, as a group
	 * of three and one that printed the same), with the creator and the start routine */
	int h = g->headline;
	if (h < 0 || h >= g->ncreate)
		h = g->ncreate > 0 ? tl_creator_headline(g->create, g->ncreate) : 0;
	tl_buf_printf(b, "||%d/%llu/%s/", g->created, (unsigned long long)g->creator,
	              g->start_routine ? g->start_routine : "");
	key_frames(b, g->create + h, g->ncreate - h);
}
