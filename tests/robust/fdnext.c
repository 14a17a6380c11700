/* The descriptor numbers a program gets do not move under threadleak: the number open() returns
 * before any thread, after the first thread (libunwind opens a pipe of its own then) and after a
 * check during the run is the same. Prints the three; status 0 when they are equal. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "threadleak.h"

static int next_fd(void)
{
	int fd = open("/dev/null", O_RDONLY);
	close(fd);
	return fd;
}

static void *work(void *arg)
{
	return arg;
}

int main(void)
{
	int before = next_fd();
	pthread_t t;
	pthread_create(&t, NULL, work, NULL);
	pthread_join(t, NULL);
	int after_thread = next_fd();
	threadleak_verify_none();
	int after_check = next_fd();
	printf("%d %d %d\n", before, after_thread, after_check);
	return before == after_thread && after_thread == after_check ? 0 : 1;
}
