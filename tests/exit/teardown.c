/* Threads and the program's teardown (atexit handlers): teardown MODE [exit|quick]. With
 * "exit", main ends with exit(0) instead of returning; with "quick", quick_exit(0), whose
 * at_quick_exit handlers are the teardown (table mode registers its handler there too).
 *   table   a detached worker writes into a table every 20 ms, and an atexit handler frees the
 *           table: leaked, and the process must end with the report, not in the worker's crash.
 *           The worker runs into the freed table only 50 ms after the handler (until then it
 *           naps as if it had not woken yet): bare, _exit() ends it long before, even on a busy
 *           machine; a check that kept it running that long after the teardown lets it crash
 *   busy    the same worker without the nap
 *   joined  workers blocked on a condition variable that an atexit handler wakes and joins:
 *           clean
 *   stopped detached workers polling a flag with usleep(); an atexit handler sets it and waits
 *           until each says it is leaving (a semaphore), not for its end: clean
 *   told    detached workers blocked on a condition variable; an atexit handler wakes them
 *           and returns without waiting: bare they race _exit(), and a woken thread is on its
 *           way out, not leaked: clean in every run, not in one run of two
 *   told_sleeps "told", and each woken worker then sleeps 300 ms: clean, and no wait for them
 *           (reported, blocked in usleep, after the whole grace period)
 *   told_fd the same with detached workers blocked in read() on a pipe, read() on an eventfd,
 *           and semop() and msgrcv() on SysV objects; the handler writes, and removes the
 *           objects: clean in every run, not in one run of two
 *   mixed   "joined" plus a reader blocked forever on a pipe: only the reader is leaked
 *   pollpool "joined" plus a detached poller whose next look at a flag comes 25 ms after
 *           another atexit handler, run first, sets it: bare, _exit() ends it before it looks
 *           again; it is leaked, and never prints "poller saw quit"
 *   spawned an atexit handler starts a detached thread that waits forever (after a check that
 *           found nothing): leaked
 *   spawned2 the same next to a reader blocked on a pipe since main: both leaked
 *   moved   a reader blocked on a pipe and a waiter; main moves to "/" before it returns, and
 *           an atexit handler starts a thread that waits forever (the check runs again)
 *   devnull a leaked reader, and an atexit handler that sends fd 2 to /dev/null
 *   fclose  a leaked reader, and an atexit handler that fclose()s stderr (gnulib's close_stdout)
 *   aborts  a leaked reader, and an atexit handler that calls abort() (as std::terminate does in
 *           the destructor of a global std::thread left joinable): the process dies of SIGABRT
 *   faults  the same with a handler that writes through a null pointer (SIGSEGV)
 *   cuts    a leaked reader, and an atexit handler that prints, flushes and calls _exit(0) (a
 *           second argument _Exit: _Exit(0); clean: no reader; joins: it wakes and joins the
 *           reader first): the last exit handler never runs
 *   joinaborts the reader, and an atexit handler that wakes it, joins it, then aborts: nothing
 *           is leaked any more when the process dies, and no report may name it
 *   exiter  a worker that calls exit(7) 150 ms after main returns, in the grace period: bare,
 *           the process has ended by then with main's status, and the worker is a leak
 *   exiter_now the same, main returning 1 ms after it starts the worker
 *   alarm   alarm(3), a thread waiting forever; an atexit handler prints "alarm left N ms"
 *   watchdog a POSIX timer (timer_create, SIGALRM) due 150 ms after main returns, a thread
 *           waiting forever; an atexit handler prints "watchdog left N ms"
 *   closefrom a leaked reader, and an atexit handler that closes descriptors 3 to 1023
 *   daemon  a leaked reader, and an atexit handler that forks a daemon (setsid, its stdio on
 *           /dev/null, 3 s asleep): `prog 2>&1 | cat` must not wait for it
 *   closeerr a leaked thread, and an atexit handler that does gnulib's close_stdout on stderr
 *           (_exit(3) when fclose fails, as it does when the program started with fd 2 closed)
 *   workerexit a worker calls exit(4) 5 ms after its start while main sleeps 200 ms, next to a
 *           thread waiting forever: bare, status 4
 *   sigpipe two threads waiting forever; main prints five lines into a pipe whose reader has
 *           gone and returns: exit's flush of stdout ends the process with SIGPIPE, as bare,
 *           and the text report on stderr comes first
 *   sigpipe_done the same with two threads that return and are never joined; with the second
 *           argument pexit, main ends by pthread_exit, and the exit comes from glibc when the
 *           last thread ends (our destructor flushes stdout before the check there) */
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

enum { NTABLE = 64, NWORKERS = 3 };
static char **table;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static bool stop;
static atomic_bool polling_stop;
static sem_t leaving;
static pthread_t workers[NWORKERS];
static int fds[2];
static useconds_t nap_us;
static _Atomic long long released_ms;

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void release_table(void)
{
	pthread_mutex_lock(&mu);
	for (int i = 0; i < NTABLE; i++) {
		free(table[i]);
		table[i] = NULL;
	}
	free(table);
	table = NULL;
	atomic_store(&released_ms, now_ms());
	pthread_mutex_unlock(&mu);
}

static void *scribbler(void *arg)
{
	for (unsigned n = 0;; n++) {
		pthread_mutex_lock(&mu); /* each turn through a wrapped call: it keeps changing */
		if (table == NULL && now_ms() - atomic_load(&released_ms) < 50) {
			pthread_mutex_unlock(&mu); /* not yet: as if it had not woken so soon */
			usleep(1000);
			continue;
		}
		char *s = table[n % NTABLE]; /* NULL: the crash */
		s[0] = 'x';
		pthread_mutex_unlock(&mu);
		if (nap_us)
			usleep(nap_us);
	}
	return arg;
}

/* pollpool: the poller's next look at the flag comes 25 ms after the handler set it (it naps
 * 1 ms at a time, so that no phase of its naps against the exit decides the run) */
static _Atomic long long poller_quit_ms;

static void *flag_poller(void *arg)
{
	for (;;) {
		usleep(1000);
		long long q = atomic_load(&poller_quit_ms);
		if (q != 0 && now_ms() - q >= 25)
			break;
	}
	static const char saw[] = "poller saw quit\n";
	(void)!write(1, saw, sizeof(saw) - 1);
	return arg;
}

static void quit_poller(void)
{
	atomic_store(&poller_quit_ms, now_ms());
}

static void *waiter(void *arg)
{
	pthread_mutex_lock(&mu);
	while (!stop)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	if (arg != NULL) /* told_sleeps */
		usleep(300 * 1000);
	return arg;
}

static void join_waiters(void)
{
	pthread_mutex_lock(&mu);
	stop = true;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	for (int i = 0; i < NWORKERS; i++)
		pthread_join(workers[i], NULL);
}

static void tell_waiters(void)
{
	pthread_mutex_lock(&mu);
	stop = true;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

static int told_pipe[2], told_efd = -1, told_sem = -1, told_msq = -1;

static void *pipe_waiter(void *arg)
{
	char c;
	read(told_pipe[0], &c, 1);
	return arg;
}

static void *efd_waiter(void *arg)
{
	uint64_t v;
	read(told_efd, &v, sizeof(v));
	return arg;
}

static void *semop_waiter(void *arg)
{
	struct sembuf op = {0, -1, 0};
	semop(told_sem, &op, 1);
	return arg;
}

static void *msgrcv_waiter(void *arg)
{
	struct {
		long type;
		char text[8];
	} m;
	msgrcv(told_msq, &m, sizeof(m.text), 0, 0);
	return arg;
}

static void tell_fd_waiters(void)
{
	uint64_t one = 1;
	write(told_pipe[1], "x", 1);
	write(told_efd, &one, sizeof(one));
	semctl(told_sem, 0, IPC_RMID);
	msgctl(told_msq, IPC_RMID, NULL);
}

/* glibc's pthread_cond_destroy waits for every waiter to leave the condition variable */
static void destroy_cv(void)
{
	pthread_cond_destroy(&cv);
}

static void tell_and_destroy(void)
{
	tell_waiters();
	destroy_cv();
}

static void *poller(void *arg)
{
	while (!atomic_load(&polling_stop))
		usleep(1000);
	sem_post(&leaving);
	return arg;
}

static void stop_pollers(void)
{
	atomic_store(&polling_stop, true);
	for (int i = 0; i < NWORKERS; i++)
		sem_wait(&leaving);
}

static void *forever(void *arg)
{
	for (;;)
		pause();
	return arg;
}

static void *returns(void *arg)
{
	return arg;
}

static void spawn(void)
{
	pthread_t t;
	pthread_create(&t, NULL, forever, NULL);
	pthread_detach(t);
}

static void *ruled_out(void *arg)
{
	return forever(arg);
}

static void to_devnull(void)
{
	int fd = open("/dev/null", O_WRONLY);
	dup2(fd, 2);
	close(fd);
}

static void close_stderr(void)
{
	fclose(stderr);
}

static void close_from_3(void)
{
	for (int fd = 3; fd < 1024; fd++)
		close(fd);
}

static void daemonize(void)
{
	if (fork() == 0) {
		setsid();
		int fd = open("/dev/null", O_RDWR);
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		sleep(3);
		_exit(0);
	}
}

static void close_stderr_checked(void)
{
	if (fclose(stderr) != 0)
		_exit(3);
}

static void *early_exiter(void *arg)
{
	usleep(5000);
	exit(4);
	return arg;
}

/* What is left of alarm(3) in an atexit handler: about 3 s bare (the process took 20 ms);
 * the exit check's time is not the program's (its grace period made it 2.7 s, and a watchdog
 * closer to the end killed the process during the check). */
static void alarm_left(void)
{
	struct itimerval it;
	getitimer(ITIMER_REAL, &it);
	printf("alarm left %ld ms\n", (long)it.it_value.tv_sec * 1000 + it.it_value.tv_usec / 1000);
}

static timer_t watchdog;

static void watchdog_left(void)
{
	struct itimerspec it;
	timer_gettime(watchdog, &it);
	printf("watchdog left %ld ms\n",
	       (long)it.it_value.tv_sec * 1000 + it.it_value.tv_nsec / 1000000);
}

static void aborts(void)
{
	abort();
}

static pthread_t reader_thread;

static void join_then_abort(void)
{
	char c = 'x';
	write(fds[1], &c, 1);
	pthread_join(reader_thread, NULL);
	abort();
}

static const char *cut_how = "_exit";
static bool cut_joins;

static void cuts(void)
{
	if (cut_joins) {
		char c = 'x';
		write(fds[1], &c, 1);
		pthread_join(reader_thread, NULL);
	}
	printf("handler done\n");
	fflush(stdout);
	if (strcmp(cut_how, "_Exit") == 0)
		_Exit(0);
	_exit(0);
}

static void faults(void)
{
	*(volatile int *)(uintptr_t)0 = 1;
}

static void *exiter(void *arg)
{
	usleep(170000);
	exit(7);
	return arg;
}

static void *reader(void *arg)
{
	char c;
	read(fds[0], &c, 1);
	return arg;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	const char *mode = argv[1];
	pthread_t t;
	if (strcmp(mode, "table") == 0 || strcmp(mode, "busy") == 0) {
		nap_us = strcmp(mode, "table") == 0 ? 20000 : 0;
		table = malloc(NTABLE * sizeof(*table));
		for (int i = 0; i < NTABLE; i++)
			table[i] = strdup("hello");
		atexit(release_table);
		at_quick_exit(release_table);
		pthread_create(&t, NULL, scribbler, NULL);
		pthread_detach(t);
	} else if (strcmp(mode, "joined") == 0 || strcmp(mode, "mixed") == 0 ||
	           strcmp(mode, "pollpool") == 0) {
		atexit(join_waiters);
		for (int i = 0; i < NWORKERS; i++)
			pthread_create(&workers[i], NULL, waiter, NULL);
		if (strcmp(mode, "mixed") == 0) {
			pipe(fds);
			pthread_create(&t, NULL, reader, NULL);
		} else if (strcmp(mode, "pollpool") == 0) {
			atexit(quit_poller); /* runs first */
			pthread_create(&t, NULL, flag_poller, NULL);
			pthread_detach(t);
		}
	} else if (strcmp(mode, "told") == 0 || strcmp(mode, "told_sleeps") == 0) {
		atexit(tell_waiters);
		at_quick_exit(tell_waiters);
		for (int i = 0; i < NWORKERS; i++) {
			pthread_create(&t, NULL, waiter,
			               strcmp(mode, "told") == 0 ? NULL : (void *)"sleeps");
			pthread_detach(t);
		}
	} else if (strcmp(mode, "told_fd") == 0) {
		if (pipe(told_pipe) != 0 || (told_efd = eventfd(0, 0)) < 0 ||
		    (told_sem = semget(IPC_PRIVATE, 1, 0600)) < 0 ||
		    (told_msq = msgget(IPC_PRIVATE, 0600)) < 0)
			return 2;
		atexit(tell_fd_waiters);
		at_quick_exit(tell_fd_waiters);
		void *(*const each[])(void *) = {pipe_waiter, efd_waiter, semop_waiter,
		                                 msgrcv_waiter};
		for (size_t i = 0; i < sizeof(each) / sizeof(each[0]); i++) {
			pthread_create(&t, NULL, each[i], NULL);
			pthread_detach(t);
		}
	} else if (strcmp(mode, "destroyed") == 0 || strcmp(mode, "told_destroyed") == 0) {
		atexit(strcmp(mode, "destroyed") == 0 ? destroy_cv : tell_and_destroy);
		for (int i = 0; i < NWORKERS; i++) {
			pthread_create(&t, NULL, waiter, NULL);
			pthread_detach(t);
		}
	} else if (strcmp(mode, "spawned") == 0 || strcmp(mode, "spawned2") == 0) {
		atexit(spawn);
		if (strcmp(mode, "spawned2") == 0) {
			pipe(fds);
			pthread_create(&t, NULL, reader, NULL);
		}
	} else if (strcmp(mode, "moved") == 0) {
		atexit(spawn);
		pipe(fds);
		pthread_create(&t, NULL, reader, NULL);
		pthread_create(&t, NULL, ruled_out, NULL);
		usleep(20000);
		if (chdir("/") != 0)
			return 3;
	} else if (strcmp(mode, "devnull") == 0 || strcmp(mode, "fclose") == 0 ||
	           strcmp(mode, "closefrom") == 0 || strcmp(mode, "daemon") == 0 ||
	           strcmp(mode, "closeerr") == 0) {
		atexit(strcmp(mode, "devnull") == 0     ? to_devnull
		       : strcmp(mode, "fclose") == 0    ? close_stderr
		       : strcmp(mode, "closefrom") == 0 ? close_from_3
		       : strcmp(mode, "daemon") == 0    ? daemonize
		                                        : close_stderr_checked);
		if (strcmp(mode, "closeerr") == 0) /* no pipe: it would take fd 2 */
			pthread_create(&t, NULL, forever, NULL);
		else {
			pipe(fds);
			pthread_create(&t, NULL, reader, NULL);
		}
	} else if (strcmp(mode, "sigpipe") == 0) {
		pthread_create(&t, NULL, forever, NULL);
		pthread_create(&t, NULL, forever, NULL);
		for (int i = 0; i < 5; i++)
			printf("line %d\n", i);
	} else if (strcmp(mode, "sigpipe_done") == 0) {
		pthread_create(&t, NULL, returns, NULL);
		pthread_create(&t, NULL, returns, NULL);
		for (int i = 0; i < 5; i++)
			printf("line %d\n", i);
	} else if (strcmp(mode, "workerexit") == 0) {
		pthread_create(&t, NULL, forever, NULL);
		pthread_create(&t, NULL, early_exiter, NULL);
		usleep(200000);
	} else if (strcmp(mode, "joinaborts") == 0) {
		atexit(join_then_abort);
		pipe(fds);
		pthread_create(&reader_thread, NULL, reader, NULL);
	} else if (strcmp(mode, "cuts") == 0) {
		const char *how = argc > 2 ? argv[2] : "";
		cut_how = strcmp(how, "_Exit") == 0 ? "_Exit" : "_exit";
		cut_joins = strcmp(how, "joins") == 0;
		atexit(cuts);
		pipe(fds);
		if (strcmp(how, "clean") != 0)
			pthread_create(&reader_thread, NULL, reader, NULL);
	} else if (strcmp(mode, "aborts") == 0 || strcmp(mode, "faults") == 0) {
		atexit(strcmp(mode, "aborts") == 0 ? aborts : faults);
		pipe(fds);
		pthread_create(&t, NULL, reader, NULL);
	} else if (strcmp(mode, "exiter") == 0) {
		pthread_create(&t, NULL, exiter, NULL);
	} else if (strcmp(mode, "watchdog") == 0) {
		struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGALRM};
		struct itimerspec due = {.it_value = {0, 150 * 1000000}};
		timer_create(CLOCK_MONOTONIC, &ev, &watchdog);
		timer_settime(watchdog, 0, &due, NULL);
		atexit(watchdog_left);
		pthread_create(&t, NULL, forever, NULL);
		printf("main done\n"); /* buffered: lost with the process if SIGALRM ends it */
		return 0;
	} else if (strcmp(mode, "alarm") == 0) {
		alarm(3); /* a watchdog the process ends well before */
		atexit(alarm_left);
		pthread_create(&t, NULL, forever, NULL);
	} else if (strcmp(mode, "exiter_now") == 0) {
		pthread_create(&t, NULL, exiter, NULL);
		usleep(1000); /* the worker's sleep began in main's last tick of the coarse clock */
		printf("main done\n");
		return 0;
	} else if (strcmp(mode, "stopped") == 0) {
		sem_init(&leaving, 0, 0);
		atexit(stop_pollers);
		for (int i = 0; i < NWORKERS; i++) {
			pthread_create(&t, NULL, poller, NULL);
			pthread_detach(t);
		}
	} else {
		return 2;
	}
	usleep(20000);
	printf("main done\n");
	if (argc > 2 && strcmp(argv[2], "exit") == 0) {
		fflush(stdout);
		exit(0);
	}
	if (argc > 2 && strcmp(argv[2], "pexit") == 0)
		pthread_exit(NULL);
	if (argc > 2 && strcmp(argv[2], "quick") == 0) {
		fflush(stdout);
		quick_exit(0);
	}
	return 0;
}
