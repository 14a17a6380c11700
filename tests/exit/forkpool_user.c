/* Uses libforkpool (fork handlers that join and restart its workers): forks three times; each
 * child exits through exit(), so it runs its own exit check with the restarted pool. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int forkpool_size(void);

int main(void)
{
	if (forkpool_size() != 3)
		return 3;
	for (int i = 0; i < 3; i++) {
		fflush(stdout);
		pid_t pid = fork();
		if (pid < 0)
			return 2;
		if (pid == 0)
			exit(0);
		int st;
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			printf("child %d: status %d\n", i, st);
			return 1;
		}
	}
	printf("main returns\n");
	return 0;
}
