/* A program that starts threads and joins them all: nothing leaks. With a number N, it then
 * checks itself N times (threadleak_verify_none, as a test fixture would after each test):
 * N clean mid-run reports, alike to the byte. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static void *work(void *arg)
{
	return arg;
}

int main(int argc, char **argv)
{
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, work, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	int (*verify)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "threadleak_verify_none");
	for (int i = 0; argc > 1 && verify && i < atoi(argv[1]); i++)
		verify();
	printf("tidy done\n");
	return 0;
}
