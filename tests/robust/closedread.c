/* A shutdown that does not work on Linux: another thread close()s the descriptor a reader is
 * blocked on, which does not wake it. The reader reads through stdio (fgets: libc's own read,
 * no wrapper of threadleak's), so the check takes its stack without a signal: a signal
 * restarted the read on the closed number, which failed with EBADF, and the reader printed a
 * line it never prints bare. Prints only "main: done". */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int fds[2];

static void *reader(void *arg)
{
	char buf[64];
	FILE *f = fdopen(fds[0], "r");
	if (fgets(buf, sizeof(buf), f) == NULL) /* READ */
		printf("reader: fgets failed: %s\n", strerror(errno));
	else
		printf("reader: got %s", buf);
	fflush(stdout);
	return arg;
}

int main(void)
{
	if (pipe(fds) != 0)
		return 2;
	pthread_t t;
	pthread_create(&t, NULL, reader, NULL);
	usleep(50000);
	close(fds[0]); /* the reader stays blocked on the pipe */
	usleep(50000);
	printf("main: done\n");
	return 0;
}
