/* Per-test checks with no grace period (run with grace_ms=0), the way a test runner calls
 * threadleak_verify_none() after each test.
 *   -j N   N times: start a thread, join it, check: no report may name the joined thread
 *          ("untracked" while its task still lists in /proc after the join). Prints
 *          "join reports K" (K checks that found a leak).
 *   -s N   N checks while a leaked thread sleeps in a loop; no sleep may ever fail with
 *          EINTR. -k picks the sleep: n nanosleep, c clock_nanosleep, u usleep, r a raw
 *          SYS_nanosleep system call, a clock_nanosleep TIMER_ABSTIME. Prints
 *          "sleep eintr E short S reports K leaked L" (S: sleeps that woke too early).
 *          -b US: busy microseconds between sleeps (30).
 *   -t SIG after one check, send threadleak's sampling signal SIG (option signal=SIG) to a
 *          thread in the middle of 50 ms sleeps of each kind -k names, as a check whose
 *          signal arrives just after the thread went to sleep would: as threadleak sends
 *          it (SI_QUEUE from this process, its mark in si_errno), with a value that names
 *          no check. Prints
 *          "direct eintr E short S" (S: sleeps shorter than asked). (A pthread_kill of that
 *          signal is the program's own: its action, SIG_DFL, ends the process as bare.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "threadleak.h"

static atomic_int eintr, early, stop;
static char kind = 'n';
static int64_t busy_ns = 30000;

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* With -u, the joined thread has its own fd table full of descriptors: the kernel closes them
 * after it has woken the join, so its task lists in /proc a while longer. */
static int slow_exit;

static void *work(void *arg)
{
	if (slow_exit && unshare(CLONE_FILES) == 0)
		for (int i = 0; i < 2000; i++)
			if (dup(0) < 0)
				break;
	return arg;
}

static void *sleeper(void *arg)
{
	const long ns = 200000;
	while (!atomic_load(&stop)) {
		/* busy a little between sleeps: often seen running, then asleep when sampled */
		for (int64_t until = now_ns() + busy_ns; now_ns() < until;)
			;
		struct timespec ts = {0, ns};
		int64_t t0 = now_ns();
		int rc = 0;
		switch (kind) {
		case 'n':
			rc = nanosleep(&ts, NULL);
			break;
		case 'c':
			rc = clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
			if (rc)
				errno = rc, rc = -1;
			break;
		case 'u':
			rc = usleep(ns / 1000);
			break;
		case 'r':
			rc = (int)syscall(SYS_nanosleep, &ts, NULL);
			break;
		case 'a': {
			struct timespec at;
			clock_gettime(CLOCK_MONOTONIC, &at);
			at.tv_nsec += ns;
			if (at.tv_nsec >= 1000000000)
				at.tv_sec++, at.tv_nsec -= 1000000000;
			rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL);
			if (rc)
				errno = rc, rc = -1;
			break;
		}
		}
		if (rc != 0 && errno == EINTR)
			atomic_fetch_add(&eintr, 1);
		else if (now_ns() - t0 < ns)
			atomic_fetch_add(&early, 1);
	}
	return NULL;
}

/* every kind of sleep, 50 ms each, counting EINTR and early wake-ups */
static atomic_int direct_tid;

static void *direct_sleeper(void *arg)
{
	atomic_store(&direct_tid, (int)syscall(SYS_gettid));
	static const char kinds[] = "ncau";
	for (int round = 0; round < 4; round++) {
		for (const char *k = kinds; *k; k++) {
			const long ns = 50000000;
			struct timespec ts = {0, ns}, at;
			int64_t t0 = now_ns();
			int rc = 0;
			clock_gettime(CLOCK_MONOTONIC, &at);
			at.tv_nsec += ns;
			if (at.tv_nsec >= 1000000000)
				at.tv_sec++, at.tv_nsec -= 1000000000;
			if (*k == 'n')
				rc = nanosleep(&ts, NULL);
			else if (*k == 'c')
				rc = clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL), errno = rc,
				rc = -!!rc;
			else if (*k == 'a')
				rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL),
				errno = rc, rc = -!!rc;
			else
				rc = usleep(ns / 1000);
			if (rc != 0 && errno == EINTR)
				atomic_fetch_add(&eintr, 1);
			else if (now_ns() - t0 < ns)
				atomic_fetch_add(&early, 1);
		}
	}
	atomic_store(&stop, 1);
	return NULL;
}

int main(int argc, char **argv)
{
	int joins = 0, sleeps = 0, opt;
	int direct = 0;
	while ((opt = getopt(argc, argv, "j:s:k:b:t:u")) != -1) {
		if (opt == 'u')
			slow_exit = 1;
		if (opt == 't')
			direct = atoi(optarg);
		if (opt == 'b')
			busy_ns = atoi(optarg) * 1000LL;
		if (opt == 'j')
			joins = atoi(optarg);
		else if (opt == 's')
			sleeps = atoi(optarg);
		else if (opt == 'k')
			kind = optarg[0];
	}
	int reports = 0;
	for (int i = 0; i < joins; i++) {
		pthread_t t;
		pthread_create(&t, NULL, work, NULL);
		pthread_join(t, NULL);
		int leaked = 0;
		char *json = threadleak_report_json(&leaked);
		if (leaked) {
			reports++;
			if (reports == 1)
				fprintf(stderr, "%s\n", json);
		}
		free(json);
	}
	if (joins)
		printf("join reports %d\n", reports);
	if (sleeps) {
		pthread_t s;
		pthread_create(&s, NULL, sleeper, NULL);
		long leaked_total = 0;
		reports = 0;
		for (int i = 0; i < sleeps; i++) {
			int leaked = 0;
			free(threadleak_report_json(&leaked));
			reports += leaked > 0;
			leaked_total += leaked;
		}
		atomic_store(&stop, 1);
		pthread_join(s, NULL);
		printf("sleep eintr %d short %d reports %d leaked %ld\n", atomic_load(&eintr),
		       atomic_load(&early), reports, leaked_total);
	}
	if (direct) {
		pthread_t s;
		pthread_create(&s, NULL, direct_sleeper, NULL);
		free(threadleak_report_json(NULL)); /* a check with a leak installs the handler */
		while (!atomic_load(&stop)) {
			usleep(7000);
			siginfo_t si = {0};
			si.si_signo = direct;
			si.si_code = SI_QUEUE;
			si.si_errno = 0x544c; /* threadleak's mark (preload/capture.c PARK_MARK) */
			si.si_pid = getpid();
			si.si_uid = getuid();
			si.si_value.sival_ptr = (void *)~(uintptr_t)0; /* no check's slot */
			if (atomic_load(&direct_tid) != 0)
				syscall(SYS_rt_tgsigqueueinfo, getpid(), atomic_load(&direct_tid),
				        direct, &si);
		}
		pthread_join(s, NULL);
		printf("direct eintr %d short %d\n", atomic_load(&eintr), atomic_load(&early));
	}
	return 0;
}
