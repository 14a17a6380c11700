/* A thread blocked in read on a pipe for about a second before the exit check. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static int fds[2];

static void *reader(void *arg)
{
	char c;
	pthread_setname_np(pthread_self(), "long_read");
	read(fds[0], &c, 1);
	return NULL;
}

int main(void)
{
	pthread_t t;
	pipe(fds);
	pthread_create(&t, NULL, reader, NULL);
	struct timespec ts = {1, 0};
	nanosleep(&ts, NULL);
	return 0;
}
