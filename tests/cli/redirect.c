/* Leaks a blocked thread, then, just before exit, points fd 1 (stdout) or fd 2 (stderr) at a
 * data file of its own, as a program that reuses its descriptors would.
 *   redirect stdout|stderr PATH */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;

static void *redirect_wait(void *arg)
{
	pthread_mutex_lock(&mu);
	for (;;)
		pthread_cond_wait(&never, &mu);
	return arg;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	pthread_t t;
	pthread_create(&t, NULL, redirect_wait, NULL);
	printf("ready\n");
	fflush(stdout);
	int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	dup2(fd, strcmp(argv[1], "stdout") == 0 ? 1 : 2);
	close(fd);
	return 0;
}
