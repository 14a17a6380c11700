/* A forked child leaks while the parent does not. Before fork, the parent has a worker parked
 * in pthread_cond_wait: the child must not inherit it in its registry (only the forking thread
 * exists there). The child starts one worker that blocks reading a pipe nobody writes and
 * exits with status 0 (which becomes the exitcode). The parent releases and joins its worker,
 * waits for the child and prints the child's exit status: the parent has 0 leaks.
 * argv[1] "worker": the fork is made by a worker thread (thread 3) instead of main.
 * argv[1] "first": main forks before the process has ever started a thread (the library
 * installs its fork handlers only with the first thread or fork), and starts none itself.
 * argv[1] "daemon": a fresh process (posix_spawn of argv[0], "daemon-inner") calls
 * daemon(), which forks inside libc, before it ever started a thread; the daemon then leaks
 * child_worker. "daemon-none": the same daemon starts no thread. Prints "daemon PID done" once
 * the daemon has ended (it holds a pipe to us until then).
 * argv[1] "_Fork": main forks with _Fork(), which runs no fork handler, before the process has
 * ever started a thread. */
#define _GNU_SOURCE /* _Fork */
#include <pthread.h>
#include <spawn.h>
#include <stdbool.h>
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

static int daemon_mode(const char *self, const char *what)
{
	int p[2];
	if (pipe(p) != 0)
		return 1;
	char fd[16];
	snprintf(fd, sizeof(fd), "%d", p[1]);
	char *args[] = {"fork_leak", "daemon-inner", fd, (char *)what, NULL};
	extern char **environ;
	pid_t inner;
	/* argv[0], not /proc/self/exe: under valgrind that is valgrind's tool */
	if (posix_spawn(&inner, self, NULL, NULL, args, environ) != 0)
		return 1;
	close(p[1]);
	int status;
	waitpid(inner, &status, 0);
	char buf[64];
	size_t n = 0;
	ssize_t r;
	while (n < sizeof(buf) - 1 && (r = read(p[0], buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	char dummy;
	while (read(p[0], &dummy, 1) > 0) /* until the daemon has ended */
		;
	printf("daemon %d done\n", atoi(buf));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "daemon") == 0)
		return daemon_mode(argv[0], "leak");
	if (argc > 1 && strcmp(argv[1], "daemon-none") == 0)
		return daemon_mode(argv[0], "none");
	if (argc > 3 && strcmp(argv[1], "daemon-inner") == 0) {
		if (daemon(1, 1) != 0)
			return 1;
		char line[32];
		int len = snprintf(line, sizeof(line), "%d\n", (int)getpid());
		write(atoi(argv[2]), line, (size_t)len);
		if (strcmp(argv[3], "leak") != 0)
			return 0;
		return child_main(); /* CHILD_MAIN_DAEMON */
	}
	bool use_Fork = argc > 1 && strcmp(argv[1], "_Fork") == 0;
	if (use_Fork || (argc > 1 && strcmp(argv[1], "first") == 0)) {
		fflush(stdout);
		pid_t pid = use_Fork ? _Fork() : fork();
		if (pid == 0 && use_Fork)
			exit(child_main()); /* CHILD_MAIN_FORK */
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
