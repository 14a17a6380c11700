/* Threads that poll their signals with every signal blocked (tests/robust test_signals.py, 9).
 * Four pollers loop: block every signal, look (sigtimedwait on the full set with a zero
 * timeout, or sigpending then that wait), open the mask again, work a little. Main runs 40
 * checks meanwhile (threadleak_verify_none, with grace_ms=0 in the test), then stops and joins
 * the pollers and prints what they saw: bare, "seen 0 pending 0". A check samples a poller that
 * it found open to signals; the poller blocked every signal before the signal came, and its
 * own wait took threadleak's sampling signal (seen 5-24 in 40 checks), and sigpending showed it.
 * The last check's JSON is printed last, after a line "json": the pollers' stacks must name poller.
 * One worker leaks, waiting for ever, so the exit check reports it.
 *   sigpoll wait|pending [CHECKS]
 *   sigpoll signalfd     main blocks every signal and reads them from a signalfd (a daemon's
 *                        loop) after a check: the check's first signal, which measures its
 *                        frame on its own thread, stayed pending there and came out of the
 *                        signalfd ("signalfd got 62"); bare, "signalfd empty"
 *   sigpoll dumped       main blocks every signal, says "ready", and waits for its stdin to
 *                        close; then it prints what sigpending() shows. A threadleak dump that
 *                        gave up meanwhile (no thread takes its request) left its signal
 *                        pending there ("pending 63"); bare, "pending none" */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "threadleak.h"

#define POLLERS 4

static atomic_int stop, seen, pending_seen, first_sig;
static int use_pending;

static void *poller(void *arg)
{
	sigset_t all, none;
	sigfillset(&all);
	sigemptyset(&none);
	const struct timespec zero = {0, 0};
	while (!atomic_load(&stop)) {
		pthread_sigmask(SIG_BLOCK, &all, NULL);
		if (use_pending) {
			sigset_t p;
			if (sigpending(&p) == 0)
				for (int s = 1; s < NSIG; s++)
					if (sigismember(&p, s) == 1) {
						atomic_fetch_add(&pending_seen, 1);
						break;
					}
		}
		siginfo_t si;
		int r = sigtimedwait(&all, &si, &zero); /* the poll */
		if (r > 0 && atomic_fetch_add(&seen, 1) == 0)
			atomic_store(&first_sig, r);
		pthread_sigmask(SIG_SETMASK, &none, NULL);
		for (volatile int i = 0; i < 200; i++)
			;
	}
	return arg;
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;

static void *leaked(void *arg)
{
	pthread_mutex_lock(&mu);
	for (;;)
		pthread_cond_wait(&never, &mu);
	return arg;
}

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;

static void *held_waiter(void *arg)
{
	pthread_mutex_lock(&held); /* main holds it: sampled with a signal */
	pthread_mutex_unlock(&held);
	return arg;
}

static int signalfd_mode(void)
{
	pthread_t w;
	pthread_mutex_lock(&held);
	pthread_create(&w, NULL, held_waiter, NULL);
	usleep(100 * 1000);
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	int fd = signalfd(-1, &all, SFD_NONBLOCK);
	if (fd < 0) {
		perror("signalfd");
		return 1;
	}
	if (threadleak_active())
		threadleak_verify_none();
	struct signalfd_siginfo si;
	if (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		printf("signalfd got %u\n", si.ssi_signo);
	else
		printf("signalfd empty\n");
	pthread_mutex_unlock(&held);
	pthread_join(w, NULL);
	return 0;
}

static int dumped_mode(void)
{
	sigset_t all, p;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	printf("ready\n");
	fflush(stdout);
	char c;
	while (read(0, &c, 1) > 0)
		;
	if (sigpending(&p) != 0) {
		perror("sigpending");
		return 1;
	}
	int any = 0;
	for (int s = 1; s < NSIG; s++)
		if (sigismember(&p, s) == 1)
			printf("%s%d", any++ ? " " : "pending ", s);
	printf(any ? "\n" : "pending none\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "signalfd") == 0)
		return signalfd_mode();
	if (argc == 2 && strcmp(argv[1], "dumped") == 0)
		return dumped_mode();
	if (argc < 2 || (strcmp(argv[1], "wait") != 0 && strcmp(argv[1], "pending") != 0)) {
		fprintf(stderr, "usage: sigpoll wait|pending [CHECKS] | signalfd | dumped\n");
		return 2;
	}
	use_pending = strcmp(argv[1], "pending") == 0;
	int checks = argc > 2 ? atoi(argv[2]) : 40;
	pthread_t t[POLLERS], l;
	pthread_create(&l, NULL, leaked, NULL);
	for (int i = 0; i < POLLERS; i++)
		pthread_create(&t[i], NULL, poller, NULL);
	char *last = NULL;
	for (int i = 0; i < checks; i++) {
		if (!threadleak_active()) {
			usleep(2000);
		} else if (i + 1 < checks) {
			threadleak_verify_none();
		} else {
			int n = 0;
			last = threadleak_report_json(&n);
		}
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < POLLERS; i++)
		pthread_join(t[i], NULL);
	printf("seen %d pending %d\n", atomic_load(&seen), atomic_load(&pending_seen));
	if (atomic_load(&seen))
		printf("first signal %d\n", atomic_load(&first_sig));
	if (last) {
		printf("json\n%s\n", last);
		free(last);
	}
	return 0;
}
