/* A process that starts no thread forks a child from an exit handler (as a program that starts
 * a helper or a daemon on its way out does). The child sends fd 2 to /dev/null, then leaks a
 * thread blocked on a semaphore and returns from the handler, so that its own exit goes on.
 * The child's report belongs on the stderr the process was given: what stderr was is read
 * before the child's dup2, although the parent's exit had begun when it forked. The parent
 * waits for the child, so that both reports are written when it ends.
 *   exitfork */
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static sem_t never, ready;

static void *exitfork_wait(void *arg)
{
	sem_post(&ready);
	sem_wait(&never);
	return arg;
}

static void on_exit_fork(void)
{
	pid_t pid = fork();
	if (pid != 0) {
		if (pid > 0)
			waitpid(pid, NULL, 0);
		return;
	}
	int null = open("/dev/null", O_WRONLY);
	if (null < 0 || dup2(null, 2) != 2)
		_exit(3);
	close(null);
	sem_init(&never, 0, 0);
	sem_init(&ready, 0, 0);
	pthread_t t;
	if (pthread_create(&t, NULL, exitfork_wait, NULL) != 0)
		_exit(4);
	sem_wait(&ready);
}

int main(void)
{
	atexit(on_exit_fork);
	return 0;
}
