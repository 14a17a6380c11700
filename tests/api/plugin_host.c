/* plugin_host PATH: dlopen the plugin at PATH (plugin.c), call plugin_start, let its thread
 * reach its sleep, dlclose the plugin, return. Its thread is leaked, in the plugin's code that
 * is no longer mapped: the report names it from the plugin's file all the same. */
#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	void *h = dlopen(argv[1], RTLD_NOW);
	if (h == NULL) {
		fprintf(stderr, "%s\n", dlerror());
		return 1;
	}
	void (*start)(void) = (void (*)(void))dlsym(h, "plugin_start");
	if (start == NULL)
		return 1;
	start();
	usleep(20000);
	printf("dlclose %d\n", dlclose(h));
	return 0;
}
