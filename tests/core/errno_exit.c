/* The exit check runs before the program's exit handlers, which must see the errno main left
 * (tests/core test_errno.py): ENOENT from a failed open() here. The check of a thread that
 * finished without a join left EINVAL. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

static void *finished(void *arg)
{
	return arg;
}

static void errno_at_exit(void)
{
	printf("at exit: errno %s\n", errno == ENOENT ? "ENOENT" : strerror(errno));
}

int main(void)
{
	atexit(errno_at_exit);
	pthread_t t;
	pthread_create(&t, NULL, finished, NULL);
	usleep(50 * 1000);
	if (open("/nonexistent/errno_exit", O_RDONLY) >= 0 || errno != ENOENT)
		printf("open: errno %d\n", errno);
	return 0;
}
