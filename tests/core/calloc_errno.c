/* The program's calloc sets errno on success, as C and POSIX allow (an allocator layer whose
 * probe of some facility failed): the library's first creation registers a thread_local
 * destructor with glibc, which allocates, to find glibc's list in libc's TLS block, where
 * errno lives too. The word errno changed must not be taken for the list. Prints "ok". */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

extern void *__libc_calloc(size_t, size_t);

void *calloc(size_t n, size_t size)
{
	void *p = __libc_calloc(n, size);
	errno = EBUSY;
	return p;
}

static void *nothing(void *arg)
{
	return arg;
}

int main(void)
{
	errno = 0;
	pthread_t t;
	if (pthread_create(&t, NULL, nothing, NULL) != 0 || pthread_join(t, NULL) != 0)
		return 1;
	puts("ok");
	return 0;
}
