/* Current stacks of other threads, taken without disturbing them.
 *
 * 1. A thread blocked inside one of our wrappers left a register snapshot of the wrapper's
 *    frame (TL_BLOCK_ENTER); while it stays blocked its caller frames cannot change, so we
 *    unwind from the snapshot with no signal at all, and check its sequence number after.
 * 2. Any other thread that a signal cannot disturb (running in user space, or in a syscall
 *    the kernel restarts transparently) is "parked": while we hold the loader lock (inside a
 *    dl_iterate_phdr callback; the lock is recursive) we send it a real-time signal whose
 *    handler only publishes its ucontext, counts itself parked and waits. We unwind each
 *    parked context with libunwind (no malloc; libunwind's own dl_iterate_phdr calls cannot
 *    deadlock because we hold that lock and no parked thread can), then release them all, and
 *    wait until they have left the handler. O(N) in the threads: see "parking" below.
 *    libunwind inside a signal handler deadlocks (docs/internals.md): the handler never unwinds.
 * 3. A thread with the signal blocked, or in a call a signal would interrupt (poll, nanosleep,
 *    a socket with a timeout), gets only the program counter the kernel reports, and a note.
 *    So does a thread on a small stack without room for the signal's frame. Each thread is
 *    looked at again right before its signal, and the handler undoes the EINTR of a call the
 *    thread entered in between (tl_repair_eintr).
 * All of this uses the dynamic loader, whose locks the check takes first (tl_loader_enter). */
#include "deps.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

/* ---- our own address range, to drop our frames from stacks ---- */
TL_START_DATA static uintptr_t own_lo, own_hi;

/* ---- the dynamic loader's locks ----
 * A thread may block while it holds one of the loader's locks (inside a dl_iterate_phdr
 * callback, or a constructor run by dlopen) and everything we do with the loader (unw_step
 * and the symbolizer call dl_iterate_phdr; dlopen and dlsym of libunwind and libdw) would
 * then wait forever. glibc keeps them in _rtld_global as three adjacent recursive
 * pthread mutexes: dl_load_lock, dl_load_write_lock (dl_iterate_phdr), dl_load_tls_lock (see
 * docs/internals.md). We find them once, from inside a dl_iterate_phdr callback where we own
 * the write lock, and then take them ourselves with a timeout before using the loader: held
 * by us (they are recursive) nothing of ours can block on them, and when one cannot be taken
 * we know which thread holds it. */
static pthread_mutex_t *loader_locks[3]; /* load, write, tls: in the order we take them */
static _Atomic pid_t loader_holder;      /* who kept us out, at the last failed try */

/* glibc's PTHREAD_MUTEX_TYPE: the kind with its robust, PI and PP bits, without the
 * process-shared and elision ones */
#define MUTEX_TYPE_MASK 0x7f

static bool looks_recursive(const pthread_mutex_t *m)
{
	return (m->__data.__kind & MUTEX_TYPE_MASK) == PTHREAD_MUTEX_RECURSIVE_NP;
}

static void find_loader_locks(struct dl_phdr_info *info)
{
	pid_t me = tl_gettid();
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W))
			continue;
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
		lo = (lo + 7) & ~(uintptr_t)7;
		for (uintptr_t a = lo + sizeof(pthread_mutex_t);
		     a + 2 * sizeof(pthread_mutex_t) <= hi; a += 8) {
			pthread_mutex_t *m = (pthread_mutex_t *)a;
			if (m->__data.__owner != me || m->__data.__count < 1 ||
			    !looks_recursive(m) || !looks_recursive(m - 1) ||
			    !looks_recursive(m + 1))
				continue;
			loader_locks[0] = m - 1;
			loader_locks[1] = m;
			loader_locks[2] = m + 1;
			return;
		}
	}
}

static int find_loader(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	(void)data;
	if (info->dlpi_addr == (uintptr_t)TL_REAL(getauxval)(AT_BASE) && loader_locks[1] == NULL)
		find_loader_locks(info);
	return 0;
}

/* Found on first use, not at start (process start must not walk the loader's list): the
 * first user is the first pthread_create, when the only other tasks can be raw clone()s. */
static void locate_loader_locks(void)
{
	static atomic_bool located;
	if (atomic_load_explicit(&located, memory_order_acquire))
		return;
	dl_iterate_phdr(find_loader, NULL);
	/* Still ours after the walk: we were inside another walk's callback, and what we found is
	 * not the lock dl_iterate_phdr takes. */
	if (loader_locks[1] && loader_locks[1]->__data.__owner == tl_gettid())
		loader_locks[0] = loader_locks[1] = loader_locks[2] = NULL;
	atomic_store_explicit(&located, true, memory_order_release);
}

extern const ElfW(Ehdr) __ehdr_start; /* our own ELF header, placed by the linker */

/* From our own program headers, mapped with our first segment: no dl_iterate_phdr at start
 * (its loader lock, and a page fault per object whose headers it reads). */
TL_START_CODE void tl_capture_init(void)
{
	const ElfW(Ehdr) *eh = &__ehdr_start;
	const ElfW(Phdr) *ph = (const void *)((const char *)eh + eh->e_phoff);
	uintptr_t bias = 0;
	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && ph[i].p_offset == 0) {
			bias = (uintptr_t)eh - ph[i].p_vaddr;
			break;
		}
	own_lo = bias;
	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && bias + ph[i].p_vaddr + ph[i].p_memsz > own_hi)
			own_hi = bias + ph[i].p_vaddr + ph[i].p_memsz;
}

/* Every pthread_create comes here: a try of each lock first (no clock read, no deadline), the
 * timed wait only when one is taken (docs/internals.md, "Creation stacks"). */
static bool loader_try_all(void)
{
	for (int i = 0; i < 3; i++)
		if (TL_REAL(pthread_mutex_trylock)(loader_locks[i]) != 0) {
			while (i-- > 0)
				pthread_mutex_unlock(loader_locks[i]);
			return false;
		}
	return true;
}

/* The thread that holds the loader's locks through tl_loader_enter, 0 none: a child forked
 * meanwhile gets them back (tl_capture_after_fork_child). */
static _Atomic pid_t loader_ours;
/* In such a child: what ran under those locks in the parent (libunwind's walks, with their own
 * locks) may have been cut in the middle, so nothing of ours enters the loader there again. */
static bool loader_forbidden;

bool tl_loader_enter(int timeout_ms)
{
	if (TL_UNLIKELY(loader_forbidden))
		return false;
	locate_loader_locks();
	if (loader_locks[1] == NULL)
		return true; /* not found: use the loader as before */
	if (TL_LIKELY(loader_try_all())) {
		if (TL_UNLIKELY(atomic_load_explicit(&loader_holder, memory_order_relaxed) != 0))
			atomic_store(&loader_holder, 0);
		atomic_store(&loader_ours, tl_gettid());
		return true;
	}
	struct timespec ts;
	tl_clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	for (int i = 0; i < 3; i++) {
		pid_t owner = loader_locks[i]->__data.__owner;
		pid_t stuck = atomic_load(&loader_holder);
		if (stuck != 0 && owner == stuck)
			ts = (struct timespec){0,
			                       0}; /* still the thread that kept us out last time */
		int rc = TL_REAL(pthread_mutex_clocklock)(loader_locks[i], CLOCK_MONOTONIC, &ts);
		if (rc != 0) {
			if (owner == 0)
				owner = loader_locks[i]->__data.__owner;
			atomic_store(&loader_holder, owner > 0 ? owner : -1);
			while (i-- > 0)
				pthread_mutex_unlock(loader_locks[i]);
			return false;
		}
	}
	atomic_store(&loader_holder, 0);
	atomic_store(&loader_ours, tl_gettid());
	return true;
}

void tl_loader_leave(void)
{
	if (loader_locks[1] == NULL)
		return;
	for (int i = 3; i-- > 0;)
		pthread_mutex_unlock(loader_locks[i]);
	if (loader_locks[1]->__data.__owner != tl_gettid()) /* not nested in another enter */
		atomic_store(&loader_ours, 0);
}

pid_t tl_loader_holder(void)
{
	return atomic_load(&loader_holder);
}

bool tl_pc_is_own(uintptr_t pc)
{
	return pc >= own_lo && pc < own_hi;
}

/* The path of the shared object that holds pc, as the loader lists it ("" for the program),
 * or NULL. _dl_find_object takes no lock (glibc 2.35): the check asks before it has the
 * loader's locks (tl_suppress_early). Looked up on first use rather than bound at load (real.c
 * says why); an older glibc has none and answers NULL. */
const char *tl_module_of_pc(uintptr_t pc)
{
	static void *_Atomic cache;
	int (*fn)(void *, struct dl_find_object *) =
	    (int (*)(void *, struct dl_find_object *))tl_lookup_global_once(&cache,
	                                                                    "_dl_find_object");
	struct dl_find_object found;
	if (fn == NULL || pc == 0 || fn((void *)(pc - 1), &found) != 0 ||
	    found.dlfo_link_map == NULL)
		return NULL;
	return found.dlfo_link_map->l_name;
}

/* dlclose(handle) is about to run: the symbolizer keeps the module's file and addresses, for
 * the frames of threads it started (they outlive it), and its range as a loaded one's. */
struct unloading {
	uintptr_t base;
	const char *name;
	uintptr_t lo, hi;
};

static int find_unloading(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	struct unloading *u = data;
	if (info->dlpi_addr != u->base || !info->dlpi_name || strcmp(info->dlpi_name, u->name) != 0)
		return 0;
	if (!tl_module_range(info, &u->lo, &u->hi))
		u->lo = u->hi = 0;
	return 1;
}

/* a dlclose: every kept creation walk is stale (the creation stacks' memo, below) */
static _Atomic unsigned memo_generation;

void tl_module_unloading(void *handle)
{
	atomic_fetch_add_explicit(&memo_generation, 1, memory_order_release);
	struct link_map *lm = NULL;
	if (handle == NULL || TL_REAL(dlinfo)(handle, RTLD_DI_LINKMAP, &lm) != 0 || lm == NULL ||
	    lm->l_name == NULL || lm->l_name[0] == '\0')
		return;
	struct unloading u = {lm->l_addr, lm->l_name, 0, 0};
	dl_iterate_phdr(find_unloading, &u);
	if (u.hi > u.lo)
		tl_sym_unloading(u.lo, u.hi);
}

/* How long a thread creation waits for the loader's locks before it goes without a stack. */
#define CREATION_LOADER_WAIT_MS 100

/* A thread's first creation stacks are unwound step by step: unw_backtrace's first call in a
 * thread makes that thread's frame cache, 256 KiB that it writes whole (libunwind's
 * trace_cache_buckets): 1.2-1.6 ms on a VM whose page faults cost 11-20 us, paid again by every
 * thread that starts a thread (a test harness's thread per test, a dispatcher per request). A
 * walk by unw_step, with the signals masked once for it, costs about 4 us more than a cached
 * unw_backtrace at 12 frames: the cache pays for itself after some 300 creations by one thread,
 * and the first STEPPED_CAPTURES go without it. docs/internals.md, "Creation stacks". */
#define STEPPED_CAPTURES 64
static __thread unsigned captures_here __attribute__((tls_model("initial-exec")));

static void mask_for_unwinding(sigset_t *keep);
static void unmask_after_unwinding(const sigset_t *keep);

/* ---- the creation stacks' memo ----
 * A program that creates threads in a loop asks for the same creation stack again and again.
 * libunwind's walk from a context is a function of what it reads: the context's registers and
 * stack words (through the address space's access_mem, which we hook: quiet_access_mem), and
 * the modules' unwind tables. A recorded walk (unw_step, with every word it read noted) is
 * kept with those words; the next capture from the same place (its context at the same
 * address: the same depth) compares them, and when all are equal the walk would read the same
 * and find the same frames: it is not made. About 10 instructions a frame instead of 90 for
 * libunwind's cached trace, and neither the loader's locks nor libunwind are touched.
 * A walk is kept only when every word it read lies on this thread's own stack between the
 * context and the outermost frame (no module memory, as a first walk reads unwind tables; no
 * signal frame, whose handler may have run on another stack), and it ended at the outermost
 * frame: the compare then reads only live stack of this thread, which cannot fault. A dlclose
 * makes every kept walk stale (memo_generation). docs/internals.md, "Creation stacks". */
#define MEMO_ENTRIES 4
#define MEMO_READS 160
struct memo_entry {
	uintptr_t at; /* the address of the context, 0: empty */
	unsigned gen; /* memo_generation then */
	int max, nreads, npcs;
	bool cut;
	struct {
		uintptr_t addr, val;
	} reads[MEMO_READS];
	uintptr_t pcs[TL_MAX_FRAMES];
};
struct tl_stack_memo {
	uintptr_t lo, hi;      /* this thread's stack; lo == hi: unknown, nothing kept */
	unsigned hits, walks;  /* since the thread's first creation */
	unsigned misses;       /* walks not recorded, while the memo did not pay */
	unsigned next;         /* the entry to replace */
	bool busy;             /* in use: a signal handler's creation in between goes without */
	struct memo_entry rec; /* the walk being recorded */
	struct memo_entry e[MEMO_ENTRIES];
};
extern void *__libc_stack_end; /* the sp at _start, set by the loader */
/* the entry this thread's walk is noting its reads in, NULL: none */
static __thread struct memo_entry *memo_recording __attribute__((tls_model("initial-exec")));

void tl_stack_memo_free(struct tl_stack_memo *m)
{
	free(m);
}

static bool hook_unwinder_reads(void);

/* This thread's memo, made at its first recorded walk, with the bounds of its stack. */
static struct tl_stack_memo *memo_here(bool make)
{
	struct tl_thread *self = tl_self;
	if (self == NULL)
		return NULL;
	struct tl_stack_memo *m = self->stack_memo;
	if (m != NULL || !make || !tl_deps.unw_getcontext_ || !tl_deps.unw_is_signal_frame_ ||
	    !hook_unwinder_reads())
		return m;
	m = malloc(sizeof(*m)); /* 15 KiB, written only as walks are kept */
	if (m == NULL)
		return NULL;
	memset(m, 0, offsetof(struct tl_stack_memo, rec));
	for (int i = 0; i < MEMO_ENTRIES; i++)
		m->e[i].at = 0;
	if (tl_gettid() == tl_main_pid()) {
		/* the main thread's stack: from the sp at _start down to its limit (the kernel
		 * keeps other mappings below that), at most 64 MiB; 8 MiB when unlimited */
		struct rlimit rl;
		uintptr_t span = 8u << 20;
		if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
			span = rl.rlim_cur < (64u << 20) ? rl.rlim_cur : (64u << 20);
		m->hi = (uintptr_t)__libc_stack_end + 4096;
		m->lo = (uintptr_t)__libc_stack_end - span;
	} else {
		pthread_attr_t a;
		void *addr;
		size_t size;
		if (TL_REAL(pthread_getattr_np)(pthread_self(), &a) == 0) {
			if (pthread_attr_getstack(&a, &addr, &size) == 0) {
				m->lo = (uintptr_t)addr;
				m->hi = (uintptr_t)addr + size;
			}
			pthread_attr_destroy(&a);
		}
	}
	self->stack_memo = m;
	return m;
}

/* The frames a kept walk found, when everything it read is unchanged; -1 otherwise. */
static int memo_find(struct tl_stack_memo *m, const void *at, int max, uintptr_t *pcs, bool *cut)
{
	unsigned gen = atomic_load_explicit(&memo_generation, memory_order_acquire);
	for (int i = 0; i < MEMO_ENTRIES; i++) {
		const struct memo_entry *e = &m->e[i];
		if (e->at != (uintptr_t)at || e->gen != gen || e->max != max)
			continue;
		int r = 0;
		while (r < e->nreads &&
		       *(const volatile uintptr_t *)e->reads[r].addr == e->reads[r].val)
			r++;
		if (r < e->nreads)
			continue;
		memcpy(pcs, e->pcs, sizeof(uintptr_t) * (size_t)e->npcs);
		*cut = e->cut;
		m->hits++;
		return e->npcs;
	}
	return -1;
}

/* Keep the walk just recorded in m->rec, if the compare can rely on it (above). */
static void memo_keep(struct tl_stack_memo *m, const void *at, uintptr_t outermost, int max,
                      const uintptr_t *pcs, int npcs, bool cut)
{
	struct memo_entry *rec = &m->rec;
	uintptr_t lo = (uintptr_t)at;
	if (rec->nreads < 0 || lo < m->lo || outermost > m->hi || outermost <= lo)
		return;
	for (int r = 0; r < rec->nreads; r++)
		if (rec->reads[r].addr < lo || rec->reads[r].addr + sizeof(uintptr_t) > outermost)
			return;
	struct memo_entry *e = &m->e[m->next++ % MEMO_ENTRIES];
	e->at = 0;
	e->nreads = rec->nreads;
	memcpy(e->reads, rec->reads, sizeof(rec->reads[0]) * (size_t)rec->nreads);
	memcpy(e->pcs, pcs, sizeof(uintptr_t) * (size_t)npcs);
	e->npcs = npcs;
	e->cut = cut;
	e->max = max;
	e->gen = rec->gen;
	e->at = lo;
}

/* Called by quiet_access_mem for each word libunwind reads while memo_recording is set. */
static void memo_note(struct memo_entry *rec, uintptr_t addr, uintptr_t val, bool ok)
{
	if (rec->nreads < 0)
		return;
	if (!ok || rec->nreads >= MEMO_READS) {
		rec->nreads = -1; /* a read that failed, or too many: not kept */
		return;
	}
	rec->reads[rec->nreads].addr = addr;
	rec->reads[rec->nreads].val = val;
	rec->nreads++;
}

/* A walk from uc by unw_step, its reads noted in rec when rec is not NULL; *outermost: the
 * outermost frame's CFA when the walk ended there (0: it did not, or crossed a signal frame). */
static int stepped_backtrace(unw_context_t *uc, void **buf, int max, struct memo_entry *rec,
                             uintptr_t *outermost)
{
	unw_cursor_t cur;
	sigset_t keep;
	int n = 0, r = -1;
	bool signal_frame = false;
	unw_word_t cfa = 0;
	*outermost = 0;
	mask_for_unwinding(&keep); /* two system calls, not four a step (see sigprocmask below) */
	struct memo_entry *outer = memo_recording;
	if (rec != NULL) {
		rec->nreads = 0;
		rec->gen = atomic_load_explicit(&memo_generation, memory_order_acquire);
		memo_recording = rec;
	}
	if (unw_init_local(&cur, uc) >= 0) {
		while (n < max && (r = unw_step(&cur)) > 0) {
			unw_word_t ip;
			if (unw_get_reg(&cur, UNW_REG_IP, &ip) < 0 || ip == 0) {
				r = -1;
				break;
			}
			buf[n++] = (void *)ip;
			if (rec != NULL) {
				signal_frame |= unw_is_signal_frame(&cur) > 0;
				if (unw_get_reg(&cur, UNW_REG_SP, &cfa) < 0)
					r = -1;
			}
		}
	}
	memo_recording = outer;
	unmask_after_unwinding(&keep);
	if (rec != NULL && r == 0 && !signal_frame)
		*outermost = cfa;
	return n;
}

/* cut: set when the stack had more than max frames (past ours). */
int tl_backtrace_here(uintptr_t *pcs, int max, int skip, bool *cut)
{
	void *buf[TL_MAX_FRAMES + 16];
	unw_context_t uc; /* at the same address whenever the caller's stack is as deep */
	*cut = false;
	struct tl_stack_memo *m = memo_here(false);
	/* made at a thread's second creation: a thread that starts one thread pays nothing */
	if (m == NULL && captures_here - 1 < STEPPED_CAPTURES - 1 && tl_loader_enter(0)) {
		if (tl_deps_unwind())
			m = memo_here(true);
		tl_loader_leave();
	}
	bool memo = m != NULL && !m->busy;
	if (memo) {
		m->busy = true;
		atomic_signal_fence(memory_order_seq_cst);
		if (unw_getcontext(&uc) == 0) {
			int k = memo_find(m, &uc, max, pcs, cut);
			if (k >= 0) {
				atomic_signal_fence(memory_order_seq_cst);
				m->busy = false;
				return k;
			}
		} else {
			memo = false;
		}
	}
	/* unw_backtrace uses the loader: a thread that holds its lock forever must not hang
	 * every thread creation (bare, pthread_create does not need that lock) */
	if (!tl_loader_enter(CREATION_LOADER_WAIT_MS))
		goto out;
	if (!tl_deps_unwind()) {
		tl_loader_leave();
		goto out;
	}
	int want = max + skip + 8;
	if (want > (int)TL_ARRAY_SIZE(buf))
		want = TL_ARRAY_SIZE(buf);
	unsigned here = captures_here++;
	int n;
	uintptr_t outermost = 0;
	/* a walk is recorded while the memo pays: the first ones, and later when it finds some */
	if (memo && (here < STEPPED_CAPTURES || m->hits >= m->walks / 2 || m->misses++ % 64 == 0)) {
		m->walks++;
		n = stepped_backtrace(&uc, buf, want, &m->rec, &outermost);
	} else if (here < STEPPED_CAPTURES) {
		ucontext_t guc;
		n = getcontext(&guc) == 0
		        ? stepped_backtrace((unw_context_t *)&guc, buf, want, NULL, &outermost)
		        : 0;
	} else {
		n = unw_backtrace(buf, want);
	}
	tl_loader_leave();
	int i = 0;
	while (i < n && tl_pc_is_own((uintptr_t)buf[i]))
		i++;
	/* ours further out too (the frame that calls main, exit.c): reports leave them out, and
	 * max_frames counts what they show (it kept one frame fewer and said the stack was cut) */
	int k = 0;
	for (; i < n && k < max; i++)
		if (!tl_pc_is_own((uintptr_t)buf[i]))
			pcs[k++] = (uintptr_t)buf[i];
	while (i < n && tl_pc_is_own((uintptr_t)buf[i]))
		i++;
	*cut = i < n;
	if (outermost != 0)
		memo_keep(m, &uc, outermost, max, pcs, k, *cut);
	if (memo) {
		atomic_signal_fence(memory_order_seq_cst);
		m->busy = false;
	}
	return k;
out:
	if (memo) {
		atomic_signal_fence(memory_order_seq_cst);
		m->busy = false;
	}
	return 0;
}

/* libunwind masks every signal around each step, twice: its cache lock and its dl_iterate_phdr
 * (Debian's 1.6 does so even with per-thread caches): eight system calls a thread, more than
 * the steps themselves cost (docs/internals.md, "The exit check's cost"). Around a batch of
 * unwinds the checker masks the signals once and libunwind's sigprocmask calls do nothing, in
 * the checker's thread only. Unlike libunwind, it leaves unmasked the signals a fault raises:
 * a fault in the checker is a crash either way, and the program's handler may report it. */
static __thread bool unwinder_quiet __attribute__((tls_model("initial-exec")));
/* The checker's batches only: libunwind's reads go through quiet_access_mem's page copies and
 * the check's bounds (a creation's stepped walk masks the signals the same way but reads its
 * own live stack: docs/internals.md, "Creation stacks") */
static __thread bool checker_reads __attribute__((tls_model("initial-exec")));

int sigprocmask(int how, const sigset_t *set, sigset_t *old);
TL_EXPORT int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	if (TL_UNLIKELY(unwinder_quiet) &&
	    (how == SIG_BLOCK || how == SIG_UNBLOCK || how == SIG_SETMASK)) {
		if (old) /* what a caller restores later is ignored too */
			sigfillset(old);
		return 0;
	}
	return TL_REAL(sigprocmask)(how, set, old);
}

/* libunwind checks a page before it reads a word of it (x86_64 steps with c->validate set):
 * mincore, then a read and a write on a pipe, three system calls a page, remembering only the
 * last few pages, so that each thread's stack costs them again; and a page can still go
 * between its check and the read. In the checker's batches, a page of the stack being unwound
 * is copied whole with process_vm_readv the first time a word of it is read (a page that is
 * gone fails instead of faulting), and later words come from the copy: one system call a page
 * of stack, and nothing the unwinder reads can fault, even when the thread moves meanwhile
 * (a thread that a signal from outside wakes while its stack is unwound can only make that
 * stack torn). A loaded module's memory (its unwind tables) is read directly: it stays mapped
 * while the check holds the loader's locks. Elsewhere, libunwind's own. */
#define QUIET_PAGES 16
#define QUIET_PAGE 4096
static uintptr_t quiet_pages[QUIET_PAGES]; /* the page each copy is of, 0: none */
static unsigned quiet_next;
static pid_t quiet_tid; /* the checker's: see read_mem in objects.c */
static int (*unwinder_access_mem)(unw_addr_space_t, unw_word_t, unw_word_t *, int, void *);

static bool in_module(uintptr_t a);

/* The copy of page (read now if not yet), NULL when it cannot be read. */
static const unsigned char *quiet_page(uintptr_t page)
{
	TL_LAZY_ARRAY(unsigned char, quiet_copy_mem, (size_t)QUIET_PAGES *QUIET_PAGE);
	unsigned char(*quiet_copy)[QUIET_PAGE] = (unsigned char(*)[QUIET_PAGE])quiet_copy_mem;
	if (quiet_copy == NULL)
		return NULL;
	for (int i = 0; i < QUIET_PAGES; i++)
		if (quiet_pages[i] == page)
			return quiet_copy[i];
	unsigned k = quiet_next++ % QUIET_PAGES;
	struct iovec here = {quiet_copy[k], QUIET_PAGE}, there = {(void *)page, QUIET_PAGE};
	quiet_pages[k] = 0;
	if (TL_REAL(process_vm_readv)(quiet_tid, &here, 1, &there, 1, 0) != QUIET_PAGE)
		return NULL;
	quiet_pages[k] = page;
	return quiet_copy[k];
}

/* While unwind_syscall unwinds from a pc and an sp, the context it starts from: every word of
 * it but those two, and the frame pointer it may have guessed, is a register nobody knows, and
 * reading one fails the unwinding. */
static uintptr_t unknown_lo, unknown_hi, known_pc, known_sp, guessed_fp;
static bool unknown_read, guess_read, guess_confirmed, guess_spoiled;

static int quiet_access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *val, int write,
                            void *arg)
{
	if (!checker_reads || write) {
		int r = unwinder_access_mem(as, addr, val, write, arg);
		struct memo_entry *rec = memo_recording;
		if (TL_UNLIKELY(rec != NULL) && !write)
			memo_note(rec, addr, r == 0 ? *val : 0, r == 0);
		return r;
	}
	if (addr + sizeof(*val) > unknown_lo && addr < unknown_hi && addr != known_pc &&
	    addr != known_sp) {
		if (addr != guessed_fp) {
			unknown_read = true;
			return -UNW_EINVAL;
		}
		guess_read = true;
	}
	uintptr_t first = addr & ~(uintptr_t)(QUIET_PAGE - 1),
	          last = (addr + sizeof(*val) - 1) & ~(uintptr_t)(QUIET_PAGE - 1);
	/* a module's memory, or the checker's own stack (the context unwind_regs builds there,
	 * another one for each thread at the same place) */
	if (first != 0 &&
	    ((in_module(addr) && in_module(addr + sizeof(*val) - 1)) ||
	     (addr >= tl_check_stack_lo && addr + sizeof(*val) <= tl_check_stack_hi))) {
		*val = *(const unw_word_t *)addr;
		return 0;
	}
	const unsigned char *a = first ? quiet_page(first) : NULL;
	const unsigned char *b = a && last != first ? quiet_page(last) : a;
	if (a == NULL || b == NULL)
		return -UNW_EINVAL;
	size_t off = addr - first,
	       in_a = QUIET_PAGE - off < sizeof(*val) ? QUIET_PAGE - off : sizeof(*val);
	memcpy(val, a + off, in_a);
	if (in_a < sizeof(*val))
		memcpy((char *)val + in_a, b, sizeof(*val) - in_a);
	return 0;
}

/* Before each thread's unwinding (its init reads the context it starts from): copies of
 * another thread's pages are not to be used, nor of the place the last context was built. */
static void quiet_forget(void)
{
	memset(quiet_pages, 0, sizeof(quiet_pages));
}

static void hook_once(void)
{
	unw_accessors_t *acc = unw_get_accessors(unw_local_addr_space);
	unwinder_access_mem = acc->access_mem;
	__atomic_store_n(&acc->access_mem, quiet_access_mem, __ATOMIC_RELEASE);
}

/* libunwind's reads go through quiet_access_mem from now on: once, by the first checker or
 * the first creation stack recorded; a thread unwinding meanwhile calls either function, both
 * right. A libunwind without unw_get_accessors keeps its own (false). */
static bool hook_unwinder_reads(void)
{
	static struct tl_once once = TL_ONCE_INIT;
	if (!tl_deps_unwind() || tl_deps.unw_get_accessors_ == NULL)
		return false;
	tl_once(&once, hook_once);
	return true;
}

static void quiet_begin(sigset_t *keep)
{
	quiet_tid = tl_gettid();
	hook_unwinder_reads();

	mask_for_unwinding(keep);
	checker_reads = true;
}

static void quiet_end(const sigset_t *keep)
{
	checker_reads = false;
	unmask_after_unwinding(keep);
}

/* Every signal but those a fault raises blocked once, and libunwind's own sigprocmask calls
 * made no-ops meanwhile, in this thread only (sigprocmask above). */
static void mask_for_unwinding(sigset_t *keep)
{
	static const int faults[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS};
	sigset_t mask;
	sigfillset(&mask);
	for (size_t i = 0; i < TL_ARRAY_SIZE(faults); i++)
		sigdelset(&mask, faults[i]);
	TL_REAL(sigprocmask)(SIG_SETMASK, &mask, keep);
	unwinder_quiet = true;
}

static void unmask_after_unwinding(const sigset_t *keep)
{
	unwinder_quiet = false;
	TL_REAL(sigprocmask)(SIG_SETMASK, keep, NULL);
}

/* ---- the loaded modules' memory ----
 * Read once per capture (tl_capture_stacks): the check holds the loader's locks meanwhile, so
 * no library can be loaded or unloaded until it is over. Sorted by address. Their code, for
 * walk (where a stack is cut); all their segments, which quiet_access_mem reads directly (the
 * unwinder's many reads of .eh_frame: mapped for as long as the module is loaded). */
#define MODULE_RANGES_MAX 1024
struct module_ranges {
	bool known; /* false: not read, or too many (zero: in .bss, not .data: Process start) */
	int n;
	struct {
		uintptr_t lo, hi;
	} r[MODULE_RANGES_MAX];
};
static struct module_ranges exec_ranges, load_ranges;

static void add_range(struct module_ranges *m, uintptr_t lo, uintptr_t hi)
{
	if (!m->known)
		return;
	if (m->n >= MODULE_RANGES_MAX) {
		m->known = false;
		return;
	}
	int j = m->n++;
	for (; j > 0 && m->r[j - 1].lo > lo; j--) /* a handful: insertion sort */
		m->r[j] = m->r[j - 1];
	m->r[j].lo = lo;
	m->r[j].hi = hi;
}

static int add_module_ranges(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	(void)data;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
		add_range(&load_ranges, lo, lo + ph->p_memsz);
		if (ph->p_flags & PF_X)
			add_range(&exec_ranges, lo, lo + ph->p_memsz);
	}
	return 0;
}

static void read_module_ranges(void)
{
	exec_ranges.n = load_ranges.n = 0;
	exec_ranges.known = load_ranges.known = true;
	dl_iterate_phdr(add_module_ranges, NULL);
}

/* Is a in one of m's ranges? unknown: the answer when the ranges are not known. */
static bool in_ranges(const struct module_ranges *m, uintptr_t a, bool unknown)
{
	int lo = 0, hi = m->n;
	if (!m->known)
		return unknown;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (a < m->r[mid].lo)
			hi = mid;
		else if (a >= m->r[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

static bool in_loaded_code(uintptr_t pc)
{
	return in_ranges(&exec_ranges, pc, true);
}

static bool in_module(uintptr_t a)
{
	return in_ranges(&load_ranges, a, false);
}

/* Is there memory at a? (one byte read through the kernel: no fault if not) */
static bool mapped(uintptr_t a)
{
	char b;
	struct iovec here = {&b, 1}, there = {(void *)a, 1};
	return TL_REAL(process_vm_readv)(tl_self_tid(), &here, 1, &there, 1, 0) == 1;
}

/* Is pc in the kernel's signal frame: the sa_restorer a handler returns to (glibc's
 * __restore_rt on x86_64, the vDSO's __kernel_rt_sigreturn on aarch64), whose code is the
 * rt_sigreturn system call? Recognised by that code, as gdb does (amd64_linux_sigtramp_p), at pc
 * (a handler's return address is the trampoline's first byte) or at its system call (a thread
 * interrupted right there): Debian's libc has no .symtab to name __restore_rt. Not libunwind's
 * unw_is_signal_frame: 1.6 answers it for the frame after the trampoline (the one its step
 * restored from the signal's context), other versions for the trampoline itself. Read at the
 * check, in the checker (code_bytes). See docs/internals.md, "Symbolization". */
#if defined(__x86_64__)
static const unsigned char sigreturn_code[] = {0x48, 0xc7, 0xc0, 0x0f, 0, 0, 0, /* mov $15,%rax */
                                               0x0f, 0x05};                     /* syscall */
#define SIGRETURN_SYSCALL_AT 7
#elif defined(__aarch64__)
static const unsigned char sigreturn_code[] = {0x68, 0x11, 0x80, 0xd2,  /* mov x8,#139 */
                                               0x01, 0x00, 0x00, 0xd4}; /* svc #0 */
#define SIGRETURN_SYSCALL_AT 4
#endif

/* len bytes of code at a: directly inside a loaded module's code (mapped while the check holds
 * the loader's locks), through the kernel when the modules are not known, never elsewhere (a
 * JIT's code may go at any time). */
__attribute__((unused)) static bool code_bytes(uintptr_t a, void *buf, size_t len)
{
	if (in_ranges(&exec_ranges, a, false) && in_ranges(&exec_ranges, a + len - 1, false)) {
		memcpy(buf, (const void *)a, len);
		return true;
	}
	struct iovec here = {buf, len}, there = {(void *)a, len};
	return !exec_ranges.known &&
	       TL_REAL(process_vm_readv)(tl_self_tid(), &here, 1, &there, 1, 0) == (ssize_t)len;
}

static bool is_sigreturn(uintptr_t pc)
{
#ifdef SIGRETURN_SYSCALL_AT
	unsigned char buf[sizeof(sigreturn_code)];
	for (int k = 0; k < 2; k++)
		if (code_bytes(pc - (k ? SIGRETURN_SYSCALL_AT : 0), buf, sizeof(buf)) &&
		    memcmp(buf, sigreturn_code, sizeof(buf)) == 0)
			return true;
#endif
	(void)pc;
	return false;
}

/* The signal trampolines among the pcs of a stack taken by stepping (a creation stack: a thread
 * created in a signal handler), and the frames they interrupted, whose pcs are exact (not
 * return addresses), as walk() marks them in the stacks it unwinds. */
uint64_t tl_sigframes_of(const uintptr_t *pcs, int n, uint64_t *exact)
{
	uint64_t sig = 0;
	*exact = 0;
	for (int i = 0; i < n && i < 64; i++)
		if (is_sigreturn(pcs[i])) {
			sig |= 1ull << i;
			if (i + 1 < 64)
				*exact |= 1ull << (i + 1);
		}
	return sig;
}

const char *tl_stack_cut_words(int cut)
{
	static char max_words[64];
	switch (cut) {
	case TL_CUT_MAX_FRAMES:
		snprintf(max_words, sizeof(max_words), "stack cut at max_frames=%d",
		         tl_opt.max_frames);
		return max_words;
	case TL_CUT_NO_MODULE:
		return "stack cut after a frame in unmapped code (a library unloaded since): "
		       "nothing past it can be unwound";
	default:
		return NULL;
	}
}

/* Unwind from a cursor into st; frames inside threadleak are dropped. */
static void walk(unw_cursor_t *cur, struct tl_frames *st, bool first_exact)
{
	int max = tl_opt.max_frames;
	bool exact = first_exact;
	st->n = 0;
	st->exact = 0;
	st->sigframe = 0;
	st->cut = TL_CUT_NONE;
	for (int guard = 0; guard < TL_MAX_FRAMES + 32; guard++) {
		unw_word_t ip = 0;
		if (unw_get_reg(cur, UNW_REG_IP, &ip) < 0 || ip == 0)
			break;
		if (guessed_fp && tl_pc_is_own((uintptr_t)ip)) {
			/* A frame of ours with rbp still where the unwinding started: no frame
			 * below saved it, so none changed it (callee-saved). At our start wrapper
			 * that confirms the guess: it is the value rbp had all along. At any other
			 * frame of ours (our syscall() wrapper under a raw call) it spoils it: that
			 * frame's own CFA is its rbp, which is not the guess, so the step past it
			 * is wrong, and may skip the start wrapper altogether */
			unw_save_loc_t loc;
			unw_proc_info_t pi;
			if (unw_get_save_loc(cur, UNW_X86_64_RBP, &loc) == 0 &&
			    loc.type == UNW_SLT_MEMORY && loc.u.addr == guessed_fp) {
				if (unw_get_proc_info(cur, &pi) == 0 &&
				    tl_is_start_wrapper((uintptr_t)pi.start_ip))
					guess_confirmed = true;
				else
					guess_spoiled = true;
			}
		}
		bool sigreturn = is_sigreturn((uintptr_t)ip);
		if (!tl_pc_is_own((uintptr_t)ip)) {
			if (st->n == max) { /* one frame more than we keep */
				st->cut = TL_CUT_MAX_FRAMES;
				break;
			}
			if (exact)
				st->exact |= 1ull << st->n;
			if (sigreturn)
				st->sigframe |= 1ull << st->n;
			st->pcs[st->n++] = (uintptr_t)ip;
		}
		/* A pc in no loaded module's code and in no mapping at all (a return address into
		 * a library dlclose'd since) has no unwind information: libunwind then falls back
		 * on the frame pointer and finds whatever rbp holds, inventing frames (one inside
		 * the thread's own stack was seen, and the outermost frames lost). The pc itself
		 * is real and kept; past it nothing is trusted, not even a step that lands in a
		 * module's code: a stale rbp points at old return addresses on the stack, which
		 * are in modules' code just as often, and a wrong frame that looks right is worse
		 * than a stack said to be cut. Code that is mapped but in no module is a JIT's
		 * (V8, HotSpot): those keep frame pointers, and libunwind's frame-pointer steps
		 * through them reach the runtime's own frames, as before. A return address is
		 * looked up at pc-1: a call that ends a function returns to the next one's first
		 * byte. */
		uintptr_t at = (uintptr_t)ip - (exact ? 0 : 1);
		if (!in_loaded_code(at) && !mapped(at)) {
			st->cut = TL_CUT_NO_MODULE;
			break;
		}
		/* the frame above a signal frame was interrupted, not called: its pc is exact */
		exact = sigreturn;
		if (unw_step(cur) <= 0)
			break;
	}
}

/* A thread that handed a report request to another one waits in our handler meanwhile
 * (preload/dump.c): its view is the call the signal interrupted, from the context the handler
 * was given. A call the kernel restarts after the handler (SA_RESTART) has its number in rax
 * again and rip on its syscall instruction (the kernel's handle_signal); one that returns
 * EINTR has only its arguments, and its number is not known. */
static void interrupted_view(struct tl_seen *s, const void *context)
{
#if defined(__x86_64__)
	const greg_t *g = ((const ucontext_t *)context)->uc_mcontext.gregs;
	uintptr_t ip = (uintptr_t)g[REG_RIP];
	s->sysno = TL_SYSNO_UNKNOWN;
	s->sys_pc = ip;
	s->sys_sp = (uintptr_t)g[REG_RSP];
	unsigned char code[2];
	/* in a system call that returns EINTR: rip after its syscall instruction */
	bool in_call = g[REG_RAX] == -EINTR && code_bytes(ip - 2, code, sizeof(code)) &&
	               code[0] == 0x0f && code[1] == 0x05;
	if (code_bytes(ip, code, sizeof(code)) && code[0] == 0x0f && code[1] == 0x05 &&
	    g[REG_RAX] >= 0 && g[REG_RAX] < 1024) { /* syscall */
		in_call = true;
		s->sysno = g[REG_RAX];
		s->sys_pc = ip + 2; /* where /proc shows a thread in a system call */
		static const int args[6] = {REG_RDI, REG_RSI, REG_RDX, REG_R10, REG_R8, REG_R9};
		for (int i = 0; i < 6; i++)
			s->sysargs[i] = (uintptr_t)g[args[i]];
	}
	s->kind = TL_OBJ_NONE; /* what our wait was on: described again from this call */
	s->obj = s->obj2 = 0;
	s->call = NULL;
	/* Not what the kernel showed of the thread at the check's looks: that was our handler,
	 * running to its wait or waiting (a slow handler read "running"); nor when it went to
	 * sleep (that was in our handler: how long the call waited before is not known) */
	s->state = in_call ? TL_ST_BLOCKED : TL_ST_RUNNING;
	s->asleep_since_ns = 0;
	tl_kernel_call(s);
#else
	(void)s;
	(void)context;
#endif
}

/* Unwind a parked thread from the context its handler was given (on its own stack). */
static bool unwind_context(void *uc, struct tl_frames *st)
{
	unw_cursor_t cur;
	quiet_forget();
	if (unw_init_local2(&cur, (unw_context_t *)uc, UNW_INIT_SIGNAL_FRAME) != 0)
		return false;
	walk(&cur, st, true);
	return true;
}

/* Unwind from registers: rip, rsp, rbp, rbx, r12-r15 (what TL_SAVE_REGS keeps, and what a
 * quick handler copies); interrupted: rip is where a signal interrupted the thread (exact),
 * not a place inside a wrapper's frame. */
static bool unwind_regs(const uintptr_t *r, struct tl_frames *st, bool interrupted)
{
#if TL_HAVE_SAVED_REGS
	if (!tl_deps_unwind())
		return false;
	ucontext_t uc;
	memset(&uc, 0, sizeof(uc));
	static const int order[] = {REG_RIP, REG_RSP, REG_RBP, REG_RBX,
	                            REG_R12, REG_R13, REG_R14, REG_R15};
	for (size_t i = 0; i < TL_ARRAY_SIZE(order); i++)
		uc.uc_mcontext.gregs[order[i]] = (greg_t)r[i];
	unw_cursor_t cur;
	quiet_forget();
	if ((interrupted ? unw_init_local2(&cur, (unw_context_t *)&uc, UNW_INIT_SIGNAL_FRAME)
	                 : unw_init_local(&cur, (unw_context_t *)&uc)) < 0)
		return false;
	walk(&cur, st, true);
	return true;
#else
	(void)r;
	(void)st;
	(void)interrupted;
	return false;
#endif
}

/* Unwind a thread asleep in a system call from what the kernel shows of it (/proc/TID/syscall:
 * its pc and sp), without a signal; docs/internals.md, "Stacks without a signal". Its other
 * registers are unknown, and libunwind reads a register of the first frame only when a rule
 * needs it: the CFA of a frame is its rbp in code built with frame pointers, and glibc's lock
 * wait and pthread_mutex_lock do not save rbp, so the innermost such frame needs the live rbp.
 * For a thread of ours, that is the frame pointer of our start wrapper (start_fp) if no frame
 * below it saved rbp, which walk() confirms at that frame; any other read of an unknown
 * register fails the unwinding (quiet_access_mem), which leaves the stack to the signal. Only
 * for a thread that cannot move meanwhile: its view holds. The pc the kernel shows follows the
 * syscall instruction; a signal would show that instruction (the call restarted), and so does
 * this when the two bytes before the pc are one. */
static bool unwind_syscall(const struct tl_seen *s, struct tl_frames *st)
{
#if defined(__x86_64__)
	if (!tl_deps_unwind() || unwinder_access_mem == NULL || s->sys_pc < 2 || s->sys_sp == 0)
		return false;
	/* in a module's code (libc's, mostly): read directly; elsewhere through the kernel */
	unsigned char insn[2];
	bool at_syscall =
	    (code_bytes(s->sys_pc - 2, insn, 2) || tl_read_own(s->sys_pc - 2, insn, 2)) &&
	    insn[0] == 0x0f && insn[1] == 0x05;
	ucontext_t uc;
	memset(&uc, 0, sizeof(uc));
	uc.uc_mcontext.gregs[REG_RIP] = (greg_t)(at_syscall ? s->sys_pc - 2 : s->sys_pc);
	uc.uc_mcontext.gregs[REG_RSP] = (greg_t)s->sys_sp;
	uc.uc_mcontext.gregs[REG_RBP] = (greg_t)s->start_fp;
	unknown_lo = (uintptr_t)&uc;
	unknown_hi = (uintptr_t)(&uc + 1);
	known_pc = (uintptr_t)&uc.uc_mcontext.gregs[REG_RIP];
	known_sp = (uintptr_t)&uc.uc_mcontext.gregs[REG_RSP];
	guessed_fp = s->start_fp ? (uintptr_t)&uc.uc_mcontext.gregs[REG_RBP] : 0;
	unknown_read = guess_read = guess_confirmed = guess_spoiled = false;
	unw_cursor_t cur;
	quiet_forget();
	bool ok = unw_init_local2(&cur, (unw_context_t *)&uc, UNW_INIT_SIGNAL_FRAME) == 0;
	if (ok)
		walk(&cur, st, at_syscall);
	unknown_lo = unknown_hi = guessed_fp = 0;
	return ok && !unknown_read && !guess_spoiled && (!guess_read || guess_confirmed) &&
	       st->n > 0;
#else
	(void)s;
	(void)st;
	return false;
#endif
}

bool tl_stack_keep(struct tl_stack *st, const struct tl_frames *f)
{
	st->cut = f->cut;
	st->exact = f->exact;
	st->sigframe = f->sigframe;
	st->pcs = f->n > 0 ? tl_intern_mem(f->pcs, sizeof(uintptr_t) * (size_t)f->n) : NULL;
	st->n = st->pcs ? f->n : 0;
	return st->n == f->n;
}

/* Where the checker unwinds a stack before it keeps it (the checker only: under check_lock) */
static struct tl_frames scratch_frames;

/* A thread no signal may reach (it blocks ours, or its call would end with EINTR: a raw
 * system call, open() of a FIFO, an unwrapped sleep) that sleeps in a system call: its stack from
 * the pc and sp of its look (unwind_syscall), kept when its stamp shows that it was not switched
 * out, nor is running, from that look to the end of the unwinding. Else its pc, as before. */
static bool unwind_asleep(struct tl_seen *s)
{
	if (s->sysno < 0 || s->stamp < 0 || s->kstate == 'R' || !unwind_syscall(s, &scratch_frames))
		return false;
	char st;
	return tl_kernel_stamp(s->tid, &st) == s->stamp && st != 'R' &&
	       tl_stack_keep(&s->stack, &scratch_frames);
}

/* ---- parking ----
 * Parking N threads costs O(N), with no futex call per thread but the wait each parked handler
 * sleeps in. The signal carries its slot's index and the check's generation
 * (rt_tgsigqueueinfo), so the handler finds its slot at once. The checker waits for counts
 * (struct tally) of the handlers that parked and of those on their way out, and is woken once
 * per count, when it is complete. A FUTEX_WAKE per thread would walk the futex hash's chains:
 * since Linux 6.17 a process's private futexes hash into a small table of its own, and with
 * thousands of threads asleep each bucket holds thousands of waiters (docs/internals.md).
 *
 * A slot's state holds the generation of the check that filled it, so a late handler (a signal
 * of an earlier check, delivered once the thread unblocked it) can never take a slot of this
 * one: REQUESTED (signal sent) -> CLAIMED (the handler writes its context) -> PARKED
 * (published), or ABANDONED when the thread did not answer in time. */
enum { P_REQUESTED = 1, P_CLAIMED, P_PARKED, P_ABANDONED };
#define P_STATE(gen, st) ((uint64_t)(gen) << 8 | (uint64_t)(st))

struct park_slot {
	_Atomic pid_t tid; /* a late handler may read it while the checker fills the slot */
	_Atomic uint64_t state;
	void *uc;
	struct tl_seen *seen;
	uintptr_t stack_lo; /* a small stack's lowest address: signal only with room; else 0 */
	bool quick;         /* copy the registers and return at once: see park_all */
	uintptr_t regs[8];  /* quick: rip, rsp, rbp, rbx, r12-r15 (unwind_regs) */
};

/* Grown, never freed: a late handler may read an old array. A new one is taken too when a
 * handler that had claimed its slot was given up on: it still writes there. */
struct park_slots {
	size_t cap;
	struct park_slot s[];
};
static struct park_slots *_Atomic slots;
static bool slots_tainted;
static uint32_t park_gen;            /* the checker's, under check_lock */
static _Atomic uint32_t release_gen; /* the last generation released */
static int park_signal;

/* Stack a signal of ours takes on the interrupted thread: the kernel's frame (siginfo,
 * ucontext and the vector registers' state: some KiB with AVX-512, more with AMX) plus the
 * handler's own frames. Measured on ourselves, then a margin for what the handler calls. */
static _Atomic uintptr_t frame_need;
#define TL_HANDLER_MARGIN 3072

static long futex(_Atomic uint32_t *addr, int op, uint32_t val, const struct timespec *ts)
{
	return TL_REAL(syscall)(SYS_futex, addr, op | FUTEX_PRIVATE_FLAG, val, ts, NULL, 0);
}

/* How many handlers of one generation reached a point (parked; on their way out). The checker
 * says that it sleeps before it sleeps on the count, and a handler wakes it only then, and only
 * with the count it waits for: one FUTEX_WAKE per count instead of one per thread. A handler of
 * another generation counts for nothing. */
struct tally {
	_Atomic uint64_t word; /* generation << 32 | count; the futex is the count's half */
	_Atomic uint32_t want;
	atomic_bool sleeping;
};
static struct tally parked, leaving;

/* How long we wait for the parked threads: to answer (they do in microseconds), then to be
 * on their way out of the handler. A thread that has not answered in PARK_ANSWER_NS but still
 * has our signal pending, not blocked, and is runnable, has not run since we sent it (a loaded
 * machine, a thread of low priority): it is given PARK_PENDING_NS more at a time, up to
 * PARK_PENDING_MAX_NS in all. A sleeping, stopped or traced thread is not waited for. */
#define PARK_ANSWER_NS (250 * 1000000LL)
#define PARK_PENDING_NS (50 * 1000000LL)
#define PARK_PENDING_MAX_NS (2000 * 1000000LL)
#define PARK_LEAVE_NS (100 * 1000000LL)

/* Releasing the parked threads. A check during the run wakes them all and waits until they are
 * out of the handler, whose mask blocks every signal: the program goes on as it was, and a
 * check right after never sees one of them blocking our signal, or running, a moment before it
 * is back in its call (or still alive: a thread that was about to end). The exit check
 * (release_late) does neither: it wakes one of them, the first handler out (release_passed)
 * wakes all the others, and it writes its report while they leave (about 4 us a thread here,
 * 90 ms at 10,000 threads, most of it on the other CPU). A check after it (a later exit
 * handler's) waits for them first (wait_leaving). One wake of all, not a chain of small ones:
 * a wake that finds fewer waiters than it asks for walks the whole futex hash bucket, and the
 * threads already released are back in that bucket when their mutex shares it (1 in 16 here:
 * seconds at 10,000 threads). leave_pending: the handlers of the last parking not yet counted
 * as leaving (the checker's, under check_lock). */
static _Atomic uint32_t release_passed; /* the last generation whose release was passed on */
static uint32_t leave_pending;
static bool release_late;

static _Atomic uint32_t *tally_futex(struct tally *t)
{
	return (_Atomic uint32_t *)&t->word + (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__);
}

static uint32_t tally_count(struct tally *t)
{
	return (uint32_t)atomic_load(&t->word);
}

static void tally_reset(struct tally *t, uint32_t gen)
{
	atomic_store(&t->want, UINT32_MAX);
	atomic_store(&t->word, (uint64_t)gen << 32);
}

/* Async-signal-safe. */
static void tally_add(struct tally *t, uint32_t gen)
{
	uint64_t w = atomic_load(&t->word);
	do {
		if ((uint32_t)(w >> 32) != gen)
			return;
	} while (!atomic_compare_exchange_weak(&t->word, &w, w + 1));
	/* sequentially consistent with the checker's store of `sleeping` and its look at the
	 * count after it: either it sees our count, or we see it asleep */
	if (atomic_load(&t->sleeping) && (uint32_t)(w + 1) >= atomic_load(&t->want))
		futex(tally_futex(t), FUTEX_WAKE, 1, NULL);
}

/* Wait until the count reaches want; false when the deadline came first. */
static bool tally_wait(struct tally *t, uint32_t want, int64_t deadline)
{
	atomic_store(&t->want, want);
	for (;;) {
		uint32_t c = tally_count(t);
		if (c >= want)
			return true;
		int64_t left = deadline - tl_mono_ns();
		if (left <= 0)
			return false;
		atomic_store(&t->sleeping, true);
		if (tally_count(t) == c) {
			struct timespec ts = {left / 1000000000, left % 1000000000};
			futex(tally_futex(t), FUTEX_WAIT, c, &ts);
		}
		atomic_store(&t->sleeping, false);
	}
}

/* Has generation gen been released (the counter wraps)? */
static bool released(uint32_t gen, uint32_t *now)
{
	*now = atomic_load(&release_gen);
	return (int32_t)(*now - gen) >= 0;
}

/* The thread was not in a system call when we looked, but entered one before our signal
 * arrived, and the kernel made that call fail with EINTR because a handler ran (even with
 * SA_RESTART: nanosleep, poll, epoll_wait, select, pause, timed futex waits; see
 * docs/internals.md). Make that invisible: the interrupted `syscall` instruction is right before
 * the pc, and glibc's wrappers load the call number just before it (mov $nr,%eax). A call the
 * kernel left a restart block for (relative sleeps, timed futex waits, poll with a timeout) is
 * finished with restart_syscall, which waits exactly the time that was left, with the
 * program's signal mask (a signal of the program still interrupts it, as it would have); a call
 * with nothing to lose by starting over (absolute sleeps, pause, waits without a timeout, the
 * few microseconds of a relative epoll_wait) is executed again. Anything else keeps its EINTR
 * (a raw syscall() whose number we cannot know). */
/* Would a signal of the program that is pending now have interrupted the call the handler of
 * sig interrupted (uc)? Then the call keeps its EINTR, as it would have without us. Unknown:
 * yes. */
bool tl_program_signal_pending(const void *ucontext, int sig)
{
	const ucontext_t *uc = ucontext;
	sigset_t pending;
	if (TL_REAL(syscall)(SYS_rt_sigpending, &pending, _NSIG / 8) != 0)
		return true;
	for (int s = 1; s < _NSIG; s++)
		if (s != sig && sigismember(&pending, s) && !sigismember(&uc->uc_sigmask, s))
			return true;
	return false;
}

/* The sampling signal, 0 before the first check chose one. */
int tl_capture_signal(void)
{
	return park_signal;
}

long tl_syscall_loaded_before(const unsigned char *code)
{
	if (code[0] != 0xb8 || code[5] != 0x0f || code[6] != 0x05)
		return -1;
	int32_t nr;
	memcpy(&nr, code + 1, sizeof(nr));
	return nr;
}

void tl_repair_eintr(void *ucontext, int sig)
{
	ucontext_t *uc = ucontext;
	greg_t *g = uc->uc_mcontext.gregs;
	if (g[REG_RAX] != -EINTR)
		return;
	const unsigned char *ip = (const unsigned char *)g[REG_RIP];
	long nr = ((uintptr_t)ip & 0xfff) < 7 ? -1 : tl_syscall_loaded_before(ip - 7);
	if (nr < 0)
		return;
	bool restart_block = false;
	switch (nr) {
	case SYS_nanosleep:
		restart_block = true;
		break;
	case SYS_futex: { /* timed waits fail with EINTR and leave a restart block */
		int op = (int)g[REG_RSI] & FUTEX_CMD_MASK;
		if (op != FUTEX_WAIT && op != FUTEX_WAIT_BITSET)
			return;
		restart_block = true;
		break;
	}
	case SYS_clock_nanosleep:
		restart_block = !(g[REG_RSI] & TIMER_ABSTIME);
		break;
	case SYS_poll:
		restart_block = (int)g[REG_RDX] >= 0;
		break;
	case SYS_pause:
	case SYS_ppoll:      /* the kernel updated the timeout in place */
	case SYS_pselect6:   /* likewise */
	case SYS_select:     /* likewise */
	case SYS_epoll_wait: /* a relative timeout, started microseconds ago */
	case SYS_epoll_pwait:
		break;
	default:
		return;
	}
	if (tl_program_signal_pending(uc, sig))
		return;
	if (!restart_block) {
		g[REG_RAX] = nr; /* the arguments are still in their registers */
		g[REG_RIP] -= 2;
		return;
	}
	sigset_t mask = uc->uc_sigmask, old;
	sigaddset(&mask, sig); /* not our own signal: the next check takes its pc only */
	TL_REAL(syscall)(SYS_rt_sigprocmask, SIG_SETMASK, &mask, &old, _NSIG / 8);
	long r = TL_REAL(syscall)(SYS_restart_syscall);
	int err = errno;
	TL_REAL(syscall)(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, _NSIG / 8);
	g[REG_RAX] = r == -1 ? -err : r;
}

/* The sampling signal's action as the program sees it (tl_capture_sigaction): the one that was
 * there before ours, SIG_DFL for a signal we picked. */
static struct sigaction park_prev;

/* The sampling signal, sent by the program itself (raise, kill): what its action does bare.
 * SIG_DFL is put back (the next check picks a signal again) and the signal sent again to this
 * thread, delivered with its status when our handler returns, as dump.c's chain does. */
static void park_not_ours(int sig, siginfo_t *si, void *uc)
{
	struct sigaction p = park_prev;
	/* SIG_DFL and SIG_IGN whatever the flags say, as the kernel reads them */
	if (p.sa_handler == SIG_IGN)
		return;
	if (p.sa_handler == SIG_DFL)
		tl_signal_default_again(sig);
	else if (p.sa_flags & SA_SIGINFO) {
		p.sa_sigaction(sig, si, uc);
	} else {
		p.sa_handler(sig);
	}
}

/* Ours: queued by this process (send_park) with our mark in si_errno, which a program's
 * sigqueue() leaves 0 (glibc fills the rest of its siginfo itself). */
#define PARK_MARK 0x544c /* "TL" */
bool tl_capture_is_ours(const siginfo_t *si)
{
	return si->si_code == SI_QUEUE && si->si_pid == getpid() && si->si_errno == PARK_MARK;
}

/* Async-signal-safe: no locks, no malloc, no libunwind. Ours (tl_capture_is_ours) name the slot
 * and the check in their value; any other is the program's (park_not_ours). */
static void park_handler(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;
	if (!tl_capture_is_ours(si)) {
		park_not_ours(sig, si, uc);
		errno = saved;
		return;
	}
	uintptr_t need = (uintptr_t)((ucontext_t *)uc)->uc_mcontext.gregs[REG_RSP] -
	                 (uintptr_t)__builtin_frame_address(0);
	if (need > atomic_load(&frame_need) && need < (1u << 20))
		atomic_store(&frame_need, need);
	uint64_t v = (uintptr_t)si->si_value.sival_ptr;
	uint32_t gen = (uint32_t)(v >> 32), i = (uint32_t)v, now;
	struct park_slots *a = atomic_load(&slots);
	uint64_t expect = P_STATE(gen, P_REQUESTED);
	/* late (the check is over, or the slot is another check's now): only return */
	if (si->si_code == SI_QUEUE && a != NULL && i < a->cap && !released(gen, &now) &&
	    atomic_load_explicit(&a->s[i].tid, memory_order_relaxed) == tl_gettid() &&
	    atomic_compare_exchange_strong(&a->s[i].state, &expect, P_STATE(gen, P_CLAIMED))) {
		if (a->s[i].quick) {
			const greg_t *g = ((ucontext_t *)uc)->uc_mcontext.gregs;
			uintptr_t *r = a->s[i].regs;
			r[0] = (uintptr_t)g[REG_RIP], r[1] = (uintptr_t)g[REG_RSP];
			r[2] = (uintptr_t)g[REG_RBP], r[3] = (uintptr_t)g[REG_RBX];
			r[4] = (uintptr_t)g[REG_R12], r[5] = (uintptr_t)g[REG_R13];
			r[6] = (uintptr_t)g[REG_R14], r[7] = (uintptr_t)g[REG_R15];
			atomic_store(&a->s[i].state, P_STATE(gen, P_PARKED));
			tally_add(&parked, gen);
			tally_add(&leaving, gen);
			tl_repair_eintr(uc, sig);
			errno = saved;
			return;
		}
		a->s[i].uc = uc;
		atomic_store(&a->s[i].state, P_STATE(gen, P_PARKED));
		tally_add(&parked, gen);
		while (!released(gen, &now))
			futex(&release_gen, FUTEX_WAIT, now, NULL);
		if (atomic_exchange(&release_passed, gen) != gen) /* the first one out */
			futex(&release_gen, FUTEX_WAKE, INT32_MAX, NULL);
		tally_add(&leaving, gen); /* the slot is not ours any more: not touched again */
	}
	tl_repair_eintr(uc, sig);
	errno = saved;
}

/* Our signal, dequeued by the program's own wait for signals (sigtimedwait, sigpending: dump.c
 * tl_sigtimedwait) in a thread that blocked it after the check found it open: parked here as
 * the handler parks, from a context taken in this frame, under a full mask as the handler's;
 * the check unwinds from this frame (ours, not shown) into the program's. */
void tl_capture_take(const siginfo_t *si)
{
	sigset_t all, old;
	sigfillset(&all);
	TL_REAL(syscall)(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, _NSIG / 8);
	ucontext_t uc;
	memset(&uc, 0, sizeof(uc));
	if (getcontext(&uc) == 0)
		park_handler(si->si_signo, (siginfo_t *)si, &uc);
	TL_REAL(syscall)(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, _NSIG / 8);
}

/* A check that will not go on (exit() from a handler that interrupted it, exit.c): threads it
 * parked are released, as its end would release them. Async-signal-safe. */
void tl_capture_abandon(void)
{
	atomic_store(&release_gen, park_gen);
	futex(&release_gen, FUTEX_WAKE, INT32_MAX, NULL);
}

/* Our signal to thread tid for slot i of generation gen. */
static bool send_park(pid_t pid, uid_t uid, pid_t tid, uint32_t gen, uint32_t i)
{
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	si.si_signo = park_signal;
	si.si_code = SI_QUEUE;
	si.si_errno = PARK_MARK;
	si.si_pid = pid;
	si.si_uid = uid;
	si.si_value.sival_ptr = (void *)(uintptr_t)((uint64_t)gen << 32 | i);
	tl_kernel_signal_sent();
	return TL_REAL(syscall)(SYS_rt_tgsigqueueinfo, pid, tid, park_signal, &si) == 0;
}

/* The kernel's action, not the program's view of it (dump.c's sigaction asks us for that). */
static bool handler_is_ours(int sig)
{
	struct sigaction cur;
	return TL_REAL(sigaction)(sig, NULL, &cur) == 0 && (cur.sa_flags & SA_SIGINFO) &&
	       cur.sa_sigaction == park_handler;
}

/* Pick a real-time signal nobody uses (or the configured one) and install our handler.
 * The handler stays installed: a signal still pending for a thread that had it blocked must
 * never reach the default action (which would kill the process). The program does not see it
 * (tl_capture_sigaction): its sigaction shows the action that was there before. If the program
 * puts its own handler on the signal we picked, that signal is the program's now: the next
 * check picks another free one (a configured signal is taken as the user's explicit choice). */
static bool install_handler(void)
{
	if (park_signal && handler_is_ours(park_signal))
		return true;
	int sig = 0;
	struct sigaction prev;
	if (tl_opt.signal > 0) {
		sig = tl_opt.signal;
		if (TL_REAL(sigaction)(sig, NULL, &prev) != 0)
			return false;
	} else {
		for (int s = SIGRTMAX - 2; s > SIGRTMIN + 2; s--) {
			if (TL_REAL(sigaction)(s, NULL, &prev) == 0 &&
			    !(prev.sa_flags & SA_SIGINFO) && prev.sa_handler == SIG_DFL) {
				sig = s;
				break;
			}
		}
	}
	if (sig <= 0)
		return false;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = park_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigfillset(&sa.sa_mask); /* while parked, nothing else of the program runs on that thread */
	park_prev = prev;        /* before the handler can run */
	struct sigaction was;
	if (TL_REAL(sigaction)(sig, &sa, &was) != 0)
		return false;
	if (was.sa_handler != prev.sa_handler) {
		/* the program put its own action there meanwhile: its signal, not ours to take */
		TL_REAL(sigaction)(sig, &was, NULL);
		return false;
	}
	park_signal = sig;
	return true;
}

/* The program's sigaction (dump.c) on the sampling signal while our handler is installed on it
 * (false otherwise: not ours to answer). It sees the action it would see bare (park_prev);
 * setting SIG_DFL changes only that; any other action is installed, and the signal is the
 * program's from then on. */
bool tl_capture_sigaction(int sig, const struct sigaction *act, struct sigaction *old, int *rc)
{
	if (sig <= 0 || sig != park_signal || !handler_is_ours(sig))
		return false;
	tl_sigaction_behind(sig, &park_prev, act, old, rc);
	return true;
}

/* The last parking's threads are out of the handler (or PARK_LEAVE_NS went by). */
static void wait_leaving(void)
{
	if (leave_pending) {
		tally_wait(&leaving, leave_pending, tl_mono_ns() + PARK_LEAVE_NS);
		leave_pending = 0;
	}
}

bool tl_capture_prepare(bool at_exit)
{
	release_late = at_exit;
	wait_leaving();
	return install_handler();
}

/* A child forked while a check of the parent held the loader's locks: glibc's fork sets two of
 * them back in the child (dl_load_lock, dl_load_tls_lock), not the third (dl_load_write_lock,
 * which dl_iterate_phdr takes): every dl_iterate_phdr of the child, so every C++ throw and
 * backtrace(), waited for ever for a thread that is not there (11 children in 50 forked during
 * mid-run checks hung; bare, none). Ours held them only to keep the loader's lists still, so
 * they are consistent: each one the check's thread still owns is set back to free. Our own
 * walks stay out of the loader in that child (loader_forbidden): libunwind's locks, taken under
 * the loader's, may be held for good there (a child's first pthread_create hung in one CI run
 * of forkcheck `thread`); creation stacks are then the caller alone, as when the loader is
 * busy. */
static void loader_after_fork_child(void)
{
	pid_t ours = atomic_load(&loader_ours);
	atomic_store(&loader_ours, 0);
	if (ours == 0 || loader_locks[1] == NULL)
		return;
	loader_forbidden = true;
	for (int i = 0; i < 3; i++) {
		pthread_mutex_t *m = loader_locks[i];
		if (m->__data.__owner != ours)
			continue;
		m->__data.__lock = 0;
		m->__data.__count = 0;
		m->__data.__owner = 0;
		m->__data.__nusers = 0;
	}
}

void tl_capture_after_fork_child(void)
{
	leave_pending = 0; /* the parked threads were the parent's */
	loader_after_fork_child();
}

/* Room for n slots: the current array, or a new one (the old one is kept: see above). */
static struct park_slots *slots_for(size_t n)
{
	struct park_slots *a = atomic_load(&slots);
	if (a != NULL && a->cap >= n && !slots_tainted)
		return a;
	size_t cap = a ? a->cap : 64;
	while (cap < n)
		cap *= 2;
	void *p = mmap(NULL, sizeof(*a) + cap * sizeof(a->s[0]), PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	a = p;
	a->cap = cap;
	atomic_store(&slots, a);
	slots_tainted = false;
	return a;
}

struct park_job {
	struct park_slots *a;
	size_t n;
	uint32_t gen;
	int acked;
	struct tl_seen *v; /* every thread of the check, and the stamp of its views (or -1) */
	size_t nv;
	long views_stamp;
	struct tl_frames *frames; /* n: the parked threads' frames, kept once they are released */
};

static uintptr_t needed_room(void)
{
	uintptr_t need = atomic_load(&frame_need);
	/* Not measured, or AMX allowed in this process (a thread that uses it has a larger
	 * frame than ours): the kernel's worst case. */
	unsigned long perm = 0;
	if (need == 0 ||
	    (TL_REAL(syscall)(SYS_arch_prctl, 0x1022 /* ARCH_GET_XCOMP_PERM */, &perm) == 0 &&
	     (perm & (1ul << 18) /* XTILEDATA */)))
		need = (uintptr_t)TL_REAL(getauxval)(AT_MINSIGSTKSZ) + 1024;
	return need + TL_HANDLER_MARGIN;
}

/* The lowest address of a small stack (a signal frame might not fit), else 0. Read under the
 * registry lock while the thread cannot free its descriptor (tl_thread_stack): the snapshot's
 * flags are old by now, and a thread detached or joined since may have freed it (glibc unmaps
 * stacks beyond its cache). Detached threads that still run are looked at too. */
static uintptr_t small_stack_lo(const struct tl_seen *s)
{
	if (s->number == 0 || (s->flags & TL_F_MAIN))
		return 0;
	void *lo = NULL;
	size_t size = 0;
	if (!tl_thread_stack(s->number, s->handle, &lo, &size))
		return 0;
	return size < TL_SMALL_STACK ? (uintptr_t)lo : 0;
}

/* Room below sp for the signal's frame? A small stack's lowest address (stack_lo) is exact, and
 * an unknown sp there means no; a larger one's is a bound (tl_seen's stack_bound), and an
 * unknown sp means yes (a thread on 1 MiB with 2.5 KiB left died of SIGSEGV when the kernel
 * could not push the frame). */
static bool signal_fits(const struct park_slot *sl, uintptr_t sp, uintptr_t room)
{
	if (sl->stack_lo)
		return sp >= sl->stack_lo && sp - sl->stack_lo >= room;
	uintptr_t lo = sl->seen->stack_bound;
	return lo == 0 || sp == 0 || (sp > lo && sp - lo >= room);
}

/* Look again right before the signal: a thread seen running a moment ago may be in a call
 * that our signal would interrupt by now (a sleep loop). What is left is the few microseconds
 * between this read and the signal, which repair_eintr covers. room: needed_room().
 * A thread the grace period looked at (viewed) that was not switched out since (its stamp)
 * is still in the call it was in then: its view says all, and is confirmed by the same look
 * (view_held: the exit check's early end needs no other stamp of it). views_held: one stamp of
 * the whole process confirmed every view right before the signals (park_all). */
static bool still_transparent(const struct park_slot *sl, uintptr_t room, bool views_held)
{
	static struct tl_seen scratch; /* the checker only, under check_lock */
	pid_t tid = sl->tid;
	struct tl_seen *s = sl->seen;
	if (s->viewed && views_held)
		return signal_fits(sl, s->sys_sp, room);
	if (s->viewed && s->stamp >= 0) {
		char st;
		if (tl_kernel_stamp(tid, &st) == s->stamp && st != 'R') {
			s->view_held = true;
			return signal_fits(sl, s->sys_sp, room);
		}
	}
	scratch.tid = tid;
	char buf[256];
	if (tl_read_task_file(tid, "syscall", buf, sizeof(buf)) <= 0)
		return sl->stack_lo == 0; /* gone, or no /proc */
	if (strncmp(buf, "running", 7) == 0)
		return sl->stack_lo == 0; /* a small stack's room is unknown while it runs */
	char *p = buf;
	scratch.sysno = strtol(p, &p, 10);
	for (int k = 0; k < 6; k++)
		scratch.sysargs[k] = strtoul(p, &p, 16);
	uintptr_t sp = strtoul(p, &p, 16);
	if (!signal_fits(sl, sp, room))
		return false;
	return scratch.sysno < 0 || tl_signal_is_transparent(&scratch);
}

/* Is our signal still pending for a thread that has not answered, not blocked by it, and is the
 * thread runnable? (/proc/self/task/TID/status: State; SigPnd, the signals pending for the
 * thread itself; SigBlk; see docs/internals.md.) */
static bool answer_pending(const struct park_job *job)
{
	uint64_t bit = 1ull << (park_signal - 1);
	for (size_t i = 0; i < job->n; i++) {
		const struct park_slot *sl = &job->a->s[i];
		if (atomic_load(&sl->state) != P_STATE(job->gen, P_REQUESTED))
			continue;
		char buf[2048];
		if (tl_read_task_file(sl->tid, "status", buf, sizeof(buf)) <= 0)
			continue;
		const char *st = strstr(buf, "\nState:\t"), *pnd = strstr(buf, "\nSigPnd:"),
		           *blk = strstr(buf, "\nSigBlk:");
		if (st && st[8] == 'R' && pnd && blk && (strtoull(pnd + 8, NULL, 16) & bit) &&
		    !(strtoull(blk + 8, NULL, 16) & bit))
			return true;
	}
	return false;
}

/* The answer time is over: a slot still requested is abandoned (its handler, if it comes,
 * finds it so and only returns). A handler that has claimed its slot but not yet published
 * its context will still write into the array: the next check takes a new one. */
static void abandon_unanswered(struct park_job *job)
{
	for (size_t i = 0; i < job->n; i++) {
		uint64_t expect = P_STATE(job->gen, P_REQUESTED);
		if (!atomic_compare_exchange_strong(&job->a->s[i].state, &expect,
		                                    P_STATE(job->gen, P_ABANDONED)) &&
		    expect == P_STATE(job->gen, P_CLAIMED))
			slots_tainted = true;
	}
}

static int park_all(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)info;
	(void)size;
	struct park_job *job = data;
	struct park_slot *sl = job->a->s;
	pid_t pid = getpid();
	uid_t uid = getuid();
	uintptr_t room = needed_room();
	/* No thread of the process switched out since the views, and each was asleep at its view
	 * (nothing_can_change in check.c): every view still holds now, confirmed for all at once,
	 * and no thread can move before its signal but by a wake from outside the process (the
	 * blind spot of docs/internals.md, "The exit check's cost"; repair_eintr covers a call
	 * entered since). One system call instead of a /proc read a thread. */
	bool views_held = job->views_stamp >= 0 && tl_kernel_others_stamp() == job->views_stamp;
	for (size_t i = 0; views_held && i < job->nv; i++)
		job->v[i].view_held = job->v[i].viewed;
	/* before any thread is parked: none can hold malloc's lock yet */
	if (!views_held && (job->frames = malloc(job->n * sizeof(*job->frames))) == NULL)
		return 1; /* no signal: every slot stays requested, and is abandoned */
	for (size_t i = 0; !views_held && i < job->n; i++)
		job->frames[i].n = -1; /* not unwound */
	uint32_t sent = 0;
	for (size_t i = 0; i < job->n; i++) {
		/* quick: no thread can move, so a handler needs only copy its registers and
		 * return; the stack they name stays as it is (the thread is back in the same wait
		 * a moment later). Stored before the state again: the handler reads it after it */
		sl[i].quick = views_held;
		atomic_store(&sl[i].state, P_STATE(job->gen, P_REQUESTED));
		if (still_transparent(&sl[i], room, views_held) &&
		    send_park(pid, uid, sl[i].tid, job->gen, (uint32_t)i))
			sent++;
		else
			atomic_store(&sl[i].state, P_STATE(job->gen, P_ABANDONED));
	}
	int64_t sent_at = tl_mono_ns(), deadline = sent_at + PARK_ANSWER_NS;
	while (!tally_wait(&parked, sent, deadline)) {
		if (deadline - sent_at >= PARK_PENDING_MAX_NS || !answer_pending(job)) {
			abandon_unanswered(job);
			break;
		}
		deadline += PARK_PENDING_NS;
	}
	sigset_t keep;
	quiet_begin(&keep);
	for (size_t i = 0; i < job->n; i++) {
		if (atomic_load(&sl[i].state) != P_STATE(job->gen, P_PARKED))
			continue;
		/* a parked thread may hold malloc's lock: its frames wait in job->frames,
		 * kept once it is released; a quick handler has returned already */
		if (sl[i].quick ? unwind_regs(sl[i].regs, &scratch_frames, true) &&
		                      tl_stack_keep(&sl[i].seen->stack, &scratch_frames)
		                : unwind_context(sl[i].uc, &job->frames[i]))
			job->acked++;
	}
	quiet_end(&keep);
	if (views_held) { /* quick: no handler waits to be released */
		atomic_store(&release_passed, job->gen);
		atomic_store(&release_gen, job->gen);
		leave_pending = tally_count(&parked);
		if (!release_late)
			wait_leaving();
		return 1;
	}
	if (!release_late) /* nothing to pass on: set first, so no handler wakes all again */
		atomic_store(&release_passed, job->gen);
	atomic_store(&release_gen, job->gen);
	futex(&release_gen, FUTEX_WAKE, release_late ? 1 : INT32_MAX, NULL);
	leave_pending = tally_count(&parked);
	if (!release_late)
		wait_leaving();
	/* released: nothing of ours waits on a thread that may hold malloc's lock now */
	for (size_t i = 0; i < job->n; i++)
		if (job->frames[i].n >= 0 && !tl_stack_keep(&sl[i].seen->stack, &job->frames[i]))
			job->acked--;
	free(job->frames);
	job->frames = NULL;
	return 1; /* stop iterating: we only wanted the lock */
}

/* The kernel's pc as the whole stack, and the note why (with_pc). A thread that runs has no
 * such pc: /proc/TID/syscall says "running" for any runnable task, on a CPU or not, and
 * /proc/TID/stat's kstkeip is 0 for a live one, so looking again later cannot catch it
 * between time slices (a spinning thread is always runnable); then without_pc says so. */
#define SMALL_RUNNING                                                                             \
	"the thread runs on a small stack, whose free room is unknown while it runs: no signal, " \
	"only its state is known"

static void pc_only(struct tl_seen *s, const char *with_pc, const char *without_pc)
{
	s->stack.n = 0;
	s->stack.exact = 0;
	s->stack.sigframe = 0;
	s->stack.cut = TL_CUT_NONE;
	if (s->sys_pc && (s->stack.pcs = tl_intern_mem(&s->sys_pc, sizeof(s->sys_pc))) != NULL)
		s->stack.n = 1;
	s->stack_note = s->sys_pc ? with_pc : without_pc;
}

void tl_capture_stacks(struct tl_seen *v, size_t n, long views_stamp)
{
	size_t npark = 0;
	sigset_t keep;
	read_module_ranges();
	quiet_begin(&keep);
	/* No thread of the process was switched out since the grace period's views, each of a
	 * thread asleep (nothing_can_change in check.c): each is still in the call it was seen
	 * in, and its stack can be read without stopping it (unwind_syscall) */
	bool views_held = views_stamp >= 0 && tl_kernel_others_stamp() == views_stamp;
	size_t nread = 0;
	tl_futex_words_pass(true);
	for (size_t i = 0; i < n; i++) {
		struct tl_seen *s = &v[i];
		s->stack.n = 0;
		s->stack.cut = TL_CUT_NONE;
		s->park = false;
		if (s->state == TL_ST_EXITED)
			continue;
		const void *handed = tl_dump_handed_context(s->tid);
		if (handed) { /* waiting in our handler for this report: as it was before it */
			interrupted_view(s, handed);
			if (unwind_context((void *)handed, &scratch_frames) &&
			    tl_stack_keep(&s->stack, &scratch_frames))
				continue;
			if (s->tid ==
			    tl_gettid()) { /* the checker: a signal would park it for good */
				pc_only(s, "its stack could not be taken", "its stack is unknown");
				continue;
			}
		}
		if (s->in_wrapper && unwind_regs(s->regs, &scratch_frames, false) &&
		    tl_stack_keep(&s->stack, &scratch_frames))
			continue;      /* validated by the caller against the sequence number */
		s->in_wrapper = false; /* no usable snapshot: treat it like any other thread */
		if (views_held && s->viewed && s->sysno >= 0 &&
		    unwind_syscall(s, &scratch_frames) &&
		    tl_stack_keep(&s->stack, &scratch_frames)) {
			s->view_held = true;
			nread++;
			continue;
		}
		bool blocks_ours = park_signal > 0 && ((s->sig_mask >> (park_signal - 1)) & 1);
		enum tl_harm harm = blocks_ours ? TL_HARM_NONE : tl_signal_harm(s);
		if ((blocks_ours || harm != TL_HARM_NONE) && unwind_asleep(s))
			continue;
		if (blocks_ours)
			pc_only(
			    s,
			    "the thread blocks threadleak's signal: only its program "
			    "counter is known",
			    s->sysno == TL_SYSNO_RUNNING
			        ? "the thread blocks threadleak's signal and is running: its "
			          "stack is unknown"
			        : "the thread blocks threadleak's signal: its stack is unknown");
		else if (harm == TL_HARM_WORD_LOST)
			pc_only(s,
			        "its lock's memory is gone or changed, and a signal would end its "
			        "wait: only its program counter is known",
			        "its lock's memory is gone or changed, and a signal would end its "
			        "wait: its stack is unknown");
		else if (harm == TL_HARM_FD_CLOSED)
			pc_only(s,
			        "its descriptor was closed since, and a signal would end its call: "
			        "only its program counter is known",
			        "its descriptor was closed since, and a signal would end its call: "
			        "its stack is unknown");
		else if (harm == TL_HARM_INTERRUPTS)
			pc_only(s,
			        "a signal would interrupt this call: only its program counter "
			        "is known",
			        "a signal would interrupt this call: its stack is unknown");
		else {
			s->park = true;
			npark++;
		}
	}
	quiet_end(&keep);
	tl_futex_words_pass(false);
	/* Still no thread switched out since the views, now that those stacks are read? Else one
	 * may have moved while its stack was read: all of them again, without trusting the views */
	if (nread > 0 && tl_kernel_others_stamp() != views_stamp) {
		for (size_t i = 0; i < n; i++)
			v[i].view_held = false;
		tl_capture_stacks(v, n, -1);
		return;
	}
	if (npark == 0)
		return;
	struct park_slots *a = NULL;
	if (!tl_deps_unwind() || !install_handler() || npark > UINT32_MAX ||
	    (a = slots_for(npark)) == NULL) {
		for (size_t i = 0; i < n; i++)
			if (v[i].state != TL_ST_EXITED && v[i].stack.n == 0 && !v[i].stack_note)
				pc_only(&v[i], "no signal available to sample the stack",
				        "no signal available to sample the stack");
		return;
	}
	wait_leaving(); /* a second parking in one check (a stack taken again) */
	uint32_t gen = ++park_gen;
	tally_reset(&parked, gen);
	tally_reset(&leaving, gen);
	struct park_slot *sl = a->s;
	size_t k = 0;
	for (size_t i = 0; i < n && k < npark; i++) {
		struct tl_seen *s = &v[i];
		/* the threads counted in npark above, and only those: not one whose stack is taken
		 * already (a thread described by the context its request interrupted is the checker
		 * itself when a lock wait makes the report, dump.c: parked, it waited for its own
		 * release forever; and the slots are npark) */
		if (!s->park)
			continue;
		atomic_store_explicit(&sl[k].tid, s->tid, memory_order_relaxed);
		sl[k].uc = NULL;
		sl[k].seen = s;
		sl[k].stack_lo = small_stack_lo(s);
		atomic_store(&sl[k].state, P_STATE(gen, P_REQUESTED));
		k++;
	}
	/* Warm up the unwinder on this thread first (its caches, lazy bindings, TLS), so nothing in
	 * it has to allocate while other threads are parked, one of which may hold a malloc lock.
	 */
	void *warm[4];
	unw_backtrace(warm, 4);
	/* measure the signal frame on ourselves: a signal that names no slot, which only
	 * returns. Only when a thread is to be parked: a process that never needs the signal
	 * never receives it (under gdb, which stops at every real-time signal, a check with
	 * nothing to park used to stop the program at exit) */
	if (k > 0 && atomic_load(&frame_need) == 0) {
		/* delivered before the send returns, even where the program blocks it (a daemon's
		 * thread that blocks every signal): left pending, it came out of the program's next
		 * signalfd read as the program's own. Not in dump.c's handler: a report made there
		 * keeps every handler out (hold_signals) */
		sigset_t only, old;
		sigemptyset(&only);
		sigaddset(&only, park_signal);
		bool open = !tl_dump_in_handler();
		if (open)
			TL_REAL(syscall)(SYS_rt_sigprocmask, SIG_UNBLOCK, &only, &old, _NSIG / 8);
		send_park(getpid(), getuid(), tl_gettid(), 0, UINT32_MAX);
		if (open)
			TL_REAL(syscall)(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, _NSIG / 8);
	}
	struct park_job job = {a, k, gen, 0, v, n, views_stamp, NULL};
	dl_iterate_phdr(park_all, &job);
	for (size_t i = 0; i < k; i++) {
		struct tl_seen *s = sl[i].seen;
		if (s->stack.n == 0 && !s->stack_note) {
			/* its pc now; the grace period's stamp stays, for confirm_early_end */
			long stamp = s->stamp;
			int64_t asleep = s->asleep_since_ns; /* before our signal woke it */
			tl_kernel_view(s);
			if (s->viewed)
				s->stamp = stamp;
			s->asleep_since_ns = asleep;
			bool running = s->sysno == TL_SYSNO_RUNNING;
			if (sl[i].stack_lo && s->sysno < 0)
				pc_only(s, SMALL_RUNNING, SMALL_RUNNING);
			else if (sl[i].stack_lo)
				pc_only(
				    s,
				    "the thread's small stack has no room for a signal: only "
				    "its program counter is known",
				    "the thread's small stack has no room for a signal: its stack "
				    "is unknown");
			else if (s->sysno >= 0 && !signal_fits(&sl[i], s->sys_sp, needed_room()))
				pc_only(
				    s,
				    "the thread is too deep in its stack for a signal: only its "
				    "program counter is known",
				    "the thread is too deep in its stack for a signal: its stack "
				    "is unknown");
			else
				pc_only(s,
				        "the thread did not answer threadleak's signal: only its "
				        "program counter is known",
				        running
				            ? "the thread did not answer threadleak's signal and "
				              "is running: its stack is unknown"
				            : "the thread did not answer threadleak's signal: its "
				              "stack is unknown");
		}
	}
}
