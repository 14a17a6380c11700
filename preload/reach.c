/* Leaks that can be proven: a thread in an untimed wait on an object in memory that no thread
 * able to run can reach is blocked forever. Decided at check time, LeakSanitizer-style:
 * mark conservatively from the roots (every writable mapping that is neither malloc heap nor
 * a waiting thread's stack, TLS, the stacks and registers of threads that can run, the data
 * words of epoll registrations) through the heap blocks found by walking glibc's malloc heap;
 * a waiting thread whose object gets marked may be woken, so its stack becomes a root; repeat
 * to a fixpoint. Nothing runs while the program runs: no hook in malloc.
 *
 * Other threads are not stopped. The scan is a snapshot only if no thread that could move a
 * pointer ran meanwhile: every other task is stamped (state, context switches, wrapper
 * sequence number) before and after, and the scan is retried a few times; if a thread ran,
 * or a thread's registers cannot be known (blocked outside our wrappers), unmarked waiters
 * are "unknown", never "unreachable". Memory is read only through process_vm_readv, which
 * fails cleanly on a mapping that went away. The heap layout is glibc 2.36's, checked while
 * walking (each heap's walk must land exactly on its end); see docs/internals.md. */
#include "tl.h"

#include "report.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* glibc malloc's layout (malloc/malloc.c and arena.c, 2.36, 64-bit), read from outside. */
#define HEAP_MAX (64ul << 20) /* a non-main arena's heap size and alignment (64-bit) */
#define HEAP_INFO_SIZE 0x30   /* sizeof(heap_info) */
#define MSTATE_SIZE 0x898     /* sizeof(struct malloc_state), glibc 2.36 x86_64 */
#define MSTATE_TOP 0x60       /* offsetof(struct malloc_state, top) */
#define PAGE 4096ul
/* heap_info: at the start of each non-main arena's heap */
struct heap_info {
	uintptr_t ar_ptr; /* its struct malloc_state */
	uintptr_t prev;
	uintptr_t size; /* in use, page multiple */
	uintptr_t mprotect_size;
	uintptr_t pagesize;
};
/* A chunk's header; malloc hands out what follows it. The next chunk's prev_size belongs to
 * this chunk's block while it is in use. */
struct chunk {
	uintptr_t prev_size;
	uintptr_t size; /* | the flags below */
};
#define CHUNK_PREV_INUSE 1ul
#define CHUNK_IS_MMAPPED 2ul
#define CHUNK_FLAGS 7ul
#define CHUNK_ALIGN 16ul
#define CHUNK_MIN 32ul /* MINSIZE: smaller ones are fenceposts */
#define CHUNK_MEM(c) ((c) + sizeof(struct chunk))
#define CHUNK_SIZE_AT(c) ((c) + offsetof(struct chunk, size))
#define CHUNK_END_OF_BLOCK(next) CHUNK_SIZE_AT(next)
#define TCACHE_KEY_AT(c) (CHUNK_MEM(c) + sizeof(uintptr_t)) /* tcache_entry.key */
#define MAX_BLOCKS (32u << 20)
#define SCAN_BUDGET_NS (5ll * 1000000000)
#define WIN 65536

const char *tl_verdict_name(int v)
{
	static const char *const names[] = {NULL, "unreachable", "freed", "reachable", "unknown"};
	return v > 0 && v < (int)TL_ARRAY_SIZE(names) ? names[v] : NULL;
}

/* ---- work memory: one private mapping, excluded from the roots ---- */
static char *arena;
static size_t arena_size, arena_used;

static void *take(size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (arena_used + n > arena_size)
		return NULL;
	void *p = arena + arena_used;
	arena_used += n;
	return p;
}

/* ---- reading memory that may go away under us ---- */
static pid_t self_pid;

static bool rd(uintptr_t addr, void *out, size_t n)
{
	struct iovec l = {out, n}, r = {(void *)addr, n};
	return TL_REAL(syscall)(SYS_process_vm_readv, self_pid, &l, 1, &r, 1, 0) == (long)n;
}

/* Many small reads in few system calls (10,000 threads mean tens of thousands of them):
 * remote[i] into local[i], of the same length; ok[i] says which were read. A transfer stops at
 * the first region that cannot be read whole (process_vm_readv(2) never splits one): the rest
 * is read again after it. */
static void rd_many(struct iovec *local, struct iovec *remote, size_t n, bool *ok)
{
	for (size_t i = 0; i < n;) {
		size_t k = n - i > 1024 ? 1024 : n - i, done = 0;
		long got = TL_REAL(syscall)(SYS_process_vm_readv, self_pid, local + i, k,
		                            remote + i, k, 0);
		size_t left = got > 0 ? (size_t)got : 0;
		while (done < k && left >= remote[i + done].iov_len) {
			left -= remote[i + done].iov_len;
			ok[i + done++] = true;
		}
		if (done < k)
			ok[i + done++] = false;
		i += done;
	}
}

/* ---- mappings ---- */
struct vma {
	uintptr_t lo, hi;
	bool r, w, x, anon, special; /* special: [vvar] and the like, devices */
	bool zero_fill;              /* private anonymous: a page never touched reads as zeros */
	bool heap;                   /* main [heap] */
	const char *path;
};
static struct vma *vmas;
static int nvmas;

static int nths; /* the threads of the scan (struct th, below) */

static bool read_maps(void)
{
	int fd = tl_open_maps();
	if (fd < 0)
		return false;
	/* about 100 bytes a thread (its stack and guard page): 1 MiB was full at 10,700 threads */
	size_t cap = ((size_t)1 << 20) + (size_t)nths * 256, len = 0;
	char *buf = take(cap);
	if (buf == NULL) {
		close(fd);
		return false;
	}
	ssize_t n;
	while (len < cap - 1 && (n = TL_REAL(read)(fd, buf + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	if (len >= cap - 1)
		return false;
	buf[len] = '\0';
	int count = 0;
	for (size_t i = 0; i < len; i++)
		count += buf[i] == '\n';
	vmas = take(sizeof(*vmas) * (size_t)(count + 1));
	if (vmas == NULL)
		return false;
	nvmas = 0;
	for (char *p = buf; *p;) {
		char *nl = strchr(p, '\n');
		if (nl == NULL)
			break;
		*nl = '\0';
		unsigned long lo, hi;
		char perms[8];
		int pos = 0;
		if (TL_REAL(__isoc99_sscanf)(p, "%lx-%lx %7s %*s %*s %*s %n", &lo, &hi, perms,
		                             &pos) >= 3) {
			struct vma *v = &vmas[nvmas++];
			const char *path = pos ? p + pos : "";
			v->lo = lo;
			v->hi = hi;
			v->r = perms[0] == 'r';
			v->w = perms[1] == 'w';
			v->x = perms[2] == 'x';
			v->anon = path[0] == '\0';
			v->heap = strcmp(path, "[heap]") == 0;
			v->zero_fill = perms[3] == 'p' &&
			               (v->anon || v->heap || strncmp(path, "[stack", 6) == 0 ||
			                strncmp(path, "[anon:", 6) == 0);
			v->path = path;
			v->special =
			    (path[0] == '[' && !v->heap && strncmp(path, "[stack", 6) != 0 &&
			     strncmp(path, "[anon", 5) != 0) ||
			    (strncmp(path, "/dev/", 5) == 0 && strncmp(path, "/dev/shm/", 9) != 0 &&
			     strcmp(path, "/dev/zero") != 0 &&
			     strncmp(path, "/dev/zero ", 10) != 0);
		}
		p = nl + 1;
	}
	return true;
}

static struct vma *vma_of(uintptr_t a)
{
	int lo = 0, hi = nvmas;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (a < vmas[mid].lo)
			hi = mid;
		else if (a >= vmas[mid].hi)
			lo = mid + 1;
		else
			return &vmas[mid];
	}
	return NULL;
}

/* Pages of private anonymous memory that were never touched (or were given back) are zeros,
 * and reading them through process_vm_readv commits them (its read-only pin unshares the zero
 * page): every running thread's 8 MiB stack, a big block malloc'd and never written, all
 * committed by the check. /proc/thread-self/pagemap says which pages hold data (present, or
 * swapped out: bits 63 and 62); only those are read. A shared mapping's page can hold data
 * without being in our page table: not filtered (zero_fill). docs/internals.md. */
static int pagemap_fd = -1;

/* The first run of pages holding data in [lo, hi) (hi - lo <= WIN), as [*a, *b); false when
 * there is none. Unknown (no pagemap): all of it. */
static bool touched_run(uintptr_t lo, uintptr_t hi, uintptr_t *a, uintptr_t *b)
{
	*a = lo;
	*b = hi;
	uint64_t e[WIN / PAGE + 2];
	size_t p0 = lo / PAGE, n = (hi + PAGE - 1) / PAGE - p0;
	if (pagemap_fd < 0 || n > TL_ARRAY_SIZE(e) ||
	    TL_REAL(pread)(pagemap_fd, e, n * sizeof(*e), (off_t)(p0 * sizeof(*e))) !=
	        (ssize_t)(n * sizeof(*e)))
		return true;
	size_t i = 0;
	while (i < n && !(e[i] >> 62))
		i++;
	if (i == n)
		return false;
	size_t j = i;
	while (j < n && (e[j] >> 62))
		j++;
	if ((p0 + i) * PAGE > lo)
		*a = (p0 + i) * PAGE;
	if ((p0 + j) * PAGE < hi)
		*b = (p0 + j) * PAGE;
	return true;
}

/* A page of private anonymous memory that holds nothing yet (reading it would commit it). */
static bool page_untouched(const struct vma *v, uintptr_t a)
{
	uintptr_t x, y;
	a &= ~(uintptr_t)(PAGE - 1);
	return v->zero_fill && !touched_run(a, a + PAGE, &x, &y);
}

/* ---- excluded ranges (our own data, work memory, waiting threads' stacks, dead stack) ---- */
struct range {
	uintptr_t lo, hi;
};
static struct range *excl;
static size_t nexcl, capexcl;

static void exclude(uintptr_t lo, uintptr_t hi)
{
	if (lo < hi && nexcl < capexcl)
		excl[nexcl++] = (struct range){lo, hi};
}

static void sort_ranges(struct range *a, size_t n)
{
	/* shell sort: no allocation */
	for (size_t gap = n / 2; gap > 0; gap /= 2)
		for (size_t i = gap; i < n; i++)
			for (size_t j = i; j >= gap && a[j - gap].lo > a[j].lo; j -= gap) {
				struct range t = a[j];
				a[j] = a[j - gap];
				a[j - gap] = t;
			}
}

/* The excluded ranges in which no heap is looked for (find_heap): the first nprobe_excl, sorted
 * and disjoint; what is excluded later (dead stacks: whole mappings, which may have merged with
 * a neighbouring mmapped block) is appended after them. */
static size_t nprobe_excl;

/* Is a in one of the first n excluded ranges (sorted and disjoint: normalize_excl)? */
static bool excluded_at(uintptr_t a, size_t n)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (excl[mid].hi <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && excl[lo].lo <= a;
}

/* ---- threads ---- */
struct th {
	pid_t tid;
	pthread_t handle;
	bool tracked, parked, main, checker;
	bool blocked_unparked; /* asleep, not in a wrapped call, at a try's first stamps */
	bool candidate, root, stack_marked, stack_scanned, handle_held;
	int kind;
	const char *call;
	uintptr_t obj, obj2;
	uint32_t seq;
	struct tl_thread *rec;
	uintptr_t regs[9];
	uintptr_t stk_lo, stk_hi, tls_lo; /* own stack block, from pthread_getattr_np */
	long stamp;                       /* context switches, -1 unknown */
	char state;
	long early_stamp; /* the grace period's (tl_seen.viewed), -1 none */
	char early_state;
	int join_target; /* index, or -1 */
	ssize_t obj_block;
	int obj_owner; /* the waiting thread whose stack holds the object, or -1 */
	bool obj_static, obj_freed;
	const char *why; /* reachable: why */
};
static struct th *ths;
static int nths;

/* ---- heap blocks ---- */
enum { B_MARK = 1, B_FREE = 2, B_EXCL = 4 };
struct block {
	uintptr_t lo, hi;
};
static struct block *blocks;
static uint8_t *bflags;
static size_t nblocks;
static uintptr_t heap_lo = UINTPTR_MAX, heap_hi;
#define MAX_REGIONS 4096
static struct range *heap_regions; /* MAX_REGIONS, from the work memory (not .bss: tl_lazy_map) */
static size_t nregions;
static uint32_t *work;
static size_t nwork;

static bool add_block(uintptr_t lo, uintptr_t hi, uint8_t f)
{
	if (nblocks >= MAX_BLOCKS)
		return false;
	blocks[nblocks] = (struct block){lo, hi};
	bflags[nblocks++] = f;
	return true;
}

/* Page index of each heap region (sorted by address): the first block reaching into each
 * page, so that a lookup is a short search within one page's blocks. NULL: plain search. */
static uint32_t **page_first; /* MAX_REGIONS, from the work memory */

static ssize_t search_blocks(uintptr_t v, size_t lo, size_t hi)
{
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (v < blocks[mid].lo)
			hi = mid;
		else if (v >= blocks[mid].hi)
			lo = mid + 1;
		else
			return (ssize_t)mid;
	}
	return -1;
}

static ssize_t find_block(uintptr_t v)
{
	if (v < heap_lo || v >= heap_hi)
		return -1;
	size_t lo = 0, hi = nregions;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (v < heap_regions[mid].lo)
			hi = mid;
		else if (v >= heap_regions[mid].hi)
			lo = mid + 1;
		else if (page_first[mid] == NULL)
			break;
		else {
			size_t p = (v - heap_regions[mid].lo) >> 12;
			size_t end = (size_t)page_first[mid][p + 1] + 1; /* one may straddle */
			return search_blocks(v, page_first[mid][p], end < nblocks ? end : nblocks);
		}
	}
	return search_blocks(v, 0, nblocks);
}

static void *take(size_t n);

/* After the walk: regions sorted, and their page indexes built. */
static void index_regions(void)
{
	sort_ranges(heap_regions, nregions);
	size_t j = 0;
	for (size_t r = 0; r < nregions; r++) {
		uintptr_t base = heap_regions[r].lo;
		size_t npages = (heap_regions[r].hi - base + 4095) >> 12;
		page_first[r] = take(sizeof(uint32_t) * (npages + 1));
		if (page_first[r] == NULL)
			continue;
		while (j < nblocks && blocks[j].hi <= base)
			j++;
		size_t k = j;
		for (size_t p = 0; p < npages; p++) {
			while (k < nblocks && blocks[k].hi <= base + (p << 12))
				k++;
			page_first[r][p] = (uint32_t)k;
		}
		/* the end: past the last block that starts in the region */
		size_t e = k;
		while (e < nblocks && blocks[e].lo < heap_regions[r].hi)
			e++;
		page_first[r][npages] = (uint32_t)e;
	}
}

static bool add_region(uintptr_t lo, uintptr_t hi)
{
	if (nregions >= MAX_REGIONS)
		return false;
	heap_regions[nregions++] = (struct range){lo, hi};
	return true;
}

static bool in_heap_region(uintptr_t v)
{
	for (size_t i = 0; i < nregions; i++)
		if (v >= heap_regions[i].lo && v < heap_regions[i].hi)
			return true;
	return false;
}

/* A windowed reader for walking chunk headers. */
struct window {
	uintptr_t base, end; /* bytes valid in buf: [base, end) */
	uintptr_t limit;     /* never read at or past this */
	char *buf;
};

static bool win_word(struct window *w, uintptr_t a, uintptr_t *out)
{
	if (a < w->base || a + 8 > w->end) {
		uintptr_t len = w->limit - a;
		if (a >= w->limit || len < 8)
			return false;
		if (len > WIN)
			len = WIN;
		if (!rd(a, w->buf, len))
			return false;
		w->base = a;
		w->end = a + len;
	}
	memcpy(out, w->buf + (a - w->base), 8);
	return true;
}

static struct tl_report *tl_reach_report;
static uintptr_t last_chunk;      /* of the last walk: the top chunk */
static struct range libc_data[4]; /* libc's writable segments, where main_arena lives */
static size_t nlibc_data;
static int debug; /* THREADLEAK_REACH_DEBUG: 1 timing, 2 trace what marks what; +4 blind_first */
static bool blind_first;
static uintptr_t tcache_key;
static bool have_tcache_key;

/* Walk chunks from `first` to exactly `end` (the top chunk's end or the heap's end).
 * Returns false when the layout does not hold. */
static bool walk_chunks(char *wbuf, uintptr_t first, uintptr_t end)
{
	/* the walk reads no word at or past `end` (it stops when a chunk ends there), and the
	 * window must not either: at the main heap, `end` is the brk, often the mapping's end */
	struct window w = {0, 0, end, wbuf};
	size_t start_n = nblocks;
	uintptr_t c = first, size;
	uintptr_t hdr;
	if (!win_word(&w, CHUNK_SIZE_AT(c), &hdr))
		return false;
	while (c < end) {
		size = hdr & ~CHUNK_FLAGS;
		if (size < sizeof(struct chunk) || (size & (CHUNK_ALIGN - 1)) || c + size > end ||
		    (hdr & CHUNK_IS_MMAPPED))
			return false;
		uintptr_t next = c + size;
		if (next == end) {
			/* the last chunk: top (free) or the second fencepost */
			last_chunk = c;
			break;
		}
		uintptr_t nhdr;
		if (!win_word(&w, CHUNK_SIZE_AT(next), &nhdr))
			return false;
		if (size >= CHUNK_MIN) {
			uint8_t f = (nhdr & CHUNK_PREV_INUSE) ? 0 : B_FREE;
			uintptr_t key;
			if (!f && have_tcache_key && win_word(&w, TCACHE_KEY_AT(c), &key) &&
			    key == tcache_key)
				f = B_FREE;
			if (!add_block(CHUNK_MEM(c), CHUNK_END_OF_BLOCK(next), f))
				return false;
		}
		c = next;
		hdr = nhdr;
	}
	(void)start_n;
	return true;
}

/* main_arena (in libc's data, a root) holds malloc's own pointers: bins point to free chunks'
 * headers, which are the last word of the block before them. Found by its `top` (MSTATE_TOP),
 * the main heap's top chunk. Not a root. */
static void exclude_main_arena(char *wbuf, uintptr_t top)
{
	for (size_t i = 0; top && i < nlibc_data; i++) {
		struct window w = {0, 0, libc_data[i].hi, wbuf};
		for (uintptr_t a = (libc_data[i].lo + 7) & ~(uintptr_t)7; a + 8 <= libc_data[i].hi;
		     a += 8) {
			uintptr_t v;
			if (!win_word(&w, a, &v))
				break;
			if (v == top && a - libc_data[i].lo >= MSTATE_TOP) {
				exclude(a - MSTATE_TOP, a - MSTATE_TOP + MSTATE_SIZE);
				return;
			}
		}
	}
}

/* glibc's heaps: the main arena's [heap], other arenas' 64 MiB-aligned heaps, mmapped chunks.
 * Returns NULL when all is well, else why the heap could not be read. */
static const char *find_heap(char *wbuf)
{
	/* No probe where no heap can be: the excluded ranges, the parked threads' stacks among
	 * them. Not only time: reading an untouched page is not free on every kernel (on a
	 * Firecracker guest it allocates the page: the first words of every thread's stack block
	 * once cost 4 KiB of memory and a page fault per thread, 40 MB at 10,000 threads). */
	size_t nsorted = nprobe_excl;
	for (int i = 0; i < nvmas; i++) {
		struct vma *v = &vmas[i];
		if (!v->r || !v->w || v->special)
			continue;
		if (v->heap) {
			uintptr_t brk = (uintptr_t)TL_REAL(syscall)(SYS_brk, 0);
			if (brk <= v->lo || brk > v->hi)
				return "the brk heap is not where malloc left it";
			size_t before = nblocks;
			last_chunk = 0;
			if (!walk_chunks(wbuf, (v->lo + CHUNK_ALIGN - 1) & ~(CHUNK_ALIGN - 1), brk))
				return "the malloc heap layout was not recognized (main arena)";
			exclude_main_arena(wbuf, last_chunk);
			if (!add_region(v->lo, v->hi))
				return "too many large heap blocks";
			(void)before;
			continue;
		}
		if (!v->anon)
			continue;
		/* other arenas' heaps: heap_info at each 64 MiB boundary (a heap may share its
		 * mapping with a neighbour: a thread stack, another heap) */
		bool any = false;
		for (uintptr_t h = (v->lo + HEAP_MAX - 1) & ~(HEAP_MAX - 1); h < v->hi;
		     h += HEAP_MAX) {
			struct heap_info hi;
			if (excluded_at(h, nsorted) || page_untouched(v, h) ||
			    !rd(h, &hi, sizeof(hi)))
				continue;
			if (hi.pagesize != PAGE || hi.size == 0 || hi.size > HEAP_MAX ||
			    (hi.size & (PAGE - 1)) || h + hi.size > v->hi ||
			    hi.mprotect_size < hi.size || hi.ar_ptr == 0 || (hi.ar_ptr & 7))
				continue;
			uintptr_t first;
			if (hi.ar_ptr == h + HEAP_INFO_SIZE) /* the arena's first heap holds it */
				first = hi.ar_ptr + MSTATE_SIZE;
			else
				first = h + HEAP_INFO_SIZE;
			first = (first + CHUNK_ALIGN - 1) & ~(CHUNK_ALIGN - 1);
			if (!walk_chunks(wbuf, first, h + hi.size))
				return "the malloc heap layout was not recognized (thread arena)";
			if (!add_region(h, h + hi.size))
				return "too many large heap blocks";
			exclude(h, h + hi.size);
			any = true;
		}
		if (any)
			continue;
		/* mmapped chunks: prev_size 0, size|IS_MMAPPED, page multiples; adjacent ones may
		 * share a mapping */
		uintptr_t c = v->lo;
		while (c + sizeof(struct chunk) <= v->hi) {
			struct chunk hd;
			if (excluded_at(c, nsorted) || page_untouched(v, c) ||
			    !rd(c, &hd, sizeof(hd)))
				break;
			uintptr_t size = hd.size & ~CHUNK_FLAGS;
			if (hd.prev_size != 0 || (hd.size & CHUNK_FLAGS) != CHUNK_IS_MMAPPED ||
			    size == 0 || (size & (PAGE - 1)) || c + size > v->hi)
				break;
			if (!add_block(CHUNK_MEM(c), c + size, 0))
				return "too many heap blocks";
			if (!add_region(c, c + size))
				return "too many large heap blocks";
			exclude(c, c + size);
			c += size;
		}
	}
	/* A large block that shares its mapping with a neighbour is not at the mapping's start:
	 * look for its header below each waiting thread's object. */
	for (int i = 0; i < nths; i++) {
		const struct th *t = &ths[i];
		const struct vma *v =
		    t->candidate && t->kind != TL_OBJ_THREAD ? vma_of(t->obj) : NULL;
		if (v == NULL || !v->anon || !v->w || v->heap)
			continue;
		bool known = false;
		for (size_t k = 0; k < nregions; k++)
			known |= t->obj >= heap_regions[k].lo && t->obj < heap_regions[k].hi;
		for (uintptr_t c = t->obj & ~(PAGE - 1);
		     !known && c >= v->lo && t->obj - c < HEAP_MAX; c -= PAGE) {
			struct chunk hd;
			if (!rd(c, &hd, sizeof(hd)))
				break;
			uintptr_t size = hd.size & ~CHUNK_FLAGS;
			if (hd.prev_size != 0 || (hd.size & CHUNK_FLAGS) != CHUNK_IS_MMAPPED ||
			    size == 0 || (size & (PAGE - 1)) || c + size > v->hi ||
			    c + size <= t->obj)
				continue;
			size_t at = nblocks;
			if (!add_block(0, 0, 0))
				return "too many heap blocks";
			while (at > 0 && blocks[at - 1].lo > c) { /* keep the list sorted */
				blocks[at] = blocks[at - 1];
				bflags[at] = bflags[at - 1];
				at--;
			}
			blocks[at] = (struct block){CHUNK_MEM(c), c + size};
			bflags[at] = 0;
			if (!add_region(c, c + size))
				return "too many large heap blocks";
			exclude(c, c + size);
			break;
		}
	}
	for (size_t i = 0; i < nregions; i++) {
		if (heap_regions[i].lo < heap_lo)
			heap_lo = heap_regions[i].lo;
		if (heap_regions[i].hi > heap_hi)
			heap_hi = heap_regions[i].hi;
	}
	return NULL;
}

static int cmp_uintptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
	return (x > y) - (x < y);
}

/* candidates (indexes into ths) by the low end of their stacks; equal ends keep index order */
static int cmp_cand_stk_lo(const void *a, const void *b)
{
	int i = *(const int *)a, j = *(const int *)b;
	uintptr_t x = ths[i].stk_lo, y = ths[j].stk_lo;
	return x != y ? (x > y) - (x < y) : (i > j) - (i < j);
}

static int cmp_th_tid(const void *a, const void *b)
{
	const struct th *x = a, *y = b;
	return (x->tid > y->tid) - (x->tid < y->tid);
}

/* The checking thread's stack's low end when it is not the main thread (0: its mapping's). */
static uintptr_t checker_lo;

/* A wait that only a wake of its object in memory ends: the wrapped calls without a timeout,
 * and a futex wait without one made through syscall() (Rust's std, libstdc++'s std::future,
 * std::latch and std::atomic<int>::wait: wrap_wait.c). A futex word that another process may
 * wake lies in shared memory, which is no heap block: "memory any thread can name". */
static bool untimed_memory_wait(const struct th *t)
{
	static const char *const calls[] = {
	    "pthread_cond_wait",    "cnd_wait", "pthread_rwlock_rdlock", "pthread_rwlock_wrlock",
	    "pthread_barrier_wait", "sem_wait", "pthread_join",          "thrd_join",
	    "pthread_mutex_lock",   "mtx_lock",
	};
	if (t->call == NULL)
		return false;
	if (t->kind == TL_OBJ_FUTEX)
		return t->obj2 == TL_FUTEX_UNTIMED && strcmp(t->call, "futex") == 0;
	for (size_t i = 0; i < TL_ARRAY_SIZE(calls); i++)
		if (strcmp(t->call, calls[i]) == 0)
			return true;
	return false;
}

/* A thread the kernel shows asleep in an untimed futex wait on a word whose page is no longer
 * mapped: nothing but a wake through that dead address can end its wait. Not parked (a signal
 * would make the restarted wait fail, kernel.c tl_signal_is_transparent), so not a candidate:
 * a mutex in a block that free() unmapped under its waiter. */
static bool asleep_on_unmapped(const struct tl_seen *s)
{
	unsigned char in_core;
	int op = (int)s->sysargs[1] & FUTEX_CMD_MASK;
	return s->state == TL_ST_BLOCKED && s->sysno == SYS_futex && s->sysargs[0] != 0 &&
	       (op == FUTEX_WAIT || op == FUTEX_WAIT_BITSET) && s->sysargs[3] == 0 &&
	       mincore((void *)(s->sysargs[0] & ~(uintptr_t)4095), 1, &in_core) != 0 &&
	       errno == ENOMEM;
}

/* State letter and voluntary + involuntary context switches of one task. */

/* ---- our own module ---- */
static uintptr_t own_base;
static struct range own_excl[16]; /* our library's writable data */
static size_t nown;
struct tlsmod {
	ptrdiff_t off; /* from the thread pointer */
	size_t size;
	bool own; /* a helper's: skipped */
};
static struct tlsmod tlsmods[256];
static int ntlsmods;

/* Our library and the libraries it loads for itself (unwinding, debug info) keep copies of
 * stack addresses and pointers from the check: their data is not a root. */
static bool helper_module(const char *name, uintptr_t base)
{
	if (base == own_base)
		return true;
	const char *slash = strrchr(name, '/');
	const char *b = slash ? slash + 1 : name;
	return strncmp(b, "libunwind", 9) == 0 || strncmp(b, "libdw.", 6) == 0 ||
	       strncmp(b, "libdw-", 6) == 0 || strncmp(b, "libelf", 6) == 0;
}

/* Every loaded module's writable segments (its globals), for globals_only(); more than fit:
 * unknown (globals_overflow). */
static struct range module_data[256];
static size_t nmodule_data;
static bool module_data_overflow;

static int phdr_cb(struct dl_phdr_info *info, size_t sz, void *data)
{
	(void)sz;
	uintptr_t tp = (uintptr_t)data;
	const char *name = info->dlpi_name ? info->dlpi_name : "";
	bool own = helper_module(name, info->dlpi_addr);
	const char *base = strrchr(name, '/');
	bool libc = strcmp(base ? base + 1 : name, "libc.so.6") == 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (!own && ph->p_type == PT_LOAD && (ph->p_flags & PF_W)) {
			if (nmodule_data < TL_ARRAY_SIZE(module_data))
				module_data[nmodule_data++] =
				    (struct range){info->dlpi_addr + ph->p_vaddr,
				                   info->dlpi_addr + ph->p_vaddr + ph->p_memsz};
			else
				module_data_overflow = true;
		}
		if (libc && ph->p_type == PT_LOAD && (ph->p_flags & PF_W) &&
		    nlibc_data < TL_ARRAY_SIZE(libc_data))
			libc_data[nlibc_data++] =
			    (struct range){info->dlpi_addr + ph->p_vaddr,
			                   info->dlpi_addr + ph->p_vaddr + ph->p_memsz};
		if (own && ph->p_type == PT_LOAD && (ph->p_flags & PF_W)) {
			uintptr_t lo = (info->dlpi_addr + ph->p_vaddr) & ~(uintptr_t)4095;
			uintptr_t hi =
			    (info->dlpi_addr + ph->p_vaddr + ph->p_memsz + 4095) & ~(uintptr_t)4095;
			if (nown < TL_ARRAY_SIZE(own_excl))
				own_excl[nown++] = (struct range){lo, hi};
		}
		if (ph->p_type != PT_TLS || info->dlpi_tls_data == NULL || !own)
			continue;
		uintptr_t at = (uintptr_t)info->dlpi_tls_data;
		if (nown < TL_ARRAY_SIZE(own_excl)) /* the checking thread's copy */
			own_excl[nown++] = (struct range){at, at + ph->p_memsz};
		ptrdiff_t off = (ptrdiff_t)(at - tp);
		if (off < 0 && off > -(ptrdiff_t)(16 << 20) &&
		    ntlsmods < (int)TL_ARRAY_SIZE(tlsmods))
			tlsmods[ntlsmods++] = (struct tlsmod){off, ph->p_memsz, true};
	}
	return 0;
}

/* ---- marking ---- */
static bool incomplete;
static const char *incomplete_why;
static int64_t scan_deadline;
static char *scanbuf;

#define BLOCKED_OUTSIDE \
	"a thread is blocked outside threadleak's wrappers: its registers cannot be read"

static void give_up(const char *why)
{
	if (!incomplete) {
		incomplete = true;
		incomplete_why = why;
	}
}

/* Waiting threads by stack address: their stack blocks [stk_lo, stk_hi) do not overlap. */
static int *cands;
static int ncands;
static uintptr_t cand_lo = UINTPTR_MAX, cand_hi;

static struct th *cand_of(uintptr_t v)
{
	if (v < cand_lo || v >= cand_hi)
		return NULL;
	int lo = 0, hi = ncands;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		struct th *t = &ths[cands[mid]];
		if (v < t->stk_lo)
			hi = mid;
		else if (v >= t->stk_hi)
			lo = mid + 1;
		else
			return t;
	}
	return NULL;
}

/* The last heap block marked: neighbouring words often point into the same one. */
static uintptr_t last_lo, last_hi;
static uintptr_t debug_src; /* address of the word being scanned, for the debug trace */

/* Below a waiting thread's sp (and the ABI's red zone under it) its stack holds nothing live: a
 * value pointing there does not make its frames reachable. Candidates' stacks are 8 MiB of
 * address space each, mostly unused, and often straddle a 4 GiB boundary: a round number such
 * as 0x7f3c00000000 on main's stack, or two 32-bit fields of libc's read-only data read as one
 * word, fell in one in about 1 run of 700 and made a proven leak "reachable" (tests/reach
 * joinedtls; docs/internals.md, "The verdicts' scan"). */
#define RED_ZONE 128

static void mark_value(uintptr_t v)
{
	ssize_t b = find_block(v);
	if (b >= 0) {
		if (bflags[b] & B_MARK) {
			last_lo = blocks[b].lo;
			last_hi = blocks[b].hi;
		}
		if (!(bflags[b] & (B_MARK | B_FREE | B_EXCL))) {
			if (debug > 1) {
				struct vma *sv = vma_of(debug_src);
				dprintf(2,
				        "reach: block %#lx-%#lx marked from %#lx (vma %#lx %s)\n",
				        (unsigned long)blocks[b].lo, (unsigned long)blocks[b].hi,
				        (unsigned long)debug_src, sv ? (unsigned long)sv->lo : 0ul,
				        sv ? sv->path : "");
				Dl_info di;
				if (TL_REAL(dladdr)((void *)debug_src, &di))
					dprintf(
					    2, "reach:   (in %s, %s+%#lx)\n",
					    di.dli_sname ? di.dli_sname : "?", di.dli_fname,
					    (unsigned long)(debug_src - (uintptr_t)di.dli_fbase));
			}
			bflags[b] |= B_MARK;
			work[nwork++] = (uint32_t)b;
			last_lo = blocks[b].lo;
			last_hi = blocks[b].hi;
		}
		return;
	}
	struct th *t = cand_of(v);
	if (t == NULL)
		return;
	if (v == (uintptr_t)t->handle && v != 0)
		t->handle_held = true; /* pthread_cancel, pthread_kill can reach it */
	else if (v < t->tls_lo && v >= t->regs[1] - RED_ZONE) {
		if (debug > 1 && !t->stack_marked) {
			struct vma *sv = vma_of(debug_src);
			dprintf(2, "reach: stack of %d marked by %#lx from %#lx (vma %#lx)\n",
			        t->tid, (unsigned long)v, (unsigned long)debug_src,
			        sv ? (unsigned long)sv->lo : 0ul);
		}
		t->stack_marked = true;
	}
}

static uintptr_t scan_base; /* where the words being scanned were read from */

static void scan_words(const uintptr_t *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uintptr_t v = w[i];
		if (v >= heap_lo && v < heap_hi) {
			if (v - last_lo < last_hi - last_lo)
				continue;
		} else if (v < cand_lo || v >= cand_hi) {
			continue;
		}
		if (debug > 1)
			debug_src = scan_base + i * 8;
		mark_value(v);
	}
}

/* Sort and merge the excluded ranges into a disjoint list. */
static void normalize_excl(void)
{
	sort_ranges(excl, nexcl);
	size_t j = 0;
	for (size_t i = 0; i < nexcl; i++) {
		if (j > 0 && excl[i].lo <= excl[j - 1].hi) {
			if (excl[i].hi > excl[j - 1].hi)
				excl[j - 1].hi = excl[i].hi;
		} else {
			excl[j++] = excl[i];
		}
	}
	nexcl = j;
}

static void scan_direct(uintptr_t lo, uintptr_t hi);

/* Scan [lo, hi) minus the excluded ranges. */
static void scan_range(uintptr_t lo, uintptr_t hi)
{
	size_t a = 0, b = nexcl;
	while (a < b) { /* first range ending after lo */
		size_t mid = (a + b) / 2;
		if (excl[mid].hi <= lo)
			a = mid + 1;
		else
			b = mid;
	}
	uintptr_t pos = lo;
	for (; pos < hi && !incomplete; a++) {
		if (a >= nexcl || excl[a].lo >= hi) {
			scan_direct(pos, hi);
			return;
		}
		if (excl[a].lo > pos)
			scan_direct(pos, excl[a].lo);
		if (excl[a].hi > pos)
			pos = excl[a].hi;
	}
}

/* Scan the marked blocks on the work list, many small ones per system call. */
static void drain(void)
{
	TL_LAZY_ARRAY(struct iovec, remote, 1024);
	TL_LAZY_ARRAY(uint32_t, batch, 1024);
	if (remote == NULL || batch == NULL) {
		give_up("out of memory");
		return;
	}
	while (nwork > 0 && !incomplete) {
		size_t n = 0, total = 0;
		while (nwork > 0 && n < 1024) {
			uint32_t b = work[nwork - 1];
			size_t len = blocks[b].hi - blocks[b].lo;
			if (len > WIN && n == 0) { /* a big one, alone */
				nwork--;
				scan_direct(blocks[b].lo, blocks[b].hi);
				break;
			}
			if (total + len > WIN)
				break;
			nwork--;
			remote[n] = (struct iovec){(void *)blocks[b].lo, len};
			batch[n++] = b;
			total += len;
		}
		if (n == 0)
			continue;
		struct iovec local = {scanbuf, total};
		if (TL_REAL(syscall)(SYS_process_vm_readv, self_pid, &local, 1, remote, n, 0) !=
		    (long)total) {
			give_up("memory could not be read during the scan");
			return;
		}
		size_t off = 0;
		for (size_t i = 0; i < n; i++) {
			size_t len = remote[i].iov_len;
			scan_base = blocks[batch[i]].lo;
			scan_words((const uintptr_t *)(scanbuf + off), len / 8);
			off += len;
		}
		if (tl_mono_ns() > scan_deadline)
			give_up("the scan hit its time limit");
	}
}

static void scan_direct(uintptr_t lo, uintptr_t hi)
{
	lo = (lo + 7) & ~(uintptr_t)7;
	const struct vma *v = NULL;
	while (lo < hi && !incomplete) {
		size_t len = hi - lo > WIN ? WIN : hi - lo;
		len &= ~(size_t)7;
		if (len == 0)
			break;
		if (v == NULL || lo < v->lo || lo >= v->hi)
			v = vma_of(lo);
		if (v != NULL && lo + len > v->hi) /* the next mapping may be zero-fill */
			len = (v->hi - lo) & ~(size_t)7;
		if (v != NULL && v->zero_fill) {
			uintptr_t a, b, end = lo + len < v->hi ? lo + len : v->hi;
			if (!touched_run(lo, end, &a, &b)) {
				lo = end;
				continue;
			}
			lo = a;
			len = (b - a) & ~(size_t)7;
			if (len == 0) {
				lo = b;
				continue;
			}
		}
		if (!rd(lo, scanbuf, len)) {
			give_up("memory could not be read during the scan");
			return;
		}
		scan_base = lo;
		scan_words((const uintptr_t *)scanbuf, len / 8);
		lo += len;
		if (tl_mono_ns() > scan_deadline)
			give_up("the scan hit its time limit");
	}
}

/* The static TLS of every parked thread, [tls_lo, tp) minus our helpers' blocks, many pieces
 * per system call; and each one's dynamic TLS (its dtv, a heap block). */
static void scan_tls_all(void)
{
	TL_LAZY_ARRAY(struct iovec, remote, 1024);
	if (remote == NULL) {
		give_up("out of memory");
		return;
	}
	size_t cap = (size_t)(nths + 1) * (size_t)(ntlsmods + 1);
	struct range *piece = take(sizeof(*piece) * cap);
	struct iovec *dl = take(sizeof(*dl) * (size_t)(nths + 1));
	struct iovec *dr = take(sizeof(*dr) * (size_t)(nths + 1));
	uintptr_t *dtv = take(sizeof(*dtv) * (size_t)(nths + 1));
	bool *ok = take(sizeof(*ok) * (size_t)(nths + 1));
	if (!piece || !dl || !dr || !dtv || !ok)
		return give_up("out of memory");
	size_t npiece = 0, ndtv = 0;
	for (int i = 0; i < nths; i++) {
		const struct th *t = &ths[i];
		if (t->checker || !t->parked || !t->stk_lo)
			continue;
		uintptr_t tp = (uintptr_t)t->handle, pos = t->tls_lo;
		while (pos < tp && npiece < cap) {
			uintptr_t next = tp, skip_to = tp;
			for (int m = 0; m < ntlsmods; m++) {
				uintptr_t lo = tp + (uintptr_t)tlsmods[m].off,
				          hi = lo + tlsmods[m].size;
				if (hi > pos && lo < next)
					next = lo > pos ? lo : pos, skip_to = hi;
			}
			uintptr_t lo = (pos + 7) & ~(uintptr_t)7, hi = next & ~(uintptr_t)7;
			if (lo < hi)
				piece[npiece++] = (struct range){lo, hi};
			pos = skip_to;
		}
		dl[ndtv] = (struct iovec){&dtv[ndtv], sizeof(*dtv)};
		dr[ndtv++] = (struct iovec){(void *)(tp + 8), sizeof(*dtv)};
	}
	for (size_t k = 0; k < npiece && !incomplete;) {
		size_t n = 0, total = 0;
		while (k < npiece && n < 1024 && total + (piece[k].hi - piece[k].lo) <= WIN) {
			remote[n++] =
			    (struct iovec){(void *)piece[k].lo, piece[k].hi - piece[k].lo};
			total += piece[k].hi - piece[k].lo;
			k++;
		}
		if (n == 0) { /* bigger than the window: alone */
			scan_direct(piece[k].lo, piece[k].hi);
			k++;
			continue;
		}
		struct iovec local = {scanbuf, total};
		if (TL_REAL(syscall)(SYS_process_vm_readv, self_pid, &local, 1, remote, n, 0) !=
		    (long)total)
			return give_up("memory could not be read during the scan");
		size_t off = 0;
		for (size_t b = 0; b < n; b++) {
			scan_base = (uintptr_t)remote[b].iov_base;
			scan_words((const uintptr_t *)(scanbuf + off), remote[b].iov_len / 8);
			off += remote[b].iov_len;
		}
	}
	rd_many(dl, dr, ndtv, ok); /* tcbhead_t.dtv: dynamic TLS blocks live in the heap */
	for (size_t k = 0; k < ndtv && !incomplete; k++)
		if (ok[k])
			mark_value(dtv[k]);
}

/* Where the TCB sits below a glibc stack's end, and where its tid is: measured on live threads
 * at each check. 0: unknown. */
static uintptr_t tcb_from_top;
static ptrdiff_t tid_off = -1;

/* Stacks glibc keeps for reuse, and those of threads that exited, hold stale data: not roots.
 * Such a stack ends with a TCB that points to itself and whose tid is 0 (the kernel cleared it:
 * exited) or -1 (glibc's mark of a joined or detached thread's stack, in its cache for reuse:
 * these were taken for roots, so a pointer left in a pool's joined worker's TLS kept a leaked
 * pool "reachable" in some runs, tests/reach). Only a thread that exited unjoined keeps
 * something live there (its return value, in its TCB): those TCBs stay roots. A cached stack's
 * TCB holds stale thread-specific values (keys without a destructor keep theirs) and is no
 * root either, unless a thread is being created (one made on that stack has its argument there
 * before the kernel sets its tid). */
static pthread_t *unjoined; /* sorted handles of our threads that exited unjoined */
static size_t nunjoined;
static bool unjoined_overflow; /* too many to list: keep every dead TCB */

static bool is_unjoined(uintptr_t pd)
{
	return unjoined_overflow ||
	       (nunjoined > 0 &&
	        bsearch(&pd, unjoined, nunjoined, sizeof(*unjoined), cmp_uintptr) != NULL);
}

static void exclude_dead_stacks(void)
{
	if (tcb_from_top == 0 || tid_off < 0)
		return;
	size_t nsorted = nexcl; /* normalized just before */
	bool creating = tl_registry_starting() > 0;
	/* each stack-like mapping's would-be TCB (three words) and tid, read 512 at a time */
	enum { BATCH = 512 };
	struct dead_probe {
		uintptr_t w[3];
		int32_t tid;
		int vma;
	};
	TL_LAZY_ARRAY(struct dead_probe, pr, BATCH);
	TL_LAZY_ARRAY(struct iovec, loc, 2 * BATCH);
	TL_LAZY_ARRAY(struct iovec, rem, 2 * BATCH);
	static bool ok[2 * BATCH];
	if (pr == NULL || loc == NULL || rem == NULL)
		return; /* their stale data stays a root: fewer proofs, none wrong */
	for (int i = 0; i < nvmas;) {
		size_t m = 0;
		for (; i < nvmas && m < BATCH; i++) {
			struct vma *v = &vmas[i];
			if (!v->r || !v->w || !v->anon || v->hi - v->lo <= tcb_from_top ||
			    excluded_at(v->hi - tcb_from_top, nsorted))
				continue;
			uintptr_t pd = v->hi - tcb_from_top;
			pr[m].vma = i;
			loc[2 * m] = (struct iovec){pr[m].w, sizeof(pr[m].w)};
			rem[2 * m] = (struct iovec){(void *)pd, sizeof(pr[m].w)};
			loc[2 * m + 1] = (struct iovec){&pr[m].tid, sizeof(pr[m].tid)};
			rem[2 * m + 1] =
			    (struct iovec){(void *)(pd + (uintptr_t)tid_off), sizeof(int32_t)};
			m++;
		}
		rd_many(loc, rem, 2 * m, ok);
		for (size_t j = 0; j < m; j++) {
			struct vma *v = &vmas[pr[j].vma];
			uintptr_t pd = v->hi - tcb_from_top;
			if (ok[2 * j] && ok[2 * j + 1] && pr[j].w[0] == pd && pr[j].w[2] == pd &&
			    (pr[j].tid == 0 || pr[j].tid == -1)) {
				bool tcb_live = pr[j].tid == -1 ? creating : is_unjoined(pd);
				exclude(v->lo, tcb_live ? pd : v->hi);
				if (debug > 1)
					dprintf(2, "reach: dead stack %#lx-%#lx\n",
					        (unsigned long)v->lo, (unsigned long)v->hi);
			}
		}
	}
}

/* Why candidate t can run whatever memory holds: its object is in memory any thread can name,
 * or the thread it joins can run (the first two rules of attempt's fixpoint); else NULL. */
static const char *unconditional_reason(const struct th *t)
{
	if (t->kind == TL_OBJ_THREAD) /* not a candidate: it runs, or waits for time or the world */
		return t->join_target < 0 || !ths[t->join_target].candidate ||
		               ths[t->join_target].root
		           ? "the thread it joins can run"
		           : NULL;
	return t->obj_static ? "its object is in memory any thread can name" : NULL;
}

/* The candidates unconditional_reason lets run are roots; their stacks are scanned with the
 * others' when scanning is needed at all: true when every candidate is one of them, and then no
 * verdict depends on memory (each is "reachable" for the reason set here) and nothing is
 * scanned. */
static bool promote_unconditional(void)
{
	bool all, changed;
	do {
		all = true;
		changed = false;
		for (int i = 0; i < nths; i++) {
			struct th *t = &ths[i];
			if (!t->candidate || t->root)
				continue;
			const char *because = unconditional_reason(t);
			if (because) {
				t->root = t->stack_marked = true;
				t->why = because;
				changed = true;
			} else {
				all = false;
			}
		}
	} while (changed);
	return all;
}

/* One attempt. Returns true when the result is a snapshot (nothing moved). The first one
 * starts from the stamps the grace period took when it found that nothing could change (a
 * thread that was not switched out since then did not run during the scan either). */
static bool attempt(uintptr_t checker_sp, char *wbuf, bool first, long others_stamp)
{
	nblocks = nwork = nexcl = nregions = 0;
	last_lo = last_hi = 0;
	heap_lo = UINTPTR_MAX, heap_hi = 0;
	cand_lo = UINTPTR_MAX, cand_hi = 0;
	incomplete = false;
	incomplete_why = NULL;
	/* stamps before; all_viewed: every one is the grace period's */
	bool all_viewed = first && others_stamp >= 0;
	for (int i = 0; i < nths; i++) {
		struct th *t = &ths[i];
		t->root = t->stack_marked = t->stack_scanned = t->handle_held = false;
		t->why = NULL;
		if (t->checker) {
			t->stamp = 0;
		} else if (first && t->early_stamp >= 0) {
			t->stamp = t->early_stamp, t->state = t->early_state;
		} else {
			t->stamp = tl_kernel_stamp(t->tid, &t->state);
			all_viewed = false;
		}
	}
	int64_t ph0 = tl_mono_ns();
	if (!read_maps())
		return give_up("/proc/thread-self/maps could not be read"), true;
	/* exclusions: our data, work memory, the checker's dead stack, waiting threads' stacks */
	exclude((uintptr_t)arena, (uintptr_t)arena + arena_size);
	uintptr_t lazy_lo, lazy_hi; /* the check's other memory (tl_lazy_map) */
	for (int i = 0; tl_lazy_region(i, &lazy_lo, &lazy_hi); i++)
		exclude(lazy_lo, lazy_hi);
	if (tl_check_caller_sp) /* the check's own stack: our frames' copies of pointers */
		exclude(tl_check_stack_lo, tl_check_stack_hi);
	for (size_t i = 0; i < nown; i++)
		exclude(own_excl[i].lo, own_excl[i].hi);
	/* the checking thread's stack below its current frames: our own dead data */
	struct vma *cv = vma_of(checker_sp);
	if (checker_lo)
		exclude(checker_lo, checker_sp);
	else if (cv && cv->lo < checker_sp)
		exclude(cv->lo, checker_sp);
	for (int i = 0; i < nths; i++) {
		struct th *t = &ths[i];
		if (t->tracked && !t->main && t->stk_lo) {
			/* each thread's own TLS copy of our module's TLS */
			for (int m = 0; m < ntlsmods; m++)
				if (tlsmods[m].own)
					exclude((uintptr_t)t->handle + (uintptr_t)tlsmods[m].off,
					        (uintptr_t)t->handle + (uintptr_t)tlsmods[m].off +
					            tlsmods[m].size);
			if (t->parked)
				exclude(t->stk_lo, t->stk_hi); /* scanned from its sp below */
		}
		if (t->candidate) {
			if (t->stk_lo < cand_lo)
				cand_lo = t->stk_lo;
			if (t->stk_hi > cand_hi)
				cand_hi = t->stk_hi;
		}
	}
	normalize_excl();
	nprobe_excl = nexcl; /* exact blocks only: not the dead stacks, which are whole mappings */
	exclude_dead_stacks();
	if (debug > 1)
		dprintf(2, "reach: tcb_from_top %#lx tid_off %ld\n", (unsigned long)tcb_from_top,
		        (long)tid_off);
	const char *why = find_heap(wbuf);
	if (why)
		return give_up(why), true;
	index_regions();
	normalize_excl();
	/* our helpers' dynamic TLS blocks are heap blocks: never scanned */
	for (size_t i = 0; i < nown; i++) {
		ssize_t b = find_block(own_excl[i].lo);
		if (b >= 0)
			bflags[b] |= B_EXCL;
	}
	/* registry records and the check's own arrays never count */
	tl_registry_lock();
	TL_REGISTRY_FOREACH (rec) {
		ssize_t b = find_block((uintptr_t)rec);
		if (b >= 0)
			bflags[b] |= B_EXCL;
	}
	tl_registry_unlock();
	if (tl_reach_report) {
		ssize_t b = find_block((uintptr_t)tl_reach_report->v);
		if (b >= 0)
			bflags[b] |= B_EXCL;
		b = find_block((uintptr_t)tl_reach_report->known);
		if (b >= 0)
			bflags[b] |= B_EXCL;
	}
	/* objects */
	for (int i = 0; i < nths; i++) {
		struct th *t = &ths[i];
		if (!t->candidate)
			continue;
		t->obj_block = find_block(t->obj);
		t->obj_freed = (t->obj_block >= 0 && (bflags[t->obj_block] & B_FREE)) ||
		               (t->obj_block < 0 && in_heap_region(t->obj)) ||
		               (t->kind != TL_OBJ_THREAD && vma_of(t->obj) == NULL);
		struct th *o = t->obj_block < 0 ? cand_of(t->obj) : NULL;
		t->obj_owner = o && t->obj < o->tls_lo ? (int)(o - ths) : -1;
		t->obj_static = t->obj_block < 0 && !t->obj_freed && t->obj_owner < 0;
	}
	/* When every candidate can be woken whatever memory holds, nothing needs scanning */
	bool decided = promote_unconditional();
	if (decided && debug)
		dprintf(2, "reach: no scan: every waiting thread can be woken whatever "
		           "memory holds\n");
	/* roots: every readable mapping that is neither code nor heap (read-only data too: a
	 * program may mprotect what it set up); excluded parts skipped */
	for (int i = 0; i < nvmas && !incomplete && !decided; i++) {
		struct vma *v = &vmas[i];
		if (!v->r || v->x || (v->special && !v->w))
			continue;
		if (v->special) {
			give_up("a device mapping could not be scanned");
			break;
		}
		if (v->heap)
			continue;
		scan_range(v->lo, v->hi);
	}
	/* TLS of every thread; registers and stacks of threads that can run */
	if (!decided)
		scan_tls_all();
	for (int i = 0; i < nths && !incomplete; i++) {
		struct th *t = &ths[i];
		if (t->checker)
			continue;
		if (t->candidate)
			continue;
		if (t->parked && decided)
			continue;
		if (t->parked) {
			scan_words(t->regs, TL_ARRAY_SIZE(t->regs));
			mark_value(t->regs[1]); /* a stack inside a heap block */
			if (t->stk_lo)
				scan_direct(t->regs[1] & ~(uintptr_t)7, t->stk_hi);
		} else if (t->state != 'R' && t->state != 'Z' && t->state != 'X') {
			/* a zombie (main after pthread_exit) never runs again: nothing to scan. One
			 * of ours may have entered a wrapped call since the snapshot: decided with
			 * the registry below (another try, with a new snapshot) */
			if (t->tracked)
				t->blocked_unparked = true;
			else
				give_up(BLOCKED_OUTSIDE);
		}
	}
	/* the kernel's references: epoll registrations, in the checker's fd table (thread-self:
	 * after main's pthread_exit, /proc/self's is empty, as its maps are: tl_open_maps) */
	int dfd =
	    decided ? -1 : open("/proc/thread-self/fdinfo", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		char dents[4096];
		long got;
		while ((got = TL_REAL(syscall)(SYS_getdents64, dfd, dents, sizeof(dents))) > 0) {
			for (long off = 0; off < got;) {
				unsigned short reclen = *(unsigned short *)(dents + off + 16);
				const char *name = dents + off + 19;
				off += reclen;
				if (name[0] < '0' || name[0] > '9')
					continue;
				char path[64], link[64];
				snprintf(path, sizeof(path), "/proc/thread-self/fd/%s", name);
				ssize_t n = readlink(path, link, sizeof(link) - 1);
				if (n <= 0 ||
				    (link[n] = '\0', strcmp(link, "anon_inode:[eventpoll]") != 0))
					continue;
				snprintf(path, sizeof(path), "/proc/thread-self/fdinfo/%s", name);
				char *buf = scanbuf;
				if (tl_read_file(path, buf, WIN) < 0)
					continue;
				for (char *p = strstr(buf, "tfd:"); p; p = strstr(p + 4, "tfd:")) {
					char *d = strstr(p, " data: ");
					if (d)
						mark_value((uintptr_t)strtoull(d + 7, NULL, 16));
				}
			}
		}
		close(dfd);
	} else if (!decided) {
		give_up("/proc/thread-self/fdinfo could not be read");
	}
	int64_t ph1 = tl_mono_ns();
	/* the stacks of the candidates promote_unconditional let run are roots too */
	for (int i = 0; i < nths && !decided; i++) {
		struct th *t = &ths[i];
		if (t->candidate && t->root && !t->stack_scanned) {
			t->stack_scanned = true;
			scan_direct(t->regs[1], t->stk_hi);
			scan_words(t->regs, TL_ARRAY_SIZE(t->regs));
		}
	}
	/* fixpoint */
	for (; !decided;) {
		drain();
		if (incomplete)
			break;
		bool changed = false;
		for (int i = 0; i < nths; i++) {
			struct th *t = &ths[i];
			if (!t->candidate)
				continue;
			if (t->stack_marked && !t->stack_scanned && !t->root) {
				/* a pointer into its stack: scan the stack, not its TCB */
				t->stack_scanned = true;
				scan_direct(t->regs[1], t->tls_lo);
				scan_words(t->regs, TL_ARRAY_SIZE(t->regs));
				changed = true;
			}
			if (t->root)
				continue;
			const char *because = unconditional_reason(t);
			if (!because && t->kind != TL_OBJ_THREAD) {
				if (t->obj_block >= 0 && (bflags[t->obj_block] & B_MARK))
					because = "its object is reachable";
				else if (t->obj_owner >= 0 &&
				         (ths[t->obj_owner].stack_marked || ths[t->obj_owner].root))
					because = "its object is on a stack that is reachable";
			}
			if (!because && t->handle_held)
				because = "its pthread_t is held by a thread that can run";
			if (because) {
				t->root = true;
				t->why = because;
				t->stack_marked = t->stack_scanned = true;
				scan_direct(t->regs[1], t->stk_hi);
				scan_words(t->regs, TL_ARRAY_SIZE(t->regs));
				changed = true;
			}
		}
		if (!changed)
			break;
	}
	int64_t ph2 = tl_mono_ns();
	/* stamps after: did anything move? When every thread was asleep at its view and no thread
	 * but ours was switched out since right before the views, nothing did (see views_hold in
	 * check.c): one system call instead of a /proc read per thread */
	bool still = true;
	bool held = all_viewed && tl_kernel_others_stamp() == others_stamp;
	for (int i = 0; i < nths && still && !held; i++) {
		struct th *t = &ths[i];
		if (t->checker)
			continue;
		char st;
		long s = tl_kernel_stamp(t->tid, &st);
		if (s < 0 || s != t->stamp || st == 'R' || t->state == 'R')
			still = false;
	}
	/* and every waiting thread is still in the same wrapped call; one found asleep outside
	 * them is in one now (try again) or gives up: its registers cannot be read */
	tl_registry_lock();
	TL_REGISTRY_FOREACH (rec) {
		struct th key = {.tid = atomic_load(&rec->tid)};
		struct th *t = bsearch(&key, ths, (size_t)nths, sizeof(*ths), cmp_th_tid);
		if (t == NULL || t->rec != rec)
			continue;
		uint32_t seq = atomic_load_explicit(&rec->blk.seq, memory_order_acquire);
		if (t->parked && seq != t->seq)
			still = false;
		if (t->blocked_unparked && (seq & 1))
			still = false;
		else if (t->blocked_unparked)
			give_up(BLOCKED_OUTSIDE);
	}
	tl_registry_unlock();
	if (debug)
		dprintf(2,
		        "reach: maps+heap+roots %.1f ms, fixpoint %.1f ms, stamps %.1f ms (%s)\n",
		        (double)(ph1 - ph0) / 1e6, (double)(ph2 - ph1) / 1e6,
		        (double)(tl_mono_ns() - ph2) / 1e6,
		        held         ? "one for all"
		        : all_viewed ? "the sum moved"
		                     : "per thread");
	if (tl_count_tasks() != nths) /* a thread came or went during the scan */
		still = false;
	return still;
}

/* Does malloc come from libc? Another allocator's heap is not walked. */
static bool glibc_malloc(void)
{
	void *libc = TL_REAL(dlopen)("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	if (libc == NULL)
		return false;
	void *theirs = TL_REAL(dlsym)(libc, "malloc");
	dlclose(libc);
	void *used = TL_REAL(dlsym)(RTLD_DEFAULT, "malloc");
	return theirs != NULL && theirs == used;
}

static void set_all(struct tl_report *r, int verdict, const char *why)
{
	for (size_t i = 0; i < r->n; i++) {
		r->v[i].verdict = verdict;
		r->v[i].verdict_seq = r->v[i].seq;
		r->v[i].verdict_reason = why;
	}
}

static void classify(struct tl_report *r, uintptr_t checker_sp);

/* The check cannot let us judge (the loader's lock is held by a thread that may never let it
 * go: dlopen, dlsym and dl_iterate_phdr would wait for it): every verdict is unknown. */
void tl_reach_skip(struct tl_report *r, const char *why)
{
	set_all(r, TL_V_UNKNOWN, why);
}

/* After stacks are captured and objects named: a thread that left the call it was judged in
 * is no longer judged; the proven ones get their reason in words. */
void tl_reach_finish(struct tl_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		struct tl_seen *s = &r->v[i];
		if (s->verdict == TL_V_NONE || s->state == TL_ST_EXITED)
			continue;
		bool moved = s->seq != s->verdict_seq || ((s->verdict_seq & 1) && !s->in_wrapper);
		char why[TL_OBJECT_MAX + 64];
		const char *object = tl_text_or_null(s->object);
		if (moved && (s->verdict == TL_V_UNREACHABLE || s->verdict == TL_V_FREED)) {
			s->verdict = TL_V_UNKNOWN;
			s->verdict_reason = "it moved during the check";
		} else if (s->verdict == TL_V_UNREACHABLE && s->kind == TL_OBJ_THREAD) {
			snprintf(why, sizeof(why), "it joins %.150s, which nothing can wake",
			         object ? object : "a thread");
			s->verdict_reason = tl_intern(why);
		} else if (s->verdict == TL_V_UNREACHABLE) {
			snprintf(why, sizeof(why), "nothing can reach %.170s",
			         object ? object : "its object");
			s->verdict_reason = tl_intern(why);
		}
	}
}

/* Entry: spill the callee-saved registers of every caller into this frame, so that a
 * pointer the program keeps only in a register at the check is on the scanned stack. */
__attribute__((noinline)) void tl_reach_classify(struct tl_report *r)
{
	__builtin_unwind_init();
	uintptr_t sp;
#if defined(__x86_64__)
	__asm__ volatile("movq %%rsp, %0" : "=r"(sp));
#else
	sp = (uintptr_t)__builtin_frame_address(0);
#endif
	if (tl_check_caller_sp) /* on the check's own stack: the caller's is the live one */
		sp = tl_check_caller_sp;
	classify(r, sp);
	__asm__ volatile("" ::: "memory");
}

/* ---- what each thread waits in: taken before each try of the scan ---- */
static size_t static_tls_size; /* _dl_get_tls_static_info */
static struct {
	uintptr_t *recs; /* the registry's records, sorted */
	size_t caprecs;
	int32_t *tid; /* the layout check's reads */
	struct iovec *loc, *rem;
	bool *ok;
	int *who;
} snap;

/* Work memory of snapshot_waits, taken once (the tries reset the arena above it). */
static bool snapshot_room(void)
{
	size_t n = (size_t)nths + 1;
	snap.caprecs = (size_t)nths + 64;
	snap.recs = take(sizeof(uintptr_t) * snap.caprecs);
	snap.tid = take(sizeof(int32_t) * n);
	snap.loc = take(sizeof(struct iovec) * n);
	snap.rem = take(sizeof(struct iovec) * n);
	snap.ok = take(sizeof(bool) * n);
	snap.who = take(sizeof(int) * n);
	cands = take(sizeof(int) * n);
	return snap.recs && snap.tid && snap.loc && snap.rem && snap.ok && snap.who && cands;
}

/* What each tracked thread is waiting in now, as its wrapper recorded it, and what follows:
 * its stack's bounds, whether it is a candidate, where its TLS is. Taken again before each try:
 * a thread that was between two calls, or moved, during one try may be asleep in its next call
 * at the next one, and a try judged on the old snapshot would fail again, or give up. */
static void snapshot_waits(bool blind)
{
	for (int i = 0; i < nths; i++) {
		struct th *t = &ths[i];
		t->parked = t->candidate = t->blocked_unparked = false;
		t->call = NULL;
		t->kind = 0;
		t->obj = t->obj2 = 0;
		t->seq = 0;
		t->join_target = -1;
		t->tls_lo = 0;
	}
	tl_registry_lock();
	size_t nrecs = 0;
	TL_REGISTRY_FOREACH (rec) {
		if (nrecs < snap.caprecs)
			snap.recs[nrecs++] = (uintptr_t)rec;
		struct th key = {.tid = atomic_load(&rec->tid)};
		struct th *t = bsearch(&key, ths, (size_t)nths, sizeof(*ths), cmp_th_tid);
		if (t == NULL || t->rec != rec || t->checker || (rec->flags & TL_F_FINISHED) ||
		    blind)
			continue;
		uint32_t seq = atomic_load_explicit(&rec->blk.seq, memory_order_acquire);
		if (!(seq & 1))
			continue;
		t->call = rec->blk.call;
		t->kind = rec->blk.kind;
		t->obj = rec->blk.obj;
		t->obj2 = rec->blk.obj2;
		memcpy(t->regs, rec->blk.regs, sizeof(t->regs));
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&rec->blk.seq, memory_order_relaxed) != seq)
			continue;
		t->seq = seq;
		t->parked = true;
	}
	qsort(snap.recs, nrecs, sizeof(*snap.recs), cmp_uintptr);
	/* stack bounds of parked threads (pthread_getattr_np may allocate: before the scan).
	 * Under the registry lock, and only while the thread is still in the same wrapped call:
	 * it cannot finish exiting meanwhile, so its handle stays valid. A stack does not move:
	 * bounds known from an earlier try are kept when the new sp is in them. */
	for (int i = 0; i < nths; i++) {
		struct th *t = &ths[i];
		if (!t->parked || t->main) {
			t->stk_lo = t->stk_hi = 0;
			continue;
		}
		if (t->stk_lo && t->regs[1] >= t->stk_lo && t->regs[1] < t->stk_hi)
			continue;
		t->stk_lo = t->stk_hi = 0;
		uintptr_t key = (uintptr_t)t->rec;
		bool same =
		    bsearch(&key, snap.recs, nrecs, sizeof(*snap.recs), cmp_uintptr) != NULL &&
		    atomic_load_explicit(&t->rec->blk.seq, memory_order_acquire) == t->seq;
		if (!same) {
			t->parked = false;
			continue;
		}
		pthread_attr_t a;
		void *addr;
		size_t size;
		if (t->handle == 0 || TL_REAL(pthread_getattr_np)(t->handle, &a) != 0)
			continue;
		if (TL_REAL(pthread_attr_getstack)(&a, &addr, &size) == 0 &&
		    (uintptr_t)addr + size > t->regs[1] && (uintptr_t)addr <= t->regs[1] &&
		    (uintptr_t)t->handle >= (uintptr_t)addr &&
		    (uintptr_t)t->handle < (uintptr_t)addr + size) {
			t->stk_lo = (uintptr_t)addr;
			t->stk_hi = (uintptr_t)addr + size;
		}
		pthread_attr_destroy(&a);
	}
	tl_registry_unlock();
	/* the TCB's place in a glibc stack and the tid's place in the TCB, checked on every
	 * tracked thread whose bounds are known */
	tcb_from_top = 0;
	tid_off = -1;
	pid_t mytid = tl_gettid();
	const char *pd = (const char *)pthread_self();
	for (ptrdiff_t off = 0; off < 4096; off += 4) {
		int32_t v;
		if (rd((uintptr_t)pd + (uintptr_t)off, &v, sizeof(v)) && v == mytid) {
			tid_off = off;
			break;
		}
	}
	size_t m = 0;
	for (int i = 0; i < nths; i++) {
		struct th *t = &ths[i];
		if (!t->stk_lo)
			continue;
		if (tcb_from_top == 0)
			tcb_from_top = t->stk_hi - (uintptr_t)t->handle;
		if (tcb_from_top != t->stk_hi - (uintptr_t)t->handle)
			tcb_from_top = 1, tid_off = -1; /* not one layout: do without */
		if (tid_off >= 0) {
			snap.loc[m] = (struct iovec){&snap.tid[m], sizeof(*snap.tid)};
			snap.rem[m] =
			    (struct iovec){(char *)t->handle + tid_off, sizeof(*snap.tid)};
			snap.who[m++] = i;
		}
	}
	if (tid_off >= 0)
		rd_many(snap.loc, snap.rem, m, snap.ok);
	for (size_t j = 0; j < m && tid_off >= 0; j++)
		if (!snap.ok[j] || snap.tid[j] != ths[snap.who[j]].tid)
			tid_off = -1;
	/* candidates: untimed waits on memory, with a stack of their own and the TLS layout we
	 * know */
	ncands = 0;
	for (int i = 0; i < nths; i++) {
		struct th *t = &ths[i];
		if (t->stk_lo && static_tls_size > tcb_from_top && tcb_from_top > 1)
			t->tls_lo = (uintptr_t)t->handle - (static_tls_size - tcb_from_top);
		if (!t->parked || t->main || !t->stk_lo || !untimed_memory_wait(t) ||
		    t->tls_lo <= t->regs[1] || t->tls_lo > t->stk_hi)
			continue;
		t->candidate = true;
		cands[ncands++] = i;
		if (t->kind == TL_OBJ_THREAD)
			for (int j = 0; j < nths; j++)
				if (ths[j].tracked && ths[j].handle != 0 &&
				    ths[j].handle == (pthread_t)t->obj)
					t->join_target = j;
	}
	qsort(cands, (size_t)ncands, sizeof(*cands), cmp_cand_stk_lo);
	for (int i = 0; debug > 1 && i < nths; i++)
		dprintf(2, "reach: tid %d parked %d cand %d stack %#lx-%#lx tls_lo %#lx sp %#lx\n",
		        ths[i].tid, ths[i].parked, ths[i].candidate, (unsigned long)ths[i].stk_lo,
		        (unsigned long)ths[i].stk_hi, (unsigned long)ths[i].tls_lo,
		        (unsigned long)ths[i].regs[1]);
}

/* Does every candidate wait on a global (an object in a loaded module's writable segments,
 * never a heap block, a stack or freed memory), or join a thread? Then promote_unconditional()
 * decides every one as attempt() would after reading the maps and the heap (35-50 ms at 10,000
 * threads), and no attempt is needed: the verdicts are all "reachable", none depends on what
 * memory holds. */
static bool globals_only(void)
{
	if (module_data_overflow)
		return false;
	for (int i = 0; i < nths; i++) {
		struct th *t = &ths[i];
		if (!t->candidate || t->kind == TL_OBJ_THREAD)
			continue;
		bool global = false;
		for (size_t k = 0; k < nmodule_data && !global; k++)
			global = t->obj >= module_data[k].lo && t->obj < module_data[k].hi;
		if (!global)
			return false;
	}
	for (int i = 0; i < nths; i++) {
		struct th *t = &ths[i];
		t->root = t->stack_marked = false;
		t->why = NULL;
		t->obj_block = -1;
		t->obj_freed = false;
		t->obj_owner = -1;
		t->obj_static = t->candidate && t->kind != TL_OBJ_THREAD;
	}
	return promote_unconditional();
}

static void classify(struct tl_report *r, uintptr_t checker_sp)
{
	for (size_t i = 0; i < r->n; i++) {
		r->v[i].verdict = TL_V_UNKNOWN;
		r->v[i].verdict_reason = NULL;
	}
	if (!TL_HAVE_SAVED_REGS)
		return set_all(r, TL_V_UNKNOWN, "not supported on this architecture");
	if (!glibc_malloc())
		return set_all(r, TL_V_UNKNOWN, "another allocator provides malloc");
	self_pid = tl_gettid(); /* not getpid(): see read_mem in objects.c */
	const char *dbg = getenv("THREADLEAK_REACH_DEBUG");
	debug = dbg ? atoi(dbg) : 0;
	blind_first = debug & 4; /* tests: the first try sees every thread between two calls */
	debug &= 3;
	int64_t t_start = tl_mono_ns();
	struct timespec cpu0, cpu1;
	tl_clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu0);
	{
		uintptr_t w;
		if (!rd((uintptr_t)&w, &w, sizeof(w)))
			return set_all(r, TL_V_UNKNOWN, "process_vm_readv is not available");
	}
	/* tcache_key: what free() writes at offset 8 of a chunk it puts in the tcache */
	have_tcache_key = false;
	{
		uintptr_t *p = malloc(40), k = 0;
		if (p) {
			p[1] = 0;
			uintptr_t where = (uintptr_t)(p + 1);
			__asm__("" : "+r"(where)); /* an address, no longer a pointer */
			free(p);
			/* our own freed chunk, read once, on purpose */
			if (rd(where, &k, sizeof(k)) && k != 0) {
				tcache_key = k;
				have_tcache_key = true;
			}
		}
	}
	pid_t *tids;
	int ntasks = tl_list_tasks_sorted(&tids);
	if (ntasks < 0)
		return set_all(r, TL_V_UNKNOWN,
		               ntasks == -1 ? "/proc is not readable" : "out of memory");
	/* work memory: virtual, touched as used */
	arena_size = (size_t)MAX_BLOCKS * (sizeof(struct block) + 1 + 4) + ((size_t)64 << 20) +
	             (size_t)ntasks * 256;
	arena = mmap(NULL, arena_size, PROT_READ | PROT_WRITE,
	             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (arena == MAP_FAILED) {
		arena = NULL;
		return set_all(r, TL_V_UNKNOWN, "out of memory");
	}
	arena_used = 0;
	blocks = take(sizeof(struct block) * MAX_BLOCKS);
	heap_regions = take(sizeof(*heap_regions) * MAX_REGIONS);
	page_first = take(sizeof(*page_first) * MAX_REGIONS);
	bflags = take(MAX_BLOCKS);
	work = take(sizeof(uint32_t) * MAX_BLOCKS);
	scanbuf = take(WIN);
	char *wbuf = take(WIN);
	capexcl = (size_t)ntasks * 2 + 8192;
	excl = take(sizeof(struct range) * capexcl);
	nths = ntasks;
	ths = take(sizeof(struct th) * (size_t)(ntasks + 1));
	pid_t me = tl_gettid();
	for (int i = 0; i < nths; i++) {
		memset(&ths[i], 0, sizeof(ths[i]));
		ths[i].tid = tids[i];
		ths[i].checker = tids[i] == me;
		ths[i].join_target = -1;
		ths[i].obj_block = -1;
		ths[i].early_stamp = -1;
	}
	qsort(ths, (size_t)nths, sizeof(*ths), cmp_th_tid);
	bool views_all_found = true; /* every viewed thread is still listed */
	for (size_t i = 0; i < r->n; i++) {
		struct th key = {.tid = r->v[i].tid}, *t = NULL;
		if (r->v[i].viewed &&
		    (t = bsearch(&key, ths, (size_t)nths, sizeof(*ths), cmp_th_tid)) != NULL)
			t->early_stamp = r->v[i].stamp, t->early_state = r->v[i].kstate;
		else if (r->v[i].viewed)
			views_all_found = false;
	}
	/* which threads are ours, and the unjoined handles (is_unjoined) */
	nunjoined = 0;
	unjoined_overflow = false;
	unjoined = take(sizeof(pthread_t) * ((size_t)nths + 64));
	tl_registry_lock();
	TL_REGISTRY_FOREACH (rec) {
		pid_t tid = atomic_load(&rec->tid);
		struct th key = {.tid = tid};
		struct th *t = bsearch(&key, ths, (size_t)nths, sizeof(*ths), cmp_th_tid);
		if ((rec->flags & TL_F_FINISHED) && !(rec->flags & (TL_F_DETACHED | TL_F_JOINED))) {
			if (nunjoined < (size_t)nths + 64)
				unjoined[nunjoined++] = rec->handle;
			else
				unjoined_overflow = true;
		}
		if (t == NULL || (rec->flags & TL_F_FINISHED))
			continue;
		t->tracked = true;
		t->rec = rec;
		t->handle = tl_thread_has_handle(rec) ? rec->handle : 0; /* 0: none known */
		t->main = (rec->flags & TL_F_MAIN) != 0;
	}
	tl_registry_unlock();
	qsort(unjoined, nunjoined, sizeof(*unjoined), cmp_uintptr); /* is_unjoined */
	checker_lo = 0;
	if (me != getpid()) {
		pthread_attr_t a;
		void *addr;
		size_t size;
		if (TL_REAL(pthread_getattr_np)(pthread_self(), &a) == 0) {
			if (TL_REAL(pthread_attr_getstack)(&a, &addr, &size) == 0 &&
			    (uintptr_t)addr < checker_sp && checker_sp < (uintptr_t)addr + size)
				checker_lo = (uintptr_t)addr;
			pthread_attr_destroy(&a);
		}
	}
	/* our data, and where each module's static TLS sits from a thread pointer */
	Dl_info di;
	own_base = TL_REAL(dladdr)((void *)tl_reach_classify, &di) ? (uintptr_t)di.dli_fbase : 0;
	nown = 0;
	ntlsmods = 0;
	nlibc_data = 0;
	nmodule_data = 0;
	module_data_overflow = false;
	dl_iterate_phdr(phdr_cb, (void *)pthread_self());
	/* static TLS: [tp - (static size - TCB size), tp) in every thread (TLS above TCB) */
	size_t static_align = 0;
	static_tls_size = 0;
	void (*get_static)(size_t *, size_t *) =
	    (void (*)(size_t *, size_t *))TL_REAL(dlsym)(RTLD_DEFAULT, "_dl_get_tls_static_info");
	if (get_static)
		get_static(&static_tls_size, &static_align);
	if (!snapshot_room())
		return set_all(r, TL_V_UNKNOWN, "out of memory");
	snapshot_waits(blind_first);
	size_t mark = arena_used;
	tl_reach_report = r;
	bool still = false;
	/* a few tries, within one time budget, for a scan during which nothing moved; none when
	 * no thread is a candidate (every verdict is then decided without it: a per-test check of
	 * a program whose threads all can run costs no scan) */
	pagemap_fd = open("/proc/thread-self/pagemap", O_RDONLY | O_CLOEXEC);
	int64_t budget_end = tl_mono_ns() + SCAN_BUDGET_NS;
	bool globals = ncands > 0 && !blind_first && globals_only();
	if (globals && debug)
		dprintf(2, "reach: no scan: every waiting thread can be woken whatever "
		           "memory holds (each waits on a global: the heap is not read)\n");
	for (int tries = 0; tries < 4 && !still && !globals; tries++) {
		arena_used = mark;
		if (tries > 0)
			snapshot_waits(false);
		if (ncands == 0 && !(tries == 0 && blind_first))
			break;
		scan_deadline = budget_end;
		still = attempt(checker_sp, wbuf, tries == 0, r->views_others_stamp);
		/* the first attempt started from the views' stamps */
		r->views_held = still && tries == 0 && views_all_found;
		if (still || tl_mono_ns() >= budget_end)
			break;
		tl_nap_ns(2000000);
	}
	tl_reach_report = NULL;
	if (pagemap_fd >= 0)
		close(pagemap_fd);
	pagemap_fd = -1;
	/* verdicts */
	for (size_t i = 0; i < r->n; i++) {
		struct tl_seen *s = &r->v[i];
		struct th key = {.tid = s->tid}, *t = NULL;
		if (s->tid)
			t = bsearch(&key, ths, (size_t)nths, sizeof(*ths), cmp_th_tid);
		const char *why = NULL;
		int v = TL_V_UNKNOWN;
		if (s->state == TL_ST_EXITED) {
			why = "not waiting: it has exited";
		} else if (t == NULL) {
			why = "not found in /proc";
		} else if (!t->candidate && asleep_on_unmapped(s)) {
			v = TL_V_FREED;
			why = "its object's memory was unmapped";
		} else if (!t->candidate) {
			v = TL_V_REACHABLE;
			if (t->parked && untimed_memory_wait(t))
				v = TL_V_UNKNOWN,
				why = "its stack is not where threadleak can find it";
			else if (t->parked)
				why = "it can run again on its own (a timed wait, or a wait on "
				      "something "
				      "outside memory)";
			else if (s->state == TL_ST_RUNNING)
				why = "it is running";
			else if (s->in_wrapper)
				v = TL_V_UNKNOWN, why = "it moved during the check";
			else
				v = TL_V_UNKNOWN, why = "it waits outside threadleak's wrappers";
		} else if (s->seq != t->seq) {
			why = "it moved during the check";
		} else if (t->obj_freed) {
			v = TL_V_FREED;
			why = "its object lies in freed memory";
		} else if (t->root) {
			v = TL_V_REACHABLE;
			why = t->why;
		} else if (!still) {
			why = "other threads ran during every scan";
		} else if (incomplete) {
			why = incomplete_why;
		} else {
			v = TL_V_UNREACHABLE;
			why = NULL;
		}
		s->verdict = v;
		s->verdict_seq = s->seq;
		s->verdict_reason = why;
	}
	tl_clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu1);
	if (debug)
		dprintf(2,
		        "reach: %d threads, %d waiting, %zu heap blocks, %s, classified in %.1f ms "
		        "(%.1f ms of CPU)\n",
		        nths, ncands, nblocks, still ? "snapshot" : "no snapshot",
		        (double)(tl_mono_ns() - t_start) / 1e6,
		        (double)(cpu1.tv_sec - cpu0.tv_sec) * 1e3 +
		            (double)(cpu1.tv_nsec - cpu0.tv_nsec) / 1e6);
	munmap(arena, arena_size);
	arena = NULL;
}
