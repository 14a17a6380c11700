/* A plugin that starts a thread of its own, which outlives it: plugin_host.c dlopens it, calls
 * plugin_start and dlcloses it. */
#include <pthread.h>
#include <unistd.h>

void plugin_start(void);

static void *plugin_sleeper(void *arg)
{
	for (;;)
		sleep(10); /* PLUGIN_SLEEPS */
	return arg;
}

void plugin_start(void)
{
	pthread_t t;
	pthread_create(&t, NULL, plugin_sleeper, NULL); /* PLUGIN_STARTS */
	pthread_detach(t);
}
