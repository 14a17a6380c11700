/* Starts a daemon the classic way and exits at once: fork, setsid, fork again. The daemon
 * sends its stdio to /dev/null, leaks a blocked thread, writes its pid to PIDFILE, sleeps
 * MS milliseconds (or until SIGUSR1) and exits normally (so its exit check runs then).
 *   daemon MS PIDFILE */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;

static void *daemon_wait(void *arg)
{
	pthread_mutex_lock(&mu);
	for (;;)
		pthread_cond_wait(&never, &mu);
	return arg;
}

static void on_usr1(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	long ms = atol(argv[1]);
	pid_t pid = fork();
	if (pid > 0) {
		waitpid(pid, NULL, 0);
		printf("started\n");
		return 0;
	}
	setsid();
	if (fork() > 0)
		_exit(0);
	int null = open("/dev/null", O_RDWR);
	dup2(null, 0);
	dup2(null, 1);
	dup2(null, 2);
	close(null);
	signal(SIGUSR1, on_usr1); /* ends the sleep early (EINTR) */
	pthread_t t;
	pthread_create(&t, NULL, daemon_wait, NULL);
	FILE *f = fopen(argv[2], "w");
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
	return 0;
}
