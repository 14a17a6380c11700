/* A library as distributions ship it, for test_symbols.py: a leaked thread blocks in static
 * functions (no .dynsym entry), which sit right after an exported assembly function that has no
 * size (as hand-written assembly often has), so the nearest dynamic symbol is wrong for them. */
#include <pthread.h>
#include <unistd.h>

__asm__(".text\n"
        ".globl tl_sizeless_entry\n"
        ".type tl_sizeless_entry, @function\n"
        "tl_sizeless_entry:\n"
        "\tret\n");

static int fds[2];

/* inlined even at -O0: its name lives in DWARF only (in a dwz alternate file, when dwz'd) */
static inline __attribute__((always_inline)) long symlib_read(char *c)
{
	return read(fds[0], c, 1); /* marker: symlib_read read */
}

__attribute__((noinline)) static void symlib_block(void)
{
	char c;
	while (symlib_read(&c) != 0) /* marker: symlib_block call */
		;
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) static void *symlib_worker(void *arg)
{
	symlib_block(); /* marker: symlib_worker call */
	__asm__ volatile("" ::: "memory");
	return arg;
}

void symlib_start(void);
void symlib_start(void)
{
	pthread_t t;
	if (pipe(fds) == 0)
		pthread_create(&t, NULL, symlib_worker, NULL);
}
