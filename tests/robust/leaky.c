/* A program that leaks threads and then fights the detector. Options, in any order:
 *   -s N     N threads blocked in sem_wait (a wrapped call: full stack from the saved registers)
 *   -r N     N threads blocked in read() on a pipe (wrapped)
 *   -k N     N threads blocked in a raw read syscall (inline asm: not wrapped; the kernel's
 *            view plus a sampling signal, which read restarts transparently)
 *   -p N     N threads spinning in user space (running: needs the sampling signal)
 *   -n NAME  pthread_setname_np(NAME) for every leaked thread; \xHH, \n, \t, \\ are decoded
 *   -B       block every signal in every thread (main blocks them before creating any)
 *   -H       install our own SA_SIGINFO handler on every real-time signal (before any check)
 *   -I       ignore (SIG_IGN) every real-time signal
 *   -A       mid-run check through the API (threadleak_report_json); prints "api leaked N",
 *            the JSON on one line "api json {...}", and "tkill hits N" (our handlers run by a
 *            signal some thread of this process sent: threadleak must never do that)
 *   -L       after -A: install our handlers on every real-time signal, check again (-A again)
 *   -c MODE  just before exit: close2 (close fd 2), dup2null (fd 2 becomes /dev/null),
 *            closeall (close every descriptor),
 *            closeall_reopen:PATH (close all, then open PATH for appending until the
 *            table is full: the program's own file now has every number, the old high
 *            ones included), nofile3 (RLIMIT_NOFILE soft and hard 3: nothing can be opened)
 *   -C MODE  the same, or freopen (stderr reopened on /dev/null), fclose (fclose(stderr)), at
 *            the start of main, before any thread: what stderr was is then read lazily (by
 *            the wrappers of the calls that change fd 2), not at start; or readonly:PATH
 *            (open PATH for reading: run with stderr closed, the file gets fd 2, and must not
 *            be taken for stderr)
 *   -t KIND:DIR  booby-trap DIR/report.PID before exiting: symlink (to DIR/target), dangling
 *            (symlink to DIR/missing), foreign (a file of user nobody), stale (64 KiB of
 *            junk in a file of our own, an hour old), fifo, dir
 *   -d LIB   dlopen(LIB) first (secure-execution test: LD_PRELOAD is ignored for setuid)
 *   -G SIG   raise SIG at the very end instead of exiting (e.g. 11: must die, not hang)
 *   -e CODE  exit status (default 0)
 * Prints "ready" when every leaked thread is in place, then exits with exit(CODE). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "threadleak.h"

static sem_t never, ready;
static int pipefd[2];
static char name[64];
static atomic_long tkill_hits;
static volatile unsigned long spin_counter;

static void name_self(void)
{
	if (name[0])
		pthread_setname_np(pthread_self(), name);
}

static void *sem_blocker(void *arg)
{
	name_self();
	sem_post(&ready);
	sem_wait(&never);
	return arg;
}

static void *read_blocker(void *arg)
{
	char c;
	name_self();
	sem_post(&ready);
	read(pipefd[0], &c, 1);
	return arg;
}

/* read(2) without libc: invisible to threadleak's wrappers */
static long raw_read(int fd, void *buf, size_t n)
{
	long ret;
	__asm__ volatile("syscall"
	                 : "=a"(ret)
	                 : "a"((long)SYS_read), "D"((long)fd), "S"(buf), "d"(n)
	                 : "rcx", "r11", "memory");
	return ret;
}

static void *raw_blocker(void *arg)
{
	char c;
	name_self();
	sem_post(&ready);
	for (;;)
		if (raw_read(pipefd[0], &c, 1) != -EINTR)
			break;
	return arg;
}

static void *spinner(void *arg)
{
	name_self();
	sem_post(&ready);
	for (;;)
		spin_counter++;
	return arg;
}

static void rt_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (si->si_code == SI_TKILL && si->si_pid == getpid())
		atomic_fetch_add(&tkill_hits, 1);
}

static void own_rt_handlers(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = rt_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	for (int s = SIGRTMIN; s <= SIGRTMAX; s++)
		if (sigaction(s, &sa, NULL) != 0)
			fprintf(stderr, "leaky: sigaction(%d): %s\n", s, strerror(errno));
}

static int own_rt_handlers_intact(void)
{
	for (int s = SIGRTMIN; s <= SIGRTMAX; s++) {
		struct sigaction cur;
		if (sigaction(s, NULL, &cur) != 0 || !(cur.sa_flags & SA_SIGINFO) ||
		    cur.sa_sigaction != rt_handler)
			return 0;
	}
	return 1;
}

static void decode(const char *s, char *out, size_t len)
{
	size_t j = 0;
	for (; *s && j + 1 < len; s++) {
		if (s[0] == '\\' && s[1] == 'x' && s[2] && s[3]) {
			char hex[3] = {s[2], s[3], 0};
			out[j++] = (char)strtoul(hex, NULL, 16);
			s += 3;
		} else if (s[0] == '\\' && s[1] == 'n') {
			out[j++] = '\n';
			s++;
		} else if (s[0] == '\\' && s[1] == 't') {
			out[j++] = '\t';
			s++;
		} else if (s[0] == '\\' && s[1] == '\\') {
			out[j++] = '\\';
			s++;
		} else {
			out[j++] = *s;
		}
	}
	out[j] = '\0';
}

static void api_check(int own_handlers)
{
	int leaked = -1;
	char *json = threadleak_report_json(&leaked);
	for (char *p = json; p && *p; p++) /* one line: the JSON document has newlines */
		if (*p == '\n')
			*p = ' ';
	printf("api leaked %d\n", leaked);
	printf("api json %s\n", json ? json : "null");
	free(json);
	printf("tkill hits %ld\n", atomic_load(&tkill_hits));
	if (own_handlers)
		printf("handlers intact %s\n", own_rt_handlers_intact() ? "yes" : "no");
	fflush(stdout);
}

static void trap(const char *spec)
{
	char path[4096], target[4096];
	const char *colon = strchr(spec, ':');
	if (colon == NULL)
		return;
	const char *dir = colon + 1;
	snprintf(path, sizeof(path), "%s/report.%d", dir, (int)getpid());
	if (strncmp(spec, "symlink:", 8) == 0) {
		snprintf(target, sizeof(target), "%s/target", dir);
		symlink(target, path);
	} else if (strncmp(spec, "dangling:", 9) == 0) {
		snprintf(target, sizeof(target), "%s/missing", dir);
		symlink(target, path);
	} else if (strncmp(spec, "foreign:", 8) == 0) {
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0666);
		write(fd, "precious\n", 9);
		close(fd);
		chmod(path, 0666);
		if (chown(path, 65534, 65534) != 0)
			perror("leaky: chown");
	} else if (strncmp(spec, "stale:", 6) == 0) {
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		static char junk[65536];
		memset(junk, 'x', sizeof(junk));
		write(fd, junk, sizeof(junk));
		/* as an earlier process of the same pid left it: written before this one began (a
		 * file this process's earlier image wrote, before an exec, is written to after) */
		struct timespec hour_ago[2] = {{time(NULL) - 3600, 0}, {time(NULL) - 3600, 0}};
		futimens(fd, hour_ago);
		close(fd);
	} else if (strncmp(spec, "fifo:", 5) == 0) {
		mkfifo(path, 0666);
	} else if (strncmp(spec, "dir:", 4) == 0) {
		mkdir(path, 0755);
	}
}

static void close_fds(const char *mode)
{
	if (strcmp(mode, "close2") == 0) {
		close(2);
	} else if (strcmp(mode, "dup2null") == 0) {
		int fd = open("/dev/null", O_WRONLY);
		dup2(fd, 2);
		close(fd);
	} else if (strcmp(mode, "freopen") == 0) {
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(68);
	} else if (strcmp(mode, "fclose") == 0) {
		fclose(stderr);
	} else if (strncmp(mode, "readonly:", 9) == 0) {
		if (open(mode + 9, O_RDONLY) < 0)
			_exit(68);
	} else if (strcmp(mode, "nofile3") == 0) {
		struct rlimit rl = {3, 3}; /* no descriptor can be opened again */
		setrlimit(RLIMIT_NOFILE, &rl);
	} else if (strncmp(mode, "closeall", 8) == 0) {
		long max = sysconf(_SC_OPEN_MAX);
		for (long fd = 0; fd < max; fd++)
			close((int)fd);
		if (strncmp(mode, "closeall_reopen:", 16) == 0) {
			/* a server that daemonized and then opened many files or sockets: the table
			 * fills up again, high numbers included, with the program's own data files
			 */
			for (long i = 0; i < max; i++)
				if (open(mode + 16, O_WRONLY | O_CREAT | O_APPEND, 0644) < 0)
					break;
		}
	}
}

int main(int argc, char **argv)
{
	int ns = 0, nr = 0, nk = 0, np = 0, code = 0, raise_sig = 0;
	int block = 0, handlers = 0, ignore = 0, api = 0, late = 0;
	const char *closemode = NULL, *trapspec = NULL, *lib = NULL, *early = NULL;
	int opt;
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "s:r:k:p:n:BHIALc:C:t:d:G:e:")) != -1) {
		switch (opt) {
		case 's':
			ns = atoi(optarg);
			break;
		case 'r':
			nr = atoi(optarg);
			break;
		case 'k':
			nk = atoi(optarg);
			break;
		case 'p':
			np = atoi(optarg);
			break;
		case 'n':
			decode(optarg, name, sizeof(name));
			break;
		case 'B':
			block = 1;
			break;
		case 'H':
			handlers = 1;
			break;
		case 'I':
			ignore = 1;
			break;
		case 'A':
			api = 1;
			break;
		case 'L':
			late = 1;
			break;
		case 'c':
			closemode = optarg;
			break;
		case 'C':
			early = optarg;
			break;
		case 't':
			trapspec = optarg;
			break;
		case 'd':
			lib = optarg;
			break;
		case 'G':
			raise_sig = atoi(optarg);
			break;
		case 'e':
			code = atoi(optarg);
			break;
		default:
			return 64;
		}
	}
	if (early)
		close_fds(early);
	if (lib && dlopen(lib, RTLD_NOW | RTLD_GLOBAL) == NULL) {
		fprintf(stderr, "leaky: dlopen: %s\n", dlerror());
		return 65;
	}
	sem_init(&never, 0, 0);
	sem_init(&ready, 0, 0);
	if (pipe(pipefd) != 0)
		return 66;
	if (handlers)
		own_rt_handlers();
	if (ignore)
		for (int s = SIGRTMIN; s <= SIGRTMAX; s++)
			signal(s, SIG_IGN);
	if (block) {
		sigset_t all;
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, NULL);
	}
	struct {
		int n;
		void *(*fn)(void *);
	} kinds[] = {{ns, sem_blocker}, {nr, read_blocker}, {nk, raw_blocker}, {np, spinner}};
	int total = 0;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		for (int i = 0; i < kinds[k].n; i++, total++) {
			pthread_t t;
			int r = pthread_create(&t, NULL, kinds[k].fn, NULL);
			if (r != 0) {
				fprintf(stderr, "leaky: pthread_create: %s\n", strerror(r));
				return 67;
			}
		}
	}
	for (int i = 0; i < total; i++)
		sem_wait(&ready);
	printf("ready\n");
	if (api) {
		api_check(handlers);
		if (late) {
			own_rt_handlers();
			api_check(1);
		}
	}
	if (trapspec)
		trap(trapspec);
	fflush(stdout);
	if (closemode)
		close_fds(closemode);
	if (raise_sig) {
		/* no signal(raise_sig, SIG_DFL): whoever installed a handler keeps it */
		sigset_t s;
		sigemptyset(&s);
		sigaddset(&s, raise_sig);
		pthread_sigmask(SIG_UNBLOCK, &s, NULL);
		if (raise_sig == SIGSEGV)
			*(volatile int *)(uintptr_t)8 = 1; /* a real fault, not raise() */
		raise(raise_sig);
	}
	exit(code);
}
