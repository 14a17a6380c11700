/* One thread leaked (blocked in read), then the process ends with a status given on the command
 * line: status exit|return|quick N. A parent sees only the low 8 bits of N: exit(256) ends the
 * process with status 0, exit(-1) with 255. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int fds[2];

static void *reader(void *arg)
{
	char c;
	read(fds[0], &c, 1);
	return arg;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	pthread_t t;
	pipe(fds);
	pthread_create(&t, NULL, reader, NULL);
	usleep(20000);
	int n = atoi(argv[2]);
	if (strcmp(argv[1], "exit") == 0)
		exit(n);
	if (strcmp(argv[1], "quick") == 0)
		quick_exit(n);
	return n;
}
