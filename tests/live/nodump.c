/* A process that makes itself not dumpable (prctl(PR_SET_DUMPABLE, 0)), as programs that hold
 * secrets do: the kernel then gives its /proc entries to root and keeps its maps and memory
 * from its owner too. A worker waits on a pipe. Prints "ready", then waits for its stdin to
 * close. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

static int pipefd[2];

static void *worker(void *arg)
{
	char c;
	read(pipefd[0], &c, 1);
	return arg;
}

int main(void)
{
	pthread_t t;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 || pipe(pipefd) != 0 ||
	    pthread_create(&t, NULL, worker, NULL) != 0)
		return 2;
	printf("ready\n");
	fflush(stdout);
	char buf[64];
	while (read(0, buf, sizeof(buf)) > 0)
		;
	close(pipefd[1]);
	pthread_join(t, NULL);
	return 0;
}
