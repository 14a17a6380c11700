/* A daemon whose main thread blocks every signal, so that a signal sent to the process goes to
 * a worker: `threadleak dump` must not make a worker's call fail with EINTR.
 *   sigmask sem      workers: semtimedop in a loop (20 ms timeouts, never restarted after a
 *                    handler), thrd_sleep in a loop (20 ms)
 *   sigmask semonly  the semtimedop worker only: no thread can take the request unharmed
 *   sigmask sleep    the thrd_sleep worker only (C11's sleep: inside a wrapper of the library)
 *   sigmask reduced  workers: one spinning, one in semop until the end (no wrapper of the
 *                    library: the report is reduced), named "spinner" and "semw"
 *   sigmask rawread  as reduced, with a thread asleep in a raw read(2) of a pipe ("reader", no
 *                    wrapper either) in place of the spinner: the thread that makes the
 *                    reduced report is asleep in a system call
 * Says "ready", then on "stop" on stdin ends the workers and prints how many of their calls
 * failed with EINTR or returned early, then "done". */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/sem.h>
#include <sys/syscall.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

static atomic_bool stop;
static int sem;
static long n_sem, e_sem, n_sleep, e_sleep, early_sleep;

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *semtimed(void *arg)
{
	(void)arg;
	struct sembuf op = {0, -1, 0};
	struct timespec ts = {0, 20000000};
	while (!atomic_load(&stop)) {
		n_sem++;
		if (semtimedop(sem, &op, 1, &ts) < 0 && errno == EINTR)
			e_sem++;
	}
	return NULL;
}

static void *sleeper(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		struct timespec ts = {0, 20000000};
		long long t0 = now_ns();
		n_sleep++;
		if (thrd_sleep(&ts, NULL) != 0)
			e_sleep++;
		else if (now_ns() - t0 < 20000000)
			early_sleep++;
	}
	return NULL;
}

static void *spinner(void *arg)
{
	(void)arg;
	volatile unsigned long x = 0;
	while (!atomic_load(&stop))
		x++;
	return NULL;
}

static int pipe_fds[2];

static void *reader(void *arg)
{
	char c;
	(void)arg;
	syscall(SYS_read, pipe_fds[0], &c, 1); /* until main writes at the end */
	return NULL;
}

static void *semwait(void *arg)
{
	(void)arg;
	struct sembuf op = {0, -1, 0};
	n_sem++;
	if (semop(sem, &op, 1) < 0 && errno == EINTR) /* EIDRM at the end */
		e_sem++;
	return NULL;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "sem";
	pthread_t t[2];
	int n = 0;
	sem = semget(IPC_PRIVATE, 1, 0600);
	if (sem < 0)
		return perror("semget"), 2;
	bool raw = strcmp(mode, "rawread") == 0;
	if (raw && pipe(pipe_fds) != 0)
		return perror("pipe"), 2;
	if (strcmp(mode, "reduced") == 0 || raw) {
		pthread_create(&t[n++], NULL, raw ? reader : spinner, NULL);
		pthread_create(&t[n++], NULL, semwait, NULL);
		pthread_setname_np(t[0], raw ? "reader" : "spinner");
		pthread_setname_np(t[1], "semw");
	} else {
		if (strcmp(mode, "sleep") != 0)
			pthread_create(&t[n++], NULL, semtimed, NULL);
		if (strcmp(mode, "semonly") != 0)
			pthread_create(&t[n++], NULL, sleeper, NULL);
	}
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	printf("ready\n");
	fflush(stdout);
	char buf[64];
	while (read(0, buf, sizeof(buf)) > 0 && strncmp(buf, "stop", 4) != 0)
		;
	atomic_store(&stop, true);
	if (raw && write(pipe_fds[1], "x", 1) != 1)
		return perror("write"), 2;
	semctl(sem, 0, IPC_RMID);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	printf("semop %ld eintr %ld sleep %ld interrupted %ld early %ld\n", n_sem, e_sem, n_sleep,
	       e_sleep, early_sleep);
	printf("done\n");
	return 0;
}
