/* quick_exit(STATUS) with one thread leaked (blocked in read) and one that the program's own
 * at_quick_exit handler stops and joins (not a leak: our check runs after the program's
 * handlers). Output left in stdio buffers is lost, bare too; stderr is unbuffered. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int leak_fds[2], stop_fds[2];
static pthread_t stopped;

static void *reader(void *arg)
{
	char c;
	read(*(int *)arg, &c, 1); /* marker: blocked */
	return NULL;
}

static void stop_mine(void)
{
	write(stop_fds[1], "x", 1);
	pthread_join(stopped, NULL);
	fprintf(stderr, "handler joined\n");
}

int main(int argc, char **argv)
{
	pthread_t t;
	pipe(leak_fds);
	pipe(stop_fds);
	pthread_create(&t, NULL, reader, &leak_fds[0]);
	pthread_create(&stopped, NULL, reader, &stop_fds[0]);
	at_quick_exit(stop_mine);
	usleep(20000);
	quick_exit(argc > 1 ? atoi(argv[1]) : 0);
}
