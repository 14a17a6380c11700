/* What a mid-run check of many threads must leave as it was (the check shares its looks at
 * threads with a helper thread: preload/kernel.c tl_kernel_view_all). 400 threads wait on a
 * condition variable and 400 on a mutex main holds, then main calls threadleak_verify_none()
 * and prints what it sees after it:
 *   children  the children accounting (getrusage, times) and a wait for any child, __WALL
 *             included: "children 0 0 0 -1" (no child ever ran)
 *   pidns     after unshare(CLONE_NEWPID) before the check, a fork: "fork pid 1", the child
 *             being the namespace's first process ("skip" without the privilege)
 *   fds       RLIMIT_NOFILE lowered so that two descriptor numbers are free during the check:
 *             the report must still see every waiter asleep
 * and last "leaked N errno E": errno as the check left it (0 before the call, 0 after). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include "threadleak.h"

#define EACH 400

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER, held = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int arrived;

static void *cond_waiter(void *arg)
{
	pthread_mutex_lock(&mu);
	arrived++;
	for (;;)
		pthread_cond_wait(&cv, &mu); /* COND_WAIT */
	return arg;
}

static void *mutex_waiter(void *arg)
{
	__atomic_add_fetch(&arrived, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&held); /* MUTEX_WAIT */
	return arg;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "children";
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	pthread_mutex_lock(&held);
	for (int i = 0; i < EACH; i++) {
		pthread_t t;
		pthread_create(&t, &attr, cond_waiter, NULL);
		pthread_create(&t, &attr, mutex_waiter, NULL);
	}
	for (;;) {
		pthread_mutex_lock(&mu);
		int n = __atomic_load_n(&arrived, __ATOMIC_SEQ_CST);
		pthread_mutex_unlock(&mu);
		if (n == 2 * EACH)
			break;
		usleep(1000);
	}
	usleep(100000); /* all asleep in the kernel */
	if (strcmp(mode, "pidns") == 0 && unshare(CLONE_NEWPID) != 0) {
		printf("skip %s\n", strerror(errno));
		return 0;
	}
	if (strcmp(mode, "fds") == 0) {
		int top = -1;
		for (;;) { /* fill the table, then give back two numbers */
			int fd = open("/dev/null", O_RDONLY);
			if (fd < 0 || fd >= 255)
				break;
			top = fd;
		}
		struct rlimit rl = {256, 256};
		getrlimit(RLIMIT_NOFILE, &rl);
		rl.rlim_cur = 256;
		setrlimit(RLIMIT_NOFILE, &rl);
		close(top);
		close(top - 1);
	}
	errno = 0;
	int leaked = threadleak_verify_none();
	int after = errno;
	if (strcmp(mode, "children") == 0) {
		struct rusage ru;
		struct tms tm;
		getrusage(RUSAGE_CHILDREN, &ru);
		times(&tm);
		int st;
		pid_t w = waitpid(-1, &st, WNOHANG | __WALL);
		printf("children %ld %ld %ld %d\n", ru.ru_maxrss,
		       (long)(ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec +
		              ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec),
		       (long)(tm.tms_cutime + tm.tms_cstime), (int)w);
	} else if (strcmp(mode, "pidns") == 0) {
		pid_t p = fork();
		if (p == 0)
			_exit(getpid() == 1 ? 0 : 1);
		int st = 0;
		if (p < 0)
			printf("fork failed: %s\n", strerror(errno));
		else if (waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 0)
			printf("fork pid 1\n");
		else
			printf("fork child status %d\n", st);
	}
	printf("leaked %d errno %d\n", leaked, after);
	fflush(stdout);
	_exit(0);
}
