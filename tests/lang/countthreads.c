/* Test helper, preloaded before libthreadleak.so: counts the threads a program creates, so a
 * test can check that a real program under the detector did start threads. At exit it writes
 * the count to $TL_COUNT_FILE.PID. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static atomic_int created;

int pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg)
{
	static int (*next)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
	if (next == NULL)
		*(void **)&next = dlsym(RTLD_NEXT, "pthread_create");
	int rc = next(t, a, fn, arg);
	if (rc == 0)
		atomic_fetch_add(&created, 1);
	return rc;
}

__attribute__((destructor)) static void report(void)
{
	const char *path = getenv("TL_COUNT_FILE");
	if (path == NULL)
		return;
	char name[4096];
	snprintf(name, sizeof(name), "%s.%d", path, (int)getpid());
	FILE *f = fopen(name, "w");
	if (f) {
		fprintf(f, "%d\n", atomic_load(&created));
		fclose(f);
	}
}
