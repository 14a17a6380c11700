/* A plugin whose start function ends in `return pthread_create(...)` (test_plugin.py): built
 * with -O2, it jumps to pthread_create, so no frame of the plugin is left in its thread's
 * creation stack, which begins in plugin_host's main. Its start routine is the plugin's. */
#include <pthread.h>
#include <unistd.h>

int plugin_start(void);

static pthread_t keeper;

static void *tail_keeper(void *arg)
{
	for (;;)
		sleep(10);
	return arg;
}

int plugin_start(void)
{
	return pthread_create(&keeper, NULL, tail_keeper, NULL);
}
