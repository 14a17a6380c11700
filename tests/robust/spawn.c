/* Starting programs while threads run. Usage: spawn MODE [T] [N]
 *   vfork T N    T threads each run N times: vfork(); the child first tries a program that
 *                does not exist, writes a line with write() (a wrapped call, in a child that
 *                shares the parent's memory), then execs /bin/echo "v-T-I"; the parent waits.
 *   spawn T N    the same with posix_spawn (/bin/echo "s-T-I") and posix_spawnp("true").
 *   exec         two threads blocked (sem_wait, read), one spinning, one creating threads in
 *                a loop; main calls execv("/bin/echo", "exec-ok") in the middle of it all.
 *   exec_worker  as exec, but a worker thread calls execv while main waits in pthread_join.
 *   exec_self    main execs this program again as "spawn after_exec" while threads run.
 *   after_exec   (the new image of exec_self) leaves one thread blocked and exits 0.
 *   forkexit TOKEN  a thread forks in a loop, each child calling exit(0), another creates
 *                detached threads in a loop; main returns after 20 ms: children forked while
 *                the parent runs its exit handlers must end too (TOKEN marks them).
 * Prints "done vfork|spawn OK BAD" with the count of children that exited as expected. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static int iterations;
static atomic_int good, bad;
static sem_t never, ready;
static int pipefd[2];
static char self_path[4096];

static void *vforker(void *arg)
{
	long idx = (long)arg;
	for (int i = 0; i < iterations; i++) {
		char word[64];
		snprintf(word, sizeof(word), "v-%ld-%d", idx, i);
		char *argv[] = {"echo", word, NULL};
		pid_t pid = vfork();
		if (pid == 0) {
			execve("/nonexistent/program", argv, environ); /* fails: ENOENT */
			static const char msg[] = "vfork child: first exec failed as expected\n";
			if (write(2, msg, sizeof(msg) - 1) < 0)
				_exit(126);
			execve("/bin/echo", argv, environ);
			_exit(127);
		}
		int st;
		if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0)
			atomic_fetch_add(&good, 1);
		else
			atomic_fetch_add(&bad, 1);
	}
	return NULL;
}

static void *spawner(void *arg)
{
	long idx = (long)arg;
	for (int i = 0; i < iterations; i++) {
		char word[64];
		snprintf(word, sizeof(word), "s-%ld-%d", idx, i);
		char *argv[] = {"echo", word, NULL};
		char *targv[] = {"true", NULL};
		pid_t pid;
		int st;
		int r = posix_spawn(&pid, "/bin/echo", NULL, NULL, argv, environ);
		if (r == 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0)
			atomic_fetch_add(&good, 1);
		else
			atomic_fetch_add(&bad, 1);
		r = posix_spawnp(&pid, "true", NULL, NULL, targv, environ);
		if (r == 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0)
			atomic_fetch_add(&good, 1);
		else
			atomic_fetch_add(&bad, 1);
	}
	return NULL;
}

static void *sem_blocker(void *arg)
{
	sem_post(&ready);
	sem_wait(&never);
	return arg;
}

static void *read_blocker(void *arg)
{
	char c;
	sem_post(&ready);
	read(pipefd[0], &c, 1);
	return arg;
}

static void *spinner(void *arg)
{
	sem_post(&ready);
	for (volatile unsigned long i = 0;; i++)
		;
	return arg;
}

static void *nothing(void *arg)
{
	return arg;
}

static void *creator(void *arg)
{
	sem_post(&ready);
	for (;;) {
		pthread_t t;
		if (pthread_create(&t, NULL, nothing, NULL) == 0)
			pthread_join(t, NULL);
	}
	return arg;
}

static void start_busy_threads(void)
{
	void *(*fns[])(void *) = {sem_blocker, read_blocker, spinner, creator};
	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		pthread_t t;
		pthread_create(&t, NULL, fns[i], NULL);
	}
	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
		sem_wait(&ready);
}

static void do_exec(const char *what)
{
	fflush(stdout);
	if (strcmp(what, "self") == 0) {
		char *argv[] = {self_path, "after_exec", NULL};
		execv(self_path, argv);
	} else {
		char *argv[] = {"echo", "exec-ok", NULL};
		execv("/bin/echo", argv);
	}
	perror("execv");
	_exit(99);
}

static void *exec_worker(void *arg)
{
	do_exec("echo");
	return arg;
}

static void *fork_loop(void *arg)
{
	for (;;) {
		pid_t p = fork();
		if (p == 0)
			exit(0);
		if (p > 0)
			waitpid(p, NULL, 0);
	}
	return arg;
}

static void *quick(void *arg)
{
	return arg;
}

static void *create_loop(void *arg)
{
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	for (;;) {
		pthread_t t;
		pthread_create(&t, &at, quick, NULL);
	}
	return arg;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 64;
	const char *mode = argv[1];
	int nthreads = argc > 2 ? atoi(argv[2]) : 4;
	iterations = argc > 3 ? atoi(argv[3]) : 10;
	setvbuf(stdout, NULL, _IOLBF, 0);
	sem_init(&never, 0, 0);
	sem_init(&ready, 0, 0);
	if (pipe(pipefd) != 0)
		return 66;
	ssize_t n = readlink("/proc/self/exe", self_path, sizeof(self_path) - 1);
	if (n > 0)
		self_path[n] = '\0';
	else
		snprintf(self_path, sizeof(self_path), "%s", argv[0]);

	if (strcmp(mode, "vfork") == 0 || strcmp(mode, "spawn") == 0) {
		pthread_t *ts = calloc((size_t)nthreads, sizeof(*ts));
		for (long i = 0; i < nthreads; i++)
			pthread_create(&ts[i], NULL, mode[0] == 'v' ? vforker : spawner, (void *)i);
		for (int i = 0; i < nthreads; i++)
			pthread_join(ts[i], NULL);
		free(ts);
		printf("done %s %d %d\n", mode, atomic_load(&good), atomic_load(&bad));
		return 0;
	}
	if (strcmp(mode, "exec") == 0) {
		start_busy_threads();
		do_exec("echo");
	}
	if (strcmp(mode, "exec_self") == 0) {
		start_busy_threads();
		do_exec("self");
	}
	if (strcmp(mode, "exec_worker") == 0) {
		start_busy_threads();
		pthread_t t;
		pthread_create(&t, NULL, exec_worker, NULL);
		pthread_join(t, NULL); /* never returns: the exec ends this image */
		return 98;
	}
	if (strcmp(mode, "forkexit") == 0) {
		pthread_t t;
		pthread_create(&t, NULL, fork_loop, NULL);
		pthread_create(&t, NULL, create_loop, NULL);
		usleep(20000);
		return 0;
	}
	if (strcmp(mode, "after_exec") == 0) {
		pthread_t t;
		pthread_create(&t, NULL, sem_blocker, NULL);
		sem_wait(&ready);
		printf("after exec\n");
		return 0;
	}
	return 64;
}
