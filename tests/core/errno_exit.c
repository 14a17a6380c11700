/* The exit check runs before the program's exit handlers, which must see the errno main left
 * (tests/core test_errno.py): ENOENT from a failed open() here. The check of a thread that
 * finished without a join left EINVAL. And a successful pthread_create leaves errno as it was:
 * the first creation in the process, and the first by each new creating thread, left EAGAIN
 * (the creation stack's unwind). */
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

static void say_errno(const char *when, int want, const char *name)
{
	if (errno == want)
		printf("%s: errno %s\n", when, name);
	else
		printf("%s: errno %d\n", when, errno);
}

static void *creator(void *arg)
{
	pthread_t t;
	errno = ERANGE;
	pthread_create(&t, NULL, finished, NULL);
	say_errno("after a create in a thread", ERANGE, "ERANGE");
	pthread_join(t, NULL);
	return arg;
}

static void errno_at_exit(void)
{
	printf("at exit: errno %s\n", errno == ENOENT ? "ENOENT" : strerror(errno));
}

int main(void)
{
	atexit(errno_at_exit);
	pthread_t t, c;
	errno = EDOM;
	pthread_create(&t, NULL, finished, NULL);
	say_errno("after create", EDOM, "EDOM");
	pthread_create(&c, NULL, creator, NULL);
	pthread_join(c, NULL);
	usleep(50 * 1000);
	if (open("/nonexistent/errno_exit", O_RDONLY) >= 0 || errno != ENOENT)
		printf("open: errno %d\n", errno);
	return 0;
}
