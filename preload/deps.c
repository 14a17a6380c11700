/* Loading libunwind, libdw and the demangler on first use (see deps.h for why). */
#include "deps.h"

#include <dlfcn.h>
#include <link.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

struct tl_deps tl_deps;

#define TL_XSTR_(x) #x
#define TL_XSTR(x) TL_XSTR_(x)

static _Atomic bool unwind_ok, dw_ok;
/* The last load failed for a reason that passes (descriptors or memory exhausted: a program at
 * its RLIMIT_NOFILE when a check first needed libdw): tried again at the next need, instead of
 * going without names and lines, or stacks, for the rest of the run. */
static _Atomic bool unwind_again, dw_again;
static pthread_mutex_t again_lock = PTHREAD_MUTEX_INITIALIZER;

static bool passing(const char *err)
{
	return err != NULL &&
	       (strstr(err, "Too many open files") || strstr(err, "Cannot allocate memory"));
}
static pthread_once_t dw_once = PTHREAD_ONCE_INIT, demangle_once = PTHREAD_ONCE_INIT;

/* This thread is loading a library of ours (inside dlopen, under pthread_once): a signal
 * handler that interrupted the load and checks (dump_on_signal's report of a SIGTERM, a
 * program's handler calling exit() during the first pthread_create) must not wait for the
 * pthread_once it is itself running: it waited forever, and so did threadleak run. It goes on
 * without that library, as when it is missing. */
static __thread int loading_here;

static void load_guarded(void (*load)(void))
{
	loading_here++;
	load();
	loading_here--;
}

bool tl_deps_loading_here(void)
{
	return loading_here > 0;
}

static void load_unwind(void);
static void load_dw(void);
static void load_demangle(void);
static void load_unwind_guarded(void)
{
	load_guarded(load_unwind);
}
static void load_dw_guarded(void)
{
	load_guarded(load_dw);
}
static void load_demangle_guarded(void)
{
	load_guarded(load_demangle);
}
static char *(*demangle_fn)(const char *, int);

static void *open_first(const char *const *names)
{
	for (; *names; names++) {
		void *h = TL_REAL(dlopen)(*names, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
		if (h)
			return h;
	}
	return NULL;
}

/* libunwind's code, where its calls of libc come from (wrap_io.c pipe2): set before its first
 * call. */
static uintptr_t unwinder_lo, unwinder_hi;

static int code_segment_of(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	uintptr_t pc = *(uintptr_t *)data;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && pc >= lo && pc < hi) {
			unwinder_lo = lo;
			unwinder_hi = hi;
			return 1;
		}
	}
	return 0;
}

bool tl_pc_in_unwinder(uintptr_t pc)
{
	return pc >= unwinder_lo && pc < unwinder_hi;
}

static void load_unwind(void)
{
	static const char *const names[] = {"libunwind.so.8", "libunwind.so", NULL};
	void *h = open_first(names);
	if (h == NULL) {
		const char *err = TL_REAL(dlerror)();
		if (!unwind_again)
			tl_warn("cannot load libunwind (%s): stacks are not available", err);
		unwind_again = passing(err);
		return;
	}
	unwind_again = false;
	bool ok = true;
#define TL_UNW_LOAD(sym, member) \
	ok = ok && (*(void **)&tl_deps.member = TL_REAL(dlsym)(h, TL_XSTR(sym))) != NULL;
	TL_UNW_FUNCS(TL_UNW_LOAD)
	ok = ok && (tl_deps.unw_local_addr_space_ =
	                TL_REAL(dlsym)(h, TL_XSTR(UNW_OBJ(local_addr_space)))) != NULL;
	ok = ok && (*(void **)&tl_deps.unw_backtrace_ = TL_REAL(dlsym)(h, "unw_backtrace")) != NULL;
	if (!ok) {
		tl_warn("libunwind lacks a function threadleak needs: stacks are not available");
		return;
	}
	uintptr_t unwinder_pc = (uintptr_t)tl_deps.unw_step_;
	dl_iterate_phdr(code_segment_of, &unwinder_pc);
	/* only to read memory faster at the check (capture.c quiet_access_mem) */
	*(void **)&tl_deps.unw_get_accessors_ =
	    TL_REAL(dlsym)(h, TL_XSTR(UNW_ARCH_OBJ(get_accessors)));
	/* only for the creation stacks' memo (capture.c, "Creation stacks") */
	*(void **)&tl_deps.unw_getcontext_ = TL_REAL(dlsym)(h, TL_XSTR(UNW_ARCH_OBJ(getcontext)));
	*(void **)&tl_deps.unw_is_signal_frame_ =
	    TL_REAL(dlsym)(h, TL_XSTR(UNW_OBJ(is_signal_frame)));
	/* Per-thread caches, so no parked thread can hold a lock the unwinder needs. */
	unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
	unwind_ok = true;
}

static void load_dw(void)
{
	static const char *const names[] = {"libdw.so.1", "libdw.so", NULL};
	void *h = open_first(names);
	if (h == NULL) {
		const char *err = TL_REAL(dlerror)();
		if (!dw_again)
			tl_warn("cannot load libdw (%s): frames are shown without names and lines",
			        err);
		dw_again = passing(err);
		return;
	}
	dw_again = false;
	bool ok = true;
#define TL_DW_LOAD(sym) ok = ok && (*(void **)&tl_deps.sym##_ = TL_REAL(dlsym)(h, #sym)) != NULL;
	TL_DW_FUNCS(TL_DW_LOAD)
	if (!ok) {
		tl_warn("libdw lacks a function threadleak needs: frames are shown without names");
		return;
	}
	dw_ok = true;
}

bool tl_deps_unwind(void)
{
	static struct tl_once once = TL_ONCE_INIT; /* asked by every pthread_create */
	if (TL_UNLIKELY(!atomic_load_explicit(&once.done, memory_order_acquire)) &&
	    loading_here > 0)
		return false;
	tl_once(&once, load_unwind_guarded);
	if (TL_UNLIKELY(unwind_again) && loading_here == 0) {
		pthread_mutex_lock(&again_lock);
		if (unwind_again && !unwind_ok)
			load_guarded(load_unwind);
		pthread_mutex_unlock(&again_lock);
	}
	return unwind_ok;
}

bool tl_deps_dw(void)
{
	if (loading_here > 0)
		return dw_ok;
	TL_REAL(pthread_once)(&dw_once, load_dw_guarded);
	if (TL_UNLIKELY(dw_again)) {
		pthread_mutex_lock(&again_lock);
		if (dw_again && !dw_ok)
			load_guarded(load_dw);
		pthread_mutex_unlock(&again_lock);
	}
	return dw_ok;
}

/* libthreadleak-demangle.so is installed beside libthreadleak.so. The loader's name for us may
 * be relative to a directory the program has left since (LD_PRELOAD=build/preload/...), so
 * our directory comes from /proc/self/maps, which names the file that holds this function; a
 * bare name (the loader's search path) is the last resort. */
static bool demangle_missing;

static void load_demangle(void)
{
	static const char module[] = "libthreadleak-demangle.so";
	char perms[8], path[PATH_MAX];
	void *h = NULL;
	if (tl_mapping_of((uintptr_t)load_demangle, perms, path, sizeof(path) - sizeof(module),
	                  NULL) > 0 &&
	    path[0] == '/') {
		char *slash = strrchr(path, '/');
		memcpy(slash + 1, module, sizeof(module));
		h = TL_REAL(dlopen)(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	}
	if (h == NULL)
		h = TL_REAL(dlopen)(module, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (h != NULL)
		*(void **)&demangle_fn = TL_REAL(dlsym)(h, "tl_demangle_module");
	demangle_missing = demangle_fn == NULL;
}

/* Said once, with a report that may show such names: a clean program gets no output
 * (tl_check's emit), though its check may have demangled names to match suppressions. */
void tl_deps_warn_demangle_missing(void)
{
	static atomic_bool said;
	if (demangle_missing && !atomic_exchange(&said, true))
		tl_warn("cannot load libthreadleak-demangle.so: C++ and Rust names are shown "
		        "mangled");
}

char *tl_deps_cplus_demangle(const char *name, int options)
{
	if (loading_here > 0)
		return NULL;
	TL_REAL(pthread_once)(&demangle_once, load_demangle_guarded);
	return demangle_fn ? demangle_fn(name, options) : NULL;
}
