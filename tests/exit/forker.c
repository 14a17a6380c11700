/* Main prints one line into a buffered stdout (a pipe or a file) and returns while another
 * thread forks in a loop; children forked 50 ms or more after exit() began flush what they
 * inherited. Bare, exit() flushes main's buffer within microseconds: the line appears once. A
 * check that waits (grace period) with the buffer still full hands a copy to every child forked
 * meanwhile. (Children forked earlier do not flush: that window exists bare too.) */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static atomic_int started;
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
			if (began && now_ms() - began >= 50)
				fflush(stdout);
			_exit(0);
		}
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

int main(void)
{
	pthread_t t;
	atexit(exit_begins);
	pthread_create(&t, NULL, forker, NULL); /* leaked: marker forker */
	while (!atomic_load(&started))
		usleep(1000);
	printf("the one line\n");
	return 0;
}
