/* What calls_all.c and calls_more.c share: each blocked thread names itself and says it is
 * there (announce), start() returns once the thread sleeps inside its call, and child()
 * forks a child that lives until the program's process is gone (it reads the lifeline pipe,
 * whose write end only the program holds). Include after the system headers. */
#ifndef CALLS_COMMON_H
#define CALLS_COMMON_H

static int lifeline[2]; /* main holds [1]; children read [0] */
static _Atomic pid_t announced;

static void announce(const char *name)
{
	pthread_setname_np(pthread_self(), name);
	atomic_store(&announced, gettid());
}

static void die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what, strerror(errno));
	exit(2);
}

/* In a child: returns once main's process is gone (the lifeline's write end is closed). */
static void wait_main_gone(void)
{
	char c;
	close(lifeline[1]);
	while (read(lifeline[0], &c, 1) != 0 && errno == EINTR)
		;
}

/* A child that lives until main's process is gone; before() runs first in it. */
static pid_t child(void (*before)(void))
{
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		if (before)
			before();
		wait_main_gone();
		_exit(0);
	}
	return pid;
}

/* Every thread inherits SIGUSR1 and SIGUSR2 blocked: the signal waits need it, and no stray
 * signal ends pause or sigsuspend. */
static void block_usr_signals(void)
{
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &block, NULL);
}

/* The scheduler state letter of one of our threads ('?' when unknown). */
static char state_of(pid_t tid)
{
	char path[64], buf[512], st = '?';
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return st;
	if (fgets(buf, sizeof(buf), f)) {
		char *p = strrchr(buf, ')');
		if (p && p[1] == ' ')
			st = p[2];
	}
	fclose(f);
	return st;
}

/* Start one thread and wait until it sleeps inside its call. */
static pthread_t start(void *(*fn)(void *))
{
	pthread_t t;
	atomic_store(&announced, 0);
	if (pthread_create(&t, NULL, fn, NULL) != 0)
		die("pthread_create");
	pid_t tid;
	while ((tid = atomic_load(&announced)) == 0)
		sched_yield();
	int asleep = 0;
	for (int i = 0; i < 4000 && asleep < 3; i++) {
		struct timespec ms = {0, 1000000};
		asleep = state_of(tid) == 'S' ? asleep + 1 : 0;
		nanosleep(&ms, NULL);
	}
	if (asleep < 3) {
		fprintf(stderr, "%s: thread %d never blocked\n", program_invocation_short_name, (int)tid);
		exit(2);
	}
	return t;
}

#endif
