/* Uses libpool (whose destructor joins its workers). With "late", has the pool start more
 * workers from main; with any other argument, also leaks a thread of its own, blocked in read. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void pool_start_late(void);

static int fds[2];

static void *reader(void *arg)
{
	char c;
	(void)arg;
	read(fds[0], &c, 1); /* marker: reader blocks */
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "late") == 0) {
		pool_start_late();
	} else if (argc > 1) {
		pthread_t t;
		pipe(fds);
		pthread_create(&t, NULL, reader, NULL);
	}
	printf("main returns\n");
	return 0;
}
