/* plugin_host PATH [chdir | replace OTHER]: dlopen the plugin at PATH (plugin.c), call
 * plugin_start, let its thread reach its sleep, dlclose the plugin, return. Its thread is leaked,
 * in the plugin's code that is no longer mapped: the report names it from the plugin's file all
 * the same. "chdir": PATH is relative, and the program moves to "/" before dlclose. "replace":
 * after dlclose, OTHER is renamed over PATH (a plugin rebuilt): no name may come from it. */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
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
	if (argc > 2 && strcmp(argv[2], "chdir") == 0 && chdir("/") != 0)
		return 1;
	printf("dlclose %d\n", dlclose(h));
	if (argc > 3 && strcmp(argv[2], "replace") == 0 && rename(argv[3], argv[1]) != 0)
		return 1;
	return 0;
}
