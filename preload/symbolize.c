/* Symbolization with elfutils' libdw: function names from the symbol table (static functions
 * too), file:line and inlined frames from DWARF (including build-id debug files under
 * /usr/lib/debug), demangled with GNU libiberty (C++, Rust legacy and v0). Runs only after
 * every sampled thread has been released: it mallocs and opens files. Results are cached per
 * pc: leaked threads share most of their frames. */
#include "deps.h"

#include <libiberty/demangle.h>
#include <dwarf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <link.h>
#include <unistd.h>

#define MAX_INLINE 8

struct sym_entry {
	UT_hash_handle hh;
	uintptr_t key; /* lookup pc */
	int n;
	struct tl_frame f[MAX_INLINE];
};

struct tl_symbolizer {
	Dwfl *dwfl;
	struct sym_entry *cache;
	char **strings; /* every string we own */
	size_t nstrings, capstrings;
};

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
			bool prev_dotdot = (o - back == 2 && out[back] == '.' && out[back + 1] == '.');
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

/* Checks reuse one symbolizer (a test runner may check a thousand times) until a library is
 * loaded or unloaded. */
struct tl_symbolizer *tl_sym_get(void)
{
	struct phdr_counts now = {0, 0};
	dl_iterate_phdr(read_counts, &now);
	if (cached && now.adds == cached_counts.adds && now.subs == cached_counts.subs)
		return cached;
	tl_sym_close(cached);
	cached = tl_sym_open();
	cached_counts = now;
	return cached;
}

void tl_sym_forget(void)
{
	cached = NULL; /* after fork: the child's maps are the parent's, but keep it simple */
}

struct tl_symbolizer *tl_sym_open(void)
{
	static char *debuginfo_path = NULL;
	static Dwfl_Callbacks cb;
	struct tl_symbolizer *s = calloc(1, sizeof(*s));
	if (s == NULL || !tl_deps_dw())
		return s;
	cb.find_elf = dwfl_linux_proc_find_elf;
	cb.find_debuginfo = dwfl_standard_find_debuginfo;
	cb.debuginfo_path = &debuginfo_path;
	s->dwfl = dwfl_begin(&cb);
	if (s->dwfl) {
		dwfl_report_begin(s->dwfl);
		if (dwfl_linux_proc_report(s->dwfl, gettid()) != 0) {
			dwfl_end(s->dwfl);
			s->dwfl = NULL;
		} else {
			dwfl_report_end(s->dwfl, NULL, NULL);
		}
	}
	return s;
}

void tl_sym_close(struct tl_symbolizer *s)
{
	if (s == NULL)
		return;
	struct sym_entry *e, *tmp;
	HASH_ITER(hh, s->cache, e, tmp)
	{
		HASH_DEL(s->cache, e);
		free(e);
	}
	for (size_t i = 0; i < s->nstrings; i++)
		free(s->strings[i]);
	free(s->strings);
	if (s->dwfl)
		dwfl_end(s->dwfl);
	free(s);
}

static const char *die_name(struct tl_symbolizer *s, Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	const char *name = NULL;
	if (dwarf_attr_integrate(die, DW_AT_linkage_name, &attr) ||
	    dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr))
		name = dwarf_formstring(&attr);
	if (name == NULL)
		name = dwarf_diename(die);
	return nice_name(s, name);
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

static int lookup(struct tl_symbolizer *s, uintptr_t pc, uintptr_t addr, struct tl_frame *out, int max)
{
	struct tl_frame base = {.pc = pc, .own = tl_pc_is_own(pc)};
	Dwfl_Module *mod = s->dwfl ? dwfl_addrmodule(s->dwfl, addr) : NULL;
	if (mod == NULL) {
		out[0] = base;
		return 1;
	}
	Dwarf_Addr start = 0;
	const char *modname = dwfl_module_info(mod, NULL, &start, NULL, NULL, NULL, NULL, NULL);
	base.module = modname ? keep(s, strdup(modname)) : NULL;
	base.offset = pc - start;
	GElf_Off off;
	GElf_Sym sym;
	const char *symname = dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL, NULL);
	base.function = nice_name(s, symname);

	/* source line of the innermost frame */
	Dwfl_Line *line = dwfl_module_getsrc(mod, addr);
	const char *file = NULL;
	int lineno = 0;
	if (line) {
		const char *f = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
		file = f ? keep(s, normalize_path_in(dwfl_line_comp_dir(line), f)) : NULL;
	}

	/* inlined frames, innermost first (what eu-addr2line -i prints) */
	Dwarf_Addr bias = 0;
	Dwarf_Die *cu = dwfl_module_addrdie(mod, addr, &bias);
	Dwarf_Die *scopes = NULL;
	int nscopes = cu ? dwarf_getscopes(cu, addr - bias, &scopes) : 0;
	int n = 0;
	for (int i = 0; i < nscopes && n < max; i++) {
		Dwarf_Die *die = &scopes[i];
		int tag = dwarf_tag(die);
		if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram)
			continue;
		struct tl_frame f = base;
		f.file = file;
		f.line = lineno;
		if (tag == DW_TAG_inlined_subroutine) {
			f.function = die_name(s, die);
			f.inlined = true;
			out[n++] = f;
			/* the caller's location is where this was inlined */
			Dwarf_Attribute attr;
			Dwarf_Word v;
			file = NULL;
			lineno = 0;
			if (dwarf_formudata(dwarf_attr(die, DW_AT_call_file, &attr), &v) == 0)
				file = src_file(s, cu, v);
			if (dwarf_formudata(dwarf_attr(die, DW_AT_call_line, &attr), &v) == 0)
				lineno = (int)v;
			continue;
		}
		if (f.function == NULL)
			f.function = die_name(s, die);
		out[n++] = f;
		break;
	}
	free(scopes);
	if (n == 0) {
		base.file = file;
		base.line = lineno;
		out[n++] = base;
	} else if (out[n - 1].inlined && n < max) {
		/* no subprogram scope found: the symbol table names the outer function */
		base.file = file;
		base.line = lineno;
		out[n++] = base;
	}
	return n;
}

int tl_sym_pc(struct tl_symbolizer *s, uintptr_t pc, bool exact, struct tl_frame *out, int max)
{
	/* return addresses are looked up at pc-1, or the line is the one after the call */
	uintptr_t addr = exact ? pc : pc - 1;
	if (s == NULL) {
		out[0] = (struct tl_frame){.pc = pc, .own = tl_pc_is_own(pc)};
		return 1;
	}
	struct sym_entry *e = NULL;
	HASH_FIND(hh, s->cache, &addr, sizeof(addr), e);
	if (e == NULL) {
		e = calloc(1, sizeof(*e));
		if (e == NULL) {
			out[0] = (struct tl_frame){.pc = pc};
			return 1;
		}
		e->key = addr;
		e->n = lookup(s, pc, addr, e->f, MAX_INLINE);
		HASH_ADD(hh, s->cache, key, sizeof(e->key), e);
	}
	int n = e->n < max ? e->n : max;
	memcpy(out, e->f, sizeof(struct tl_frame) * (size_t)n);
	for (int i = 0; i < n; i++)
		out[i].pc = pc;
	return n;
}

/* Find where a global or static variable was declared: walk the CU's top-level variables. */
static bool var_decl(struct tl_symbolizer *s, Dwfl_Module *mod, const char *name, char *where, size_t len)
{
	Dwarf_Addr bias;
	Dwarf_Die *cu = NULL;
	while ((cu = dwfl_module_nextcu(mod, cu, &bias)) != NULL) {
		Dwarf_Die child;
		if (dwarf_child(cu, &child) != 0)
			continue;
		do {
			int tag = dwarf_tag(&child);
			Dwarf_Die inner;
			/* function-local statics sit one level down */
			if (tag == DW_TAG_subprogram && dwarf_child(&child, &inner) == 0) {
				do {
					if (dwarf_tag(&inner) == DW_TAG_variable && dwarf_diename(&inner) &&
					    strcmp(dwarf_diename(&inner), name) == 0 &&
					    dwarf_hasattr(&inner, DW_AT_location)) {
						int line = 0;
						dwarf_decl_line(&inner, &line);
						const char *f = dwarf_decl_file(&inner);
						char *nf = normalize_path(f);
						const char *base = nf ? strrchr(nf, '/') : NULL;
						snprintf(where, len, "%s:%d", base ? base + 1 : (nf ? nf : "?"), line);
						free(nf);
						return true;
					}
				} while (dwarf_siblingof(&inner, &inner) == 0);
			}
			if (tag != DW_TAG_variable)
				continue;
			const char *n = dwarf_diename(&child);
			if (n == NULL || strcmp(n, name) != 0)
				continue;
			int line = 0;
			dwarf_decl_line(&child, &line);
			const char *f = dwarf_decl_file(&child);
			char *nf = normalize_path(f);
			const char *base = nf ? strrchr(nf, '/') : NULL;
			snprintf(where, len, "%s:%d", base ? base + 1 : (nf ? nf : "?"), line);
			free(nf);
			return true;
		} while (dwarf_siblingof(&child, &child) == 0);
	}
	(void)s;
	return false;
}

bool tl_sym_data(struct tl_symbolizer *s, uintptr_t addr, char *buf, size_t len)
{
	if (s == NULL || s->dwfl == NULL || addr == 0)
		return false;
	Dwfl_Module *mod = dwfl_addrmodule(s->dwfl, addr);
	if (mod == NULL)
		return false;
	GElf_Off off;
	GElf_Sym sym;
	const char *name = dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL, NULL);
	if (name == NULL || GELF_ST_TYPE(sym.st_info) != STT_OBJECT || off >= sym.st_size + (sym.st_size == 0))
		return false;
	char *d = tl_demangle(name);
	char *plain = plain_name(name);
	const char *shown = d ? d : plain ? plain : name;
	char where[128];
	if (var_decl(s, mod, plain ? plain : name, where, sizeof(where))) {
		if (off)
			snprintf(buf, len, "%s+%lu (%s)", shown, (unsigned long)off, where);
		else
			snprintf(buf, len, "%s (%s)", shown, where);
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

static int find_main(Dwfl_Module *mod, void **ud, const char *modname, Dwarf_Addr start, void *arg)
{
	(void)ud;
	(void)start;
	struct {
		const char *exe;
		Dwfl_Module *found;
	} *want = arg;
	if (modname && strcmp(modname, want->exe) == 0) {
		want->found = mod;
		return DWARF_CB_ABORT;
	}
	return DWARF_CB_OK;
}

struct find_fn {
	const char *name;
	void *addr;
};

static int find_in_module(Dwfl_Module *mod, void **ud, const char *modname, Dwarf_Addr start, void *arg)
{
	(void)ud;
	(void)modname;
	(void)start;
	struct find_fn *f = arg;
	int n = dwfl_module_getsymtab(mod);
	for (int i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr addr;
		const char *name = dwfl_module_getsym_info(mod, i, &sym, &addr, NULL, NULL, NULL);
		if (name && GELF_ST_TYPE(sym.st_info) == STT_FUNC && sym.st_shndx != SHN_UNDEF &&
		    strcmp(name, f->name) == 0) {
			f->addr = (void *)(uintptr_t)addr;
			return DWARF_CB_ABORT;
		}
	}
	return DWARF_CB_ABORT; /* the main program is the first module reported */
}

void *tl_sym_find_function(struct tl_symbolizer *s, const char *name)
{
	if (s == NULL || s->dwfl == NULL)
		return NULL;
	/* the main program: the module that contains our caller's caller chain root, found as the
	 * module holding the executable's entry point */
	char exe[4096];
	ssize_t n = readlink("/proc/thread-self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	struct find_fn f = {name, NULL};
	Dwfl_Module *mod = NULL;
	ptrdiff_t off = 0;
	(void)off;
	struct {
		const char *exe;
		Dwfl_Module *found;
	} want = {exe, NULL};
	dwfl_getmodules(s->dwfl, find_main, &want, 0);
	mod = want.found;
	if (mod == NULL)
		return NULL;
	find_in_module(mod, NULL, NULL, 0, &f);
	return f.addr;
}

/* libc, the loader and the C++ runtime: frames users did not write. */
bool tl_module_is_system(const char *m)
{
	if (m == NULL)
		return false;
	const char *b = strrchr(m, '/');
	b = b ? b + 1 : m;
	static const char *const prefixes[] = {"libc.so", "ld-linux", "libpthread.so", "libstdc++.so",
					       "libgcc_s.so", "libc++.so", "libc++abi.so"};
	for (size_t i = 0; i < TL_ARRAY_SIZE(prefixes); i++)
		if (strncmp(b, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}
