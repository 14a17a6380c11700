/* A SIGALRM handler that interrupts main while it allocates in a tight loop (often inside
 * malloc, holding the arena's lock), with two threads leaked, blocked in read. argv[1]:
 *   exit: the handler calls exit(0);
 *   altstack: the same, the handler running on an alternate signal stack;
 *   quick: the handler calls quick_exit(0) (async-signal-safe, made for handlers);
 *   api:  the handler calls threadleak_verify_none() (looked up beforehand: dlsym is no
 *         function for a handler), then main prints what it returned and returns 0.
 *   asleep CALL [altstack]: main waits for the signal in CALL (pause, sigsuspend, sleep, poll,
 *         select or epoll), as a daemon's main loop does, and the handler calls exit(0): no lock
 *         is held there, and the check runs in full (stacks, suppressions); it was reduced.
 *   ingrace: a worker polls (usleep), so the exit check waits its whole grace period; main
 *         returns 0 and a child sends SIGTERM 50 ms later, whose handler calls exit(3) on main,
 *         inside the check: bare, status 3. The exit waited for the check it had interrupted:
 *         hung for good.
 *   inapi: the same worker; a SIGALRM handler calls exit(0) while main is inside
 *         threadleak_verify_none: it waited for the check's lock, its own: hung.
 *   longjmp: the handler siglongjmps out of threadleak_verify_none; main prints "timed out"
 *         and returns 0: the exit check waited for that lock too.
 *   longjmp_again: the same, then main calls threadleak_verify_none() again and prints what it
 *         returned ("again -1": refused, with one line on stderr): it waited for that lock. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <setjmp.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static int fds[2];
static int (*verify_none)(void);
static volatile sig_atomic_t done, api_result = 1000;
static int api_mode, quick_mode;

static atomic_int readers;

static void *reader(void *arg)
{
	char c;
	(void)arg;
	atomic_fetch_add(&readers, 1);
	read(fds[0], &c, 1); /* marker: blocked */
	return NULL;
}

static void on_alarm(int sig)
{
	(void)sig;
	if (quick_mode)
		quick_exit(0);
	if (!api_mode)
		exit(0);
	api_result = verify_none ? verify_none() : -2;
	done = 1;
}

static void *poller(void *arg)
{
	for (;;)
		usleep(20 * 1000);
	return arg;
}

static sigjmp_buf jump;

static void exit3(int sig)
{
	(void)sig;
	exit(3);
}

static void exit0(int sig)
{
	(void)sig;
	exit(0);
}

static void jump_out(int sig)
{
	(void)sig;
	siglongjmp(jump, 1);
}

/* ingrace, inapi, longjmp: a handler of main's that ends a check it interrupted */
static int in_check(const char *mode)
{
	int sig = strcmp(mode, "ingrace") == 0 ? SIGTERM : SIGALRM;
	sigset_t one;
	sigemptyset(&one);
	sigaddset(&one, sig);
	pthread_sigmask(SIG_BLOCK, &one, NULL); /* the worker blocks it: main takes it */
	pthread_t t;
	pthread_create(&t, NULL, poller, NULL);
	pthread_detach(t);
	pthread_sigmask(SIG_UNBLOCK, &one, NULL);
	if (sig == SIGTERM) {
		signal(SIGTERM, exit3);
		if (fork() == 0) {
			usleep(50 * 1000);
			kill(getppid(), SIGTERM);
			_exit(0);
		}
		return 0; /* the exit check runs, and SIGTERM comes in its grace period */
	}
	signal(SIGALRM, strcmp(mode, "inapi") == 0 ? exit0 : jump_out);
	if (sigsetjmp(jump, 1) == 0) {
		ualarm(100 * 1000, 0);
		if (verify_none)
			verify_none();
		for (;;)
			pause();
	}
	printf("timed out\n");
	if (strcmp(mode, "longjmp_again") == 0 && verify_none)
		printf("again %d\n", verify_none());
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "exit";
	api_mode = strcmp(mode, "api") == 0;
	quick_mode = strcmp(mode, "quick") == 0;
	verify_none = (int (*)(void))dlsym(RTLD_DEFAULT, "threadleak_verify_none");
	if (!strcmp(mode, "ingrace") || !strcmp(mode, "inapi") || !strcmp(mode, "longjmp") ||
	    !strcmp(mode, "longjmp_again"))
		return in_check(mode);
	pipe(fds);
	pthread_t t;
	sigset_t alrm;
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &alrm, NULL); /* the readers block it: main takes it */
	for (int i = 0; i < 2; i++)
		pthread_create(&t, NULL, reader, NULL);
	pthread_sigmask(SIG_UNBLOCK, &alrm, NULL);
	while (atomic_load(&readers) < 2)
		usleep(1000);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	const char *asleep = strcmp(mode, "asleep") == 0 && argc > 2 ? argv[2] : NULL;
	if (strcmp(mode, "altstack") == 0 || (asleep && argc > 3 && !strcmp(argv[3], "altstack"))) {
		static char altstack[1 << 16];
		stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack)};
		sigaltstack(&ss, NULL);
		sa.sa_flags = SA_ONSTACK;
	}
	sigaction(SIGALRM, &sa, NULL);
	if (asleep) {
		struct itimerval soon = {{0, 0}, {0, 50 * 1000}};
		setitimer(ITIMER_REAL, &soon, NULL);
		sigset_t none;
		sigemptyset(&none);
		int ep = epoll_create1(0);
		struct epoll_event ev;
		for (;;) { /* the daemon's main loop */
			if (!strcmp(asleep, "pause"))
				pause();
			else if (!strcmp(asleep, "sigsuspend"))
				sigsuspend(&none);
			else if (!strcmp(asleep, "sleep"))
				sleep(10);
			else if (!strcmp(asleep, "poll"))
				poll(NULL, 0, -1);
			else if (!strcmp(asleep, "select"))
				select(0, NULL, NULL, NULL, NULL);
			else
				epoll_wait(ep, &ev, 1, -1);
		}
	}
	srand((unsigned)getpid());
	struct itimerval it = {{0, 0}, {0, 2000 + rand() % 8000}};
	setitimer(ITIMER_REAL, &it, NULL);
	void *keep[64] = {0};
	for (unsigned i = 0; !done; i++) {
		unsigned k = i % 64;
		free(keep[k]);
		keep[k] = malloc(16 + (i * 7919) % 3000);
	}
	printf("api returned %d\n", (int)api_result);
	return 0;
}
