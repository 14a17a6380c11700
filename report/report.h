/* The report, whichever way it is made: the library at the check, `threadleak run` from the
 * library's JSON, `threadleak report` from a saved JSON. One symbolizer (symbolize.c: libdw,
 * for this process's modules or for module files named in a report) and one text renderer
 * (text.c) are compiled into both the library and the CLI from this folder. In the library
 * (TL_PRELOADED) libdw is dlopen'ed (preload/deps.h); everything here runs after the sampled
 * threads are released, so it may allocate and open files. */
#ifndef TL_REPORT_H
#define TL_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>

struct tl_symbolizer;

/* A libc function as this folder's code calls it: in the library through its table of real
 * functions (preload/real.h says why), in the CLI directly. */
#ifdef TL_PRELOADED
#include "real.h"
#define TL_LIBC(name) TL_REAL(name)
#define TL_LIBC_SSCANF TL_REAL(__isoc99_sscanf)
int tl_high_fd(int fd); /* preload/log.c: fd copied to a high number (close-on-exec) */
#else
#define TL_LIBC(name) name
#define TL_LIBC_SSCANF sscanf
#endif

/* Syscalls newer than this system's headers (x86_64 numbers, the same on every arch that has
 * them: they come from the common table). */
#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif
#ifndef SYS_futex_wake
#define SYS_futex_wake 454
#endif
#ifndef SYS_futex_wait
#define SYS_futex_wait 455
#endif
#ifndef SYS_futex_requeue
#define SYS_futex_requeue 456
#endif

/* system calls by number (syscalls.c): the name of one a thread can wait in for long, or NULL;
 * that name or "syscall N" written into buf; whether a signal with a SA_RESTART handler restarts
 * it transparently (1), makes it fail with EINTR (0), or -1 when the table does not know it */
const char *tl_syscall_name(long nr);
const char *tl_syscall_word(long nr, char *buf, size_t len);
int tl_syscall_restarts(long nr);
bool tl_syscall_on_fd(long nr); /* its first argument is a descriptor */

/* Do the 7 bytes before an address end with a call instruction (is the address a return
 * address, not a function pointer or stale data)? The forms compilers emit: call rel32, call
 * *%reg, call *disp8(%reg), call *disp32(%rip) or *disp32(%reg). The CLI reads them from
 * /proc/PID/mem (tools/dump.c), the library from its own memory (preload/real.c). */
static inline bool tl_ends_with_call(const unsigned char before[7])
{
	const unsigned char *ip = before + 7;
	return ip[-5] == 0xe8 || (ip[-2] == 0xff && (ip[-1] & 0xf8) == 0xd0) ||
	       (ip[-3] == 0xff && (ip[-2] & 0xf8) == 0x50) ||
	       (ip[-6] == 0xff && (ip[-5] == 0x15 || (ip[-5] & 0xf8) == 0x90));
}

/* FNV-1a of n bytes: for the hash tables of texts (group keys, interned texts, fingerprints) */
static inline uint64_t tl_hash_bytes(const void *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ ((const unsigned char *)p)[i]) * 1099511628211ull;
	return h;
}

/* growable string buffer (buf.c) */
struct tl_buf {
	char *p;
	size_t len, cap;
	bool oom;
	/* set: what the buffer holds is handed to it every TL_BUF_FLUSH_AT bytes and dropped, so
	 * that a big document is written as it is made (tl_buf_flush hands over the rest) */
	void (*flush)(const char *p, size_t n, void *ctx);
	void *ctx;
};
#define TL_BUF_FLUSH_AT 65536
void tl_buf_flush(struct tl_buf *b);
void tl_buf_printf(struct tl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* untrusted text for a one-line message: at most max bytes; control bytes and invalid UTF-8
 * become '?' */
void tl_shown(const char *s, size_t n, size_t max, char *out, size_t outlen);
void tl_buf_put(struct tl_buf *b, const char *s, size_t n);
void tl_buf_json_str(struct tl_buf *b, const char *s); /* quoted, escaped, valid UTF-8 */
/* Text for a terminal: control bytes written as \xNN (newlines too when escape_newlines). */
void tl_buf_text(struct tl_buf *b, const char *s, size_t n, bool escape_newlines);
/* Text inside HTML: markup as entities, control bytes as \xNN, invalid UTF-8 as U+FFFD. */
void tl_buf_html(struct tl_buf *b, const char *s);

/* ---- programs that run without the library (unchecked.c) ---- */
enum tl_unchecked {
	TL_UNCHECKED_NO,     /* it gets the library (as far as we can tell) */
	TL_UNCHECKED_STATIC, /* statically linked: no loader */
	TL_UNCHECKED_SECURE, /* secure execution: the loader ignores LD_PRELOAD */
	TL_UNCHECKED_NOENV,  /* the environment it was given lacks the library in LD_PRELOAD */
	TL_UNCHECKED_NOOPTS, /* it gets the library, but not run's THREADLEAK_OPTIONS */
};
/* The program exec would start from PATH (relative to DIRFD), or from FD when FD >= 0;
 * scripts are followed to their interpreter. Async-signal-safe, no allocation, errno kept. */
enum tl_unchecked tl_unchecked_program(int dirfd, const char *path, int fd);

/* ---- frames and the symbolizer (symbolize.c) ---- */
/* Where a pc outside every module is: JSON "mapping" of a frame whose module is null. */
enum tl_mapping {
	TL_MAP_MODULE,    /* in a module (module names it) */
	TL_MAP_UNKNOWN,   /* outside every module, nothing more known */
	TL_MAP_ANONYMOUS, /* an executable mapping the loader does not know: JIT code */
	TL_MAP_UNLOADED,  /* no executable mapping holds it: a library dlclose'd since */
};
/* A signal frame's function, in gdb's words */
#define TL_SIGNAL_FRAME "<signal handler called>"
struct tl_frame {
	uintptr_t pc;
	const char *module; /* owned by the symbolizer (or the JSON document) */
	uintptr_t offset;
	const char *function; /* demangled, qualified; NULL unknown */
	const char *file;
	int line;
	bool inlined; /* this frame was inlined into the next one */
	bool own;     /* inside libthreadleak itself (set by the library) */
	int mapping;  /* enum tl_mapping */
	/* the kernel's signal frame, a handler's return into the sa_restorer (JSON
	 * "signal_frame"): function is TL_SIGNAL_FRAME, the next frame was interrupted there */
	bool signal_frame;
};
const char *tl_mapping_name(int mapping); /* JSON value: NULL for TL_MAP_MODULE */
int tl_mapping_of(uintptr_t addr, char perms[8], char *path, size_t pathlen, unsigned long *inode);
/* /proc/thread-self/maps, opened (an fd, or -1): the process's mappings as the calling thread
 * sees them, which are everyone's. Not /proc/self/maps: once main has called pthread_exit,
 * "self" names a zombie task without memory, whose maps file is empty (docs/internals.md). */
int tl_open_maps(void);
int tl_mapping_parse(const char *name, bool has_module);

/* This process's modules, from the loader (the library). */
struct tl_symbolizer *tl_sym_open(void);
/* file:line (and inlined frames) for system libraries' frames too (libc, the loader, the C++
 * runtime); false: their symbol table only, nothing of their debug info inflated */
extern bool tl_sym_system_lines;
struct tl_symbolizer *tl_sym_get(void); /* shared across checks; do not close */
void tl_sym_forget(void);
/* A module dlclose unloads: reported at its old addresses by later symbolizers, when no module
 * loaded since took them (its threads' frames stay named) */
void tl_sym_unloading(uintptr_t lo, uintptr_t hi);
struct dl_phdr_info;
bool tl_module_range(const struct dl_phdr_info *info, uintptr_t *lo, uintptr_t *hi);
void tl_sym_close(struct tl_symbolizer *s);
/* Frames one pc expands to at most: Rust's std nests ten inlined calls and more. */
#define TL_SYM_MAX_INLINE 24
/* Expand one pc into frames (inlined ones first). Returns the count written (>= 1). */
int tl_sym_pc(struct tl_symbolizer *s, uintptr_t pc, bool exact, struct tl_frame *out, int max);
/* The one frame of a signal frame's pc (the unwinder found it: preload/capture.c): its module
 * and offset, TL_SIGNAL_FRAME for a name. */
void tl_sym_signal_frame(struct tl_symbolizer *s, uintptr_t pc, struct tl_frame *out);
/* Name of the data object of size bytes at addr ("lock_a (deadlock.c:5)", "chans[0].mu
 * (seed.c:57)"), or false. size 0: unknown. */
bool tl_sym_data(struct tl_symbolizer *s, uintptr_t addr, size_t size, char *buf, size_t len);
void *tl_sym_find_function(struct tl_symbolizer *s, const char *name); /* in the main program */

/* Module files named by a report, opened when first asked for (the CLI). Only regular files
 * are opened, never waiting (a FIFO named by an untrusted report), and none larger than
 * TL_SYM_MAX_FILE. */
#define TL_SYM_MAX_FILE ((int64_t)4 << 30)
struct tl_sym_files {
	char **debug_dirs; /* searched for NAME and .build-id/xx/yyyy.debug */
	size_t ndebug_dirs;
	char **maps; /* "OLD=NEW" module paths ("NAME=NEW" by base name) */
	size_t nmaps;
	bool verbose; /* say why a module is not used */
	void (*err)(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
};
struct tl_symbolizer *tl_sym_open_files(const struct tl_sym_files *o);
/* Expand module+offset into frames, as tl_sym_pc; 0 when the module has no usable file.
 * *used names the file that was read. */
int tl_sym_module(struct tl_symbolizer *s, const char *module, uintptr_t offset, bool exact,
                  struct tl_frame *out, int max, const char **used);

/* Open a regular file read-only without waiting (never a FIFO or a device), at most
 * TL_SYM_MAX_FILE bytes; -1 otherwise. */
int tl_open_regular(const char *path);

char *tl_demangle(const char *name); /* malloc'd, or NULL if not mangled */
/* report/runtime.c: frames of libc, the loader, C++'s and Rust's standard libraries */
bool tl_module_is_system(const char *module);
bool tl_function_is_std(const char *function);
bool tl_frame_is_runtime(const struct tl_frame *f);
/* one of valgrind's tools (memcheck-amd64-linux...), which runs the program in its own process */
bool tl_valgrind_tool(const char *path);
bool tl_frame_is_thread_plumbing(const struct tl_frame *f); /* runtime, or Rust's shims */
bool tl_rust_thread_function(const char *function, char *buf, size_t len);
/* Index of the creation-stack frame the "created by" headline names: the first past the
 * runtime that starts threads (libc, libstdc++, std::thread inlined, Rust's std). */
int tl_creator_headline(const struct tl_frame *f, int n);
/* " in thread N" of a creation line; " in tid T (untracked)" for a creator threadleak did not
 * track (a SIGEV_THREAD timer's thread), " in an untracked thread" without its tid */
void tl_creator_words(struct tl_buf *b, uint64_t creator, long long creator_tid);

/* ---- the text renderer (text.c) ---- */
struct tl_text_thread {
	uint64_t number; /* threadleak's number; 0 untracked */
	long tid;
	int pid; /* shown when > 0 (a run of several processes) */
	const char *name;
	bool detached;
	bool main;         /* the process's main thread: neither joinable nor detached */
	const char *state; /* "blocked", "running", "exited", "untracked" */
	const char *call, *object;
	int64_t blocked_ms;   /* -1 unknown */
	uint64_t held_by;     /* thread number, 0 none */
	long held_by_tid;     /* 0 none */
	long held_by_readers; /* an rwlock's readers, held_by one of them; 0 */
	int n_other_readers;  /* the others named: other_readers[i], tids */
	uint64_t other_readers[3];
	long other_reader_tids[3];
	long held_by_pid;                     /* the owner's process when another one, else 0 */
	const char *held_by_process;          /* its name, or NULL */
	const char *verdict, *verdict_reason; /* "unreachable", "freed", ...; NULL: none */
};
/* Threads with the same state and stacks, printed once. */
struct tl_text_group {
	const struct tl_text_thread *t; /* t[0] stands for the group */
	size_t n;
	const struct tl_frame *stack;
	int nstack;
	const char *stack_note;
	const char
	    *stack_cut;   /* why the stack stops early ("stack cut at max_frames=32"), or NULL */
	bool created;     /* a creation record: creator, create[], headline */
	uint64_t creator; /* 0: a thread threadleak did not track (creator_tid, if known) */
	long long creator_tid; /* 0: unknown */
	const struct tl_frame *create;
	int ncreate;
	int headline;           /* index in create[] */
	const char *create_cut; /* as stack_cut, for create[] */
	const char *start_routine;
};
struct tl_text_style {
	const char *bold, *red, *yellow, *dim, *reset;
	const char *cwd;                           /* paths under it are shown relative */
	bool (*is_user)(const struct tl_frame *f); /* emphasised frames; NULL: none */
	bool no_source; /* no source lines under the user's innermost frame and the creator */
};
extern const struct tl_text_style tl_text_plain, tl_text_colors;
void tl_text_group(struct tl_buf *b, const struct tl_text_style *st, const struct tl_text_group *g);
/* Appends what makes threads print as one group: state, call, stack note, both stacks as
 * printed (g->t[0] stands for the thread; threads with equal keys are printed once). */
void tl_text_group_key(struct tl_buf *b, const struct tl_text_group *g);
void tl_text_frame(struct tl_buf *b, const struct tl_text_style *st, const struct tl_frame *f);
/* One thread's line: "Thread 3 (tid ..., "name", detached) blocked in ..." (first) or the
 * indented line of another thread of the group. */
void tl_text_thread_line(struct tl_buf *b, const struct tl_text_style *st,
                         const struct tl_text_thread *t, bool first);
/* The source line of f, as compilers show it under a diagnostic: its text (leading and
 * trailing blanks removed, tabs as blanks, cut with "..." to fit len) in out, and true; false
 * when f is not in the program's own sources (no absolute path, a system header or library, a
 * runtime's sources), or the file is unreadable, newer than f's module (changed since the
 * build), too short, or not text. */
#define TL_SOURCE_MAX 160
bool tl_source_line(const struct tl_frame *f, char *out, size_t len);

#endif
