/* Current stacks of other threads, taken without disturbing them.
 *
 * 1. A thread blocked inside one of our wrappers left a register snapshot of the wrapper's
 *    frame (TL_BLOCK_ENTER); while it stays blocked its caller frames cannot change, so we
 *    unwind from the snapshot with no signal at all, and check its sequence number after.
 * 2. Any other thread that a signal cannot disturb (running in user space, or in a syscall
 *    the kernel restarts transparently) is "parked": while we hold the loader lock (inside a
 *    dl_iterate_phdr callback; the lock is recursive) we send it a real-time signal whose
 *    handler only publishes its ucontext, acknowledges on a futex and waits. We unwind each
 *    parked context with libunwind (no malloc; libunwind's own dl_iterate_phdr calls cannot
 *    deadlock because we hold that lock and no parked thread can), then release them all.
 *    libunwind inside a signal handler deadlocks (PLATFORM-NOTES): the handler never unwinds.
 * 3. A thread with the signal blocked, or in a call a signal would interrupt (poll, nanosleep,
 *    a socket with a timeout), gets only the program counter the kernel reports, and a note. */
#include "deps.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <linux/futex.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

/* ---- our own address range, to drop our frames from stacks ---- */
static uintptr_t own_lo, own_hi;

extern const ElfW(Ehdr) __ehdr_start; /* our own ELF header, placed by the linker */

/* From our own program headers, mapped with our first segment: no dl_iterate_phdr at start
 * (its loader lock, and a page fault per object whose headers it reads). */
void tl_capture_init(void)
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

bool tl_pc_is_own(uintptr_t pc)
{
	return pc >= own_lo && pc < own_hi;
}

int tl_backtrace_here(uintptr_t *pcs, int max, int skip)
{
	void *buf[TL_MAX_FRAMES + 16];
	if (!tl_deps_unwind())
		return 0;
	int want = max + skip + 8;
	if (want > (int)TL_ARRAY_SIZE(buf))
		want = TL_ARRAY_SIZE(buf);
	int n = unw_backtrace(buf, want);
	int i = 0;
	while (i < n && tl_pc_is_own((uintptr_t)buf[i]))
		i++;
	int k = 0;
	for (; i < n && k < max; i++)
		pcs[k++] = (uintptr_t)buf[i];
	return k;
}

/* Unwind from a cursor into st; frames inside threadleak are dropped. */
static void walk(unw_cursor_t *cur, struct tl_stack *st, bool first_exact)
{
	int max = tl_opt.max_frames;
	bool exact = first_exact;
	st->n = 0;
	st->exact = 0;
	for (int guard = 0; guard < TL_MAX_FRAMES + 32 && st->n < max; guard++) {
		unw_word_t ip = 0;
		if (unw_get_reg(cur, UNW_REG_IP, &ip) < 0 || ip == 0)
			break;
		if (!tl_pc_is_own((uintptr_t)ip)) {
			if (exact)
				st->exact |= 1ull << st->n;
			st->pcs[st->n++] = (uintptr_t)ip;
		}
		/* the frame above a signal frame was interrupted, not called: its pc is exact */
		exact = unw_is_signal_frame(cur) > 0;
		if (unw_step(cur) <= 0)
			break;
	}
}

static bool unwind_saved_regs(struct tl_seen *s)
{
#if TL_HAVE_SAVED_REGS
	if (!tl_deps_unwind())
		return false;
	ucontext_t uc;
	memset(&uc, 0, sizeof(uc));
	uc.uc_mcontext.gregs[REG_RIP] = (greg_t)s->regs[0];
	uc.uc_mcontext.gregs[REG_RSP] = (greg_t)s->regs[1];
	uc.uc_mcontext.gregs[REG_RBP] = (greg_t)s->regs[2];
	uc.uc_mcontext.gregs[REG_RBX] = (greg_t)s->regs[3];
	uc.uc_mcontext.gregs[REG_R12] = (greg_t)s->regs[4];
	uc.uc_mcontext.gregs[REG_R13] = (greg_t)s->regs[5];
	uc.uc_mcontext.gregs[REG_R14] = (greg_t)s->regs[6];
	uc.uc_mcontext.gregs[REG_R15] = (greg_t)s->regs[7];
	unw_cursor_t cur;
	if (unw_init_local(&cur, (unw_context_t *)&uc) < 0)
		return false;
	walk(&cur, &s->stack, true);
	return true;
#else
	(void)s;
	return false;
#endif
}

/* ---- parking ---- */
/* A slot's life: REQUESTED (signal sent) -> PARKED (in the handler) -> DONE (unwound) ->
 * LEFT (the handler is returning), or ABANDONED when the thread did not answer in time. */
enum { P_REQUESTED = 1, P_PARKED, P_ABANDONED, P_DONE, P_LEFT };

struct park_slot {
	pid_t tid;
	_Atomic int state;
	void *uc;
	struct tl_seen *seen;
};

static struct park_slot *_Atomic slots; /* grown, never freed: a late handler may read it */
static _Atomic size_t nslots;
static size_t slots_cap;
static _Atomic uint32_t park_gen, release_gen;
static int park_signal;

static long futex(_Atomic uint32_t *addr, int op, uint32_t val, const struct timespec *ts)
{
	return TL_REAL(syscall)(SYS_futex, addr, op | FUTEX_PRIVATE_FLAG, val, ts, NULL, 0);
}

/* Async-signal-safe: no locks, no malloc, no libunwind. */
static void park_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	int saved = errno;
	uint32_t gen = atomic_load(&park_gen);
	if (si->si_code != SI_TKILL || si->si_pid != getpid() || gen == atomic_load(&release_gen)) {
		errno = saved;
		return;
	}
	pid_t me = (pid_t)TL_REAL(syscall)(SYS_gettid);
	struct park_slot *sl = atomic_load(&slots);
	size_t n = atomic_load(&nslots);
	for (size_t i = 0; i < n; i++) {
		if (sl[i].tid != me)
			continue;
		int expect = P_REQUESTED;
		sl[i].uc = uc;
		if (atomic_compare_exchange_strong(&sl[i].state, &expect, P_PARKED)) {
			futex((_Atomic uint32_t *)&sl[i].state, FUTEX_WAKE, 1, NULL);
			uint32_t r;
			while ((r = atomic_load(&release_gen)) != gen)
				futex(&release_gen, FUTEX_WAIT, r, NULL);
			/* only if the slot was not handed to another thread since (a late handler)
			 */
			int done = P_DONE;
			if (atomic_compare_exchange_strong(&sl[i].state, &done, P_LEFT))
				futex((_Atomic uint32_t *)&sl[i].state, FUTEX_WAKE, 1, NULL);
		}
		break;
	}
	errno = saved;
}

static bool handler_is_ours(int sig)
{
	struct sigaction cur;
	return sigaction(sig, NULL, &cur) == 0 && (cur.sa_flags & SA_SIGINFO) &&
	       cur.sa_sigaction == park_handler;
}

/* Pick a real-time signal nobody uses (or the configured one) and install our handler.
 * The handler stays installed: a signal still pending for a thread that had it blocked must
 * never reach the default action (which would kill the process). If the program later puts
 * its own handler on the signal we picked, that signal is the program's now: the next check
 * picks another free one (a configured signal is taken as the user's explicit choice). */
static bool install_handler(void)
{
	if (park_signal && handler_is_ours(park_signal))
		return true;
	int sig = 0;
	if (tl_opt.signal > 0) {
		sig = tl_opt.signal;
	} else {
		for (int s = SIGRTMAX - 2; s > SIGRTMIN + 2; s--) {
			struct sigaction cur;
			if (sigaction(s, NULL, &cur) == 0 && !(cur.sa_flags & SA_SIGINFO) &&
			    cur.sa_handler == SIG_DFL) {
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
	if (sigaction(sig, &sa, NULL) != 0)
		return false;
	park_signal = sig;
	return true;
}

bool tl_capture_prepare(void)
{
	return install_handler();
}

int tl_capture_signal(void)
{
	return park_signal;
}

static bool grow_slots(size_t n)
{
	if (n <= slots_cap)
		return true;
	size_t cap = slots_cap ? slots_cap : 64;
	while (cap < n)
		cap *= 2;
	void *p = mmap(NULL, cap * sizeof(struct park_slot), PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return false;
	atomic_store(&nslots, 0);
	atomic_store(&slots, (struct park_slot *)p); /* the old array is kept: see above */
	slots_cap = cap;
	return true;
}

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct park_job {
	size_t n;
	int acked;
};

static int park_all(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)info;
	(void)size;
	struct park_job *job = data;
	struct park_slot *sl = atomic_load(&slots);
	pid_t pid = getpid();
	for (size_t i = 0; i < job->n; i++)
		if (TL_REAL(syscall)(SYS_tgkill, pid, sl[i].tid, park_signal) != 0)
			atomic_store(&sl[i].state, P_ABANDONED);
	int64_t deadline =
	    mono_ns() + 250 * 1000000LL; /* a parked thread answers in microseconds */
	for (size_t i = 0; i < job->n; i++) {
		for (;;) {
			int st = atomic_load(&sl[i].state);
			if (st != P_REQUESTED)
				break;
			int64_t left = deadline - mono_ns();
			if (left <= 0) {
				int expect = P_REQUESTED;
				atomic_compare_exchange_strong(&sl[i].state, &expect, P_ABANDONED);
				break;
			}
			struct timespec ts = {left / 1000000000, left % 1000000000};
			futex((_Atomic uint32_t *)&sl[i].state, FUTEX_WAIT, P_REQUESTED, &ts);
		}
	}
	for (size_t i = 0; i < job->n; i++) {
		if (atomic_load(&sl[i].state) != P_PARKED)
			continue;
		unw_cursor_t cur;
		if (unw_init_local2(&cur, (unw_context_t *)sl[i].uc, UNW_INIT_SIGNAL_FRAME) == 0) {
			walk(&cur, &sl[i].seen->stack, true);
			job->acked++;
		}
		atomic_store(&sl[i].state, P_DONE);
	}
	atomic_store(&release_gen, atomic_load(&park_gen));
	futex(&release_gen, FUTEX_WAKE, 0x7fffffff, NULL);
	/* Wait until every parked thread is on its way out of the handler (whose mask blocks every
	 * signal): a check right after this one must not see it as blocking our signal, nor as
	 * running, when it is back in its call a moment later. */
	deadline = mono_ns() + 100 * 1000000LL;
	for (size_t i = 0; i < job->n; i++) {
		while (atomic_load(&sl[i].state) == P_DONE) {
			int64_t left = deadline - mono_ns();
			if (left <= 0)
				break;
			struct timespec ts = {left / 1000000000, left % 1000000000};
			futex((_Atomic uint32_t *)&sl[i].state, FUTEX_WAIT, P_DONE, &ts);
		}
	}
	return 1; /* stop iterating: we only wanted the lock */
}

static void pc_only(struct tl_seen *s, const char *note)
{
	s->stack.n = 0;
	s->stack.exact = 0;
	if (s->sys_pc) {
		s->stack.pcs[0] = s->sys_pc;
		s->stack.n = 1;
	}
	s->stack_note = note;
}

void tl_capture_stacks(struct tl_seen *v, size_t n)
{
	size_t npark = 0;
	for (size_t i = 0; i < n; i++) {
		struct tl_seen *s = &v[i];
		s->stack.n = 0;
		if (s->state == TL_ST_EXITED)
			continue;
		if (s->in_wrapper && unwind_saved_regs(s))
			continue;      /* validated by the caller against the sequence number */
		s->in_wrapper = false; /* no usable snapshot: treat it like any other thread */
		if (s->sig_blocked)
			pc_only(s, "the thread blocks threadleak's signal: only its program "
			           "counter is known");
		else if (!tl_signal_is_transparent(s))
			pc_only(s, "a signal would interrupt this call: only its program counter "
			           "is known");
		else
			npark++;
	}
	if (npark == 0)
		return;
	if (!tl_deps_unwind() || !install_handler() || !grow_slots(npark)) {
		for (size_t i = 0; i < n; i++)
			if (v[i].state != TL_ST_EXITED && v[i].stack.n == 0 && !v[i].stack_note)
				pc_only(&v[i], "no signal available to sample the stack");
		return;
	}
	struct park_slot *sl = atomic_load(&slots);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		struct tl_seen *s = &v[i];
		if (s->state == TL_ST_EXITED || s->in_wrapper || s->stack_note)
			continue;
		sl[k].tid = s->tid;
		sl[k].uc = NULL;
		sl[k].seen = s;
		atomic_store(&sl[k].state, P_REQUESTED);
		k++;
	}
	atomic_store(&nslots, k);
	atomic_fetch_add(&park_gen, 1);
	/* Warm up the unwinder on this thread first (its caches, lazy bindings, TLS), so nothing in
	 * it has to allocate while other threads are parked, one of which may hold a malloc lock.
	 */
	void *warm[4];
	unw_backtrace(warm, 4);
	struct park_job job = {k, 0};
	dl_iterate_phdr(park_all, &job);
	for (size_t i = 0; i < k; i++) {
		struct tl_seen *s = sl[i].seen;
		if (s->stack.n == 0 && !s->stack_note) {
			tl_kernel_view(s);
			pc_only(s, "the thread did not answer threadleak's signal: only its "
			           "program counter is known");
		}
	}
}
