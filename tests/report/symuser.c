/* Loads the library named by argv[1] (test_symbols.py's stripped, MiniDebugInfo or split-debug
 * copy of libtlsym.so) and leaks its thread. */
#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	void *h = argc > 1 ? dlopen(argv[1], RTLD_NOW) : NULL;
	void (*start)(void) = h ? (void (*)(void))dlsym(h, "symlib_start") : NULL;
	if (start == NULL) {
		fprintf(stderr, "symuser: %s\n", dlerror());
		return 2;
	}
	start();
	usleep(50000); /* the thread is in read */
	return 0;
}
