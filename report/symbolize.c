/* Symbolization with elfutils' libdw, for the library at the check (this process's modules,
 * from the loader) and for `threadleak report` (module files named by a saved report): function
 * names from the symbol table (static functions too), file:line and inlined frames from DWARF
 * (including build-id debug files under /usr/lib/debug and MiniDebugInfo's .gnu_debugdata;
 * debuginfod in `threadleak report` only, never at exit), names qualified by their namespaces and
 * types, demangled with GNU libiberty (C++, Rust legacy and v0). In the library it runs only after
 * every sampled thread has been released: it mallocs and opens files. Results are cached per pc:
 * leaked threads share most of their frames. */
#include "dw.h"

#include "uthash.h"

#include <libiberty/demangle.h>
#include <dwarf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <link.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>
#if !defined(TL_PRELOADED) && defined(TL_HAVE_DEBUGINFOD)
#include <dlfcn.h>
#include <elfutils/debuginfod.h>
#include <gelf.h>
#endif

#ifndef TL_ARRAY_SIZE
#define TL_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

#define MAX_INLINE TL_SYM_MAX_INLINE

struct sym_key {
	uintptr_t addr; /* lookup address */
	uintptr_t file; /* 0: this process; else 1 + index in files */
};

struct sym_entry {
	UT_hash_handle hh;
	struct sym_key key;
	int n;
	struct tl_frame f[MAX_INLINE];
};

/* A module file named by a report, with its own Dwfl. */
struct file_mod {
	char *name; /* as in the report */
	char *file; /* what was opened, NULL if nothing usable */
	Dwfl *dwfl;
	Dwfl_Module *mod;
	Dwarf_Addr start;
};

struct tl_symbolizer {
	Dwfl *dwfl;
	Dwfl_Module *main_mod; /* the executable, NULL if unknown */
	struct sym_entry *cache;
	char **strings; /* every string we own */
	size_t nstrings, capstrings;
	/* report files (tl_sym_open_files) */
	const struct tl_sym_files *opts;
	char *debuginfo_path;
	Dwfl_Callbacks cb;
	struct file_mod *files;
	size_t nfiles;
};

bool tl_sym_system_lines = false;

#ifdef TL_PRELOADED
/* The descriptors libdwfl holds for the library's symbolizer, and what they were: the program
 * may close them (closefrom(3)) and open its own files at their numbers, and libdwfl's
 * dwfl_end would then close the program's files (tl_sym_close). */
struct kept_fd {
	int fd;
	dev_t dev;
	ino_t ino;
};
static struct kept_fd *kept;
static size_t nkept, capkept;
static bool kept_lost; /* one was not recorded: none can be vouched for */
#endif

static char *keep(struct tl_symbolizer *s, char *str)
{
	if (str == NULL)
		return NULL;
	if (s->nstrings == s->capstrings) {
		size_t cap = s->capstrings ? s->capstrings * 2 : 256;
		char **v = realloc(s->strings, cap * sizeof(char *));
		if (v == NULL) {
			free(str);
			return NULL;
		}
		s->strings = v;
		s->capstrings = cap;
	}
	s->strings[s->nstrings++] = str;
	return str;
}

char *tl_demangle(const char *name)
{
	if (name == NULL || (strncmp(name, "_Z", 2) != 0 && strncmp(name, "_R", 2) != 0))
		return NULL;
	return cplus_demangle(name, DMGL_PARAMS | DMGL_ANSI);
}

/* "lock.0" (GCC's name for a function-local static) -> "lock";
 * "__libc_start_main@@GLIBC_2.34" -> "__libc_start_main". */
static char *plain_name(const char *name)
{
	char *p = strdup(name);
	if (p == NULL)
		return NULL;
	char *at = strchr(p, '@');
	if (at && at != p)
		*at = '\0';
	char *dot = strrchr(p, '.');
	if (dot && dot != p && dot[1]) {
		bool digits = true;
		for (char *q = dot + 1; *q; q++)
			digits = digits && *q >= '0' && *q <= '9';
		if (digits)
			*dot = '\0';
	}
	return p;
}

static const char *nice_name(struct tl_symbolizer *s, const char *name)
{
	if (name == NULL)
		return NULL;
	char *d = tl_demangle(name);
	if (d)
		return keep(s, d);
	return keep(s, plain_name(name));
}

/* "/work/build/../tests/x.c" -> "/work/tests/x.c"; a relative path is taken from `dir`
 * (the compilation directory) when known. */
static char *normalize_path_in(const char *dir, const char *rel)
{
	if (rel == NULL)
		return NULL;
	char *joined = NULL;
	if (rel[0] != '/' && dir && dir[0] == '/') {
		size_t n = strlen(dir) + strlen(rel) + 2;
		joined = malloc(n);
		if (joined)
			snprintf(joined, n, "%s/%s", dir, rel);
	}
	const char *in = joined ? joined : rel;
	size_t n = strlen(in);
	char *out = malloc(n + 1);
	if (out == NULL)
		return NULL;
	size_t o = 0;
	const char *p = in;
	bool abs = *p == '/';
	while (*p) {
		while (*p == '/')
			p++;
		const char *seg = p;
		while (*p && *p != '/')
			p++;
		size_t len = (size_t)(p - seg);
		if (len == 0 || (len == 1 && seg[0] == '.'))
			continue;
		if (len == 2 && seg[0] == '.' && seg[1] == '.') {
			size_t back = o;
			while (back > 0 && out[back - 1] != '/')
				back--;
			bool prev_dotdot =
			    (o - back == 2 && out[back] == '.' && out[back + 1] == '.');
			if (o > 0 && !prev_dotdot) {
				o = back > 0 ? back - 1 : 0;
				if (o == 0 && abs)
					o = 0;
				continue;
			}
			if (abs && o == 0)
				continue;
		}
		if (o > 0 || abs)
			out[o++] = '/';
		memcpy(out + o, seg, len);
		o += len;
	}
	if (o == 0 && abs)
		out[o++] = '/';
	out[o] = '\0';
	free(joined);
	return out;
}

static char *normalize_path(const char *in)
{
	return normalize_path_in(NULL, in);
}

static const char *comp_dir(Dwarf_Die *cu)
{
	Dwarf_Attribute attr;
	return cu ? dwarf_formstring(dwarf_attr(cu, DW_AT_comp_dir, &attr)) : NULL;
}

/* The loader's counts of objects added and removed: when they change, modules moved. */
struct phdr_counts {
	unsigned long long adds, subs;
};

static int read_counts(struct dl_phdr_info *info, size_t size, void *data)
{
	struct phdr_counts *c = data;
	if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof(info->dlpi_subs)) {
		c->adds = info->dlpi_adds;
		c->subs = info->dlpi_subs;
	}
	return 1;
}

static struct tl_symbolizer *cached;
static struct phdr_counts cached_counts;

/* A file could not be opened for want of descriptors or memory (a program at its
 * RLIMIT_NOFILE during a check): libdwfl keeps that failure for the module, so the symbolizer
 * is not reused. */
static bool sym_incomplete;

static void note_open_failure(void)
{
	if (errno == EMFILE || errno == ENFILE || errno == ENOMEM)
		sym_incomplete = true;
}

/* Checks reuse one symbolizer (a test runner may check a thousand times) until a library is
 * loaded or unloaded, or it lacked something for a reason that passes: libdw, or a file
 * (sym_incomplete). */
struct tl_symbolizer *tl_sym_get(void)
{
	struct phdr_counts now = {0, 0};
	dl_iterate_phdr(read_counts, &now);
	if (cached && now.adds == cached_counts.adds && now.subs == cached_counts.subs &&
	    cached->dwfl != NULL && !sym_incomplete)
		return cached;
	sym_incomplete = false;
	tl_sym_close(cached);
	cached = tl_sym_open();
	cached_counts = now;
	return cached;
}

void tl_sym_forget(void)
{
	cached = NULL; /* after fork: the child's maps are the parent's, but keep it simple */
#ifdef TL_PRELOADED
	nkept = 0; /* the parent's symbolizer, which this child never ends */
	kept_lost = false;
#endif
}

/* ---- modules ----
 * Modules come from the loader (dl_iterate_phdr), not from /proc/PID/maps: that works without
 * /proc, and the loader's names are exact where maps escapes a newline in a path as "\012".
 * They are reported by address range only; find_elf opens a file when a pc first falls in it,
 * so a process with hundreds of libraries opens only those its stacks touch. */

struct cu_range {
	Dwarf_Addr lo, hi; /* module-relative (bias removed) */
	Dwarf_Die *cu;     /* owned by the Dwfl */
};

/* What we keep per module, in its libdwfl userdata slot. */
struct var_loc; /* var_decl's index */
struct mod_data {
	bool main;        /* the executable: open /proc/self/exe if its path does not open */
	const void *vdso; /* the vDSO's image in memory, read with elf_memory */
	size_t vdso_size;
	bool cus_indexed; /* cus: every CU's ranges, for modules without .debug_aranges */
	struct cu_range *cus;
	size_t ncus;
	bool vars_indexed; /* vars: every static-storage variable's address (var_decl) */
	struct var_loc *vars;
	size_t nvars;
	const struct tl_sym_files *opts; /* report files: the --debug-dir folders */
};

struct loaded {
	char *name;
	uintptr_t lo, hi;
	struct mod_data *md;
};

struct loaded_list {
	struct loaded *v;
	size_t n, cap;
	int seen;        /* entries the loader listed, skipped ones too */
	const char *exe; /* path of the main program, or NULL */
};

/* Appends a module; takes name and md (freed when it cannot). False when out of memory. */
static bool add_loaded(struct loaded_list *l, char *name, uintptr_t lo, uintptr_t hi,
                       struct mod_data *md)
{
	if (name == NULL || md == NULL) {
		free(name);
		free(md);
		return false;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap < 32 ? 32 : l->cap * 2;
		struct loaded *v = realloc(l->v, cap * sizeof(*v));
		if (v == NULL) {
			free(name);
			free(md);
			return false;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = (struct loaded){name, lo, hi, md};
	return true;
}

/* The address range a module is reported at: libdwfl takes the first PT_LOAD's aligned address
 * as the module start and derives the bias from it when the file is opened, so exactly that, up
 * to the end of the last segment. False for an object without segments. */
bool tl_module_range(const struct dl_phdr_info *info, uintptr_t *lo, uintptr_t *hi)
{
	bool have_lo = false;
	*lo = UINTPTR_MAX;
	*hi = 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		if (!have_lo) {
			*lo = info->dlpi_addr + (ph->p_vaddr & -(ph->p_align ? ph->p_align : 1));
			have_lo = true;
		}
		if (info->dlpi_addr + ph->p_vaddr + ph->p_memsz > *hi)
			*hi = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
	}
	return have_lo && *hi > *lo;
}

static int collect_module(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	struct loaded_list *l = data;
	bool first = l->seen++ == 0; /* the loader lists the main program first */
	uintptr_t lo, hi;
	if (!tl_module_range(info, &lo, &hi))
		return 0;
	struct mod_data *md = calloc(1, sizeof(*md));
	if (md == NULL)
		return 0;
	uintptr_t vdso = (uintptr_t)TL_LIBC(getauxval)(AT_SYSINFO_EHDR);
	char *name = NULL;
	if (vdso && vdso >= lo && vdso < hi) {
		long page = sysconf(_SC_PAGESIZE);
		md->vdso = (const void *)vdso;
		md->vdso_size = ((hi - vdso) + (size_t)page - 1) & ~((size_t)page - 1);
		name = strdup("[vdso]");
	} else if (info->dlpi_name && info->dlpi_name[0] == '/') {
		name = strdup(info->dlpi_name);
	} else if (info->dlpi_name && info->dlpi_name[0]) {
		/* dlopen("./libplug.so") keeps that name, from a folder the program may have left:
		 * the kernel's name of the file mapped there is absolute */
		char perms[8], path[PATH_MAX];
		name =
		    strdup(tl_mapping_of(lo, perms, path, sizeof(path), NULL) > 0 && path[0] == '/'
		               ? path
		               : info->dlpi_name);
	} else if (first && l->exe) {
		md->main = true;
		name = strdup(l->exe);
	}
	add_loaded(l, name, lo, hi, md);
	return 0;
}

/* The executable's path: exact from /proc/self/exe; without /proc, the name it was executed
 * by (relative to the directory it started in, which is the best we have). */
static char *main_program_path(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = '\0';
		return strdup(buf);
	}
	const char *fn = (const char *)TL_LIBC(getauxval)(AT_EXECFN);
	if (fn == NULL || fn[0] == '\0')
		return NULL;
	char *real = TL_LIBC(realpath)(fn, NULL);
	return real ? real : strdup(fn);
}

/* Open a file for libdw: a regular file only, without waiting (O_NONBLOCK: a FIFO named by an
 * untrusted report would block open() until a writer comes), and no larger than
 * TL_SYM_MAX_FILE, so what libdw maps and reads is bounded. */
int tl_open_regular(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -1;
	struct stat st;
	if (TL_LIBC(fstat)(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > TL_SYM_MAX_FILE) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

/* A module's file as an Elf of its own, read through a private mapping, its descriptor no longer
 * needed (NULL: keep using the descriptor). libdwfl keeps the descriptor of a file it opens until
 * the symbolizer ends, and the library reuses one symbolizer from check to check
 * (tl_sym_get): each module a mid-run report named kept a descriptor of the program's, at the
 * lowest free number, for the rest of its life (docs/internals.md, "Descriptors of our own"). */

/* A descriptor libdwfl keeps: in the library, moved to a high number (preload/log.c
 * tl_high_fd), so that the program's next open() returns what it would without us, and
 * recorded. */
static int tl_fd_kept(int fd)
{
#ifdef TL_PRELOADED
	if (fd >= 0 && fd < 1000) {
		int high = tl_high_fd(fd);
		if (high > fd) {
			close(fd);
			fd = high;
		} else if (high >= 0) { /* no higher number free: a lower one, not kept */
			close(high);
		}
	}
	/* the kernel's fstat: an interposer's (libfaketime's) may be called after its destructor
	 * here (docs/internals.md, Process start, the paragraph on libfaketime) */
	struct stat st;
	if (fd < 0)
		return fd;
	if (nkept == capkept) {
		size_t cap = capkept ? 2 * capkept : 16;
		struct kept_fd *v = realloc(kept, cap * sizeof(*v));
		if (v != NULL) {
			kept = v;
			capkept = cap;
		}
	}
	if (nkept < capkept && tl_raw_syscall(SYS_fstat, fd, (long)&st, 0) == 0)
		kept[nkept++] = (struct kept_fd){fd, st.st_dev, st.st_ino};
	else
		kept_lost = true;
#endif
	return fd;
}

/* May libdwfl close the descriptors it holds (dwfl_end)? Only while each is still the file it
 * opened, or free (the program closed it: closefrom(3)), which a placeholder of ours then
 * takes, atomically (F_DUPFD_CLOEXEC at that number: the lowest free one from there), for
 * dwfl_end to close. Otherwise the symbolizer is left as it is: its memory is lost, the
 * program's files stay open. Forgets them. */
static bool kept_unchanged(void)
{
#ifdef TL_PRELOADED
	bool same = !kept_lost;
	for (size_t i = 0; i < nkept && same; i++) {
		struct stat st;
		long r = tl_raw_syscall(SYS_fstat, kept[i].fd, (long)&st, 0);
		if (r == 0)
			same = st.st_dev == kept[i].dev && st.st_ino == kept[i].ino;
		else if (r == -EBADF)
			kept[i].ino = 0; /* free: a placeholder below */
		else
			same = false;
	}
	int null = -1;
	size_t placed = 0;
	for (; same && placed < nkept; placed++) {
		if (kept[placed].ino != 0)
			continue;
		if (null < 0)
			null = (int)tl_raw_syscall6(SYS_openat, AT_FDCWD, (long)"/dev/null",
			                            O_RDONLY | O_CLOEXEC, 0, 0, 0);
		long got = null < 0
		               ? -1
		               : tl_raw_syscall(SYS_fcntl, null, F_DUPFD_CLOEXEC, kept[placed].fd);
		same = got == kept[placed].fd;
		if (got >= 0 && !same)
			tl_raw_syscall(SYS_close, got, 0, 0);
	}
	if (!same) /* the placeholders made before the one that failed */
		for (size_t i = 0; i + 1 < placed; i++)
			if (kept[i].ino == 0)
				tl_raw_syscall(SYS_close, kept[i].fd, 0, 0);
	if (null >= 0)
		tl_raw_syscall(SYS_close, null, 0, 0);
	nkept = 0;
	kept_lost = false;
	return same;
#else
	return true;
#endif
}

static Elf *elf_without_fd(int fd)
{
	Elf *e = elf_begin(fd, ELF_C_READ_MMAP_PRIVATE, NULL);
	if (e == NULL)
		return NULL;
	/* FDREAD reads what is not mapped, then marks the descriptor unused, as FDDONE does */
	if (elf_kind(e) != ELF_K_ELF || elf_cntl(e, ELF_C_FDREAD) != 0) {
		elf_end(e);
		return NULL;
	}
	return e;
}

static int find_elf(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
                    char **file_name, Elf **elfp)
{
	(void)mod;
	(void)base;
	struct mod_data *md = *userdata;
	*elfp = NULL;
	if (md && md->vdso) {
		/* elf_memory only reads; the image stays mapped for the process's life */
		*elfp = elf_memory((char *)md->vdso, md->vdso_size);
		return -1;
	}
	const char *path = modname;
	int fd = tl_open_regular(path);
	if (fd < 0 && md && md->main) {
		/* deleted or replaced since exec; the kernel still has the file */
		path = "/proc/self/exe";
		fd = tl_open_regular(path);
	}
	if (fd < 0) {
		note_open_failure();
		return -1;
	}
	*file_name = strdup(path);
	Elf *e = elf_without_fd(fd);
	if (e == NULL)
		return tl_fd_kept(fd);
	close(fd);
	*elfp = e;
	return -1;
}

/* CRC-32 of a file, as .gnu_debuglink records it. */
static bool file_crc32(int fd, uint32_t *out)
{
	uint32_t table[256];
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
		table[i] = c;
	}
	unsigned char buf[65536];
	uint32_t crc = 0xffffffffu;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0)
			return false;
		if (n == 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			crc = table[(crc ^ buf[i]) & 0xff] ^ (crc >> 8);
	}
	*out = crc ^ 0xffffffffu;
	return lseek(fd, 0, SEEK_SET) == 0;
}

/* Separate debug information. libdw's dwfl_standard_find_debuginfo ends, when nothing local
 * matches and DEBUGINFOD_URLS is set, by loading libdebuginfod and libcurl and querying
 * servers: seconds at exit, and it has crashed there. So: the build-id tree
 * (/usr/lib/debug/.build-id/xx/yyyy.debug, which also finds dwz's alternate files), then
 * .gnu_debuglink where GDB looks: next to the file, in its .debug folder, under /usr/lib/debug;
 * then, in `threadleak report` only, debuginfod. (MiniDebugInfo needs nothing here: libdw
 * reads .gnu_debugdata itself when a file has no .symtab.) */
#ifndef TL_PRELOADED
/* The module's build-id as hex into hex[2 * 64 + 1]: false when it has none (or a longer one). */
static bool module_build_id(Dwfl_Module *mod, char *hex)
{
	const unsigned char *bits;
	GElf_Addr vaddr;
	int n = dwfl_module_build_id(mod, &bits, &vaddr);
	if (n <= 1 || n > 64)
		return false;
	for (int i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", bits[i]);
	return true;
}

/* Not a regular file where one is expected: a FIFO would block open(), a device be read. */
static bool exists_not_regular(const char *path)
{
	struct stat st;
	return TL_LIBC(stat)(path, &st) == 0 && !S_ISREG(st.st_mode);
}

/* libdw opens the build-id tree's .build-id/xx/yyyy.debug with a plain open(): a FIFO there
 * (in a debug folder from elsewhere) would block it. False when a candidate is not a regular
 * file; the build-id lookup is then skipped. */
static bool build_id_files_regular(Dwfl_Module *mod, const struct tl_sym_files *o)
{
	char hex[2 * 64 + 1];
	if (!module_build_id(mod, hex))
		return true;
	for (size_t i = 0; o && i <= o->ndebug_dirs; i++) {
		const char *dir = i < o->ndebug_dirs ? o->debug_dirs[i] : "/usr/lib/debug";
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/.build-id/%.2s/%s.debug", dir, hex, hex + 2);
		if (exists_not_regular(path))
			return false;
	}
	return true;
}

#ifdef TL_HAVE_DEBUGINFOD
/* ---- debuginfod, for `threadleak report` only ----
 * libdebuginfod is dlopen'ed (as libdw itself does) only when DEBUGINFOD_URLS is set and a
 * module's debug info is found nowhere local; its client lives as long as the process. */
struct debuginfod_api {
	__typeof__(debuginfod_begin) *begin;
	__typeof__(debuginfod_find_debuginfo) *find_debuginfo;
	debuginfod_client *client;
};

static struct debuginfod_api *debuginfod_api(void)
{
	static struct debuginfod_api api;
	static bool tried;
	if (tried)
		return api.client ? &api : NULL;
	tried = true;
	void *h = TL_LIBC(dlopen)("libdebuginfod.so.1", RTLD_LAZY | RTLD_LOCAL);
	if (h == NULL)
		return NULL;
	api.begin = (__typeof__(api.begin))TL_LIBC(dlsym)(h, "debuginfod_begin");
	api.find_debuginfo =
	    (__typeof__(api.find_debuginfo))TL_LIBC(dlsym)(h, "debuginfod_find_debuginfo");
	if (api.begin && api.find_debuginfo)
		api.client = api.begin();
	return api.client ? &api : NULL;
}

/* Where the debuginfod client keeps a build-id's debug file (it chooses its cache folder this
 * way): it open()s a cached file without looking at what it is, so a FIFO planted there would
 * block us. False when that is not a regular file. */
static bool debuginfod_cache_regular(const char *hex)
{
	const char *env = getenv("DEBUGINFOD_CACHE_PATH");
	const char *home = getenv("HOME");
	const char *xdg = getenv("XDG_CACHE_HOME");
	char legacy[PATH_MAX];
	snprintf(legacy, sizeof(legacy), "%s/.debuginfod_client_cache", home ? home : "");
	char dir[PATH_MAX];
	struct stat st;
	if (env && env[0])
		snprintf(dir, sizeof(dir), "%s", env);
	else if (home && TL_LIBC(stat)(legacy, &st) == 0)
		snprintf(dir, sizeof(dir), "%s", legacy);
	else if (xdg && xdg[0])
		snprintf(dir, sizeof(dir), "%s/debuginfod_client", xdg);
	else
		snprintf(dir, sizeof(dir), "%s/.cache/debuginfod_client", home ? home : "");
	char path[PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/%s/debuginfo", dir, hex);
	return n > 0 && (size_t)n < sizeof(path) && !exists_not_regular(path);
}

/* The build-id of the dwz alternate file a debug file names: .gnu_debugaltlink holds its path,
 * a NUL, then the build-id. */
static bool altlink_build_id(const char *debug_file, char *hex)
{
	bool found = false;
	int fd = debug_file ? tl_open_regular(debug_file) : -1;
	Elf *e = fd >= 0 ? elf_begin(fd, ELF_C_READ_MMAP, NULL) : NULL;
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	while (e && !found && elf_getshdrstrndx(e, &shstrndx) == 0 &&
	       (scn = elf_nextscn(e, scn)) != NULL) {
		GElf_Shdr sh;
		const char *n = gelf_getshdr(scn, &sh) ? elf_strptr(e, shstrndx, sh.sh_name) : NULL;
		Elf_Data *d =
		    n && strcmp(n, ".gnu_debugaltlink") == 0 ? elf_getdata(scn, NULL) : NULL;
		const unsigned char *p = d ? d->d_buf : NULL;
		const unsigned char *nul = p ? memchr(p, 0, d->d_size) : NULL;
		size_t len = nul ? d->d_size - (size_t)(nul + 1 - p) : 0;
		for (size_t i = 0; len > 1 && len <= 64 && i < len; i++)
			snprintf(hex + 2 * i, 3, "%02x", nul[1 + i]);
		found = len > 1 && len <= 64;
	}
	elf_end(e);
	if (fd >= 0)
		close(fd);
	return found;
}

/* The debug file of a build-id (hex) from the servers of DEBUGINFOD_URLS. */
static int debuginfod_fetch_id(const char *hex, const char *modname, const struct tl_sym_files *o,
                               char **name)
{
	if (!debuginfod_cache_regular(hex))
		return -1;
	struct debuginfod_api *api = debuginfod_api();
	if (api == NULL)
		return -1;
	char *path = NULL;
	int fd = api->find_debuginfo(api->client, (const unsigned char *)hex, 0, &path);
	struct stat st;
	if (fd >= 0 && (TL_LIBC(fstat)(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	                st.st_size > TL_SYM_MAX_FILE)) {
		close(fd);
		fd = -1;
	}
	if (fd >= 0 && path) {
		*name = path;
		path = NULL;
	}
	if (fd < 0 && o->verbose && o->err)
		o->err("%s: debuginfod has no debug info for build-id %s", modname, hex);
	free(path);
	return fd;
}

/* The module's debug file, or (crc 0 with a name: libdw asks for it after reading debug_file)
 * the dwz alternate file that debug file names. */
static int debuginfod_fetch(Dwfl_Module *mod, const char *modname, const struct tl_sym_files *o,
                            const char *debug_file, const char *debuglink, GElf_Word crc,
                            char **name)
{
	const char *urls = getenv("DEBUGINFOD_URLS");
	char hex[2 * 64 + 1];
	if (o == NULL || urls == NULL || urls[0] == '\0')
		return -1;
	bool alt = crc == 0 && debuglink;
	if (alt ? !altlink_build_id(debug_file, hex) : !module_build_id(mod, hex))
		return -1;
	return debuginfod_fetch_id(hex, modname, o, name);
}
#else
static int debuginfod_fetch(Dwfl_Module *mod, const char *modname, const struct tl_sym_files *o,
                            const char *debug_file, const char *debuglink, GElf_Word crc,
                            char **name)
{
	(void)mod, (void)modname, (void)o, (void)debug_file, (void)debuglink, (void)crc, (void)name;
	return -1; /* built without libdebuginfod-dev's header */
}
#endif
#endif

/* .gnu_debuglink where GDB looks, and in the report's debug folders. */
static int find_debuglink(const char *file_name, const char *debuglink, GElf_Word crc,
                          const struct tl_sym_files *o, char **debuginfo_file_name)
{
	int fd;
	char dir[PATH_MAX] = "";
	if (file_name) {
		const char *slash = strrchr(file_name, '/');
		if (slash && (size_t)(slash - file_name) < sizeof(dir))
			snprintf(dir, sizeof(dir), "%.*s", (int)(slash - file_name), file_name);
	}
	/* and, for a report's modules, in the --debug-dir folders */
	size_t ndirs = o ? (o->ndebug_dirs < 8 ? o->ndebug_dirs : 8) : 0;
	char cand[4 + 8][PATH_MAX];
	int ncand = 0;
	if (debuglink[0] == '/') {
		snprintf(cand[ncand++], PATH_MAX, "%s", debuglink);
	} else if (dir[0] == '/') {
		snprintf(cand[ncand++], PATH_MAX, "%s/%s", dir, debuglink);
		snprintf(cand[ncand++], PATH_MAX, "%s/.debug/%s", dir, debuglink);
		snprintf(cand[ncand++], PATH_MAX, "/usr/lib/debug%s/%s", dir, debuglink);
	}
	for (size_t i = 0; debuglink[0] != '/' && i < ndirs; i++)
		snprintf(cand[ncand++], PATH_MAX, "%s/%s", o->debug_dirs[i], debuglink);
	for (int i = 0; i < ncand; i++) {
		if (file_name && strcmp(cand[i], file_name) == 0)
			continue;
		fd = tl_open_regular(cand[i]);
		if (fd < 0)
			continue;
		uint32_t got;
		/* crc 0: a dwz alternate file named by .gnu_debugaltlink, which has no CRC */
		if (crc == 0 || (file_crc32(fd, &got) && got == crc)) {
			*debuginfo_file_name = strdup(cand[i]);
			return fd;
		}
		close(fd);
	}
	return -1;
}

static int find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
                          const char *file_name, const char *debuglink, GElf_Word crc,
                          char **debuginfo_file_name)
{
	struct mod_data *md = *userdata;
	const struct tl_sym_files *o = md ? md->opts : NULL;
	int fd = -1;
#ifndef TL_PRELOADED
	if (build_id_files_regular(mod, o))
#endif
		fd = dwfl_build_id_find_debuginfo(mod, userdata, modname, base, file_name,
		                                  debuglink, crc, debuginfo_file_name);
	if (fd < 0 && debuglink && debuglink[0])
		fd = find_debuglink(file_name, debuglink, crc, o, debuginfo_file_name);
#ifndef TL_PRELOADED
	if (fd < 0)
		fd = debuginfod_fetch(mod, modname, o, file_name, debuglink, crc,
		                      debuginfo_file_name);
#endif
	return tl_fd_kept(fd); /* libdwfl keeps it (elf_without_fd says why) */
}

/* ---- modules unloaded since ----
 * A plugin's threads keep their start routine and creation stack in its code after dlclose:
 * their frames read "?? (module unloaded)", and module:, start: and created_by: rules no longer
 * matched them. The file is still on disk: the symbolizer reports it at the addresses it had
 * (newest first), unless a module loaded since overlaps them. */
#define UNLOADED_MAX 32
static struct {
	char *path;
	uintptr_t lo, hi;
	unsigned long inode; /* of the file that was mapped: the path may name another one since */
} unloaded[UNLOADED_MAX];
static size_t unloaded_next; /* a ring: the oldest goes */
static pthread_mutex_t unloaded_lock = PTHREAD_MUTEX_INITIALIZER;

void tl_sym_unloading(uintptr_t lo, uintptr_t hi)
{
	/* the kernel's name for the file mapped there: absolute, whatever dlopen was given
	 * ("./libplug.so", from a folder the program may have left) */
	char perms[8], path[PATH_MAX];
	unsigned long inode = 0;
	if (tl_mapping_of(lo, perms, path, sizeof(path), &inode) <= 0 || path[0] != '/' ||
	    inode == 0)
		return;
	char *copy = strdup(path);
	if (copy == NULL)
		return;
	pthread_mutex_lock(&unloaded_lock);
	size_t i = unloaded_next++ % UNLOADED_MAX;
	free(unloaded[i].path);
	unloaded[i].path = copy;
	unloaded[i].lo = lo;
	unloaded[i].hi = hi;
	unloaded[i].inode = inode;
	pthread_mutex_unlock(&unloaded_lock);
}

static bool overlaps(const struct loaded_list *l, size_t n, uintptr_t lo, uintptr_t hi)
{
	for (size_t i = 0; i < n; i++)
		if (l->v[i].lo < hi && lo < l->v[i].hi)
			return true;
	return false;
}

/* Appended to l: the unloaded modules whose addresses are free. */
static void collect_unloaded(struct loaded_list *l)
{
	pthread_mutex_lock(&unloaded_lock);
	for (size_t k = 0; k < UNLOADED_MAX && k < unloaded_next; k++) {
		size_t i = (unloaded_next - 1 - k) % UNLOADED_MAX;
		struct stat st;
		if (unloaded[i].path == NULL || overlaps(l, l->n, unloaded[i].lo, unloaded[i].hi) ||
		    TL_LIBC(stat)(unloaded[i].path, &st) != 0 || st.st_ino != unloaded[i].inode)
			continue; /* the file was replaced or deleted: its names would be wrong */
		if (!add_loaded(l, strdup(unloaded[i].path), unloaded[i].lo, unloaded[i].hi,
		                calloc(1, sizeof(struct mod_data))))
			break;
	}
	pthread_mutex_unlock(&unloaded_lock);
}

struct tl_symbolizer *tl_sym_open(void)
{
	static char *debuginfo_path = NULL; /* libdw's default: ":.debug:/usr/lib/debug" */
	static Dwfl_Callbacks cb;
	struct tl_symbolizer *s = calloc(1, sizeof(*s));
	if (s == NULL || !tl_deps_dw())
		return s;
	cb.find_elf = find_elf;
	cb.find_debuginfo = find_debuginfo;
	cb.debuginfo_path = &debuginfo_path;
	s->dwfl = dwfl_begin(&cb);
	if (s->dwfl == NULL)
		return s;
	/* collect first, report after: libdw opens nothing here, but the loader lock is held
	 * inside dl_iterate_phdr and nothing beyond copying needs it */
	struct loaded_list l = {.exe = NULL};
	char *exe = main_program_path();
	l.exe = exe;
	dl_iterate_phdr(collect_module, &l);
	collect_unloaded(&l);
	dwfl_report_begin(s->dwfl);
	for (size_t i = 0; i < l.n; i++) {
		Dwfl_Module *m = dwfl_report_module(s->dwfl, l.v[i].name, l.v[i].lo, l.v[i].hi);
		void **ud = NULL;
		if (m && dwfl_module_info(m, &ud, NULL, NULL, NULL, NULL, NULL, NULL) && ud &&
		    *ud == NULL) {
			*ud = l.v[i].md;
			l.v[i].md = NULL;
			if (i == 0 && ((struct mod_data *)*ud)->main)
				s->main_mod = m;
		}
		free(l.v[i].md);
		free(l.v[i].name);
	}
	dwfl_report_end(s->dwfl, NULL, NULL);
	free(l.v);
	free(exe);
	return s;
}

static int free_mod_data(Dwfl_Module *mod, void **ud, const char *name, Dwarf_Addr start, void *arg)
{
	(void)mod;
	(void)name;
	(void)start;
	(void)arg;
	struct mod_data *md = *ud;
	if (md) {
		free(md->cus);
		free(md->vars);
		free(md);
		*ud = NULL;
	}
	return DWARF_CB_OK;
}

void tl_sym_close(struct tl_symbolizer *s)
{
	if (s == NULL)
		return;
	struct sym_entry *e, *tmp;
	HASH_ITER (hh, s->cache, e, tmp) {
		HASH_DEL(s->cache, e);
		free(e);
	}
	for (size_t i = 0; i < s->nstrings; i++)
		free(s->strings[i]);
	free(s->strings);
	bool may_close = kept_unchanged();
	if (s->dwfl) {
		dwfl_getmodules(s->dwfl, free_mod_data, NULL, 0);
		if (may_close)
			dwfl_end(s->dwfl);
	}
	for (size_t i = 0; i < s->nfiles; i++) {
		if (s->files[i].dwfl) {
			dwfl_getmodules(s->files[i].dwfl, free_mod_data, NULL, 0);
			dwfl_end(s->files[i].dwfl);
		}
		free(s->files[i].name);
		free(s->files[i].file);
	}
	free(s->files);
	free(s->debuginfo_path);
	free(s);
}

/* ---- compilation units ---- */

static int cmp_range(const void *a, const void *b)
{
	const struct cu_range *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Every CU's address ranges, sorted, built once per module. */
static void index_cus(Dwfl_Module *mod, struct mod_data *md)
{
	md->cus_indexed = true;
	size_t cap = 0;
	Dwarf_Addr bias;
	Dwarf_Die *cu = NULL;
	while ((cu = dwfl_module_nextcu(mod, cu, &bias)) != NULL) {
		Dwarf_Addr basep, lo, hi;
		ptrdiff_t off = 0;
		while ((off = dwarf_ranges(cu, off, &basep, &lo, &hi)) > 0) {
			if (hi <= lo)
				continue;
			if (md->ncus == cap) {
				cap = cap ? cap * 2 : 64;
				struct cu_range *v = realloc(md->cus, cap * sizeof(*v));
				if (v == NULL)
					goto done;
				md->cus = v;
			}
			md->cus[md->ncus++] = (struct cu_range){lo, hi, cu};
		}
	}
done:
	if (md->ncus > 0) /* a module without DWARF has none, and no array */
		qsort(md->cus, md->ncus, sizeof(*md->cus), cmp_range);
}

/* The CU holding addr. libdwfl finds it through .debug_aranges, which clang does not emit
 * and which can be partial: then look in the module's own index of CU ranges. */
static Dwarf_Die *find_cu(Dwfl_Module *mod, Dwarf_Addr addr, Dwarf_Addr *bias)
{
	Dwarf_Die *cu = dwfl_module_addrdie(mod, addr, bias);
	if (cu)
		return cu;
	void **ud = NULL;
	if (dwfl_module_info(mod, &ud, NULL, NULL, NULL, NULL, NULL, NULL) == NULL || ud == NULL ||
	    *ud == NULL)
		return NULL;
	struct mod_data *md = *ud;
	if (!md->cus_indexed)
		index_cus(mod, md);
	if (md->ncus == 0)
		return NULL;
	/* the bias is the module's: any CU's answer gives it */
	if (dwfl_module_nextcu(mod, NULL, bias) == NULL)
		return NULL;
	Dwarf_Addr rel = addr - *bias;
	size_t lo = 0, hi = md->ncus; /* first range with lo > rel */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (md->cus[mid].lo <= rel)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* ranges of different CUs do not overlap; a few steps back cover nested oddities */
	for (size_t i = lo, k = 0; i > 0 && k < 8; i--, k++)
		if (rel >= md->cus[i - 1].lo && rel < md->cus[i - 1].hi)
			return md->cus[i - 1].cu;
	return NULL;
}

/* ---- names ---- */

static bool is_type_scope(int tag)
{
	return tag == DW_TAG_namespace || tag == DW_TAG_module || tag == DW_TAG_structure_type ||
	       tag == DW_TAG_class_type || tag == DW_TAG_union_type ||
	       tag == DW_TAG_enumeration_type || tag == DW_TAG_interface_type;
}

/* Append "a" then "b" to the malloc'd string *p (NULL: empty); false when out of memory. */
static bool append2(char **p, const char *a, const char *b)
{
	size_t have = *p ? strlen(*p) : 0, na = strlen(a), nb = strlen(b);
	char *q = realloc(*p, have + na + nb + 1);
	if (q == NULL)
		return false;
	memcpy(q + have, a, na);
	memcpy(q + have + na, b, nb + 1);
	*p = q;
	return true;
}

/* ---- lambdas ----
 * GCC gives a lambda's operator() no linkage name, and its closure type no name: what the
 * demangler writes for the same function when it is not inlined, "main::{lambda()#1}", has to
 * be rebuilt from the closure's place among the others of its function (docs/internals.md,
 * "Lambda names"). */

/* A closure type: a structure or class without a name (or named "<lambda...>", "(lambda ...") that
 * has an operator(). */
static bool is_closure(Dwarf_Die *die)
{
	int tag = dwarf_tag(die);
	if (tag != DW_TAG_structure_type && tag != DW_TAG_class_type)
		return false;
	const char *name = dwarf_diename(die);
	if (name != NULL && strncmp(name, "<lambda", 7) != 0 && strncmp(name, "(lambda", 7) != 0)
		return false;
	Dwarf_Die m;
	if (dwarf_child(die, &m) != 0)
		return false;
	do {
		const char *n;
		if (dwarf_tag(&m) == DW_TAG_subprogram && (n = dwarf_diename(&m)) != NULL &&
		    strcmp(n, "operator()") == 0)
			return true;
	} while (dwarf_siblingof(&m, &m) == 0);
	return false;
}

static bool type_text(Dwarf_Die *type, char **out, int depth);

/* The demangler's names of the base types whose DWARF names differ */
static const char *base_type_name(const char *n)
{
	static const char *const map[][2] = {
	    {"long int", "long"},
	    {"long unsigned int", "unsigned long"},
	    {"short int", "short"},
	    {"short unsigned int", "unsigned short"},
	    {"long long int", "long long"},
	    {"long long unsigned int", "unsigned long long"},
	    {"_Bool", "bool"},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(n, map[i][0]) == 0)
			return map[i][1];
	return n;
}

static bool qualifier(Dwarf_Die *target, char **out);

/* A parameter's type as the demangler writes it ("std::__cxx11::basic_string<char, ...> const&",
 * "char const*"); false for what it does not spell (arrays, function types, ...). */
static bool type_text(Dwarf_Die *type, char **out, int depth)
{
	if (depth > 16)
		return false;
	Dwarf_Attribute attr;
	Dwarf_Die inner;
	int tag = dwarf_tag(type);
	bool has_inner = dwarf_attr(type, DW_AT_type, &attr) && dwarf_formref_die(&attr, &inner);
	const char *suffix = NULL, *n = dwarf_diename(type);
	switch (tag) {
	case DW_TAG_typedef: /* transparent in a mangled name */
		return has_inner && type_text(&inner, out, depth + 1);
	case DW_TAG_base_type:
		return n != NULL && append2(out, base_type_name(n), "");
	case DW_TAG_unspecified_type:
		return n != NULL && append2(out, n, ""); /* decltype(nullptr) */
	case DW_TAG_structure_type:
	case DW_TAG_class_type:
	case DW_TAG_union_type:
	case DW_TAG_enumeration_type:
		return n != NULL && qualifier(type, out) && append2(out, n, "");
	case DW_TAG_pointer_type:
		suffix = "*";
		break;
	case DW_TAG_reference_type:
		suffix = "&";
		break;
	case DW_TAG_rvalue_reference_type:
		suffix = "&&";
		break;
	case DW_TAG_const_type:
		suffix = " const";
		break;
	case DW_TAG_volatile_type:
		suffix = " volatile";
		break;
	default:
		return false;
	}
	if (!has_inner) /* void* */
		return (tag == DW_TAG_pointer_type || tag == DW_TAG_const_type) &&
		       append2(out, "void", suffix);
	return type_text(&inner, out, depth + 1) && append2(out, suffix, "");
}

/* "(int, char const*)": the closure's operator()'s parameters, `this` left out; NULL when one
 * cannot be spelt. */
static char *closure_signature(Dwarf_Die *closure)
{
	Dwarf_Die m, p;
	if (dwarf_child(closure, &m) != 0)
		return NULL;
	do {
		const char *n = dwarf_diename(&m);
		if (dwarf_tag(&m) != DW_TAG_subprogram || n == NULL || strcmp(n, "operator()") != 0)
			continue;
		char *sig = strdup("(");
		bool first = true, ok = sig != NULL;
		if (ok && dwarf_child(&m, &p) == 0) {
			do {
				Dwarf_Attribute attr;
				Dwarf_Die t;
				if (dwarf_tag(&p) == DW_TAG_unspecified_parameters) {
					ok = false; /* a generic lambda's pack, C varargs */
					break;
				}
				if (dwarf_tag(&p) != DW_TAG_formal_parameter ||
				    dwarf_hasattr(&p, DW_AT_artificial))
					continue;
				ok = append2(&sig, first ? "" : ", ", "") &&
				     dwarf_attr(&p, DW_AT_type, &attr) &&
				     dwarf_formref_die(&attr, &t) && type_text(&t, &sig, 0);
				first = false;
			} while (ok && dwarf_siblingof(&p, &p) == 0);
		}
		if (ok && append2(&sig, ")", ""))
			return sig;
		free(sig);
		return NULL;
	} while (dwarf_siblingof(&m, &m) == 0);
	return NULL;
}

/* Where a closure type is declared: line and column, 0 when unknown. */
static long closure_place(Dwarf_Die *closure)
{
	Dwarf_Attribute attr;
	Dwarf_Word line = 0, col = 0;
	if (dwarf_attr(closure, DW_AT_decl_line, &attr))
		dwarf_formudata(&attr, &line);
	if (dwarf_attr(closure, DW_AT_decl_column, &attr))
		dwarf_formudata(&attr, &col);
	return line ? (long)(line << 16 | (col & 0xffff)) : 0;
}

/* Count the closures of `ctx` (a function: its blocks too, not what nested functions and
 * closures hold) declared before `place` in the source. GCC writes the closures of a nested
 * block after the function's own, so the order of the entries is not the source's. */
static void count_closures(Dwarf_Die *ctx, long place, int *count, int depth)
{
	Dwarf_Die c;
	if (depth > 32 || dwarf_child(ctx, &c) != 0)
		return;
	do {
		if (is_closure(&c)) {
			long p = closure_place(&c);
			*count += p && p < place;
		} else if (dwarf_tag(&c) == DW_TAG_lexical_block) {
			count_closures(&c, place, count, depth + 1);
		}
	} while (dwarf_siblingof(&c, &c) == 0);
}

/* "{lambda(int)#2}", the demangler's name of `closure`, a closure type declared in the
 * function `ctx`: GCC numbers the lambdas of a function in the order of the source, whatever
 * their parameters. (Clang gives a lambda's operator() a linkage name: it is not needed
 * there.) Without a place in the source, no number. */
static bool append_closure_name(Dwarf_Die *ctx, Dwarf_Die *closure, char **out)
{
	char *sig = closure_signature(closure);
	long place = closure_place(closure);
	char num[16] = "";
	if (place) {
		int count = 0;
		count_closures(ctx, place, &count, 0);
		snprintf(num, sizeof(num), "#%d", count + 1);
	}
	bool ok = append2(out, "{lambda", sig ? sig : "(...)") && append2(out, num, "}::");
	free(sig);
	return ok;
}

/* "outer::inner::" for the namespaces, types and functions enclosing `target`, appended to
 * *out: libdw keeps no parent links, so descend from the CU into the child whose span holds
 * the offset. */
static bool qualifier(Dwarf_Die *target, char **out)
{
	Dwarf_Die cudie;
	if (dwarf_diecu(target, &cudie, NULL, NULL) == NULL)
		return true;
	Dwarf_Off want = dwarf_dieoffset(target), end = (Dwarf_Off)-1;
	Dwarf_Die cur = cudie, ctx = cudie; /* ctx: the innermost function so far (lambdas) */
	for (int depth = 0; depth < 64; depth++) {
		Dwarf_Die child, next;
		if (dwarf_child(&cur, &child) != 0)
			return true;
		for (;;) {
			Dwarf_Off o = dwarf_dieoffset(&child);
			if (o == want)
				return true;
			int r = dwarf_siblingof(&child, &next);
			Dwarf_Off no = r == 0 ? dwarf_dieoffset(&next) : end;
			if (want > o && want < no) {
				end = no;
				break;
			}
			if (r != 0)
				return true;
			child = next;
		}
		int tag = dwarf_tag(&child);
		Dwarf_Attribute attr;
		const char *linkage = NULL;
		if (tag == DW_TAG_subprogram &&
		    (dwarf_attr_integrate(&child, DW_AT_linkage_name, &attr) ||
		     dwarf_attr_integrate(&child, DW_AT_MIPS_linkage_name, &attr)))
			linkage = dwarf_formstring(&attr);
		char *d = linkage ? tl_demangle(linkage) : NULL;
		if (d) {
			/* a local type's function: the enclosing function's full name replaces
			 * what we have, as C++'s demangler writes "f(int)::Local::g()" */
			free(*out);
			*out = NULL;
			bool ok = append2(out, d, "::");
			free(d);
			if (!ok)
				return false;
		} else if (is_closure(&child)) {
			if (!append_closure_name(&ctx, &child, out))
				return false;
		} else if (is_type_scope(tag) || tag == DW_TAG_subprogram) {
			const char *n = dwarf_diename(&child);
			if (n == NULL && tag == DW_TAG_namespace)
				n = "(anonymous namespace)";
			if (n && !append2(out, n, "::"))
				return false;
		}
		if (tag == DW_TAG_subprogram)
			ctx = child;
		cur = child;
	}
	return true;
}

/* A function's name from DWARF: its linkage name demangled when it has one (exact, with the
 * template arguments and parameters), else its name qualified by where it is declared (C++
 * constructors, and Rust closures in some rustc versions, have no linkage name). */
static const char *die_name(struct tl_symbolizer *s, Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	const char *linkage = NULL;
	if (dwarf_attr_integrate(die, DW_AT_linkage_name, &attr) ||
	    dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr))
		linkage = dwarf_formstring(&attr);
	if (linkage)
		return nice_name(s, linkage);
	const char *name = dwarf_diename(die);
	if (name == NULL)
		return NULL;
	/* the declaration: through the abstract origin, then the specification */
	Dwarf_Die decl = *die, ref;
	for (int i = 0; i < 4; i++) {
		if ((dwarf_attr(&decl, DW_AT_abstract_origin, &attr) ||
		     dwarf_attr(&decl, DW_AT_specification, &attr)) &&
		    dwarf_formref_die(&attr, &ref))
			decl = ref;
		else
			break;
	}
	char *q = NULL;
	if (qualifier(&decl, &q) && append2(&q, name, ""))
		return keep(s, q);
	free(q);
	return keep(s, strdup(name));
}

static const char *src_file(struct tl_symbolizer *s, Dwarf_Die *cu, Dwarf_Word idx)
{
	Dwarf_Files *files;
	size_t nfiles;
	if (dwarf_getsrcfiles(cu, &files, &nfiles) != 0 || idx >= nfiles)
		return NULL;
	const char *f = dwarf_filesrc(files, idx, NULL, NULL);
	return f ? keep(s, normalize_path_in(comp_dir(cu), f)) : NULL;
}

/* ---- inlined frames ---- */

#define MAX_SCOPES 32

struct scope_chain {
	int n;
	Dwarf_Die
	    d[MAX_SCOPES]; /* subprograms and inlined subroutines holding pc, outermost first */
};

/* Descend to pc: into functions, inlined calls and blocks whose ranges hold it, and into every
 * namespace and type (rustc nests functions there; libdw 0.188's dwarf_getscopes does not
 * look inside them, and for an inlined call it continues with the abstract definition's
 * lexical scopes rather than with the calls it was inlined into). */
static bool walk_scopes(Dwarf_Die *parent, Dwarf_Addr pc, struct scope_chain *c, int depth,
                        bool nested)
{
	Dwarf_Die child;
	if (depth > 64 || dwarf_child(parent, &child) != 0)
		return false;
	do {
		int tag = dwarf_tag(&child);
		bool scope = tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
		             tag == DW_TAG_lexical_block || tag == DW_TAG_try_block ||
		             tag == DW_TAG_catch_block || tag == DW_TAG_with_stmt;
		if (scope && dwarf_haspc(&child, pc) > 0) {
			if ((tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine) &&
			    c->n < MAX_SCOPES)
				c->d[c->n++] = child;
			walk_scopes(&child, pc, c, depth + 1, nested);
			return true;
		}
		/* nested: a function defined inside another one, outside its ranges: GCC puts a
		 * lambda's body (at -O0, where it is not inlined) inside the function that defines
		 * it, in the block the lambda is written in (an if's, a loop's), and the frame lost
		 * its inlined calls */
		if ((is_type_scope(tag) || (nested && (tag == DW_TAG_subprogram || scope))) &&
		    walk_scopes(&child, pc, c, depth + 1, nested))
			return true;
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

int tl_open_maps(void)
{
	return open("/proc/thread-self/maps", O_RDONLY | O_CLOEXEC);
}

/* The mapping of /proc/thread-self/maps that holds `addr`: its permissions ("r-xp") and its path
 * ("" for an anonymous one), both cut to their buffers. At most 16 MiB of the file is read.
 * 1: found; 0: no mapping holds it; -1: the file cannot be read. */
int tl_mapping_of(uintptr_t addr, char perms[8], char *path, size_t pathlen, unsigned long *inode)
{
	int fd = tl_open_maps();
	if (fd < 0)
		return -1;
	char buf[4096];
	size_t have = 0, total = 0;
	for (;;) {
		ssize_t n = read(fd, buf + have, sizeof(buf) - 1 - have);
		if (n <= 0 || (total += (size_t)n) > ((size_t)16 << 20))
			break;
		have += (size_t)n;
		buf[have] = '\0';
		char *line = buf, *nl;
		while ((nl = strchr(line, '\n')) != NULL) {
			*nl = '\0';
			unsigned long lo, hi, ino = 0;
			int end = 0;
			if (TL_LIBC_SSCANF(line, "%lx-%lx %7s %*s %*s %lu%n", &lo, &hi, perms, &ino,
			                   &end) == 4 &&
			    addr >= lo && addr < hi) {
				if (inode)
					*inode = ino;
				const char *p = line + end;
				while (*p == ' ')
					p++;
				snprintf(path, pathlen, "%s", p);
				close(fd);
				return 1;
			}
			line = nl + 1;
		}
		have = strlen(line);
		if (have == sizeof(buf) - 1)
			have = 0; /* a line longer than the buffer: its path, skipped */
		memmove(buf, line, have);
	}
	close(fd);
	return 0;
}

/* Where a pc in no module the loader lists is: JIT code in an anonymous executable mapping,
 * or a library dlclose'd since the stack was taken. /proc/self/maps tells them apart; it is
 * read at the check (the mapping may be gone later). */
static int outside_modules(uintptr_t pc)
{
	if (pc >= ((uintptr_t)1 << 47))
		return TL_MAP_UNKNOWN; /* not a user-space address: a stack unwound past its end */
	char perms[8], path[8];
	int found = tl_mapping_of(pc, perms, path, sizeof(path), NULL);
	if (found <= 0)
		return found < 0 ? TL_MAP_UNKNOWN : TL_MAP_UNLOADED;
	return strchr(perms, 'x') ? TL_MAP_ANONYMOUS : TL_MAP_UNLOADED;
}

/* Frames for addr in mod, innermost (inlined) first; the module is reported as `modname` at
 * `offset`. */
static int lookup(struct tl_symbolizer *s, Dwfl_Module *mod, uintptr_t addr, const char *modname,
                  uintptr_t offset, struct tl_frame *out, int max)
{
	struct tl_frame base = {.module = modname ? keep(s, strdup(modname)) : NULL,
	                        .offset = offset};
	GElf_Off off;
	GElf_Sym sym;
	const char *symname = dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL, NULL);
	/* a symbol names the code only inside its size: libdwfl falls back to the nearest
	 * sizeless symbol before addr (an assembly label), which in a library without .symtab
	 * is an exported function far from the static code that really runs here */
	if (symname && off >= sym.st_size)
		symname = NULL;
	base.function = nice_name(s, symname);
	/* libc, the loader, libstdc++: the symbol table names the function; their file and line
	 * would cost inflating their compressed debug info (docs/internals.md, "Symbolization") */
	if (!tl_sym_system_lines && tl_module_is_system(modname)) {
		out[0] = base;
		return 1;
	}

	Dwarf_Addr bias = 0;
	Dwarf_Die *cu = find_cu(mod, addr, &bias);
	/* libdwfl's search of .debug_aranges takes the last range that begins at or before addr,
	 * however short: crt1.o's _start, after a C++ program's static initializers at -O2, got
	 * the initializer's CU and the line of its last row. A CU that says where its code is
	 * and does not hold addr has no line for it. */
	if (cu && (dwarf_hasattr(cu, DW_AT_ranges) || dwarf_hasattr(cu, DW_AT_low_pc)) &&
	    dwarf_haspc(cu, addr - bias) == 0)
		cu = NULL;

	/* source line of the innermost frame; libdwfl's lookup needs the aranges too */
	const char *file = NULL;
	int lineno = 0;
	Dwfl_Line *line = cu ? dwfl_module_getsrc(mod, addr) : NULL;
	Dwarf_Line *dline = line == NULL && cu ? dwarf_getsrc_die(cu, addr - bias) : NULL;
	if (line) {
		const char *f = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
		file = f ? keep(s, normalize_path_in(dwfl_line_comp_dir(line), f)) : NULL;
	} else if (dline) {
		const char *f = dwarf_linesrc(dline, NULL, NULL);
		if (dwarf_lineno(dline, &lineno) != 0)
			lineno = 0;
		file = f ? keep(s, normalize_path_in(comp_dir(cu), f)) : NULL;
	}

	/* inlined frames, innermost first (what eu-addr2line -i prints) */
	struct scope_chain *ch = calloc(1, sizeof(*ch));
	if (ch && cu)
		if (!walk_scopes(cu, addr - bias, ch, 0, false) || ch->n == 0) {
			ch->n = 0; /* a second pass for functions nested in others (slower) */
			walk_scopes(cu, addr - bias, ch, 0, true);
		}
	int outer = -1; /* the innermost subprogram: the function the code belongs to */
	for (int i = 0; ch && i < ch->n; i++)
		if (dwarf_tag(&ch->d[i]) == DW_TAG_subprogram)
			outer = i;
	int n = 0;
	for (int i = ch ? ch->n - 1 : -1; i > outer && n < max - 1; i--) {
		struct tl_frame f = base;
		f.function = die_name(s, &ch->d[i]);
		f.file = file;
		f.line = lineno;
		f.inlined = true;
		out[n++] = f;
		/* the caller's location is where this was inlined */
		Dwarf_Attribute attr;
		Dwarf_Word v;
		file = NULL;
		lineno = 0;
		if (dwarf_formudata(dwarf_attr(&ch->d[i], DW_AT_call_file, &attr), &v) == 0)
			file = src_file(s, cu, v);
		if (dwarf_formudata(dwarf_attr(&ch->d[i], DW_AT_call_line, &attr), &v) == 0)
			lineno = (int)v;
	}
	/* the function itself: the symbol table names it exactly; DWARF when it has no symbol */
	base.file = file;
	base.line = lineno;
	if (base.function == NULL && outer >= 0)
		base.function = die_name(s, &ch->d[outer]);
	out[n++] = base;
	free(ch);
	return n;
}

/* Look up (file, addr) through the cache and copy at most max frames to out. */
static int sym_cached(struct tl_symbolizer *s, uintptr_t file, Dwfl_Module *mod, uintptr_t addr,
                      const char *modname, uintptr_t offset, struct tl_frame *out, int max)
{
	struct sym_key key;
	memset(&key, 0, sizeof(key));
	key.addr = addr;
	key.file = file;
	struct sym_entry *e = NULL;
	HASH_FIND(hh, s->cache, &key, sizeof(key), e);
	if (e == NULL) {
		e = calloc(1, sizeof(*e));
		if (e == NULL)
			return 0;
		e->key = key;
		if (mod)
			e->n = lookup(s, mod, addr, modname, offset, e->f, MAX_INLINE);
		else
			e->f[e->n++] = (struct tl_frame){.mapping = outside_modules(addr)};
		HASH_ADD(hh, s->cache, key, sizeof(e->key), e);
	}
	if (max <= 0)
		return 0;
	int n = e->n < max ? e->n : max;
	/* too deep for the caller: drop calls from the middle, keeping where the code is (the
	 * innermost frames) and the function with the calls nearest to it (the outermost) */
	int inner = e->n <= max ? n : max / 2;
	memcpy(out, e->f, sizeof(struct tl_frame) * (size_t)inner);
	memcpy(out + inner, e->f + e->n - (n - inner),
	       sizeof(struct tl_frame) * (size_t)(n - inner));
	return n;
}

int tl_sym_pc(struct tl_symbolizer *s, uintptr_t pc, bool exact, struct tl_frame *out, int max)
{
	/* return addresses are looked up at pc-1, or the line is the one after the call */
	uintptr_t addr = exact ? pc : pc - 1;
	Dwfl_Module *mod = s && s->dwfl ? dwfl_addrmodule(s->dwfl, addr) : NULL;
	Dwarf_Addr start = 0;
	const char *modname =
	    mod ? dwfl_module_info(mod, NULL, &start, NULL, NULL, NULL, NULL, NULL) : NULL;
	int n = s && s->dwfl ? sym_cached(s, 0, mod, addr, modname, pc - start, out, max) : 0;
	if (n == 0) {
		out[0] = (struct tl_frame){.mapping = TL_MAP_UNKNOWN};
		n = 1;
	}
	for (int i = 0; i < n; i++)
		out[i].pc = pc;
	return n;
}

void tl_sym_signal_frame(struct tl_symbolizer *s, uintptr_t pc, struct tl_frame *out)
{
	struct tl_frame f;
	tl_sym_pc(s, pc, true, &f, 1);
	*out = (struct tl_frame){.pc = pc,
	                         .module = f.module,
	                         .offset = f.offset,
	                         .mapping = f.mapping,
	                         .function = TL_SIGNAL_FRAME,
	                         .signal_frame = true};
}

/* ---- where a global or static variable was declared ---- */

/* Each variable of static storage that DWARF places at a fixed address: found by the address,
 * not the name. Names are not unique (a static `mu` in two files, two function-local statics
 * `lock` in one), and C++ ones are mangled in the symbol table and live in namespaces and
 * functions. */
struct var_loc {
	Dwarf_Addr addr; /* unbiased, as DWARF has it */
	Dwarf_Die die;   /* the variable's, for its declaration's file and line */
};

static int cmp_var_loc(const void *a, const void *b)
{
	const struct var_loc *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* The fixed address of a variable's DW_AT_location: a lone DW_OP_addr (or DWARF 5's DW_OP_addrx,
 * GNU's DW_OP_GNU_addr_index). */
static bool var_addr(Dwarf_Die *die, Dwarf_Addr *out)
{
	Dwarf_Attribute attr;
	Dwarf_Op *expr;
	size_t n;
	if (dwarf_attr(die, DW_AT_location, &attr) == NULL ||
	    dwarf_getlocation(&attr, &expr, &n) != 0 || n != 1)
		return false;
	if (expr[0].atom == DW_OP_addr) {
		*out = expr[0].number;
		return true;
	}
	Dwarf_Attribute res;
	return (expr[0].atom == DW_OP_addrx || expr[0].atom == DW_OP_GNU_addr_index) &&
	       dwarf_getlocation_attr(&attr, &expr[0], &res) == 0 && dwarf_formaddr(&res, out) == 0;
}

static bool var_push(struct mod_data *md, size_t *cap, Dwarf_Addr addr, const Dwarf_Die *die)
{
	if (md->nvars == *cap) {
		size_t c = *cap ? *cap * 2 : 256;
		struct var_loc *v = realloc(md->vars, c * sizeof(*v));
		if (v == NULL)
			return false;
		md->vars = v;
		*cap = c;
	}
	md->vars[md->nvars++] = (struct var_loc){addr, *die};
	return true;
}

/* The scopes a static-storage variable is defined in: the unit, namespaces, functions and
 * their blocks (a class holds only its static members' declarations; their definitions are
 * at namespace level). depth bounds a malformed tree. */
static void index_vars_in(struct mod_data *md, size_t *cap, Dwarf_Die *parent, int depth)
{
	Dwarf_Die child;
	if (depth > 64 || dwarf_child(parent, &child) != 0)
		return;
	do {
		int tag = dwarf_tag(&child);
		Dwarf_Addr a;
		if (tag == DW_TAG_variable) {
			if (var_addr(&child, &a) && !var_push(md, cap, a, &child))
				return;
		} else if (tag == DW_TAG_namespace || tag == DW_TAG_subprogram ||
		           tag == DW_TAG_lexical_block || tag == DW_TAG_module) {
			index_vars_in(md, cap, &child, depth + 1);
		}
	} while (dwarf_siblingof(&child, &child) == 0);
}

static void index_vars(Dwfl_Module *mod, struct mod_data *md)
{
	md->vars_indexed = true;
	size_t cap = 0;
	Dwarf_Addr bias;
	Dwarf_Die *cu = NULL;
	while ((cu = dwfl_module_nextcu(mod, cu, &bias)) != NULL)
		index_vars_in(md, &cap, cu, 0);
	if (md->nvars)
		qsort(md->vars, md->nvars, sizeof(*md->vars), cmp_var_loc);
}

/* The file a declaration is in. DWARF 5 numbers the unit's own source file 0 (clang's default
 * -g since 14: DW_AT_decl_file 0), which libdw's dwarf_decl_file (elfutils 0.188) still takes
 * for DWARF 4's "no file" and refuses: every global declared in the main file of a clang build
 * lost its file:line. Then file 0 of the unit's line table, as DWARF 5 defines it. */
static const char *decl_file(Dwarf_Die *die)
{
	const char *f = dwarf_decl_file(die);
	if (f != NULL)
		return f;
	Dwarf_Attribute attr;
	Dwarf_Word idx;
	Dwarf_Die cu;
	Dwarf_Half version;
	Dwarf_Files *files;
	size_t nfiles;
	if (dwarf_formudata(dwarf_attr_integrate(die, DW_AT_decl_file, &attr), &idx) != 0 ||
	    idx != 0 || dwarf_diecu(die, &cu, NULL, NULL) == NULL ||
	    dwarf_cu_info(cu.cu, &version, NULL, NULL, NULL, NULL, NULL, NULL) != 0 ||
	    version < 5 || dwarf_getsrcfiles(&cu, &files, &nfiles) != 0 || nfiles == 0)
		return NULL;
	return dwarf_filesrc(files, 0, NULL, NULL);
}

/* A name the language keeps for its implementation ("__data", libstdc++'s "_M_mutex"): what is
 * behind it is a library's insides, not the program's names. */
static bool reserved_name(const char *name)
{
	return name[0] == '_' && (name[1] == '_' || (name[1] >= 'A' && name[1] <= 'Z'));
}

/* The part of a variable that an object of `size` bytes `off` bytes in is, by its type:
 * "[2]", ".lock", "[1].queue.cond", so that an object inside an array or a struct reads as the
 * source names it ("m[1]", not "m+40"), a member of a base class as the class's own. The
 * object is the innermost part of its size that holds it: a mutex that is the first member of
 * a struct in an array is "chans[0].mu", not "chans" (size 0: unknown, taken as one byte). An
 * anonymous member and a base class add no name; a reserved-named member (reserved_name) is a
 * library's insides and is not entered, unless it is an array (a std::array's elements:
 * "locks[1]"). Unions and virtual bases are not entered: what is left is said in bytes ("+8"). An
 * empty text when the object is the variable. */
static void var_part(Dwarf_Die *var, uint64_t off, uint64_t size, char *out, size_t len)
{
	size_t n = 0;
	out[0] = '\0';
	Dwarf_Attribute attr;
	Dwarf_Die type;
	Dwarf_Word cur = 0; /* the size of the part the object is in */
	uint64_t span = size ? size : 1;
	bool have = dwarf_attr_integrate(var, DW_AT_type, &attr) &&
	            dwarf_formref_die(&attr, &type) && dwarf_peel_type(&type, &type) == 0;
	if (have && dwarf_aggregate_size(&type, &cur) != 0)
		cur = 0; /* an array without a bound (extern T a[]): entered for an offset only */
	for (int depth = 0; have && (off > 0 || cur > size) && depth < 16 && n + 24 < len;
	     depth++) {
		int tag = dwarf_tag(&type);
		Dwarf_Die inner, m;
		have = false;
		if (tag == DW_TAG_array_type) {
			/* one index per dimension: each one's stride the element's size times the
			 * later dimensions' counts */
			Dwarf_Word esize, count[4];
			int dims = 0;
			if (!dwarf_attr_integrate(&type, DW_AT_type, &attr) ||
			    !dwarf_formref_die(&attr, &inner) ||
			    dwarf_aggregate_size(&inner, &esize) != 0 || esize == 0 ||
			    off % esize + span > esize || dwarf_child(&type, &m) != 0)
				break;
			do {
				Dwarf_Word c = 0, ub;
				if (dwarf_tag(&m) != DW_TAG_subrange_type)
					continue;
				if (dwarf_formudata(dwarf_attr(&m, DW_AT_count, &attr), &c) != 0 &&
				    dwarf_formudata(dwarf_attr(&m, DW_AT_upper_bound, &attr),
				                    &ub) == 0)
					c = ub + 1;
				if (dims < 4)
					count[dims] = c;
				dims++;
			} while (dwarf_siblingof(&m, &m) == 0);
			if (dims < 1 || dims > 4)
				break;
			Dwarf_Word stride = esize;
			for (int i = 1; i < dims; i++)
				stride *= count[i] ? count[i] : 1;
			for (int i = 0; i < dims; i++) {
				Dwarf_Word idx = off / stride;
				n += (size_t)snprintf(out + n, len - n, "[%llu]",
				                      (unsigned long long)idx);
				off -= idx * stride;
				if (i + 1 < dims)
					stride /= count[i + 1] ? count[i + 1] : 1;
			}
			cur = esize;
			have = dwarf_peel_type(&inner, &type) == 0;
		} else if ((tag == DW_TAG_structure_type || tag == DW_TAG_class_type) &&
		           dwarf_child(&type, &m) == 0) {
			do {
				Dwarf_Word at, msize;
				const char *name = dwarf_diename(&m);
				int mtag = dwarf_tag(&m);
				/* a base class is entered without a name of its own: "obj.cv" for a
				 * member of it (a virtual one's place is an expression: not
				 * entered) */
				if (mtag == DW_TAG_inheritance)
					name = NULL;
				else if (mtag != DW_TAG_member)
					continue;
				if (dwarf_formudata(
				        dwarf_attr(&m, DW_AT_data_member_location, &attr), &at) !=
				        0 ||
				    at > off || !dwarf_attr_integrate(&m, DW_AT_type, &attr) ||
				    !dwarf_formref_die(&attr, &inner) ||
				    dwarf_aggregate_size(&inner, &msize) != 0 ||
				    off + span > at + msize)
					continue;
				Dwarf_Die peeled;
				if (dwarf_peel_type(&inner, &peeled) != 0)
					break;
				if (name != NULL && reserved_name(name)) {
					if (dwarf_tag(&peeled) != DW_TAG_array_type)
						break; /* a library's insides */
					name = NULL;
				}
				if (name != NULL)
					n += (size_t)snprintf(out + n, len - n, ".%s", name);
				off -= at;
				cur = msize;
				type = peeled;
				have = true;
				break;
			} while (dwarf_siblingof(&m, &m) == 0);
		}
	}
	if (off > 0 && n + 24 < len)
		snprintf(out + n, len - n, "+%llu", (unsigned long long)off);
}

/* "file:line" of the declaration of the variable that starts at addr (a symbol's address);
 * part: the object's place in it, `off` bytes in (var_part). */
static bool var_decl(Dwfl_Module *mod, uintptr_t addr, uint64_t off, uint64_t size, char *part,
                     size_t partlen, char *where, size_t len, const char **die_name)
{
	void **ud = NULL;
	Dwarf_Addr bias;
	if (dwfl_module_info(mod, &ud, NULL, NULL, NULL, NULL, NULL, NULL) == NULL || ud == NULL ||
	    *ud == NULL || dwfl_module_nextcu(mod, NULL, &bias) == NULL)
		return false;
	struct mod_data *md = *ud;
	if (!md->vars_indexed)
		index_vars(mod, md);
	struct var_loc key = {.addr = addr - bias};
	struct var_loc *v =
	    md->nvars ? bsearch(&key, md->vars, md->nvars, sizeof(key), cmp_var_loc) : NULL;
	if (v == NULL)
		return false;
	Dwarf_Die die = v->die; /* the module's Dwarf lives as long as the symbolizer */
	/* both follow DW_AT_specification: a C++ static member's line is its declaration's */
	int line = 0;
	dwarf_decl_line(&die, &line);
	const char *f = decl_file(&die);
	if (f == NULL || line <= 0)
		return false;
	*die_name = dwarf_diename(&die);
	var_part(&die, off, size, part, partlen);
	char *nf = normalize_path(f);
	const char *base = nf ? strrchr(nf, '/') : NULL;
	snprintf(where, len, "%s:%d", base ? base + 1 : (nf ? nf : f), line);
	free(nf);
	return true;
}

bool tl_sym_data(struct tl_symbolizer *s, uintptr_t addr, size_t size, char *buf, size_t len)
{
	if (s == NULL || s->dwfl == NULL || addr == 0)
		return false;
	Dwfl_Module *mod = dwfl_addrmodule(s->dwfl, addr);
	if (mod == NULL)
		return false;
	GElf_Off off;
	GElf_Sym sym;
	const char *name = dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL, NULL);
	if (name == NULL || GELF_ST_TYPE(sym.st_info) != STT_OBJECT ||
	    off >= sym.st_size + (sym.st_size == 0))
		return false;
	char *d = tl_demangle(name);
	char *plain = plain_name(name);
	const char *shown = d ? d : plain ? plain : name;
	char where[128];
	bool lines =
	    tl_sym_system_lines ||
	    !tl_module_is_system(dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL));
	const char *die_name = NULL;
	char part[96];
	if (lines && var_decl(mod, addr - off, off, size, part, sizeof(part), where, sizeof(where),
	                      &die_name)) {
		/* a function-local static of C: its symbol is gcc's "lock.0" or clang's
		 * "first.lock"; its name is the variable's, as the source has it */
		if (d == NULL && die_name != NULL && die_name[0] && strchr(name, '.'))
			shown = die_name;
		snprintf(buf, len, "%s%s (%s)", shown, part, where);
	} else {
		if (off)
			snprintf(buf, len, "%s+%lu", shown, (unsigned long)off);
		else
			snprintf(buf, len, "%s", shown);
	}
	free(d);
	free(plain);
	return true;
}

/* A function of the main program by its symbol-table name (static ones too). */
void *tl_sym_find_function(struct tl_symbolizer *s, const char *name)
{
	if (s == NULL || s->main_mod == NULL)
		return NULL;
	int n = dwfl_module_getsymtab(s->main_mod);
	for (int i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr addr;
		const char *sn =
		    dwfl_module_getsym_info(s->main_mod, i, &sym, &addr, NULL, NULL, NULL);
		if (sn && GELF_ST_TYPE(sym.st_info) == STT_FUNC && sym.st_shndx != SHN_UNDEF &&
		    strcmp(sn, name) == 0)
			return (void *)(uintptr_t)addr;
	}
	return NULL;
}

/* ---- the creator headline ---- */

/* Past the runtime that starts threads for the program (report/runtime.c: libc and
 * libstdc++, C++'s std::thread inlined into the program at -O2, Rust's std, which is linked
 * into the program itself, and the closure shims Rust calls a thread's function through). */
int tl_creator_headline(const struct tl_frame *f, int n)
{
	int h = 0;
	while (h + 1 < n && tl_frame_is_thread_plumbing(&f[h]))
		h++;
	/* every frame the runtime's: a Rust thread started in another thread of a build without
	 * debug info, whose closure std's frames inlined. The innermost frame of the program's own
	 * module (one of std's, but where the program created it) says more than libc's __clone3 */
	if (h == n - 1 && tl_frame_is_thread_plumbing(&f[h]))
		for (int k = 0; k < n; k++)
			if (f[k].module != NULL && !tl_module_is_system(f[k].module))
				return k;
	/* a frame of a module without a name (a stripped library's static code, such as GLib's
	 * g_thread_new_internal) says nothing: the next named frame of the program's or a
	 * library's code, if there is one (g_thread_new); a frame outside every module (an
	 * unloaded library's, JIT code) stays: "module unloaded" says something */
	if (f[h].function == NULL && f[h].module != NULL)
		for (int k = h + 1; k < n; k++)
			if (f[k].function != NULL && !tl_frame_is_thread_plumbing(&f[k]))
				return k;
	return h;
}

/* ---- frames outside every module ---- */

static const char *const mapping_names[] = {
    [TL_MAP_UNKNOWN] = "unknown",
    [TL_MAP_ANONYMOUS] = "anonymous",
    [TL_MAP_UNLOADED] = "unloaded",
};

const char *tl_mapping_name(int mapping)
{
	if (mapping <= TL_MAP_MODULE || (size_t)mapping >= TL_ARRAY_SIZE(mapping_names))
		return NULL;
	return mapping_names[mapping];
}

int tl_mapping_parse(const char *name, bool has_module)
{
	if (has_module)
		return TL_MAP_MODULE;
	for (size_t i = TL_MAP_UNKNOWN; name && i < TL_ARRAY_SIZE(mapping_names); i++)
		if (strcmp(name, mapping_names[i]) == 0)
			return (int)i;
	return TL_MAP_UNKNOWN;
}

#ifndef TL_PRELOADED
/* ---- module files named by a report (the CLI) ----
 * Each module gets its own Dwfl, reported offline from the file chosen for it: the one given
 * by a map OLD=NEW, one of the same name in a debug folder (with the same build-id when the
 * original is at hand), or the module path itself. */

static void say(const struct tl_symbolizer *s, const char *fmt, const char *a, const char *b)
{
	if (s->opts->verbose && s->opts->err)
		s->opts->err(fmt, a, b);
}

static Dwfl_Module *report_file(struct tl_symbolizer *s, const char *name, const char *file,
                                Dwfl **out)
{
	int fd = tl_open_regular(file);
	if (fd < 0)
		return NULL;
	Dwfl *d = dwfl_begin(&s->cb);
	if (d == NULL) {
		close(fd);
		return NULL;
	}
	dwfl_report_begin(d);
	Dwfl_Module *m = dwfl_report_offline(d, name, file, fd); /* takes fd */
	dwfl_report_end(d, NULL, NULL);
	if (m == NULL) {
		dwfl_end(d);
		return NULL;
	}
	*out = d;
	return m;
}

/* The build-id of a file, as a malloc'd hex string, or NULL. */
static char *build_id(struct tl_symbolizer *s, const char *file)
{
	Dwfl *d;
	Dwfl_Module *m = report_file(s, file, file, &d);
	if (m == NULL)
		return NULL;
	const unsigned char *bits;
	GElf_Addr vaddr;
	int n = dwfl_module_build_id(m, &bits, &vaddr);
	char *hex = n > 0 ? malloc((size_t)n * 2 + 1) : NULL;
	for (int i = 0; hex && i < n; i++)
		sprintf(hex + 2 * i, "%02x", bits[i]);
	dwfl_end(d);
	return hex;
}

static bool is_regular(const char *path)
{
	struct stat st;
	return TL_LIBC(stat)(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool same_build(struct tl_symbolizer *s, const char *orig, const char *cand)
{
	if (!is_regular(orig))
		return true; /* the original is elsewhere: trust the name */
	char *a = build_id(s, orig), *b = build_id(s, cand);
	bool same = a == NULL || b == NULL || strcmp(a, b) == 0;
	if (!same)
		say(s, "%s has another build-id than %s; not used", cand, orig);
	free(a);
	free(b);
	return same;
}

static const char *base_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

static char *choose_file(struct tl_symbolizer *s, const char *name)
{
	const struct tl_sym_files *o = s->opts;
	for (size_t i = 0; i < o->nmaps; i++) {
		const char *eq = strchr(o->maps[i], '=');
		if (eq == NULL)
			continue;
		size_t n = (size_t)(eq - o->maps[i]);
		bool by_base = memchr(o->maps[i], '/', n) == NULL;
		const char *cmp = by_base ? base_of(name) : name;
		if (strlen(cmp) != n || strncmp(cmp, o->maps[i], n) != 0)
			continue;
		/* asked for by name: a file of another build is said even without -v (its
		 * lines would be wrong), and not used */
		char *a = is_regular(name) && is_regular(eq + 1) ? build_id(s, name) : NULL;
		char *b = a ? build_id(s, eq + 1) : NULL;
		bool other = a && b && strcmp(a, b) != 0;
		free(a);
		free(b);
		if (!other)
			return strdup(eq + 1);
		if (o->err)
			o->err("%s has another build-id than %s (not the same build); not used",
			       eq + 1, name);
		break;
	}
	for (size_t i = 0; i < o->ndebug_dirs; i++) {
		char *cand = NULL;
		if (asprintf(&cand, "%s/%s", o->debug_dirs[i], base_of(name)) < 0)
			continue;
		if (is_regular(cand) && same_build(s, name, cand))
			return cand;
		free(cand);
	}
	return strdup(name);
}

/* Files a report may name before the rest are left unsymbolized: each costs a Dwfl. */
#define MAX_FILES 512

/* Does the module's file have a symbol table (.symtab: what strip takes away)? .dynsym names
 * only what the executable exports, seldom its own functions. */
static bool has_symtab(Dwfl_Module *mod)
{
	GElf_Addr bias;
	Elf *e = dwfl_module_getelf(mod, &bias);
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	while (e && (scn = elf_nextscn(e, scn)) != NULL)
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB)
			return true;
	return false;
}

static struct file_mod *file_for(struct tl_symbolizer *s, const char *name, size_t *index)
{
	for (size_t i = 0; i < s->nfiles; i++)
		if (strcmp(s->files[i].name, name) == 0) {
			*index = i;
			return &s->files[i];
		}
	if (s->nfiles == MAX_FILES)
		return NULL;
	struct file_mod *v = realloc(s->files, sizeof(*v) * (s->nfiles + 1));
	if (v == NULL)
		return NULL;
	s->files = v;
	struct file_mod *m = &s->files[s->nfiles];
	*m = (struct file_mod){.name = strdup(name), .file = choose_file(s, name)};
	if (m->name == NULL) {
		free(m->file);
		return NULL;
	}
	*index = s->nfiles++;
	if (m->file)
		m->mod = report_file(s, name, m->file, &m->dwfl);
	void **ud = NULL;
	struct mod_data *md = m->mod ? calloc(1, sizeof(*md)) : NULL;
	if (md && dwfl_module_info(m->mod, &ud, &m->start, NULL, NULL, NULL, NULL, NULL) && ud &&
	    *ud == NULL) {
		md->opts = s->opts;
		*ud = md;
	} else {
		free(md);
	}
	Dwarf_Addr bias;
	if (m->mod != NULL && dwfl_module_getdwarf(m->mod, &bias) == NULL && !has_symtab(m->mod))
		say(s,
		    "%s: no symbols and no debug info (stripped?): name the unstripped build with "
		    "--exe-map %s=FILE, or a folder of its debug file with --debug-dir",
		    m->file, base_of(name));
	if (m->mod == NULL) {
		say(s, "%s: no file to symbolize it with%s", name,
		    m->file == NULL || is_regular(m->file) ? ""
		    : access(m->file, F_OK) != 0           ? " (no such file)"
		                                           : " (not a regular file)");
		free(m->file);
		m->file = NULL;
	}
	return m;
}

struct tl_symbolizer *tl_sym_open_files(const struct tl_sym_files *o)
{
	struct tl_symbolizer *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->opts = o;
	/* build-id debug files: the usual places, then the debug folders */
	size_t len = 32;
	for (size_t i = 0; i < o->ndebug_dirs; i++)
		len += strlen(o->debug_dirs[i]) + 1;
	s->debuginfo_path = malloc(len);
	if (s->debuginfo_path == NULL) {
		free(s);
		return NULL;
	}
	char *p = stpcpy(s->debuginfo_path, ":.debug:/usr/lib/debug");
	for (size_t i = 0; i < o->ndebug_dirs; i++)
		p += sprintf(p, ":%s", o->debug_dirs[i]);
	s->cb = (Dwfl_Callbacks){.find_elf = find_elf,
	                         .find_debuginfo = find_debuginfo,
	                         .section_address = dwfl_offline_section_address,
	                         .debuginfo_path = &s->debuginfo_path};
	return s;
}

int tl_sym_module(struct tl_symbolizer *s, const char *module, uintptr_t offset, bool exact,
                  struct tl_frame *out, int max, const char **used)
{
	size_t i = 0;
	struct file_mod *m = s && module ? file_for(s, module, &i) : NULL;
	if (m == NULL || m->mod == NULL)
		return 0;
	*used = m->file;
	uintptr_t addr = m->start + offset - (exact ? 0 : 1);
	return sym_cached(s, i + 1, m->mod, addr, module, offset, out, max);
}
#endif
