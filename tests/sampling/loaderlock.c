/* A thread blocks while it holds the dynamic loader's lock, and main exits (or checks first).
 *   -m phdr   blocked in read() inside a dl_iterate_phdr callback (holds the write lock)
 *   -m ctor   blocked in read() inside a constructor that dlopen runs (holds dl_load_lock)
 *   -a        call threadleak_verify_none() while it is held, then release it and join all
 *             (looked up before: dlsym itself waits for dl_load_lock; and bare, exit() waits
 *             for it in _dl_fini, so the ctor mode is tested with -a only)
 *   -c        a thread also creates threads while the lock is held (creation stacks)
 *   -f        the holder is made by libc's pthread_create (found with dlsym on libc's handle,
 *             as a library bound to libc would make it), so the process's first creation
 *             through the library comes while the lock is held (its set-up must not wait)
 * Also leaked: one thread blocked in sem_wait, one spinning. Prints "main done" last. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int hold_pipe[2];
static sem_t held, never;
static atomic_int stop;
static const char *ctor_lib;

/* called by the constructor of libtlctor.so, which dlopen runs with dl_load_lock held */
void tl_ctor_hook(void)
{
	char c;
	sem_post(&held);
	read(hold_pipe[0], &c, 1); /* LOADER_BLOCK */
}

static int cb(struct dl_phdr_info *info, size_t size, void *data)
{
	char c;
	sem_post(&held);
	read(hold_pipe[0], &c, 1); /* PHDR_BLOCK */
	return 1;
}

static void *holder(void *arg)
{
	if (strcmp((const char *)arg, "phdr") == 0)
		dl_iterate_phdr(cb, NULL);
	else if (dlopen(ctor_lib, RTLD_NOW) == NULL)
		fprintf(stderr, "dlopen: %s\n", dlerror());
	return NULL;
}

static void *waiter(void *arg)
{
	sem_wait(&never); /* SEM_BLOCK */
	return NULL;
}

static void *spinner(void *arg)
{
	while (!atomic_load(&stop))
		;
	return NULL;
}

static void *child(void *arg)
{
	return NULL;
}

static void *creator(void *arg)
{
	pthread_t t;
	pthread_create(&t, NULL, child, NULL);
	pthread_join(t, NULL);
	sem_wait(&never); /* CREATOR_BLOCK */
	return NULL;
}

int main(int argc, char **argv)
{
	const char *mode = "phdr";
	int api = 0, create = 0, first = 0, opt;
	while ((opt = getopt(argc, argv, "m:acf")) != -1) {
		if (opt == 'm')
			mode = optarg;
		else if (opt == 'a')
			api = 1;
		else if (opt == 'c')
			create = 1;
		else if (opt == 'f')
			first = 1;
	}
	char path[4096];
	snprintf(path, sizeof(path), "%s", argv[0]);
	char *slash = strrchr(path, '/');
	snprintf(slash ? slash + 1 : path, sizeof(path) - (slash ? (size_t)(slash + 1 - path) : 0),
	         "libtlctor.so");
	ctor_lib = path;
	int (*verify)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "threadleak_verify_none");
	pipe(hold_pipe);
	sem_init(&held, 0, 0);
	sem_init(&never, 0, 0);
	pthread_t h, w, s, c;
	if (first) {
		void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
		int (*libc_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *) =
		    libc ? (int (*)(pthread_t *, const pthread_attr_t *, void *(*)(void *),
		                    void *))dlsym(libc, "pthread_create")
		         : NULL;
		if (libc_create == NULL || libc_create(&h, NULL, holder, (void *)mode) != 0)
			return 2;
		sem_wait(&held);
	}
	pthread_create(&w, NULL, waiter, NULL);
	pthread_create(&s, NULL, spinner, NULL);
	if (!first) {
		pthread_create(&h, NULL, holder, (void *)mode);
		sem_wait(&held);
	}
	if (create)
		pthread_create(&c, NULL, creator, NULL);
	usleep(20000);
	if (api) {
		int n = verify ? verify() : 0;
		printf("api leaks %d\n", n);
		fflush(stdout);
		write(hold_pipe[1], "x", 1);
		pthread_join(h, NULL);
		atomic_store(&stop, 1);
		pthread_join(s, NULL);
		sem_post(&never);
		pthread_join(w, NULL);
		if (create) {
			sem_post(&never);
			pthread_join(c, NULL);
		}
	}
	printf("main done\n");
	return 0;
}
