/* A test runner's check, then exec: threadleak_verify_none() finds the thread blocked on a
 * pipe, and the program execs /bin/true, which keeps the pid and so the same log_path file
 * (PATH.PID): the file must hold the API check's report, then the exit check of /bin/true. */
#include <threadleak.h>

#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static int fds[2];

static void *blocked(void *arg)
{
	char c;
	if (read(fds[0], &c, 1) < 0)
		perror("read");
	return arg;
}

int main(void)
{
	pthread_t t;
	if (pipe(fds) != 0 || pthread_create(&t, NULL, blocked, NULL) != 0)
		return 2;
	usleep(20000);
	printf("api check %d\n", threadleak_verify_none());
	fflush(stdout);
	execl("/bin/true", "true", (char *)NULL);
	perror("execl");
	return 1;
}
