/* The real functions behind the wrappers, each looked up on its first use. dlsym(RTLD_NEXT)
 * costs about 900 instructions a name and takes the loader's lock; a failed dlsym allocates
 * on its error path. Here one lookup reads the GNU hash table (or the SysV one) of each object
 * after us in the list of objects loaded at start, libc usually being the first: a few hundred
 * instructions, no lock, no allocation, so that a wrapper may be the first user of its real
 * function in a signal handler or before our constructor. See docs/internals.md (symbol
 * lookup) for what this honours of RTLD_NEXT. */
#include "tl.h"

#include <dlfcn.h>
#include <errno.h>
#include <elf.h>
#include <linux/futex.h>
#include <link.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <stddef.h>
#if defined(__x86_64__)
#include <cpuid.h>
#include <sys/prctl.h>
#endif

struct tl_real_table tl_real __attribute__((aligned(64)));

/* Each id's symbol name and version (empty: the default one), as offsets into one block of
 * characters rather than pointers: a table of pointers would need a relocation per entry at
 * load time, and a page of relocated data copied, in every process. */
#define TL_REAL_NAME(ret, name, params) char name[sizeof(#name)], name##_v[1];
#define TL_REAL_NAMEV(ret, name, sym, ver, params) char name[sizeof(sym)], name##_v[sizeof(ver)];
static const struct {
	TL_REAL_LIST(TL_REAL_NAME) TL_REAL_VERSIONED(TL_REAL_NAMEV)
} names = {
#define TL_REAL_NAME_INIT(ret, name, params) #name, "",
#define TL_REAL_NAME_INITV(ret, name, sym, ver, params) sym, ver,
    TL_REAL_LIST(TL_REAL_NAME_INIT) TL_REAL_VERSIONED(TL_REAL_NAME_INITV)};
static const struct {
	unsigned short name, version;
} offsets[TL_REAL_COUNT] = {
#define TL_REAL_OFFSETS(ret, name, params) \
	[TL_REAL_ID_##                     \
	    name] = {offsetof(__typeof__(names), name), offsetof(__typeof__(names), name##_v)},
#define TL_REAL_OFFSETSV(ret, name, sym, ver, params) TL_REAL_OFFSETS(ret, name, params)
    TL_REAL_LIST(TL_REAL_OFFSETS) TL_REAL_VERSIONED(TL_REAL_OFFSETSV)};

/* Store p in id's pointer: a switch, not a table of addresses, for the same reason. */
static void store(enum tl_real_id id, void *p)
{
	switch (id) {
#define TL_REAL_STORE(ret, name, params)                                       \
	case TL_REAL_ID_##name:                                                \
		__atomic_store_n((void **)&tl_real.name, p, __ATOMIC_RELEASE); \
		break;
#define TL_REAL_STOREV(ret, name, sym, ver, params) TL_REAL_STORE(ret, name, params)
		TL_REAL_LIST(TL_REAL_STORE)
		TL_REAL_VERSIONED(TL_REAL_STOREV)
	case TL_REAL_COUNT:
		break;
	}
}

atomic_uint tl_real_fallbacks;

extern ElfW(Dyn) _DYNAMIC[]; /* ours, set by the linker: finds our entry in the list */

/* One object's dynamic symbol tables. */
struct object {
	uintptr_t base;
	const ElfW(Sym) * symtab;
	const char *strtab;
	const uint32_t *gnu_hash, *sysv_hash;
	const ElfW(Half) * versym;
	const ElfW(Verdef) * verdef;
};

/* No libc calls here: a first call through our PLT would cost the loader's lazy binding. */
static bool same(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static bool open_object(const struct link_map *l, struct object *o)
{
	*o = (struct object){.base = l->l_addr};
	if (l->l_ld == NULL)
		return false;
	for (const ElfW(Dyn) *d = l->l_ld; d->d_tag != DT_NULL; d++) {
		/* the loader relocates these in place, except in a read-only dynamic section (the
		 * vDSO's) where they stay offsets */
		uintptr_t p = d->d_un.d_ptr;
		if (p < o->base)
			p += o->base;
		switch (d->d_tag) {
		case DT_SYMTAB:
			o->symtab = (const ElfW(Sym) *)p;
			break;
		case DT_STRTAB:
			o->strtab = (const char *)p;
			break;
		case DT_GNU_HASH:
			o->gnu_hash = (const uint32_t *)p;
			break;
		case DT_HASH:
			o->sysv_hash = (const uint32_t *)p;
			break;
		case DT_VERSYM:
			o->versym = (const ElfW(Half) *)p;
			break;
		case DT_VERDEF:
			o->verdef = (const ElfW(Verdef) *)p;
			break;
		}
	}
	return o->symtab && o->strtab && (o->gnu_hash || o->sysv_hash);
}

static uint32_t gnu_hash(const char *s)
{
	uint32_t h = 5381;
	for (; *s; s++)
		h = h * 33 + (unsigned char)*s;
	return h;
}

static uint32_t sysv_hash(const char *s)
{
	uint32_t h = 0;
	for (; *s; s++) {
		h = (h << 4) + (unsigned char)*s;
		h ^= (h >> 24) & 0xf0;
	}
	return h & 0x0fffffff;
}

/* The name of version index ndx in the object's definitions. */
static const char *version_name(const struct object *o, unsigned ndx)
{
	const ElfW(Verdef) *vd = o->verdef;
	while (vd != NULL) {
		if (vd->vd_ndx == ndx) {
			const ElfW(Verdaux) *aux = (const void *)((const char *)vd + vd->vd_aux);
			return o->strtab + aux->vda_name;
		}
		if (vd->vd_next == 0)
			break;
		vd = (const void *)((const char *)vd + vd->vd_next);
	}
	return NULL;
}

/* The loader's rules (check_match in glibc's dl-lookup.c): a defined global or weak symbol of
 * a type that has an address; without a version, the default one (a hidden, non-default
 * version such as pthread_cond_wait@GLIBC_2.2.5 is skipped); with one, that one. */
TL_START_CODE static bool matches(const struct object *o, uint32_t i, const char *name,
                                  const char *version)
{
	const ElfW(Sym) *s = &o->symtab[i];
	unsigned type = ELF64_ST_TYPE(s->st_info), bind = ELF64_ST_BIND(s->st_info);
	if (s->st_shndx == SHN_UNDEF || s->st_value == 0 ||
	    (type != STT_FUNC && type != STT_OBJECT && type != STT_NOTYPE &&
	     type != STT_GNU_IFUNC) ||
	    (bind != STB_GLOBAL && bind != STB_WEAK && bind != STB_GNU_UNIQUE) ||
	    !same(o->strtab + s->st_name, name))
		return false;
	if (o->versym == NULL)
		return true;
	unsigned v = o->versym[i];
	if (version == NULL)
		return (v & 0x7fff) < 2 || !(v & 0x8000);
	const char *have = version_name(o, v & 0x7fff);
	return have != NULL && same(have, version);
}

static const ElfW(Sym) *
    find_in(const struct object *o, const char *name, uint32_t gh, const char *version)
{
	if (o->gnu_hash != NULL) {
		const uint32_t *h = o->gnu_hash;
		uint32_t nbuckets = h[0], symoffset = h[1], bloom_size = h[2], shift = h[3];
		const ElfW(Addr) *bloom = (const ElfW(Addr) *)&h[4];
		const uint32_t *buckets = (const uint32_t *)&bloom[bloom_size];
		const uint32_t *chain = &buckets[nbuckets];
		const unsigned bits = sizeof(ElfW(Addr)) * 8;
		if (nbuckets == 0 || bloom_size == 0)
			return NULL;
		ElfW(Addr) word = bloom[(gh / bits) % bloom_size];
		ElfW(Addr) mask =
		    ((ElfW(Addr))1 << (gh % bits)) | ((ElfW(Addr))1 << ((gh >> shift) % bits));
		if ((word & mask) != mask)
			return NULL;
		uint32_t i = buckets[gh % nbuckets];
		if (i < symoffset)
			return NULL;
		for (;; i++) {
			uint32_t ch = chain[i - symoffset];
			if ((ch | 1) == (gh | 1) && matches(o, i, name, version))
				return &o->symtab[i];
			if (ch & 1)
				return NULL;
		}
	}
	const uint32_t *h = o->sysv_hash;
	uint32_t nbucket = h[0];
	const uint32_t *bucket = &h[2], *chain = &h[2 + nbucket];
	if (nbucket == 0)
		return NULL;
	for (uint32_t i = bucket[sysv_hash(name) % nbucket]; i != STN_UNDEF; i = chain[i])
		if (matches(o, i, name, version))
			return &o->symtab[i];
	return NULL;
}

/* The objects loaded at start end here: objects dlopen'ed later without RTLD_GLOBAL are not
 * in the scope that dlsym searches, and they come after this one in the list. */
TL_START_DATA static _Atomic(struct link_map *) last_initial;

static struct link_map *initial_end(void)
{
	struct link_map *end = atomic_load_explicit(&last_initial, memory_order_acquire);
	if (end == NULL) {
		end = _r_debug.r_map;
		while (end != NULL && end->l_next != NULL)
			end = end->l_next;
		atomic_store_explicit(&last_initial, end, memory_order_release);
	}
	return end;
}

/* The vDSO is in the loader's list, after the program, but not in the scope dlsym searches:
 * its clock_gettime is not the one a call binds to. The only entry besides the program whose
 * name has no slash (the loader records the path it loaded every other object from). */
static bool is_vdso(const struct link_map *l)
{
	if (l->l_prev == NULL || l->l_name == NULL)
		return false;
	for (const char *c = l->l_name; *c; c++)
		if (*c == '/')
			return false;
	return l->l_name[0] != '\0';
}

static void *address_of(const struct object *o, const ElfW(Sym) * s)
{
	void *p = (void *)(o->base + s->st_value);
	/* an indirect function: its resolver returns the implementation for this CPU (x86_64
	 * resolvers take no arguments) */
	if (ELF64_ST_TYPE(s->st_info) == STT_GNU_IFUNC)
		p = ((void *(*)(void))p)();
	return p;
}

/* The first definition of each of n names in the objects from `from` to `end` (NULL: the last
 * one loaded at start), each object's dynamic section read once; out[i] NULL when none.
 * versions[i] (versions itself may be NULL) names the version wanted, NULL the default one.
 * The one walk behind every lookup of ours. */
TL_START_CODE static void lookup_n(struct link_map *from, struct link_map *end,
                                   const char *const *names, const char *const *versions,
                                   void **out, int n)
{
	if (end == NULL)
		end = initial_end();
	int left = n;
	for (int i = 0; i < n; i++)
		out[i] = NULL;
	for (struct link_map *l = from; l != NULL && left > 0; l = l == end ? NULL : l->l_next) {
		struct object o;
		if (is_vdso(l) || !open_object(l, &o))
			continue;
		for (int i = 0; i < n; i++) {
			const ElfW(Sym) *s = out[i] ? NULL
			                            : find_in(&o, names[i], gnu_hash(names[i]),
			                                      versions ? versions[i] : NULL);
			if (s != NULL) {
				out[i] = address_of(&o, s);
				left--;
			}
		}
	}
}

static void *lookup(struct link_map *from, const char *name, const char *version)
{
	void *p;
	lookup_n(from, NULL, &name, &version, &p, 1);
	return p;
}

static struct link_map *self_map(void)
{
	for (struct link_map *l = _r_debug.r_map; l != NULL; l = l->l_next)
		if (l->l_ld == _DYNAMIC)
			return l;
	return NULL;
}

TL_START_CODE static struct link_map *self_cached(void)
{
	TL_START_DATA static _Atomic(struct link_map *) self;
	struct link_map *me = atomic_load_explicit(&self, memory_order_acquire);
	if (me == NULL) {
		me = self_map();
		atomic_store_explicit(&self, me, memory_order_release);
	}
	return me;
}

/* Another object preloaded before us (LD_PRELOAD=other.so:libthreadleak.so)? Objects loaded at
 * start come after the program and the vDSO (whose name has no slash) in the loader's list. */
TL_START_CODE bool tl_preloaded_after_another(void)
{
	struct link_map *me = self_cached();
	for (struct link_map *l = me ? me->l_prev : NULL; l != NULL && l->l_prev != NULL;
	     l = l->l_prev)
		for (const char *c = l->l_name; c != NULL && *c; c++)
			if (*c == '/')
				return true;
	return false;
}

const char *tl_self_path(void)
{
	struct link_map *me = self_cached();
	return me != NULL ? me->l_name : NULL;
}

bool tl_preload_next(const char **p, const char **entry, size_t *len, bool *ours)
{
	const char *self = tl_self_path(), *slash = self ? strrchr(self, '/') : NULL;
	const char *base = slash ? slash + 1 : self;
	const char *s = *p;
	while (*s == ' ' || *s == ':')
		s++;
	const char *q = s;
	while (*q && *q != ' ' && *q != ':')
		q++;
	*entry = s;
	*len = (size_t)(q - s);
	*p = q;
	size_t blen = base ? strlen(base) : 0;
	*ours = blen && *len >= blen && memcmp(q - blen, base, blen) == 0 &&
	        (q - blen == s || q[-(long)blen - 1] == '/');
	return *len > 0;
}

void tl_real_find(enum tl_real_id id)
{
	struct link_map *me = self_cached();
	const char *name = (const char *)&names + offsets[id].name;
	const char *version = (const char *)&names + offsets[id].version;
	if (*version == '\0')
		version = NULL;
	void *p = me != NULL ? lookup(me->l_next, name, version) : NULL;
	/* not found the fast way (a loader without the list we read, a function defined only in
	 * an object loaded later): ask the loader */
	if (p == NULL) {
		/* called directly, these two make the library need libc's GLIBC_2.34: the one
		 * version kept on purpose besides the oldest, so that an older glibc (whose libc
		 * lacks what the table names: stat before 2.33, dlopen before 2.34) refuses to load
		 * us with the loader's clear message rather than letting a call through the table
		 * crash */
		atomic_fetch_add_explicit(&tl_real_fallbacks, 1, memory_order_relaxed);
		p = version ? dlvsym(RTLD_NEXT, name, version) : dlsym(RTLD_NEXT, name);
	}
	store(id, p);
}

TL_START_CODE void tl_lookup_next_n(const char *const *names, void **out, int n)
{
	struct link_map *me = self_cached();
	lookup_n(me != NULL ? me->l_next : NULL, NULL, names, NULL, out, n);
}

void *tl_lookup_next(const char *name)
{
	struct link_map *me = self_cached();
	return me != NULL ? lookup(me->l_next, name, NULL) : NULL;
}

TL_START_CODE void *tl_lookup_global(const char *name)
{
	return lookup(_r_debug.r_map, name, NULL);
}

/* Data of libc's and of the loader's that only the check and the wrappers read, and functions
 * of the loader's that only the check calls, found on first use: a reference the loader binds
 * at load time costs every process a symbol lookup, started threads or not (docs/internals.md,
 * Process start). The program's copy comes first, as for the loader (a program that names
 * `environ` has its own, which libc uses too). A name not found is not looked up again. */
#define NOT_FOUND ((void *)1)
TL_START_CODE void *tl_lookup_global_once(void *_Atomic *cache, const char *name)
{
	void *p = atomic_load_explicit(cache, memory_order_acquire);
	if (p == NULL) {
		p = tl_lookup_global(name);
		atomic_store_explicit(cache, p ? p : NOT_FOUND, memory_order_release);
	}
	return p == NOT_FOUND ? NULL : p;
}

char **tl_environ(void)
{
	static void *_Atomic cache;
	char ***p = tl_lookup_global_once(&cache, "environ");
	return p ? *p : NULL;
}

const char *tl_program_name(bool short_name)
{
	static void *_Atomic cache[2];
	char **p =
	    tl_lookup_global_once(&cache[short_name], short_name ? "program_invocation_short_name"
	                                                         : "program_invocation_name");
	return p && *p ? *p : "?";
}

FILE *tl_stdio_streams(void)
{
	static void *_Atomic cache;
	FILE **p = tl_lookup_global_once(&cache, "_IO_list_all");
	return p ? *p : NULL;
}

static bool named(const struct link_map *l, const char *base)
{
	const char *slash = l->l_name ? strrchr(l->l_name, '/') : NULL;
	return slash != NULL && strncmp(slash + 1, base, strlen(base)) == 0;
}

static struct link_map *libc_map(void)
{
	for (struct link_map *l = _r_debug.r_map; l != NULL; l = l->l_next)
		if (named(l, "libc.so.6"))
			return l;
	return NULL;
}

void *tl_lookup_libc(const char *name)
{
	struct link_map *l = libc_map();
	void *p = NULL;
	if (l != NULL)
		lookup_n(l, l, &name, NULL, &p, 1);
	return p;
}

/* ---- whose code an address on a stack returns to (dump.c: a lock wait as the host of a hang
 * report). Lock-free, no allocation: in a signal handler. ---- */
bool tl_in_libc_function(uintptr_t a, const char *const *names, int n)
{
	struct link_map *l = libc_map();
	struct object o;
	if (l == NULL || !open_object(l, &o))
		return false;
	for (int i = 0; i < n; i++) {
		const ElfW(Sym) *s = find_in(&o, names[i], gnu_hash(names[i]), NULL);
		uintptr_t lo = s ? o.base + s->st_value : 0;
		if (s != NULL && a >= lo && a - lo < s->st_size)
			return true;
	}
	return false;
}

/* n bytes of this process's memory at src, copied by the kernel: what process_vm_readv
 * returned (the bytes copied, or -errno: EFAULT where a page is gone, an object another thread
 * dlclose'd meanwhile, or unreadable; EPERM or ENOSYS under a filter). */
long tl_vm_read(void *dst, uintptr_t src, size_t n)
{
	struct iovec local = {dst, n}, remote = {(void *)src, n};
	return tl_raw_syscall6(SYS_process_vm_readv, tl_raw_syscall6(SYS_gettid, 0, 0, 0, 0, 0, 0),
	                       (long)&local, 1, (long)&remote, 1, 0);
}

bool tl_copy_mapped(void *dst, uintptr_t src, size_t n)
{
	return tl_vm_read(dst, src, n) == (long)n;
}

/* The object whose code holds a return address a: glibc's _dl_find_object (2.35; lock-free and
 * async-signal-safe, made for unwinders), then the object's executable segments, read from its
 * program headers (at the start of its mapping), and the instruction before a, which must be a
 * call (tl_ends_with_call): a saved pointer to a global is not taken for a return. */
enum tl_code_owner tl_code_owner(uintptr_t a)
{
#ifdef DLFO_EH_SEGMENT_TYPE
	static void *_Atomic find_cache;
	int (*find)(void *, struct dl_find_object *) =
	    (int (*)(void *, struct dl_find_object *))atomic_load(&find_cache);
	if (find == NULL) {
		find = (int (*)(void *, struct dl_find_object *))tl_lookup_libc("_dl_find_object");
		if (find == NULL)
			return TL_CODE_UNKNOWN;
		atomic_store(&find_cache, (void *)find);
	}
	struct dl_find_object r;
	if (find((void *)a, &r) != 0 || r.dlfo_link_map == NULL)
		return TL_CODE_NONE;
	/* the headers, at the start of the mapping's first page */
	uintptr_t start = (uintptr_t)r.dlfo_map_start;
	ElfW(Ehdr) ehdr;
	ElfW(Phdr) ph[24];
	const ElfW(Ehdr) *eh = &ehdr;
	if ((start & 0xfff) != 0 || (uintptr_t)r.dlfo_map_end - start < 4096 ||
	    !tl_copy_mapped(&ehdr, start, sizeof(ehdr)) ||
	    memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_phentsize != sizeof(ElfW(Phdr)) ||
	    eh->e_phnum > TL_ARRAY_SIZE(ph) ||
	    eh->e_phoff + (uintptr_t)eh->e_phnum * sizeof(ElfW(Phdr)) > 4096 ||
	    !tl_copy_mapped(ph, start + eh->e_phoff, eh->e_phnum * sizeof(ElfW(Phdr))))
		return TL_CODE_UNKNOWN;
	uintptr_t base = r.dlfo_link_map->l_addr;
	bool code = false;
	for (int i = 0; i < eh->e_phnum && !code; i++)
		code = ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X) &&
		       a >= base + ph[i].p_vaddr + 7 && a - base - ph[i].p_vaddr < ph[i].p_memsz;
	if (!code)
		return TL_CODE_NONE;
	unsigned char before[7];
	if (!tl_copy_mapped(before, a - sizeof(before), sizeof(before)) ||
	    !tl_ends_with_call(before))
		return TL_CODE_NONE;
	struct link_map *l = r.dlfo_link_map;
	if (l == libc_map())
		return TL_CODE_LIBC;
	if (l->l_ld == _DYNAMIC)
		return TL_CODE_OURS;
	if (named(l, "ld-linux") || named(l, "ld64.so") || named(l, "ld.so"))
		return TL_CODE_LOADER;
	return TL_CODE_OTHER;
#else
	(void)a;
	return TL_CODE_UNKNOWN;
#endif
}

/* A system call without libc's syscall() (which we wrap) nor a lookup: for the start and exit
 * of a process that calls nothing we wrap, so that it never reads libc's symbol tables (a few
 * page faults). Returns -errno on failure, as the kernel does. */
TL_START_CODE long tl_raw_syscall6(long nr, long a, long b, long c, long d, long e, long f)
{
#if defined(__x86_64__)
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
	                 : "=a"(ret)
	                 : "0"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
	                 : "rcx", "r11", "memory");
	return ret;
#else
	long ret = TL_REAL(syscall)(nr, a, b, c, d, e, f);
	return ret == -1 ? -errno : ret;
#endif
}

TL_START_CODE long tl_raw_syscall(long nr, long a, long b, long c)
{
	return tl_raw_syscall6(nr, a, b, c, 0, 0, 0);
}

/* ---- clocks and the thread id: their one home ---- */

static int clock_gettime_syscall(clockid_t clock, struct timespec *ts)
{
	long r = tl_raw_syscall(SYS_clock_gettime, clock, (long)ts, 0);
	return r < 0 ? (errno = (int)-r, -1) : 0;
}

/* libc's clock_gettime (the vDSO's speed), not whichever library comes next after us (an
 * interposer such as libfaketime, whose clock dies with its destructor): looked up on first use,
 * lock-free, so that process start pays nothing and a wrapper in a signal handler may be first. */
static int clock_gettime_first(clockid_t clock, struct timespec *ts)
{
	int (*fn)(clockid_t, struct timespec *) =
	    (int (*)(clockid_t, struct timespec *))tl_lookup_libc("clock_gettime");
	if (fn == NULL)
		fn = clock_gettime_syscall;
	tl_clock_gettime = fn;
	return fn(clock, ts);
}

int (*tl_clock_gettime)(clockid_t, struct timespec *) = clock_gettime_first;

int64_t tl_mono_ns(void)
{
	struct timespec ts;
	tl_clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t tl_now_ns(void)
{
	struct timespec ts;
	tl_clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Wrappers' timestamps (tl.h TL_STAMP; docs/internals.md, "Timestamps"). The counter is
 * converted at the check by the pair of readings taken here and a second one taken then: its
 * rate need not be known, only constant (CPUID's invariant TSC), and the counter readable by
 * this process (prctl PR_GET_TSC: a tracer such as rr may make it fault). Decided once, before
 * the first thread: a process that starts none pays nothing, and its stamps, which only the
 * main thread takes, stay on the coarse clock. Each thread's record holds the choice (tl_thread
 * tsc), taken from tl_stamp_tsc when it is made. */
bool tl_stamp_tsc;
static int64_t tsc0, tsc0_ns;
static atomic_bool tsc_off;

#if defined(__x86_64__)
static bool tsc_usable(void)
{
	unsigned a, b, c, d, top = __get_cpuid_max(0x80000000, NULL);
	int mode = 0;
	if (top < 0x80000007 || !__get_cpuid(0x80000007, &a, &b, &c, &d) || !(d & (1u << 8)))
		return false; /* no invariant TSC: its rate may change with the CPU's */
	return tl_raw_syscall(SYS_prctl, PR_GET_TSC, (long)&mode, 0) == 0 && mode == PR_TSC_ENABLE;
}
#endif

void tl_stamp_init(void)
{
#if defined(__x86_64__)
	if (!tsc_usable())
		return;
	tsc0 = (int64_t)__builtin_ia32_rdtsc();
	tsc0_ns = tl_mono_ns();
	atomic_signal_fence(memory_order_seq_cst);
	tl_stamp_tsc = true;
#endif
}

/* From now on the coarse clock for the threads made after (the caller clears its own record's
 * choice); the counter's stamps already taken stay unknown: reading it to convert them could
 * fault. */
void tl_stamp_off(void)
{
	tl_stamp_tsc = false;
	atomic_store(&tsc_off, true);
}

int64_t tl_stamp_ns(int64_t stamp)
{
	if (stamp <= 0)
		return -stamp; /* the coarse clock's, or 0 */
#if defined(__x86_64__)
	if (atomic_load(&tsc_off))
		return 0;
	int64_t tsc1 = (int64_t)__builtin_ia32_rdtsc();
	int64_t now = tl_mono_ns();
	if (tsc1 <= tsc0 || now <= tsc0_ns || stamp >= tsc1)
		return now;
	/* the rate since the first thread; a double keeps 53 bits, ns for 100 days */
	double ns_per_tick = (double)(now - tsc0_ns) / (double)(tsc1 - tsc0);
	int64_t ns = now - (int64_t)((double)(tsc1 - stamp) * ns_per_tick);
	return ns > 0 ? ns : 1;
#else
	return stamp;
#endif
}

/* Not nanosleep: every nanosleep resets the thread's restart block, the kernel's record of the
 * timed call a signal interrupted (its deadline), which a report made in the signal handler of
 * a request must leave intact to finish the program's call for the time that was left (dump.c,
 * docs/internals.md). A timed futex wait on a word nobody wakes touches it only when a signal
 * interrupts the wait. Async-signal-safe. */
void tl_nap_ns(int64_t ns)
{
	uint32_t word = 0;
	int64_t end = tl_mono_ns() + ns;
	for (int64_t left = ns; left > 0; left = end - tl_mono_ns()) {
		struct timespec ts = {left / 1000000000, left % 1000000000};
		tl_raw_syscall6(SYS_futex, (long)&word, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0,
		                (long)&ts, 0, 0);
	}
}

/* A raw system call: the same as libc's gettid(), usable at start, at exit and in a signal
 * handler alike. */
pid_t tl_gettid(void)
{
	return (pid_t)tl_raw_syscall(SYS_gettid, 0, 0, 0);
}

/* A seccomp filter may deny getpid: then this is taken for the process we started in (the
 * forks we see through our wrappers say otherwise themselves), not for a child, which makes
 * no exit check. */
TL_START_CODE pid_t tl_getpid(void)
{
	long pid = tl_raw_syscall(SYS_getpid, 0, 0, 0);
	return pid > 0 ? (pid_t)pid : tl_pid;
}
