/* Frames outside every module, one leaked thread blocked in read() on a pipe:
 *   outside unloaded LIB [gone]: the thread is started by LIB (spawner.c), which is dlclose'd
 *                after (with "gone", LIB's file is deleted first: nothing can name its frames);
 *   outside unloaded_stack LIB [gone]: the same, the thread's current stack through LIB's code;
 *   outside jit: the thread runs generated code in an anonymous executable mapping that calls
 *                blocker(), like JIT-compiled code calling into the runtime.
 * Prints "region 0xADDR SIZE" for the mapping (jit) so the test can check the pc. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int fds[2];

static void *blocker(void *arg)
{
	char c;
	read(fds[0], &c, 1); /* BLOCK */
	return arg;
}

int main(int argc, char **argv)
{
	if (pipe(fds) != 0)
		return 2;
	bool in_stack = argc >= 3 && strcmp(argv[1], "unloaded_stack") == 0;
	if (argc >= 3 && (strcmp(argv[1], "unloaded") == 0 || in_stack)) {
		void *h = dlopen(argv[2], RTLD_NOW);
		if (h == NULL) {
			fprintf(stderr, "%s\n", dlerror());
			return 2;
		}
		int (*start)(void *(*)(void *), void *) = (int (*)(void *(*)(void *), void *))dlsym(
		    h, in_stack ? "spawner_run" : "spawner_start");
		if (start == NULL || start(blocker, NULL) != 0)
			return 2;
		usleep(100 * 1000);
		if (argc == 4 && strcmp(argv[3], "gone") == 0 && unlink(argv[2]) != 0)
			return 2;
		dlclose(h);
		printf("unloaded\n");
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "jit") == 0) {
		size_t size = 4096;
		unsigned char *code = mmap(NULL, size, PROT_READ | PROT_WRITE | PROT_EXEC,
		                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (code == MAP_FAILED)
			return 2;
		/* sub rsp,8; movabs rax,blocker; call rax; add rsp,8; ret */
		unsigned char stub[] = {0x48, 0x83, 0xec, 0x08, 0x48, 0xb8, 0,
		                        0,    0,    0,    0,    0,    0,    0,
		                        0xff, 0xd0, 0x48, 0x83, 0xc4, 0x08, 0xc3};
		void *target = (void *)blocker;
		memcpy(stub + 6, &target, sizeof(target));
		memcpy(code, stub, sizeof(stub));
		pthread_t t;
		if (pthread_create(&t, NULL, (void *(*)(void *))(void *)code, NULL) !=
		    0) /* SPAWN_JIT */
			return 2;
		pthread_detach(t);
		usleep(100 * 1000);
		printf("region %p %zu\n", (void *)code, size);
		return 0;
	}
	fprintf(stderr, "usage: outside unloaded LIB | outside unloaded_stack LIB | outside jit\n");
	return 2;
}
