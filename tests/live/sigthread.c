/* A daemon's signal handling: every signal blocked in every thread, one thread takes them.
 * Usage: sigthread MODE [SECONDS]. MODE, how the signal thread waits:
 *   sigwaitinfo   sigwaitinfo on the full set
 *   sigwait       sigwait on the full set
 *   sigtimedwait  sigtimedwait on the full set with a 700 ms timeout, again and again; a wait
 *                 that does not end after its 700 ms prints "bad wait N ms"
 *   narrow        sigwaitinfo on SIGUSR1 and SIGTERM only
 *   signalfd      read from a signalfd of the full set
 *   own           sigwaitinfo on the full set; main queues SIGRTMAX-1 (the request signal of
 *                 threadleak run) to the process itself with the value 101: the thread prints
 *                 "own signal N value V" (the library took it for a request and dropped it)
 * Every signal the thread gets but SIGUSR1 (its end, sent by main) prints "unexpected signal
 * N". Prints "ready" once the thread waits; main ends after a line on stdin, or after SECONDS
 * (then by itself, whatever signals it gets), and prints "done". */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

static const char *mode;

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

static void *sigthread(void *a)
{
	sigset_t set;
	sigfillset(&set);
	if (strcmp(mode, "narrow") == 0) {
		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		sigaddset(&set, SIGTERM);
	}
	int sfd = strcmp(mode, "signalfd") == 0 ? signalfd(-1, &set, SFD_CLOEXEC) : -1;
	for (;;) {
		int s;
		siginfo_t si = {0};
		if (sfd >= 0) {
			struct signalfd_siginfo ssi;
			s = read(sfd, &ssi, sizeof(ssi)) == sizeof(ssi) ? (int)ssi.ssi_signo : -1;
		} else if (strcmp(mode, "sigwait") == 0) {
			int r = sigwait(&set, &s);
			s = r == 0 ? s : -1;
		} else if (strcmp(mode, "sigtimedwait") == 0) {
			struct timespec ts = {0, 700 * 1000000};
			long t0 = now_ms();
			s = sigtimedwait(&set, &si, &ts);
			long took = now_ms() - t0;
			if (s < 0 && errno == EAGAIN) {
				if (took < 700 || took > 700 + 250) {
					printf("bad wait %ld ms\n", took);
					fflush(stdout);
				}
				continue;
			}
		} else {
			s = sigwaitinfo(&set, &si);
		}
		if (s == SIGUSR1)
			break;
		if (strcmp(mode, "own") == 0 && s == SIGRTMAX - 1) {
			printf("own signal %d value %d\n", s, si.si_value.sival_int);
			fflush(stdout);
			continue;
		}
		printf("unexpected signal %d (%s)\n", s, s < 0 ? strerror(errno) : strsignal(s));
		fflush(stdout);
	}
	return a;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	mode = argv[1];
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_t st;
	if (pthread_create(&st, NULL, sigthread, NULL) != 0)
		return 2;
	usleep(100 * 1000); /* the thread is in its wait */
	if (strcmp(mode, "own") == 0) {
		union sigval v = {.sival_int = 101};
		sigqueue(getpid(), SIGRTMAX - 1, v);
	}
	printf("ready\n");
	fflush(stdout);
	if (argc > 2) {
		sleep((unsigned)atoi(argv[2]));
	} else {
		char line[64];
		if (fgets(line, sizeof(line), stdin) == NULL)
			return 2;
	}
	pthread_kill(st, SIGUSR1);
	pthread_join(st, NULL);
	printf("done\n");
	return 0;
}
