/* A vfork child moves fd 2 before the parent's first thread, as Python's subprocess.run(...,
 * stderr=DEVNULL) does (vfork, then dup2 onto fd 2, then exec); the parent then leaks a thread,
 * and with "move" sends its own fd 2 to /dev/null after that thread started. The report must
 * still be made (the child must not write its pid into its parent's memory: with children=0
 * the parent took itself for a fork child and made no exit check) and reach the original
 * stderr. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void *wait_forever(void *arg)
{
	for (;;)
		pause();
	return arg;
}

int main(int argc, char **argv)
{
	pid_t pid = vfork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 2);
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) != pid || status != 0)
		return 2;
	pthread_t t;
	pthread_create(&t, NULL, wait_forever, NULL);
	if (argc > 1 && strcmp(argv[1], "move") == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 2);
		close(null);
	}
	puts("done");
	return 0;
}
