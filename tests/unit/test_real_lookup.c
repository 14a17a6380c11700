/* Unit test of the real-function lookup (preload/real.c), linked into this program: every
 * entry of the table must resolve, without asking the loader, to what dlsym(RTLD_NEXT) (or
 * dlvsym for the versioned ones) returns from the same object; the two pthread_cond_wait
 * versions must differ; a lookup allocates nothing and works in a signal handler; the program's
 * exported hook is found and an absent one is NULL.
 * Exit status: 0 when every check passed, 1 otherwise (each failure printed). */
#include "tl.h"

#include <dlfcn.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "stubs.h"

/* exported (-rdynamic): found as the library finds the program's hooks */
const char *threadleak_default_options(void);
const char *threadleak_default_options(void)
{
	return "grace_ms=7";
}

struct entry {
	const char *name, *sym, *version;
	void **slot;
	enum tl_real_id id;
};

static const struct entry entries[] = {
#define ENTRY(ret, name, params) {#name, #name, NULL, (void **)&tl_real.name, TL_REAL_ID_##name},
#define ENTRYV(ret, name, sym, ver, params) \
	{#name, sym, ver, (void **)&tl_real.name, TL_REAL_ID_##name},
    TL_REAL_LIST(ENTRY) TL_REAL_VERSIONED(ENTRYV)};

static volatile sig_atomic_t handler_ok;

/* Several threads making their first call of the same functions at once: each lookup is
 * independent and stores the same answer. */
enum { THREADS = 8, ROUNDS = 300 };
static void *expected[TL_REAL_COUNT];
static pthread_barrier_t barrier;
static atomic_int wrong;

static void *racer(void *arg)
{
	(void)arg;
	for (int r = 0; r < ROUNDS; r++) {
		pthread_barrier_wait(&barrier); /* the main thread cleared every pointer */
		for (size_t i = 0; i < TL_ARRAY_SIZE(entries); i++) {
			size_t k = (i + (size_t)r) % TL_ARRAY_SIZE(entries);
			void *p = __atomic_load_n(entries[k].slot, __ATOMIC_ACQUIRE);
			if (p == NULL) {
				tl_real_find(entries[k].id);
				p = __atomic_load_n(entries[k].slot, __ATOMIC_ACQUIRE);
			}
			if (p != expected[entries[k].id])
				atomic_fetch_add(&wrong, 1);
		}
		pthread_barrier_wait(&barrier);
	}
	return NULL;
}

static void on_signal(int sig)
{
	(void)sig;
	tl_real.nanosleep = NULL;
	tl_real_find(TL_REAL_ID_nanosleep);
	handler_ok = tl_real.nanosleep != NULL;
}

int main(void)
{
	/* a lookup allocates nothing: the heap's use is the same before and after them all */
	struct mallinfo2 before = mallinfo2();
	for (size_t i = 0; i < TL_ARRAY_SIZE(entries); i++)
		tl_real_find(entries[i].id);
	void *hook = tl_lookup_global("threadleak_default_options");
	void *absent = tl_lookup_global("threadleak_no_such_hook");
	struct mallinfo2 after = mallinfo2();
	CHECK(before.uordblks == after.uordblks && before.hblkhd == after.hblkhd,
	      "the lookups allocated (%zu -> %zu bytes in use)", before.uordblks, after.uordblks);
	CHECK(atomic_load(&tl_real_fallbacks) == 0, "%u lookups fell back to dlsym",
	      atomic_load(&tl_real_fallbacks));

	for (size_t i = 0; i < TL_ARRAY_SIZE(entries); i++) {
		const struct entry *e = &entries[i];
		void *want =
		    e->version ? dlvsym(RTLD_NEXT, e->sym, e->version) : dlsym(RTLD_NEXT, e->sym);
		CHECK(*e->slot != NULL, "%s: not found", e->name);
		CHECK(*e->slot == want, "%s: %p, dlsym says %p", e->name, *e->slot, want);
	}
	CHECK(tl_real.cond_wait_new != tl_real.cond_wait_old,
	      "both pthread_cond_wait versions resolved to %p", (void *)tl_real.cond_wait_new);
	CHECK(tl_real.cond_timedwait_new != tl_real.cond_timedwait_old,
	      "both pthread_cond_timedwait versions resolved to the same function");

	CHECK(hook == (void *)threadleak_default_options, "the exported hook: %p, expected %p",
	      hook, (void *)threadleak_default_options);
	CHECK(absent == NULL, "an absent hook resolved to %p", absent);
	/* an indirect function (libc's memcpy picks one per CPU): the implementation, as dlsym */
	CHECK(tl_lookup_global("memcpy") == dlsym(RTLD_DEFAULT, "memcpy"),
	      "memcpy: %p, dlsym says %p", tl_lookup_global("memcpy"),
	      dlsym(RTLD_DEFAULT, "memcpy"));

	/* first use from several threads at once */
	for (size_t i = 0; i < TL_ARRAY_SIZE(entries); i++)
		expected[entries[i].id] = *entries[i].slot;
	pthread_barrier_init(&barrier, NULL, THREADS + 1);
	pthread_t th[THREADS];
	for (int i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, racer, NULL);
	for (int r = 0; r < ROUNDS; r++) {
		for (size_t i = 0; i < TL_ARRAY_SIZE(entries); i++)
			__atomic_store_n(entries[i].slot, NULL, __ATOMIC_RELEASE);
		pthread_barrier_wait(&barrier);
		pthread_barrier_wait(&barrier);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	CHECK(atomic_load(&wrong) == 0, "%d concurrent first lookups got another answer",
	      atomic_load(&wrong));

	/* first use inside a signal handler */
	signal(SIGUSR1, on_signal);
	raise(SIGUSR1);
	CHECK(handler_ok, "no lookup in a signal handler");

	return unit_result();
}
