/* Offline symbolization with elfutils' libdw, for `threadleak report`: frames that lack
 * file:line (a report made where the binary was stripped, or without its debug package) are
 * looked up again by module + offset in a file that has the debug info: the one given with
 * --exe-map OLD=NEW, one of the same name in a --debug-dir (with the same build-id when the
 * original is at hand), or the module path itself (its build-id debug file, /usr/lib/debug,
 * or the --debug-dir folders in .build-id/ layout). Inlined frames are expanded. */
#include "cli.h"

#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <libiberty/demangle.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_INLINE 8

struct module {
	char *name; /* as in the report */
	char *file; /* what we opened */
	Dwfl *dwfl;
	Dwfl_Module *mod;
	Dwarf_Addr start;
};

struct osym {
	const struct osym_opts *o;
	char *debuginfo_path;
	Dwfl_Callbacks cb;
	struct module *mods;
	size_t nmods;
	size_t fixed;
};

struct sym {
	char *function, *file;
	int line;
	bool inlined;
};

/* "/a/b/../c" -> "/a/c"; a relative path is taken from dir when it is absolute. */
static char *normalize(const char *dir, const char *rel)
{
	char *in = NULL;
	if (rel[0] != '/' && dir && dir[0] == '/') {
		if (asprintf(&in, "%s/%s", dir, rel) < 0)
			return NULL;
	} else {
		in = strdup(rel);
	}
	if (in == NULL)
		return NULL;
	char *out = malloc(strlen(in) + 2);
	size_t o = 0;
	bool abs = in[0] == '/';
	for (char *save = NULL, *seg = strtok_r(in, "/", &save); seg;
	     seg = strtok_r(NULL, "/", &save)) {
		if (strcmp(seg, ".") == 0)
			continue;
		if (strcmp(seg, "..") == 0 && o > 0 &&
		    !(o >= 2 && strncmp(out + o - 2, "..", 2) == 0 &&
		      (o == 2 || out[o - 3] == '/'))) {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
			continue;
		}
		if (strcmp(seg, "..") == 0 && abs && o == 0)
			continue;
		if (o > 0 || abs)
			out[o++] = '/';
		o = (size_t)(stpcpy(out + o, seg) - out);
	}
	if (o == 0 && abs)
		out[o++] = '/';
	out[o] = '\0';
	free(in);
	return out;
}

static char *nice_name(const char *name)
{
	if (name == NULL)
		return NULL;
	if (strncmp(name, "_Z", 2) == 0 || strncmp(name, "_R", 2) == 0) {
		char *d = cplus_demangle(name, DMGL_PARAMS | DMGL_ANSI);
		if (d)
			return d;
	}
	char *p = strdup(name);
	char *at = p ? strchr(p, '@') : NULL;
	if (at && at != p)
		*at = '\0';
	return p;
}

/* ---- opening modules ---- */
static Dwfl_Module *report(struct osym *s, const char *name, const char *file, Dwfl **out)
{
	Dwfl *d = dwfl_begin(&s->cb);
	if (d == NULL)
		return NULL;
	dwfl_report_begin(d);
	Dwfl_Module *m = dwfl_report_offline(d, name, file, -1);
	dwfl_report_end(d, NULL, NULL);
	if (m == NULL) {
		dwfl_end(d);
		return NULL;
	}
	*out = d;
	return m;
}

/* The build-id of a file, as a malloc'd hex string, or NULL. */
static char *build_id(struct osym *s, const char *file)
{
	Dwfl *d;
	Dwfl_Module *m = report(s, file, file, &d);
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

static bool same_build(struct osym *s, const char *orig, const char *cand)
{
	if (access(orig, R_OK) != 0)
		return true; /* the original is elsewhere: trust the name */
	char *a = build_id(s, orig), *b = build_id(s, cand);
	bool same = a == NULL || b == NULL || strcmp(a, b) == 0;
	if (!same && s->o->verbose)
		cli_err("%s has another build-id than %s; not used", cand, orig);
	free(a);
	free(b);
	return same;
}

static char *choose_file(struct osym *s, const char *name)
{
	const struct osym_opts *o = s->o;
	for (size_t i = 0; i < o->nmaps; i++) {
		const char *eq = strchr(o->maps[i], '=');
		size_t n = (size_t)(eq - o->maps[i]);
		bool by_base = memchr(o->maps[i], '/', n) == NULL;
		const char *cmp = by_base ? base_name(name) : name;
		if (strlen(cmp) == n && strncmp(cmp, o->maps[i], n) == 0)
			return strdup(eq + 1);
	}
	for (size_t i = 0; i < o->ndebug_dirs; i++) {
		char *cand = NULL;
		if (asprintf(&cand, "%s/%s", o->debug_dirs[i], base_name(name)) < 0)
			continue;
		if (access(cand, R_OK) == 0 && same_build(s, name, cand))
			return cand;
		free(cand);
	}
	return access(name, R_OK) == 0 ? strdup(name) : NULL;
}

static struct module *module_for(struct osym *s, const char *name)
{
	for (size_t i = 0; i < s->nmods; i++)
		if (strcmp(s->mods[i].name, name) == 0)
			return &s->mods[i];
	s->mods = cli_realloc(s->mods, sizeof(*s->mods) * (s->nmods + 1));
	struct module *m = &s->mods[s->nmods++];
	*m = (struct module){.name = strdup(name), .file = choose_file(s, name)};
	if (m->file)
		m->mod = report(s, name, m->file, &m->dwfl);
	if (m->mod)
		dwfl_module_info(m->mod, NULL, &m->start, NULL, NULL, NULL, NULL, NULL);
	else if (s->o->verbose)
		cli_err("%s: no file to symbolize it with", name);
	return m;
}

/* ---- one address ---- */
static char *src_file(Dwarf_Die *cu, Dwarf_Word idx)
{
	Dwarf_Files *files;
	size_t nfiles;
	Dwarf_Attribute attr;
	if (dwarf_getsrcfiles(cu, &files, &nfiles) != 0 || idx >= nfiles)
		return NULL;
	const char *f = dwarf_filesrc(files, idx, NULL, NULL);
	return f ? normalize(dwarf_formstring(dwarf_attr(cu, DW_AT_comp_dir, &attr)), f) : NULL;
}

static char *die_name(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	const char *name = NULL;
	if (dwarf_attr_integrate(die, DW_AT_linkage_name, &attr) ||
	    dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr))
		name = dwarf_formstring(&attr);
	if (name == NULL)
		name = dwarf_diename(die);
	return nice_name(name);
}

/* Frames for addr, innermost (inlined) first; returns how many. */
static int lookup(Dwfl_Module *mod, Dwarf_Addr addr, struct sym *out)
{
	GElf_Off off;
	GElf_Sym symbol;
	char *symname = nice_name(dwfl_module_addrinfo(mod, addr, &off, &symbol, NULL, NULL, NULL));
	char *file = NULL;
	int line = 0;
	Dwfl_Line *l = dwfl_module_getsrc(mod, addr);
	const char *f = l ? dwfl_lineinfo(l, NULL, &line, NULL, NULL, NULL) : NULL;
	if (f)
		file = normalize(dwfl_line_comp_dir(l), f);
	Dwarf_Addr bias = 0;
	Dwarf_Die *cu = dwfl_module_addrdie(mod, addr, &bias);
	Dwarf_Die *scopes = NULL;
	int nscopes = cu ? dwarf_getscopes(cu, addr - bias, &scopes) : 0;
	int n = 0;
	bool outer = false;
	for (int i = 0; i < nscopes && n < MAX_INLINE - 1 && !outer; i++) {
		int tag = dwarf_tag(&scopes[i]);
		if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram)
			continue;
		out[n] = (struct sym){.file = file, .line = line};
		if (tag == DW_TAG_subprogram) {
			out[n++].function = symname ? symname : die_name(&scopes[i]);
			symname = NULL;
			outer = true;
			break;
		}
		out[n].function = die_name(&scopes[i]);
		out[n++].inlined = true;
		Dwarf_Attribute attr;
		Dwarf_Word v;
		file = NULL;
		line = 0;
		if (dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_file, &attr), &v) == 0)
			file = src_file(cu, v);
		if (dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_line, &attr), &v) == 0)
			line = (int)v;
	}
	free(scopes);
	if (!outer) /* no subprogram scope: the symbol table names the function */
		out[n++] = (struct sym){.function = symname, .file = file, .line = line};
	return n;
}

/* ---- rewriting the stacks ---- */
static json_object *frame_json(json_object *orig, const struct sym *sy, const char *from)
{
	json_object *f = json_object_new_object();
	json_object *v;
	if (json_object_object_get_ex(orig, "pc", &v))
		json_object_object_add(f, "pc", json_object_get(v));
	if (json_object_object_get_ex(orig, "module", &v))
		json_object_object_add(f, "module", json_object_get(v));
	if (json_object_object_get_ex(orig, "offset", &v))
		json_object_object_add(f, "offset", json_object_get(v));
	const char *keep_fn = jstr(orig, "function");
	const char *fn = sy->function ? sy->function : keep_fn;
	json_object_object_add(f, "function", fn ? json_object_new_string(fn) : NULL);
	json_object_object_add(f, "file", sy->file ? json_object_new_string(sy->file) : NULL);
	json_object_object_add(f, "line",
	                       sy->file && sy->line > 0 ? json_object_new_int(sy->line) : NULL);
	json_object_object_add(f, "inlined", json_object_new_boolean(sy->inlined));
	json_object_object_add(f, "symbolized_from", json_object_new_string(from));
	return f;
}

static json_object *symbolize_stack(struct osym *s, json_object *stack, bool current)
{
	json_object *out = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(stack); i++) {
		json_object *fo = json_object_array_get_idx(stack, i);
		struct frame f;
		frame_get(fo, &f);
		struct module *m =
		    (f.file == NULL || f.line == 0) && f.module ? module_for(s, f.module) : NULL;
		struct sym sy[MAX_INLINE];
		int n = 0;
		if (m && m->mod) {
			bool exact = current && i == 0;
			n = lookup(m->mod, m->start + f.offset - (exact ? 0 : 1), sy);
		}
		bool useful = false;
		for (int k = 0; k < n; k++)
			useful = useful || sy[k].file || (sy[k].function && f.function == NULL);
		for (int k = 0; k < n && useful; k++)
			json_object_array_add(out, frame_json(fo, &sy[k], m->file));
		if (!useful)
			json_object_array_add(out, json_object_get(fo));
		if (useful && sy[n - 1].file)
			s->fixed++;
		for (int k = 0; k < n; k++) {
			free(sy[k].function);
			if (k == 0 || sy[k].file != sy[k - 1].file)
				free(sy[k].file);
		}
	}
	return out;
}

static void replace_stack(struct osym *s, json_object *parent, const char *key, bool current)
{
	json_object *stack = jarr(parent, key);
	if (stack)
		json_object_object_add(parent, key, symbolize_stack(s, stack, current));
}

/* A report made without symbols has no start routine: glibc's start_thread calls it, so it
 * is the frame just inside start_thread on the current stack. */
static void infer_start_routine(json_object *t)
{
	json_object *stack = jarr(t, "stack");
	if (jstr(t, "start_routine") || stack == NULL)
		return;
	for (size_t k = 1; k < json_object_array_length(stack); k++) {
		struct frame f, inner;
		frame_get(json_object_array_get_idx(stack, k), &f);
		frame_get(json_object_array_get_idx(stack, k - 1), &inner);
		if (f.function && strcmp(f.function, "start_thread") == 0 && inner.function) {
			json_object_object_add(t, "start_routine",
			                       json_object_new_string(inner.function));
			return;
		}
	}
}

static void symbolize_threads(struct osym *s, json_object *threads)
{
	for (size_t j = 0; threads && j < json_object_array_length(threads); j++) {
		json_object *t = json_object_array_get_idx(threads, j);
		replace_stack(s, t, "stack", true);
		infer_start_routine(t);
		json_object *cb = jobj(t, "created_by");
		if (cb)
			replace_stack(s, cb, "stack", false);
	}
}

size_t symbolize_offline(struct procset *ps, const struct osym_opts *o)
{
	struct osym s = {.o = o};
	/* build-id debug files: the usual places, then the --debug-dir folders */
	size_t len = 32;
	for (size_t i = 0; i < o->ndebug_dirs; i++)
		len += strlen(o->debug_dirs[i]) + 1;
	s.debuginfo_path = malloc(len);
	char *p = stpcpy(s.debuginfo_path, ":.debug:/usr/lib/debug");
	for (size_t i = 0; i < o->ndebug_dirs; i++)
		p += sprintf(p, ":%s", o->debug_dirs[i]);
	s.cb = (Dwfl_Callbacks){.find_elf = dwfl_build_id_find_elf,
	                        .find_debuginfo = dwfl_standard_find_debuginfo,
	                        .section_address = dwfl_offline_section_address,
	                        .debuginfo_path = &s.debuginfo_path};
	for (size_t i = 0; i < ps->n; i++) {
		symbolize_threads(&s, jarr(ps->v[i].doc, "leaks"));
		symbolize_threads(&s, jarr(ps->v[i].doc, "suppressed_threads"));
	}
	for (size_t i = 0; i < s.nmods; i++) {
		if (s.mods[i].dwfl)
			dwfl_end(s.mods[i].dwfl);
		free(s.mods[i].name);
		free(s.mods[i].file);
	}
	free(s.mods);
	free(s.debuginfo_path);
	return s.fixed;
}
