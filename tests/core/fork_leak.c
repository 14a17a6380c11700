/* A forked child leaks while the parent does not. Before fork, the parent has a worker parked
 * in pthread_cond_wait: the child must not inherit it in its registry (only the forking thread
 * exists there). The child starts one worker that blocks reading a pipe nobody writes and
 * exits with status 0 (which becomes the exitcode). The parent releases and joins its worker,
 * waits for the child and prints the child's exit status: the parent has 0 leaks.
 * argv[1] "worker": the fork is made by a worker thread (thread 3) instead of main.
 * argv[1] "first": main forks before the process has ever started a thread (the library
 * installs its fork handlers only with the first thread), and starts none itself. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int go, parked;
static int pipefd[2];

static void *parent_worker(void *arg)
{
	pthread_mutex_lock(&mu);
	parked = 1;
	pthread_cond_broadcast(&cv);
	while (!go)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	return NULL;
}

static void *child_worker(void *arg)
{
	char c;
	read(pipefd[0], &c, 1); /* CHILD_BLOCKS */
	return NULL;
}

static int child_main(void)
{
	pipe(pipefd);
	pthread_t t;
	pthread_create(&t, NULL, child_worker, NULL); /* CHILD_CREATES */
	usleep(20000);
	return 0;
}

static void fork_and_wait(pthread_t w)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		exit(child_main()); /* CHILD_MAIN_CALL */

	pthread_mutex_lock(&mu);
	go = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	pthread_join(w, NULL);
	int status;
	waitpid(pid, &status, 0);
	printf("child %d exited %d\n", (int)pid, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static void *forker(void *arg)
{
	fork_and_wait(*(pthread_t *)arg); /* FORKER_CALL */
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "first") == 0) {
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0)
			exit(child_main()); /* CHILD_MAIN_FIRST */
		int status;
		waitpid(pid, &status, 0);
		printf("child %d exited %d\n", (int)pid,
		       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return 0;
	}
	pthread_t w;
	pthread_create(&w, NULL, parent_worker, NULL);
	pthread_mutex_lock(&mu);
	while (!parked)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);

	if (argc > 1 && strcmp(argv[1], "worker") == 0) {
		pthread_t f;
		pthread_create(&f, NULL, forker, &w);
		pthread_join(f, NULL);
	} else {
		fork_and_wait(w); /* FORK_FROM_MAIN */
	}
	return 0;
}
