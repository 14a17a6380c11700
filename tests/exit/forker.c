/* Main prints one line into a buffered stdout (a pipe or a file) and returns while another
 * thread forks in a loop; children forked 50 ms or more after main returned flush what they
 * inherited. Bare, exit() flushes main's buffer within microseconds: the line appears once. A
 * check that waits (grace period) with the buffer still full hands a copy to every child forked
 * meanwhile. (Children forked earlier do not flush: that window exists bare too.)
 * With argv[1] "child-check", the first such child also leaks a thread of its own and calls
 * threadleak_verify_none(): its report must be written, not kept for the parent's check. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static atomic_int started, child_check, child_checked;
static int (*verify_none)(void);
static int fds[2];

static void *reader(void *arg)
{
	char c;
	(void)arg;
	read(fds[0], &c, 1);
	return NULL;
}
static _Atomic long long exit_began_ms;

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void *forker(void *arg)
{
	(void)arg;
	for (;;) {
		pid_t pid = fork();
		if (pid == 0) {
			/* exit() would also flush, and may wait forever on glibc's lock of the exit
			 * handlers, which the exiting parent may have held at the fork */
			long long began = atomic_load(&exit_began_ms);
			if (began && now_ms() - began >= 50) {
				fflush(stdout);
				if (atomic_load(&child_check) && !atomic_load(&child_checked) &&
				    verify_none) {
					pthread_t t;
					pthread_create(&t, NULL, reader, NULL);
					verify_none();
				}
			}
			_exit(0);
		}
		long long began = atomic_load(&exit_began_ms);
		if (began && now_ms() - began >= 60)
			atomic_store(&child_checked, 1);
		atomic_store(&started, 1);
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
	return NULL;
}

static void exit_begins(void)
{
	atomic_store(&exit_began_ms, now_ms());
}

int main(int argc, char **argv)
{
	pthread_t t;
	(void)argv;
	atomic_store(&child_check, argc > 1);
	verify_none = (int (*)(void))dlsym(RTLD_DEFAULT, "threadleak_verify_none");
	pipe(fds);
	pthread_create(&t, NULL, forker, NULL); /* leaked: marker forker */
	while (!atomic_load(&started))
		usleep(1000);
	printf("the one line\n");
	exit_begins(); /* the exit check starts when main returns */
	return 0;
}
