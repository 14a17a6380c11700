/* A tiny allocator of its own, preloaded before threadleak: malloc then does not come from
 * libc, whose heap threadleak knows how to walk. Never frees; enough for a test program. */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#define CHUNK (64u << 20)
static char *cur, *end;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void *take(size_t n, size_t align)
{
	if (align < 16)
		align = 16;
	pthread_mutex_lock(&mu);
	uintptr_t p = ((uintptr_t)cur + 16 + align - 1) & ~(uintptr_t)(align - 1);
	if (cur == NULL || p + n > (uintptr_t)end) {
		size_t len = n + align + 16 > CHUNK ? n + align + 16 : CHUNK;
		char *m =
		    mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED) {
			pthread_mutex_unlock(&mu);
			errno = ENOMEM;
			return NULL;
		}
		cur = m;
		end = m + len;
		p = ((uintptr_t)cur + 16 + align - 1) & ~(uintptr_t)(align - 1);
	}
	((size_t *)p)[-1] = n;
	cur = (char *)(p + n);
	pthread_mutex_unlock(&mu);
	return (void *)p;
}

void *malloc(size_t n)
{
	return take(n, 16);
}
void free(void *p)
{
	(void)p;
}
void *calloc(size_t a, size_t b)
{
	void *p = take(a * b, 16);
	if (p)
		memset(p, 0, a * b);
	return p;
}
void *realloc(void *p, size_t n)
{
	void *q = take(n, 16);
	if (p && q) {
		size_t old = ((size_t *)p)[-1];
		memcpy(q, p, old < n ? old : n);
	}
	return q;
}
void *memalign(size_t align, size_t n)
{
	return take(n, align);
}
void *aligned_alloc(size_t align, size_t n)
{
	return take(n, align);
}
int posix_memalign(void **out, size_t align, size_t n)
{
	*out = take(n, align);
	return *out ? 0 : ENOMEM;
}
size_t malloc_usable_size(void *p)
{
	return p ? ((size_t *)p)[-1] : 0;
}
