/* A leaking program that controls its own exit status and leaves output in stdio buffers.
 * Usage: exitstatus STATUS [FILE [wide|fgets]]
 *   one worker is leaked (blocked in pthread_cond_wait; with "fgets", blocked in fgets() on
 *   a stdin pipe nobody writes, holding stdin's stdio lock);
 *   stdout gets 10000 bytes of numbered lines then a tail without a newline: with stdout a
 *   pipe (fully buffered) part of it is still in the buffer at exit;
 *   FILE (unless "-") is fopen'ed and written without fclose or fflush;
 *   "wide": the tail is written with wprintf (a wide-oriented stdout);
 *   main returns STATUS. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never_signalled = PTHREAD_COND_INITIALIZER;

static void *stuck(void *arg)
{
	pthread_mutex_lock(&mu);
	for (;;)
		pthread_cond_wait(&never_signalled, &mu);
	return NULL;
}

static void *stdin_reader(void *arg)
{
	char buf[64];
	fgets(buf, sizeof(buf), stdin); /* FGETS: holds stdin's lock while it waits */
	return NULL;
}

int main(int argc, char **argv)
{
	int status = argc > 1 ? atoi(argv[1]) : 0;
	int wide = argc > 3 && strcmp(argv[3], "wide") == 0;
	int use_fgets = argc > 3 && strcmp(argv[3], "fgets") == 0;
	pthread_t t;
	if (use_fgets) {
		int p[2];
		pipe(p);
		dup2(p[0], 0); /* p[1] stays open: the read never ends */
		pthread_create(&t, NULL, stdin_reader, NULL);
		usleep(20000);
	} else {
		pthread_create(&t, NULL, stuck, NULL);
	}
	if (argc > 2 && strcmp(argv[2], "-") != 0) {
		FILE *f = fopen(argv[2], "w");
		if (f)
			fprintf(f, "file content kept in the FILE buffer"); /* never closed */
	}
	if (wide) {
		wprintf(L"wide tail without newline");
	} else {
		for (int i = 0; i < 1000; i++)
			printf("line %04d\n", i); /* 10 bytes each */
		printf("tail without newline");
	}
	return status;
}
