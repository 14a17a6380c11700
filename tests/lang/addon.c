/* A native library that leaks its own thread, loaded inside a runtime (a GLib program with
 * dlopen, Python with ctypes): addon_start() starts a detached thread that waits forever on a
 * condition variable nobody signals. threadleak must report it even though the runtime's own
 * threads are suppressed by default. With TL_ADDON_AUTOSTART set in the environment, loading
 * the library starts the thread (for runtimes that load a library but call nothing in it, like
 * Node's process.dlopen on a library that is not a Node module). */
#include <pthread.h>
#include <stdlib.h>

int addon_start(void);

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;

static void *addon_worker(void *arg)
{
	pthread_mutex_lock(&mu);
	for (;;)
		pthread_cond_wait(&never, &mu); /* the addon's leak: nobody ever signals */
	return arg;
}

__attribute__((visibility("default"))) int addon_start(void)
{
	pthread_t t;
	if (pthread_create(&t, NULL, addon_worker, NULL) != 0)
		return -1;
	pthread_detach(t);
	return 0;
}

__attribute__((constructor)) static void autostart(void)
{
	if (getenv("TL_ADDON_AUTOSTART"))
		addon_start();
}
