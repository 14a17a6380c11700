/* libunwind, libdw and our demangler module are loaded on first use (dlopen), not at start-up:
 * linking libunwind and libdw would load eight shared objects into every process, /bin/true
 * included, and double its start-up time; linking libiberty's demangler would cost every
 * process a page fault (preload/demangle.c). Code that uses them includes this header after their
 * own headers and calls them by their usual names; each name is redirected to a pointer in tl_deps.
 */
#ifndef TL_DEPS_H
#define TL_DEPS_H

#include "tl.h"

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

#define TL_UNW_FUNCS(X)                               \
	X(UNW_OBJ(init_local), unw_init_local_)       \
	X(UNW_OBJ(init_local2), unw_init_local2_)     \
	X(UNW_OBJ(step), unw_step_)                   \
	X(UNW_OBJ(get_reg), unw_get_reg_)             \
	X(UNW_OBJ(get_save_loc), unw_get_save_loc_)   \
	X(UNW_OBJ(get_proc_info), unw_get_proc_info_) \
	X(UNW_OBJ(set_caching_policy), unw_set_caching_policy_)

/* libdw's functions, and libelf's elf_memory (the vDSO is read from memory) and the four that
 * read a module's file without keeping its descriptor (report/symbolize.c): dlsym on libdw's
 * handle also searches libelf, which libdw depends on. */
#define TL_DW_FUNCS(X)                  \
	X(dwfl_begin)                   \
	X(dwfl_end)                     \
	X(dwfl_build_id_find_debuginfo) \
	X(dwfl_report_begin)            \
	X(dwfl_report_end)              \
	X(dwfl_report_module)           \
	X(dwfl_addrmodule)              \
	X(dwfl_module_info)             \
	X(dwfl_module_addrinfo)         \
	X(dwfl_module_getsrc)           \
	X(dwfl_lineinfo)                \
	X(dwfl_line_comp_dir)           \
	X(dwfl_module_addrdie)          \
	X(dwfl_module_nextcu)           \
	X(dwfl_module_getsymtab)        \
	X(dwfl_module_getsym_info)      \
	X(dwfl_getmodules)              \
	X(dwarf_tag)                    \
	X(dwarf_attr)                   \
	X(dwarf_attr_integrate)         \
	X(dwarf_formstring)             \
	X(dwarf_formudata)              \
	X(dwarf_formref_die)            \
	X(dwarf_diename)                \
	X(dwarf_diecu)                  \
	X(dwarf_cu_info)                \
	X(dwarf_dieoffset)              \
	X(dwarf_haspc)                  \
	X(dwarf_ranges)                 \
	X(dwarf_getsrc_die)             \
	X(dwarf_linesrc)                \
	X(dwarf_lineno)                 \
	X(dwarf_getsrcfiles)            \
	X(dwarf_filesrc)                \
	X(dwarf_child)                  \
	X(dwarf_siblingof)              \
	X(dwarf_decl_line)              \
	X(dwarf_decl_file)              \
	X(dwarf_hasattr)                \
	X(dwarf_getlocation)            \
	X(dwarf_getlocation_attr)       \
	X(dwarf_formaddr)               \
	X(dwarf_aggregate_size)         \
	X(dwarf_peel_type)              \
	X(elf_memory)                   \
	X(elf_begin)                    \
	X(elf_kind)                     \
	X(elf_cntl)                     \
	X(elf_end)

struct tl_deps {
#define TL_UNW_MEMBER(sym, member) __typeof__(sym) *member;
#define TL_DW_MEMBER(sym) __typeof__(sym) *sym##_;
	TL_UNW_FUNCS(TL_UNW_MEMBER)
	unw_addr_space_t *unw_local_addr_space_;
	__typeof__(unw_backtrace) *unw_backtrace_;
	__typeof__(UNW_ARCH_OBJ(get_accessors)) *unw_get_accessors_; /* optional: NULL */
	/* optional (NULL): only for the creation stacks' memo (capture.c) */
	__typeof__(UNW_ARCH_OBJ(getcontext)) *unw_getcontext_;
	__typeof__(UNW_OBJ(is_signal_frame)) *unw_is_signal_frame_;
	TL_DW_FUNCS(TL_DW_MEMBER)
};
extern struct tl_deps tl_deps;

/* Load once; false when the library is not installed (stacks or symbols are then missing,
 * and the report says so). */
bool tl_deps_unwind(void);
/* This thread is inside the load of one of them (a signal handler interrupted it):
 * docs/internals.md */
bool tl_deps_loading_here(void);
bool tl_deps_dw(void);
/* libiberty's cplus_demangle, from libthreadleak-demangle.so beside our own file: NULL (the
 * name stays mangled) when that module cannot be loaded. */
char *tl_deps_cplus_demangle(const char *name, int options);
/* One line on stderr, once, when that module could not be loaded (with a report only). */
void tl_deps_warn_demangle_missing(void);

/* Redirect the names. libunwind's are macros (unw_step -> _ULx86_64_step): redirect the
 * names they expand to. */
#define TL_CAT_(a, b) a##b
#undef unw_backtrace
#define unw_backtrace (*tl_deps.unw_backtrace_)
#undef unw_init_local
#define unw_init_local (*tl_deps.unw_init_local_)
#undef unw_init_local2
#define unw_init_local2 (*tl_deps.unw_init_local2_)
#undef unw_step
#define unw_step (*tl_deps.unw_step_)
#undef unw_get_reg
#define unw_get_reg (*tl_deps.unw_get_reg_)
#undef unw_get_save_loc
#define unw_get_save_loc (*tl_deps.unw_get_save_loc_)
#undef unw_get_proc_info
#define unw_get_proc_info (*tl_deps.unw_get_proc_info_)
#undef unw_set_caching_policy
#define unw_set_caching_policy (*tl_deps.unw_set_caching_policy_)
#undef unw_get_accessors
#define unw_get_accessors (*tl_deps.unw_get_accessors_)
#undef unw_getcontext
#define unw_getcontext (*tl_deps.unw_getcontext_)
#undef unw_is_signal_frame
#define unw_is_signal_frame (*tl_deps.unw_is_signal_frame_)
#undef unw_local_addr_space
#define unw_local_addr_space (*tl_deps.unw_local_addr_space_)

#define cplus_demangle tl_deps_cplus_demangle

#define dwfl_begin (*tl_deps.dwfl_begin_)
#define dwfl_end (*tl_deps.dwfl_end_)
#define dwfl_build_id_find_debuginfo (*tl_deps.dwfl_build_id_find_debuginfo_)
#define dwfl_report_begin (*tl_deps.dwfl_report_begin_)
#define dwfl_report_end (*tl_deps.dwfl_report_end_)
#define dwfl_report_module (*tl_deps.dwfl_report_module_)
#define dwfl_addrmodule (*tl_deps.dwfl_addrmodule_)
#define dwfl_module_info (*tl_deps.dwfl_module_info_)
#define dwfl_module_addrinfo (*tl_deps.dwfl_module_addrinfo_)
#define dwfl_module_getsrc (*tl_deps.dwfl_module_getsrc_)
#define dwfl_lineinfo (*tl_deps.dwfl_lineinfo_)
#define dwfl_line_comp_dir (*tl_deps.dwfl_line_comp_dir_)
#define dwfl_module_addrdie (*tl_deps.dwfl_module_addrdie_)
#define dwfl_module_nextcu (*tl_deps.dwfl_module_nextcu_)
#define dwfl_module_getsymtab (*tl_deps.dwfl_module_getsymtab_)
#define dwfl_module_getsym_info (*tl_deps.dwfl_module_getsym_info_)
#define dwfl_getmodules (*tl_deps.dwfl_getmodules_)
#define dwarf_tag (*tl_deps.dwarf_tag_)
#define dwarf_attr (*tl_deps.dwarf_attr_)
#define dwarf_attr_integrate (*tl_deps.dwarf_attr_integrate_)
#define dwarf_formstring (*tl_deps.dwarf_formstring_)
#define dwarf_formudata (*tl_deps.dwarf_formudata_)
#define dwarf_formref_die (*tl_deps.dwarf_formref_die_)
#define dwarf_diename (*tl_deps.dwarf_diename_)
#define dwarf_diecu (*tl_deps.dwarf_diecu_)
#define dwarf_cu_info (*tl_deps.dwarf_cu_info_)
#define dwarf_dieoffset (*tl_deps.dwarf_dieoffset_)
#define dwarf_haspc (*tl_deps.dwarf_haspc_)
#define dwarf_ranges (*tl_deps.dwarf_ranges_)
#define dwarf_getsrc_die (*tl_deps.dwarf_getsrc_die_)
#define dwarf_linesrc (*tl_deps.dwarf_linesrc_)
#define dwarf_lineno (*tl_deps.dwarf_lineno_)
#define dwarf_getsrcfiles (*tl_deps.dwarf_getsrcfiles_)
#define dwarf_filesrc (*tl_deps.dwarf_filesrc_)
#define dwarf_child (*tl_deps.dwarf_child_)
#define dwarf_siblingof (*tl_deps.dwarf_siblingof_)
#define dwarf_decl_line (*tl_deps.dwarf_decl_line_)
#define dwarf_decl_file (*tl_deps.dwarf_decl_file_)
#define dwarf_hasattr (*tl_deps.dwarf_hasattr_)
#define dwarf_getlocation (*tl_deps.dwarf_getlocation_)
#define dwarf_getlocation_attr (*tl_deps.dwarf_getlocation_attr_)
#define dwarf_formaddr (*tl_deps.dwarf_formaddr_)
#define dwarf_aggregate_size (*tl_deps.dwarf_aggregate_size_)
#define dwarf_peel_type (*tl_deps.dwarf_peel_type_)
#define elf_memory (*tl_deps.elf_memory_)
#define elf_begin (*tl_deps.elf_begin_)
#define elf_kind (*tl_deps.elf_kind_)
#define elf_cntl (*tl_deps.elf_cntl_)
#define elf_end (*tl_deps.elf_end_)

#endif
