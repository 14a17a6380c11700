/* The program's hooks defined in C++: without threadleak.h's declaration they have C++
 * linkage (_Z26threadleak_default_optionsv), and are found at the first check by that name;
 * with it (-DWITH_HEADER, and -rdynamic) they have C linkage and are exported as the C names.
 * Two threads leak, "logger" (suppressed by the hook's rule) and "worker"; the options hook
 * makes the status with leaks 42. Prints "ready" once both are named. */
#ifdef WITH_HEADER
#include "threadleak.h"
#endif
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <unistd.h>

const char *threadleak_default_options()
{
	return "exitcode=42";
}

const char *threadleak_default_suppressions()
{
	return "name:^logger$\n";
}

static sem_t named;

static void *loop(void *name)
{
	pthread_setname_np(pthread_self(), static_cast<const char *>(name));
	sem_post(&named);
	for (;;)
		pause();
	return nullptr;
}

int main()
{
	sem_init(&named, 0, 0);
	static const char *names[] = {"logger", "worker"};
	for (const char *name : names) {
		pthread_t t;
		pthread_create(&t, nullptr, loop, const_cast<char *>(name));
		sem_wait(&named);
	}
	printf("ready\n");
	return 0;
}
