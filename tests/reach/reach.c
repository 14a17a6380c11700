/* Reachability scenarios: one program, the case named by argv[1]. Each case leaves threads
 * blocked at exit, waiting on a channel (the seed's rendezvous) that is or is not reachable
 * from a thread that can still run. */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef BIG
#define BIG 8
#endif

struct chan {
	pthread_mutex_t mu;
	char pad[BIG]; /* BIG: a channel malloc serves with its own mapping */
	pthread_cond_t sent;
	pthread_cond_t taken;
	int value;
	int full;
};

static struct chan *chan_new(void)
{
	struct chan *c = calloc(1, sizeof(*c));
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->sent, NULL);
	pthread_cond_init(&c->taken, NULL);
	return c;
}

static void chan_send(struct chan *c, int v)
{
	pthread_mutex_lock(&c->mu);
	while (c->full)
		pthread_cond_wait(&c->taken, &c->mu);
	c->value = v;
	c->full = 1;
	pthread_cond_broadcast(&c->sent);
	while (c->full && c->value == v)
		pthread_cond_wait(&c->taken, &c->mu); /* blocked forever */
	pthread_mutex_unlock(&c->mu);
}

static int chan_recv(struct chan *c)
{
	pthread_mutex_lock(&c->mu);
	while (!c->full)
		pthread_cond_wait(&c->sent, &c->mu);
	int v = c->value;
	c->full = 0;
	pthread_cond_broadcast(&c->taken);
	pthread_mutex_unlock(&c->mu);
	return v;
}

struct job {
	struct chan *c;
	int id;
};

/* belowsp: a global pointing 1 MiB below a sender's frames, into the unused part of its stack */
static int point_below_sp;
static void *volatile below_sp;

static void *sender(void *arg)
{
	struct job j = *(struct job *)arg;
	/* no stale copy in memory malloc hands out again (a conservative scan would see it) */
	memset(arg, 0, sizeof(j));
	free(arg);
	if (point_below_sp)
		below_sp = (char *)&j - (1 << 20);
	chan_send(j.c, j.id);
	return NULL;
}

static void start_detached(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	pthread_create(&t, NULL, fn, arg);
	pthread_detach(t);
}

/* Joinable, and the handle forgotten at once (a frame that returns). */
static __attribute__((noinline)) void start_joinable(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	pthread_create(&t, NULL, fn, arg);
	memset(&t, 0, sizeof(t));
}

/* n senders on a fresh heap channel; the first answer is taken, the others stay blocked. */
static struct chan *senders(int n)
{
	struct chan *c = chan_new();
	for (int i = 0; i < n; i++) {
		struct job *j = malloc(sizeof(*j));
		j->c = c;
		j->id = i + 1;
		start_detached(sender, j);
	}
	chan_recv(c);
	return c;
}

/* The seed with a heap channel: 4 senders, the first answer wins, 3 stay blocked. */
static struct chan *submit(void)
{
	return senders(4);
}

/* Wipe what is left of the callers' frames below main's, so that no stale copy of a pointer
 * stays on main's stack. */
static __attribute__((noinline)) void scrub(void)
{
	volatile char junk[16384];
	memset((char *)junk, 0, sizeof(junk));
}

static struct chan *global_chan;
static void *global_root;
static __thread struct chan *tls_chan;

static void seed(void)
{
	for (int r = 0; r < 5; r++)
		submit();
}

/* A running thread keeps the channel in a local. */
static volatile int spin_go = 1;
static void *spinner(void *arg)
{
	struct chan *volatile c = arg;
	while (spin_go)
		(void)c;
	return NULL;
}

/* A thread sleeping in a loop keeps it. */
static void *sleeper(void *arg)
{
	struct chan *volatile c = arg;
	for (;;) {
		usleep(20000); /* long enough for a scan to see it inside one call */
		(void)c;
	}
	return NULL;
}

/* A thread waiting on a pipe keeps it. */
static int pipefd[2];
static void *piper(void *arg)
{
	struct chan *volatile c = arg;
	char b;
	read(pipefd[0], &b, 1);
	(void)c;
	return NULL;
}

/* Only in a register: the thread keeps the pointer in a callee-saved register (rbx) around a
 * blocking call; its frames hold no copy. */
/* A thread's start argument stays in its thread descriptor: hand the channel over in a box
 * that the thread empties and frees, so that its own copy is the only one. */
static void *boxed(struct chan *c)
{
	struct chan **box = malloc(sizeof(*box));
	*box = c;
	return box;
}

static void *unbox(void *arg)
{
	struct chan **box = arg, *c = *box;
	*box = NULL;
	free(box);
	return c;
}

static void *regkeeper(void *arg)
{
#if defined(__x86_64__)
	char b;
	register void *keep __asm__("rbx") = unbox(arg);
	__asm__ volatile("" : "+r"(keep));
	arg = NULL;
	read(pipefd[0], &b, 1);
	__asm__ volatile("" : "+r"(keep));
#endif
	return NULL;
}

/* __thread variable of a thread that can run. */
static void *tlskeeper(void *arg)
{
	tls_chan = unbox(arg);
	arg = NULL;
	char b;
	read(pipefd[0], &b, 1);
	return NULL;
}

/* A thread that kept the channel in its __thread variable and in a thread-specific value of a
 * key without destructor, then returned and was joined: its stack and TCB, which glibc keeps
 * in its cache for the next thread (tid -1), still hold both, dead. */
static pthread_key_t stale_key;
static void *stale_keeper(void *arg)
{
	tls_chan = unbox(arg);
	pthread_setspecific(stale_key, tls_chan);
	arg = NULL;
	return NULL;
}

/* A blocked thread that is itself reachable: it waits on a global semaphore and holds the
 * channel on its stack. */
static sem_t gsem;
static void *semwaiter(void *arg)
{
	struct chan *volatile c = arg;
	sem_wait(&gsem);
	(void)c;
	return NULL;
}

/* Chain: the head waits on an unreachable channel; each next thread joins the previous. */
static void *joiner(void *arg)
{
	pthread_t prev = (pthread_t)arg;
	pthread_join(prev, NULL);
	return NULL;
}

static void *chain_head(void *arg)
{
	int n = (int)(long)arg;
	pthread_t prev = pthread_self();
	for (int i = 0; i < n; i++) {
		pthread_t t;
		pthread_create(&t, NULL, joiner, (void *)prev);
		prev = t;
	}
	prev = 0;
	struct chan *c = chan_new();
	chan_send(c, 1); /* nobody receives */
	return NULL;
}

/* A thread joining one that can still run (a sleeper) can run too, and so can whatever only
 * its stack reaches: the channel it keeps. */
static pthread_t napper_thread;
static void *napper(void *arg)
{
	for (;;)
		usleep(20000);
	return arg;
}

static void *sleepjoiner(void *arg)
{
	struct chan *volatile c = unbox(arg);
	pthread_join(napper_thread, NULL);
	(void)c;
	return NULL;
}

/* An idle pool: workers wait on a global queue's cond. */
static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cv = PTHREAD_COND_INITIALIZER;
static void *worker(void *arg)
{
	pthread_mutex_lock(&pool_mu);
	for (;;)
		pthread_cond_wait(&pool_cv, &pool_mu);
	return NULL;
}

/* Freed: the channel is freed while senders still wait on it. */
static struct chan *submit_and_free(void)
{
	struct chan *c = submit();
	usleep(50000); /* the sender whose value was taken is gone by now */
	/* freeing a cond with waiters is the bug this finds */
	free(c);
	return NULL;
}

/* A mutex that main holds, a thread waiting for it (pthread_mutex_lock: no wrapper, the kernel
 * shows a futex wait), then the lock's memory taken away: freed (in reach_big, free() unmaps
 * the block) or made PROT_NONE. A signal that restarts such a wait makes it fail (EFAULT: glibc
 * aborts the process). protsem: a semaphore's waiter, whose page goes PROT_NONE. */
static void *lock_waiter(void *arg)
{
	pthread_mutex_lock(arg);
	return NULL;
}

static void *sem_waiter(void *arg)
{
	sem_wait(arg);
	return NULL;
}

static void lock_then_lose(const char *how)
{
	pthread_t t;
	if (strcmp(how, "freedlock") == 0) {
		struct chan *c = chan_new();
		pthread_mutex_lock(&c->mu);
		pthread_create(&t, NULL, lock_waiter, &c->mu);
		usleep(50000);
		free(c);
		return;
	}
	char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (strcmp(how, "protsem") == 0) {
		sem_init((sem_t *)page, 0, 0);
		pthread_create(&t, NULL, sem_waiter, page);
	} else {
		pthread_mutex_init((pthread_mutex_t *)page, NULL);
		pthread_mutex_lock((pthread_mutex_t *)page);
		pthread_create(&t, NULL, lock_waiter, page);
	}
	usleep(50000);
	mprotect(page, 4096, PROT_NONE);
}

/* Raw futex waits through syscall(), as Rust's std (FUTEX_WAIT_BITSET, no timeout) and
 * libstdc++'s std::future and std::latch (FUTEX_WAIT) block: on a heap word that only the
 * waiters' stacks hold (blocked forever), on a global one, or with a timeout (it returns by
 * itself and waits again). */
static int futex_op = FUTEX_WAIT_PRIVATE;
static struct timespec *futex_timeout;
static _Atomic int global_word;

static void *futex_waiter(void *arg)
{
	_Atomic int *w = unbox(arg);
	while (atomic_load(w) == 0)
		syscall(SYS_futex, w, futex_op, 0, futex_timeout, NULL, FUTEX_BITSET_MATCH_ANY);
	return NULL;
}

/* n waiters on a fresh heap word, or on w */
static void futex_waiters(int n, _Atomic int *w)
{
	_Atomic int *word = w ? w : calloc(1, sizeof(*word));
	for (int i = 0; i < n; i++)
		start_detached(futex_waiter, boxed((struct chan *)word));
}

struct node {
	struct node *next;
	void *payload;
};

static void settle(void)
{
	usleep(100000);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "seed";
	pipe(pipefd);
	sem_init(&gsem, 0, 0);
	if (strcmp(mode, "seed") == 0) {
		seed();
	} else if (strcmp(mode, "global") == 0) {
		global_chan = submit();
	} else if (strcmp(mode, "pool") == 0) {
		for (int i = 0; i < 4; i++)
			start_detached(worker, NULL);
	} else if (strcmp(mode, "stack") == 0) {
		start_detached(spinner, submit());
	} else if (strcmp(mode, "sleeper") == 0) {
		start_detached(sleeper, submit());
	} else if (strcmp(mode, "pipe") == 0) {
		start_detached(piper, submit());
	} else if (strcmp(mode, "register") == 0) {
		start_detached(regkeeper, boxed(submit()));
	} else if (strcmp(mode, "tls") == 0) {
		start_detached(tlskeeper, boxed(submit()));
	} else if (strcmp(mode, "joinedtls") == 0) {
		pthread_key_create(&stale_key, NULL);
		pthread_t t;
		pthread_create(&t, NULL, stale_keeper, boxed(submit()));
		pthread_join(t, NULL);
		scrub();
	} else if (strcmp(mode, "freedlock") == 0 || strcmp(mode, "protlock") == 0 ||
	           strcmp(mode, "protsem") == 0) {
		lock_then_lose(mode);
		printf("%s: done\n", mode);
	} else if (strcmp(mode, "belowsp") == 0) {
		point_below_sp = 1;
		submit();
	} else if (strcmp(mode, "heapchain") == 0) {
		/* global -> node -> node -> node -> channel */
		struct node *n = NULL;
		struct chan *c = submit();
		for (int i = 0; i < 3; i++) {
			struct node *m = malloc(sizeof(*m));
			m->next = n;
			m->payload = n ? NULL : c;
			n = m;
		}
		global_root = n;
	} else if (strcmp(mode, "epoll") == 0) {
		int ep = epoll_create1(0);
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = submit()};
		epoll_ctl(ep, EPOLL_CTL_ADD, pipefd[0], &ev);
		memset(&ev, 0, sizeof(ev));
	} else if (strcmp(mode, "joinsleeper") == 0) {
		pthread_create(&napper_thread, NULL, napper, NULL);
		start_detached(sleepjoiner, boxed(submit()));
	} else if (strcmp(mode, "viablocked") == 0) {
		start_detached(semwaiter, submit());
	} else if (strcmp(mode, "chain") == 0) {
		start_joinable(chain_head, (void *)4L);
	} else if (strcmp(mode, "freed") == 0) {
		submit_and_free();
	} else if (strcmp(mode, "bigheap") == 0) {
		/* argv[2] MiB of heap made of pointers (1 MiB blocks, each word pointing into the
		 * next block), kept by a global, and the seed's leaks beside it */
		long mib = argc > 2 ? atol(argv[2]) : 1024;
		void **prev = NULL;
		for (long i = 0; i < mib; i++) {
			void **b = malloc(1 << 20);
			for (size_t k = 0; k < (1 << 20) / sizeof(void *); k++)
				b[k] = prev ? (void *)&prev[k] : NULL;
			prev = b;
		}
		global_root = prev;
		seed();
	} else if (strcmp(mode, "smalltop") == 0) {
		/* the seed's leaks, then the main heap filled so that a block of 100 KiB comes
		 * right before a top chunk of about 40 KiB: the heap's last words are read in a
		 * window that ends exactly at the brk (keepcost: the top chunk's size) */
		seed();
		mallopt(M_TOP_PAD, 1 << 20);        /* the heap grows by 1 MiB at a time */
		mallopt(M_MMAP_THRESHOLD, 4 << 20); /* and serves these blocks itself */
		for (;;) {
			size_t k = mallinfo2().keepcost;
			if (k >= (150 << 10) && k <= (210 << 10))
				break;
			/* too much: take 60 KiB; too little: more than there is, so the heap grows
			 */
			size_t n = k > (210 << 10) ? (60 << 10) : k + 4096;
			memset(malloc(n), 0, n);
		}
		size_t rest = mallinfo2().keepcost - (140 << 10);
		if (rest > 64)
			memset(malloc(rest - 64), 0, rest - 64);
		memset(malloc(100 << 10), 0, 100 << 10);
		/* from now on the heap grows by what is asked, so the top stays small even if the
		 * check allocates more than it holds */
		mallopt(M_TOP_PAD, 0);
		printf("top %zu\n", mallinfo2().keepcost);
	} else if (strcmp(mode, "futex") == 0) { /* 3 words, 2 waiters each: unreachable */
		for (int i = 0; i < 3; i++)
			futex_waiters(2, NULL);
	} else if (strcmp(mode, "futexbitset") == 0) {
		futex_op = FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG;
		for (int i = 0; i < 3; i++)
			futex_waiters(2, NULL);
	} else if (strcmp(mode, "futextimed") == 0) { /* reachable: each returns by itself */
		static struct timespec minute = {.tv_sec = 60};
		futex_timeout = &minute;
		for (int i = 0; i < 3; i++)
			futex_waiters(2, NULL);
	} else if (strcmp(mode, "futexglobal") == 0) { /* reachable: any thread can name it */
		futex_waiters(6, &global_word);
	} else if (strcmp(mode, "mixed") == 0) {
		/* unreachable and reachable side by side */
		seed();
		global_chan = senders(2);
	} else {
		fprintf(stderr, "unknown mode %s\n", mode);
		return 2;
	}
	settle();
	scrub();
	return 0;
}
