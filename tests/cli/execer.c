/* Starting programs the ways the exec wrappers see, for test_exec_notes.py:
 *   execer vfork PROG     vfork; the child first execs a missing program (must fail with
 *                         ENOENT), then PROG; exits with PROG's status
 *   execer spawn PROG     posix_spawn PROG and wait for it
 *   execer envi PROG      execle PROG with an empty environment
 *   execer fexecve PROG   fexecve of PROG opened read-only
 *   execer errno PATH     execv PATH, which must fail: prints "errno N" */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int status_of(pid_t pid)
{
	int st;
	if (pid <= 0 || waitpid(pid, &st, 0) != pid)
		return 99;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	char *prog = argv[2];
	char *args[] = {prog, "-", NULL};
	if (strcmp(argv[1], "vfork") == 0) {
		pid_t pid = vfork();
		if (pid == 0) {
			execve("/nonexistent/program", args, environ);
			if (errno != ENOENT)
				_exit(3);
			execve(prog, args, environ);
			_exit(127);
		}
		return status_of(pid);
	}
	if (strcmp(argv[1], "spawn") == 0) {
		pid_t pid;
		if (posix_spawn(&pid, prog, NULL, NULL, args, environ) != 0)
			return 98;
		return status_of(pid);
	}
	if (strcmp(argv[1], "envi") == 0) {
		char *empty[] = {NULL};
		execle(prog, prog, "-", (char *)NULL, empty);
		return 127;
	}
	if (strcmp(argv[1], "fexecve") == 0) {
		int fd = open(prog, O_RDONLY | O_CLOEXEC);
		fexecve(fd, args, environ);
		return 127;
	}
	if (strcmp(argv[1], "errno") == 0) {
		errno = 0;
		int r = execv(prog, args);
		printf("errno %d ret %d\n", errno, r);
		return 0;
	}
	return 2;
}
