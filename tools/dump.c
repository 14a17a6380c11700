/* Hang reports of live processes: `threadleak dump PID` and what `threadleak run --timeout`
 * shares with it. A process under the library with dump_signal set takes that real-time signal,
 * sent to one thread that it leaves undisturbed (live_request) with the value (our pid << 32 | a
 * descriptor of a private folder of ours), as a request: it writes hang.PID (JSON,
 * docs/report-schema.md) into /proc/OURPID/fd/N, which only our user can reach, and goes on
 * (preload/dump.c). The kernel lets only the process's owner (or root) send it a signal. */
#include "cli.h"
#include "../preload/options.h" /* the options' syntax: tl_options_next */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int dump_signal_default(void)
{
	return SIGRTMAX - 1; /* outside the range the library samples stacks with */
}

static bool read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	size_t got = 0;
	ssize_t n;
	while (got < len - 1 && (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = '\0';
	return true;
}

/* A status file (/proc/PID/status, /proc/PID/task/TID/status) into buf without its lines of
 * over 512 characters: Groups: lists every supplementary group (up to 65,536), and the
 * fields read here come after it (docs/internals.md, "Status files are not small"). */
static bool read_status(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return false;
	char *line = NULL;
	size_t cap = 0, got = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, f)) > 0)
		if (n <= 512 && got + (size_t)n < len) {
			memcpy(buf + got, line, (size_t)n);
			got += (size_t)n;
		}
	free(line);
	fclose(f);
	buf[got] = '\0';
	return true;
}

/* The state letter of a status file (R, S, Z, T...), '?' when it cannot be read. */
static char state_of(const char *status_path)
{
	char buf[8192];
	const char *st =
	    read_status(status_path, buf, sizeof(buf)) ? strstr(buf, "\nState:") : NULL;
	return st ? st[8 + strspn(st + 8, " \t")] : '?';
}

/* A task of process pid that has not exited: pid itself, or when its main thread has called
 * pthread_exit (a zombie task, whose maps file is empty while the other threads run on), the
 * first other task that is not one; 0 when none is left. */
int live_task(int pid)
{
	char path[96];
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (state_of(path) != 'Z')
		return pid; /* alive, or unreadable: the callers say why */
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	DIR *d = opendir(path);
	struct dirent *e;
	int found = 0;
	while (d && found == 0 && (e = readdir(d)) != NULL) {
		int tid = atoi(e->d_name);
		if (tid <= 0 || tid == pid)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, tid);
		char st = state_of(path);
		if (st != '?' && st != 'Z' && st != 'X')
			found = tid;
	}
	if (d)
		closedir(d);
	return found;
}

/* Is process pid stopped (state T: SIGSTOP, ^Z; t: a debugger)? Then every thread sits in the
 * call it was in, and no request is answered until it is continued. */
static bool process_stopped(int pid)
{
	char path[96];
	int task = live_task(pid);
	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, task ? task : pid);
	char st = state_of(path);
	return st == 'T' || st == 't';
}

/* Does process pid run the library, and does it take `sig` (a handler on it)? Read from a live
 * task: after main's pthread_exit, the process's own files describe a zombie. */
enum live_state live_state(int pid, int sig)
{
	char path[64], buf[8192];
	int task = live_task(pid);
	if (task == 0)
		return LIVE_GONE;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, task);
	if (!read_status(path, buf, sizeof(buf)))
		return errno == EACCES ? LIVE_DENIED : LIVE_GONE;
	const char *c = strstr(buf, "\nSigCgt:");
	bool caught = c && ((strtoull(c + 8, NULL, 16) >> (sig - 1)) & 1);
	snprintf(path, sizeof(path), "/proc/%d/task/%d/maps", pid, task);
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return errno == EACCES ? LIVE_DENIED : LIVE_GONE;
	bool lib = false;
	char line[PATH_MAX + 128];
	while (!lib && fgets(line, sizeof(line), f))
		lib = strstr(line, "/libthreadleak.so") != NULL;
	fclose(f);
	if (!lib)
		return LIVE_NO_LIBRARY;
	return caught ? LIVE_READY : LIVE_NO_SIGNAL;
}

/* ---- which thread is asked ---- */
/* A signal sent to the process goes to whichever thread the kernel picks among those that do
 * not block it, and a thread asleep in a call the kernel never restarts after a handler
 * (semop, semtimedop, msgrcv, epoll_pwait2, a recv with SO_RCVTIMEO, sigsuspend, a raw
 * syscall() of a sleep...) returns EINTR from it. So the request goes to one thread, chosen
 * from the kernel's view (/proc/PID/task/TID: status's SigBlk and State, syscall, the code
 * before the pc in mem, the descriptor in fd), best first: */
enum {
	AIM_NONE,
	AIM_EPOLL,    /* in libc's epoll_wait/epoll_pwait: executed again, up to 4 ms late */
	AIM_RUNNING,  /* in user space, or on a CPU */
	AIM_REPAIRED, /* asleep in a call of libc's that the library's handler finishes exactly
	               * (relative and absolute sleeps, poll, select, ppoll, pselect, pause,
	               * timed futex waits: preload/capture.c tl_repair_eintr) */
	AIM_QUIET,    /* asleep in a call the kernel restarts unseen (SA_RESTART) */
	AIM_SIGWAIT,  /* blocks the signal and waits for it in sigwaitinfo/sigtimedwait */
};

/* Each of these leaves the program's calls as they were; what differs is the report. The
 * library makes it whole only on a thread inside one of its wrappers (preload/dump.c
 * thread_can_check); elsewhere it hands the request to a thread in a wrapper whose call is
 * quiet, or writes the reduced report (no stacks). pthread_mutex_lock is not wrapped: a
 * deadlocked thread waits in a quiet futex outside any wrapper, and aimed at before a main
 * thread in sleep() (repaired, inside the sleep wrapper), it lost every stack. So a thread
 * inside a wrapper comes first (in the order above), then the others. A thread in a quiet
 * call outside any wrapper is as good as one inside when such a one exists: the library hands
 * the request over (aim). */
static int rank_of(int aim, bool wrapped)
{
	if (aim == AIM_NONE)
		return 0;
	return wrapped || aim == AIM_SIGWAIT ? AIM_SIGWAIT + aim : aim;
}

/* The code right before pc (the instruction after `syscall`) in process pid: does it load nr
 * into eax (mov $nr,%eax) at most `back` bytes before the syscall instruction, as glibc's
 * wrappers do (the library can then name, and finish, the interrupted call)? */
static bool loads_nr_before(int memfd, unsigned long pc, long nr, int back)
{
	unsigned char code[32];
	if (memfd < 0 || pc < sizeof(code) ||
	    pread(memfd, code, sizeof(code), (off_t)(pc - sizeof(code))) != (ssize_t)sizeof(code))
		return false;
	const unsigned char *ip = code + sizeof(code);
	if (ip[-2] != 0x0f || ip[-1] != 0x05)
		return false;
	for (int b = 7; b <= back; b++) {
		int32_t imm;
		memcpy(&imm, ip - b + 1, sizeof(imm));
		if (ip[-b] == 0xb8 && imm == nr)
			return true;
	}
	return false;
}

/* Is descriptor fd of task tid a socket (which may have a timeout: not restarted then)? Not
 * known: yes. */
static bool fd_is_socket(int pid, const char *tid, unsigned long fd)
{
	char path[96], link[64];
	snprintf(path, sizeof(path), "/proc/%d/task/%.16s/fd/%lu", pid, tid, fd);
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return true;
	link[n] = '\0';
	return strncmp(link, "socket:", 7) == 0;
}

/* The executable mappings of a process, to tell whose code an address on a stack returns to. */
struct code_range {
	unsigned long lo, hi;
	bool ours;   /* libthreadleak.so's */
	bool loader; /* ld.so's */
};

struct code_map {
	struct code_range *v;
	size_t n;
};

static void code_map_read(int pid, struct code_map *m)
{
	char path[64], line[PATH_MAX + 128];
	*m = (struct code_map){NULL, 0};
	int t = live_task(pid); /* not an exited main thread's: empty */
	snprintf(path, sizeof(path), "/proc/%d/task/%d/maps", pid, t ? t : pid);
	FILE *f = fopen(path, "re");
	size_t cap = 0;
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char perms[8];
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || perms[2] != 'x')
			continue;
		if (m->n == cap) {
			struct code_range *v =
			    realloc(m->v, (cap = cap ? 2 * cap : 64) * sizeof(*v));
			if (v == NULL)
				break;
			m->v = v;
		}
		m->v[m->n++] =
		    (struct code_range){lo, hi, strstr(line, "/libthreadleak.so") != NULL,
		                        strstr(line, "/ld-linux") != NULL};
	}
	if (f)
		fclose(f);
}

/* The mapping that holds address a, or NULL. */
static const struct code_range *code_range_of(const struct code_map *m, unsigned long a)
{
	for (size_t i = 0; i < m->n; i++)
		if (a >= m->v[i].lo && a < m->v[i].hi)
			return &m->v[i];
	return NULL;
}

/* Does a follow a call instruction (tl_ends_with_call)? */
static bool follows_call(int memfd, unsigned long a)
{
	unsigned char c[7];
	return a >= sizeof(c) &&
	       pread(memfd, c, sizeof(c), (off_t)(a - sizeof(c))) == (ssize_t)sizeof(c) &&
	       tl_ends_with_call(c);
}

/* Who called the code (libc's) a thread asleep in a system call at pc, with stack pointer sp,
 * made it from: the first return address on its stack out of that code, within 4 KiB. */
enum caller { CALLER_UNKNOWN, CALLER_OURS, CALLER_LOADER, CALLER_PROGRAM };

static enum caller caller_of(int memfd, const struct code_map *m, unsigned long sp,
                             unsigned long pc)
{
	const struct code_range *own = code_range_of(m, pc);
	uint64_t words[512];
	ssize_t got = memfd < 0 || own == NULL || own->ours
	                  ? -1
	                  : pread(memfd, words, sizeof(words), (off_t)sp);
	for (ssize_t i = 0; i < got / 8; i++) {
		const struct code_range *r = code_range_of(m, (unsigned long)words[i]);
		if (r != NULL && r != own && follows_call(memfd, (unsigned long)words[i]))
			return r->ours ? CALLER_OURS : r->loader ? CALLER_LOADER : CALLER_PROGRAM;
	}
	return CALLER_UNKNOWN;
}

/* Is the thread inside one of the library's wrappers (where the library can make the whole
 * report)? Or called by the program (pthread_mutex_lock, not wrapped). */
static bool in_wrapper(int memfd, const struct code_map *m, unsigned long sp, unsigned long pc)
{
	return caller_of(memfd, m, sp, pc) == CALLER_OURS;
}

/* Is thread tid asleep in a futex wait the program's own code called (pthread_mutex_lock)? The
 * library makes the whole report there too when it can tell that call is safe
 * (preload/dump.c program_lock_wait): the next best target after a thread inside a wrapper. */
static bool program_lock_wait(int pid, const char *tid, int memfd, const struct code_map *m)
{
	char path[96], sys[256];
	snprintf(path, sizeof(path), "/proc/%d/task/%.16s/syscall", pid, tid);
	if (memfd < 0 || !read_small(path, sys, sizeof(sys)))
		return false;
	char *p = sys;
	if (strtol(p, &p, 10) != SYS_futex)
		return false;
	unsigned long a[8];
	for (int i = 0; i < 8; i++)
		a[i] = strtoul(p, &p, 16);
	/* glibc's lock wait (__lll_lock_wait): FUTEX_WAIT for the value 2 ("locked, with
	 * waiters"); a semaphore, a once or a condition variable waits for other values */
	return (a[1] & 127) == 0 && a[2] == 2 && caller_of(memfd, m, a[6], a[7]) == CALLER_PROGRAM;
}

/* How good a target thread tid of pid is for sig (AIM_*), from what the kernel shows now; at:
 * its stack pointer and pc when asleep in a system call (else left alone). */
static int aim_of(int pid, const char *tid, int sig, int memfd, unsigned long at[2])
{
	char path[96], buf[8192];
	snprintf(path, sizeof(path), "/proc/%d/task/%.16s/status", pid, tid);
	if (!read_status(path, buf, sizeof(buf)))
		return AIM_NONE;
	const char *st = strstr(buf, "\nState:"), *blk = strstr(buf, "\nSigBlk:");
	char state = '?';
	if (st == NULL || sscanf(st + 7, " %c", &state) != 1 || blk == NULL)
		return AIM_NONE;
	if (state != 'R' && state != 'S' && state != 'D')
		return AIM_NONE; /* stopped, traced, a zombie, dead */
	bool blocks = (strtoull(blk + 8, NULL, 16) >> (sig - 1)) & 1;
	snprintf(path, sizeof(path), "/proc/%d/task/%.16s/syscall", pid, tid);
	char sys[256];
	if (!read_small(path, sys, sizeof(sys)))
		return AIM_NONE;
	if (strncmp(sys, "running", 7) == 0)
		return blocks ? AIM_NONE : AIM_RUNNING;
	char *p = sys;
	long nr = strtol(p, &p, 10);
	unsigned long a[6], sp, pc;
	for (int i = 0; i < 6; i++)
		a[i] = strtoul(p, &p, 16);
	sp = strtoul(p, &p, 16);
	pc = strtoul(p, &p, 16);
	if (at) {
		at[0] = sp;
		at[1] = pc;
	}
	/* A sigwait's set: the kernel unblocks it while the thread waits (SigBlk shows it
	 * clear), and a signal in it is dequeued there, not delivered to a handler. */
	if (nr == SYS_rt_sigtimedwait) {
		uint64_t set = 0;
		return memfd >= 0 && pread(memfd, &set, sizeof(set), (off_t)a[0]) == sizeof(set) &&
		               ((set >> (sig - 1)) & 1)
		           ? AIM_SIGWAIT
		           : AIM_NONE;
	}
	if (blocks)
		return AIM_NONE;
	switch (nr) {
	case SYS_futex: {                 /* as preload/kernel.c tl_signal_is_transparent */
		int op = (int)a[1] & 127; /* FUTEX_CMD_MASK */
		if (op == 6 || op == 13)  /* FUTEX_LOCK_PI, FUTEX_LOCK_PI2 */
			return AIM_QUIET;
		if (op == 11) /* FUTEX_WAIT_REQUEUE_PI */
			return AIM_NONE;
		if (a[3] == 0)
			return AIM_QUIET;
		return (op == 0 || op == 9) && loads_nr_before(memfd, pc, nr, 7) ? AIM_REPAIRED
		                                                                 : AIM_NONE;
	}
	case SYS_read:
	case SYS_readv:
	case SYS_write:
	case SYS_writev:
	case SYS_recvfrom:
	case SYS_recvmsg:
	case SYS_sendto:
	case SYS_sendmsg:
	case SYS_sendmmsg:
	case SYS_accept:
	case SYS_accept4:
	case SYS_connect:
		return fd_is_socket(pid, tid, a[0]) ? AIM_NONE : AIM_QUIET;
	case SYS_wait4:
	case SYS_waitid:
	case SYS_flock:
	case SYS_fcntl:
	case SYS_mq_timedsend:
	case SYS_mq_timedreceive:
	case SYS_sched_yield:
		return AIM_QUIET;
	case SYS_nanosleep:
	case SYS_clock_nanosleep:
	case SYS_poll:
	case SYS_ppoll:
	case SYS_select:
	case SYS_pselect6:
	case SYS_pause:
		return loads_nr_before(memfd, pc, nr, 7) ? AIM_REPAIRED : AIM_NONE;
	case SYS_epoll_wait:
	case SYS_epoll_pwait:
		return loads_nr_before(memfd, pc, nr, 24) ? AIM_EPOLL : AIM_NONE;
	default:
		return AIM_NONE;
	}
}

/* How thread tid of pid ranks as a target for sig (rank_of; its AIM_* in *a), when it could
 * rank above `than`: whether it is inside a wrapper is read only then. */
static int rank_thread(int pid, const char *tid, int sig, int memfd, const struct code_map *code,
                       int than, int *a)
{
	unsigned long at[2] = {0, 0};
	*a = aim_of(pid, tid, sig, memfd, at);
	int r = rank_of(*a, false), wrapped = rank_of(*a, true);
	if (wrapped > r && wrapped > than && at[1] != 0 && in_wrapper(memfd, code, at[0], at[1]))
		r = wrapped;
	return r;
}

/* The tid of the best thread of pid to send sig to (AIM_* in *aim), 0 when none; the threads
 * counted into b (all of them; those that block sig) and what the others do into why, both
 * complete when no thread was found in a quiet call inside a wrapper (the search stops
 * there). */
static int aim(int pid, int sig, int *aim_out, struct live_blocked *b, char *why, size_t len)
{
	char path[64];
	int t = live_task(pid); /* an exited main thread has no memory to read */
	snprintf(path, sizeof(path), "/proc/%d/task/%d/mem", pid, t ? t : pid);
	int memfd = open(path, O_RDONLY | O_CLOEXEC);
	int mem_errno = memfd < 0 ? errno : 0;
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	DIR *d = opendir(path);
	struct dirent *e;
	int best = 0, best_aim = AIM_NONE, best_rank = 0, first_quiet = 0, first_lockwait = 0;
	size_t used = 0;
	struct code_map code = {NULL, 0};
	if (memfd >= 0)
		code_map_read(pid, &code);
	*b = (struct live_blocked){0, 0, 0, memfd < 0, mem_errno, false};
	if (why && len)
		why[0] = '\0';
	while (d && (e = readdir(d)) != NULL) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		char buf[8192];
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/status", pid, e->d_name);
		if (!read_status(path, buf, sizeof(buf)))
			continue;
		const char *blk = strstr(buf, "\nSigBlk:");
		bool blocks = blk && ((strtoull(blk + 8, NULL, 16) >> (sig - 1)) & 1);
		b->threads++;
		b->blocking += blocks;
		int a, r = rank_thread(pid, e->d_name, sig, memfd, &code, best_rank, &a);
		if (a == AIM_QUIET && first_quiet == 0)
			first_quiet = atoi(e->d_name);
		if (a == AIM_QUIET && first_lockwait == 0 && r < rank_of(AIM_QUIET, true) &&
		    program_lock_wait(pid, e->d_name, memfd, &code))
			first_lockwait = atoi(e->d_name);
		if (r > best_rank) {
			best_rank = r;
			best_aim = a;
			best = atoi(e->d_name);
			/* as good as any: no need to read 1000 more threads */
			if (r >= rank_of(AIM_QUIET, true))
				break;
		}
		if (a == AIM_NONE && !blocks && ((why && used < len) || memfd < 0)) {
			char sys[64] = "";
			snprintf(path, sizeof(path), "/proc/%d/task/%.16s/syscall", pid, e->d_name);
			read_small(path, sys, sizeof(sys));
			sys[strcspn(sys, " \n")] = '\0';
			long nr = sys[0] >= '0' && sys[0] <= '9' ? atol(sys) : -1;
			b->sigwaiting += memfd < 0 && nr == SYS_rt_sigtimedwait;
			if (!why || used >= len)
				continue;
			const char *name = nr >= 0 ? tl_syscall_name(nr) : NULL;
			char what[64];
			if (name)
				snprintf(what, sizeof(what), "%s", name);
			else
				snprintf(what, sizeof(what), "system call %s", sys[0] ? sys : "?");
			int w = snprintf(why + used, len - used, "%stid %s in %s", used ? ", " : "",
			                 e->d_name, what);
			used = w > 0 && (size_t)w < len - used ? used + (size_t)w : len;
		}
	}
	if (d)
		closedir(d);
	if (memfd >= 0)
		close(memfd);
	free(code.v);
	/* A quiet call inside a wrapper: the first thread in a quiet call, as before (main, the
	 * kernel's own choice), which hands the request to such a thread when it is in none
	 * itself (preload/dump.c quiet_thread; tests/live timeout, destroyhang). None: a thread
	 * asleep in a lock the program called, which can make the report itself, before the
	 * others (main in a read under fgets, whose report was reduced: tests/live lockwait). */
	if (best_aim == AIM_QUIET)
		best = best_rank < rank_of(AIM_QUIET, true) && first_lockwait ? first_lockwait
		                                                              : first_quiet;
	*aim_out = best_aim;
	return best;
}

/* What thread tid of pid shows of its time: on a CPU (ns, schedstat), voluntary switches
 * (sleeps), "running" in syscall. False when it cannot be read. */
struct ran {
	unsigned long long ns, sleeps;
	bool running;
};

static bool ran_of(int pid, int tid, struct ran *r)
{
	char path[96], buf[8192];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", pid, tid);
	if (!read_small(path, buf, sizeof(buf)) || sscanf(buf, "%llu", &r->ns) != 1)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, tid);
	const char *v;
	if (!read_status(path, buf, sizeof(buf)) ||
	    (v = strstr(buf, "\nvoluntary_ctxt_switches:")) == NULL)
		return false;
	r->sleeps = strtoull(v + 26, NULL, 10);
	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", pid, tid);
	r->running = read_small(path, buf, sizeof(buf)) && strncmp(buf, "running", 7) == 0;
	return true;
}

/* Is thread tid, seen "running", computing in user space? "running" is any runnable task,
 * also one in the kernel on its way into a call (a loop of semtimedop shows it between two
 * calls, 5% of the looks here, more on a loaded machine): only one that stays running 2 ms
 * later, never slept meanwhile and was on a CPU for 100 us of them is taken. */
static bool computing(int pid, int tid, int sig)
{
	struct ran a, b;
	if (!ran_of(pid, tid, &a))
		return false;
	struct timespec ts = {0, 2 * 1000000};
	nanosleep(&ts, NULL);
	if (!ran_of(pid, tid, &b))
		return false;
	char tids[16];
	snprintf(tids, sizeof(tids), "%d", tid);
	return a.running && b.running && a.sleeps == b.sleeps && b.ns >= a.ns + 100000 &&
	       aim_of(pid, tids, sig, -1, NULL) == AIM_RUNNING;
}

int live_request(int pid, int sig, int dirfd, bool final, char *why, size_t len)
{
	union sigval v;
	uint64_t word = ((uint64_t)getpid() << 32) | (uint32_t)dirfd | (final ? 1u << 31 : 0);
	v.sival_ptr = (void *)(uintptr_t)word;
	/* The threads' calls change: a thread between two calls of a loop is worth waiting for
	 * (up to LIVE_AIM_MS) rather than a refusal. */
	struct live_blocked b;
	int64_t until = live_now_ms() + LIVE_AIM_MS;
	char others[256], seen[256] = "";
	for (;;) {
		int kind, tid = aim(pid, sig, &kind, &b, others, sizeof(others));
		/* the calls named by the last look that found any: a thread seen between two calls
		 * at the last look is named by the call before (it read "()": tests/live sigmask)
		 */
		if (others[0])
			snprintf(seen, sizeof(seen), "%s", others);
		if (tid > 0 && kind == AIM_RUNNING && !computing(pid, tid, sig))
			tid = 0;
		if (tid > 0) {
			siginfo_t si;
			memset(&si, 0, sizeof(si));
			si.si_signo = sig;
			si.si_code = SI_QUEUE; /* the only code another process may send */
			si.si_pid = getpid();
			si.si_uid = getuid();
			si.si_value = v;
			return (int)syscall(SYS_rt_tgsigqueueinfo, pid, tid, sig, &si);
		}
		if (b.threads == 0) {
			errno = ESRCH;
			return -1;
		}
		if (b.blocking == b.threads) /* nobody takes it but a sigwait: nobody interrupted */
			return sigqueue(pid, sig, v);
		/* the others wait in sigwait, with sets we could not read: as before we chose,
		 * the kernel's choice (the daemon's signal thread takes what its set holds) */
		if (b.mem_unreadable && b.blocking + b.sigwaiting == b.threads)
			return sigqueue(pid, sig, v);
		if (live_now_ms() >= until)
			break;
		struct timespec ts = {0, 2 * 1000000};
		nanosleep(&ts, NULL);
	}
	if (process_stopped(pid))
		snprintf(
		    why, len,
		    "it is stopped (SIGSTOP, ^Z or a debugger): it answers nothing until it is "
		    "continued (kill -CONT %d): not asked",
		    pid);
	else if (b.mem_unreadable)
		snprintf(why, len,
		         "its memory could not be read to choose a thread that signal %d would "
		         "leave undisturbed (/proc/%d/mem: %s; ptrace rules, see docs/cli.md), and "
		         "the threads that take it are in system calls (%s): not asked",
		         sig, pid, strerror(b.mem_errno), seen);
	else
		snprintf(why, len,
		         "every thread that takes signal %d is in a system call it would interrupt "
		         "with EINTR (%s), and the other %d block it: not asked",
		         sig, seen, b.blocking);
	errno = EBUSY;
	return -1;
}

/* How many threads of pid block sig (SigBlk in /proc/PID/task/TID/status), of how many. */
void live_blocking(int pid, int sig, struct live_blocked *b)
{
	char path[64], buf[8192];
	*b = (struct live_blocked){0, 0, 0, false, 0, false};
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	DIR *d = opendir(path);
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/status", pid, e->d_name);
		if (!read_status(path, buf, sizeof(buf)))
			continue;
		const char *blk = strstr(buf, "\nSigBlk:"), *pnd = strstr(buf, "\nSigPnd:"),
		           *shd = strstr(buf, "\nShdPnd:");
		b->threads++;
		b->blocking += blk && ((strtoull(blk + 8, NULL, 16) >> (sig - 1)) & 1);
		b->pending |= (pnd && ((strtoull(pnd + 8, NULL, 16) >> (sig - 1)) & 1)) ||
		              (shd && ((strtoull(shd + 8, NULL, 16) >> (sig - 1)) & 1));
	}
	if (d)
		closedir(d);
}

/* Why pid wrote no report for signal sig: a clause for "did not answer signal N: ...". b: how
 * its threads stood when it was asked. The library takes the request in its handler, or in a
 * sigwait whose set holds the signal; a thread that blocks the signal and waits for other
 * signals only (or reads them from a signalfd, which leaves ours out) never sees it. */
void live_silence(int pid, int sig, const struct live_blocked *b, char *why, size_t len)
{
	if (b->threads > 0 && b->blocking == b->threads)
		snprintf(why, len,
		         "%s %d thread%s block%s signal %d (SigBlk in /proc/%d/task/*/status) and "
		         "none waits for it in sigwait, so the library never sees the request",
		         b->threads == 1 ? "its" : "all", b->threads, b->threads == 1 ? "" : "s",
		         b->threads == 1 ? "s" : "", sig, pid);
	else if (kill(pid, 0) != 0)
		snprintf(why, len, "it ended before it answered");
	else
		snprintf(why, len,
		         "the library got no thread to make the report (%d of %d threads block "
		         "signal %d)",
		         b->blocking, b->threads, sig);
}

/* The lines of a hang report: our own header and its chains of waits, then the threads as
 * every report prints them (render.c, whose header line we leave out). */
void render_hang(FILE *out, const struct proc *p, const char *cwd)
{
	json_object *leaks = jarr(p->doc, "leaks"), *waits = jarr(p->doc, "waits");
	size_t n = leaks ? json_object_array_length(leaks) : 0;
	const char *reason = jstr(p->doc, "reason");
	fprintf(out, "\nthreadleak: hang report of %s (pid %d): the process has not exited",
	        p->exe ? path_under(p->exe, cwd) : "?", p->pid);
	if (reason)
		fprintf(out, " (%s)", reason);
	json_object *supp = jarr(p->doc, "suppressed_threads");
	size_t ns = supp ? json_object_array_length(supp) : 0;
	if (ns > 0) /* a JVM's own threads, ... */
		fprintf(out, "; %zu of its threads, and %zu suppressed\n", n, ns);
	else if (n == 1)
		fprintf(out, "; its one thread\n");
	else
		fprintf(out, "; all %zu of its threads\n", n);
	const char *reduced = jstr(p->doc, "reduced");
	if (reduced)
		fprintf(out, "threadleak: %s\n", reduced);
	fputc('\n', out);
	for (size_t i = 0; waits && i < json_object_array_length(waits); i++)
		fprintf(out, "%s\n", json_object_get_string(json_object_array_get_idx(waits, i)));
	if (waits && json_object_array_length(waits))
		fputc('\n', out);
	char *text = render_process(p, cwd);
	if (text == NULL)
		return;
	/* render_text: "\n", the header line, then the deadlock lines and the threads */
	char *body = text;
	while (*body == '\n')
		body++;
	if (strncmp(body, "threadleak: ", 12) == 0) {
		char *nl = strchr(body, '\n');
		body = nl ? nl + 1 : body + strlen(body);
		while (*body == '\n')
			body++;
	}
	fputs(body, out);
	free(text);
}

/* Wait for hang.PID in the folder (opened as dfd) until the deadline; true when it came. */
bool live_wait_report(int dfd, int pid, int64_t deadline_ms)
{
	char name[64];
	snprintf(name, sizeof(name), "hang.%d", pid);
	for (;;) {
		struct stat st;
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			return true;
		if (live_now_ms() >= deadline_ms || kill(pid, 0) != 0)
			return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
		struct timespec ts = {0, 5 * 1000000};
		nanosleep(&ts, NULL);
	}
}

int64_t live_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- threadleak dump PID ---- */
void usage_dump(FILE *out)
{
	fputs("Usage: threadleak dump [--json] [--wait S] [--signal N] PID\n"
	      "\n"
	      "Prints a report of every thread of the running process PID (a hang report: the\n"
	      "main thread included, with the chains of waits), without stopping it. PID must\n"
	      "run under threadleak: `threadleak run`, or LD_PRELOAD=libthreadleak.so with\n"
	      "THREADLEAK_OPTIONS=dump_signal=N (N: a real-time signal, 63 here by default).\n"
	      "Only the process's owner can ask (root: as that user). For a process without\n"
	      "the library, what /proc shows of its threads (states, kernel waits, system\n"
	      "calls).\n"
	      "\n"
	      "  --json       the library's JSON report (docs/report-schema.md)\n"
	      "  --signal N   the real-time signal the process takes requests on (its\n"
	      "               dump_signal; read from its environment when it can be)\n"
	      "  --wait S     how long to wait for the report (10)\n"
	      "  -h, --help   this help\n",
	      out);
}

/* dump_signal=N from the THREADLEAK_OPTIONS the process started with, or 0 */
static int signal_from_environ(int pid)
{
	char path[64];
	int t = live_task(pid); /* an exited main thread's is empty */
	snprintf(path, sizeof(path), "/proc/%d/task/%d/environ", pid, t ? t : pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	size_t cap = 1 << 20, len = 0;
	char *buf = malloc(cap + 1);
	ssize_t n;
	while (buf && len < cap && (n = read(fd, buf + len, cap - len)) > 0)
		len += (size_t)n;
	close(fd);
	if (buf == NULL)
		return 0;
	buf[len] = '\0';
	int sig = 0;
	for (size_t i = 0, next; i < len; i = next) {
		char *p = buf + i, *key, *val;
		next = i + strlen(p) + 1; /* before the tokenizer cuts the text */
		if (strncmp(p, "THREADLEAK_OPTIONS=", 19) != 0)
			continue;
		p += 19;
		int got;
		long v; /* as the library reads them (quotes, blanks), the last one */
		while ((got = tl_options_next(&p, &key, &val)) != 0)
			if (got > 0 && val && strcmp(key, "dump_signal") == 0 &&
			    parse_int(val, 0, SIGRTMAX, &v))
				sig = (int)v;
	}
	free(buf);
	return sig;
}

/* The request signal of process pid: its dump_signal, else run's. */
int live_signal_of(int pid)
{
	int sig = signal_from_environ(pid);
	return sig ? sig : dump_signal_default();
}

/* Root asking a process of another user: the process writes its report through
 * /proc/OURPID/fd/N, which the kernel opens only to a process allowed to trace us, so root's
 * request would go unanswered (dump waited --wait out, then blamed the threads). Becoming that
 * user here would hand this process (root's environment, its terminal) to it: dumpable, its
 * own uid. So say at once how to ask: as that user. False after the message. */
static bool owner_can_answer(int pid)
{
	char path[64], buf[4096];
	unsigned long uid[4];
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	const char *u;
	if (geteuid() != 0 || !read_status(path, buf, sizeof(buf)) ||
	    (u = strstr(buf, "\nUid:")) == NULL ||
	    sscanf(u + 5, "%lu %lu %lu %lu", &uid[0], &uid[1], &uid[2], &uid[3]) != 4 ||
	    uid[3] == 0)
		return true;
	cli_err("process %d runs as uid %lu, and its report would come back through this "
	        "command's /proc entry, which that user cannot open while this runs as root: ask "
	        "as that user (sudo -u '#%lu' threadleak ... %d)",
	        pid, uid[3], uid[3], pid);
	return false;
}

/* The uids of process pid (real, effective, saved: what the kernel compares with ours before it
 * shows the process's maps and memory). False when they cannot be read. */
static bool uids_of(int pid, unsigned long uid[3])
{
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	const char *u;
	return read_status(path, buf, sizeof(buf)) && (u = strstr(buf, "\nUid:")) != NULL &&
	       sscanf(u + 5, "%lu %lu %lu", &uid[0], &uid[1], &uid[2]) == 3;
}

/* Why the kernel keeps /proc/PID/maps from us (EACCES), in one line. Another user's process;
 * or one of ours that is not dumpable (prctl(PR_SET_DUMPABLE, 0), a set-user-ID, set-group-ID
 * or file-capability program), whose /proc/PID files the kernel gives to root: its owner may not
 * read its maps or memory either (ptrace rules). It read "belongs to another user" for both. */
static void say_denied(int pid)
{
	unsigned long uid[3], me = (unsigned long)geteuid();
	struct stat st;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	if (!uids_of(pid, uid)) {
		cli_err("process %d belongs to another user: only its owner can ask for its report",
		        pid);
	} else if (uid[0] != me || uid[1] != me || uid[2] != me) {
		unsigned long other = uid[1] != me ? uid[1] : uid[0] != me ? uid[0] : uid[2];
		cli_err("process %d belongs to another user (uid %lu): only its owner can ask for "
		        "its report",
		        pid, other);
	} else if (me != 0 && stat(path, &st) == 0 && st.st_uid == 0) {
		cli_err(
		    "process %d is yours but not dumpable (prctl(PR_SET_DUMPABLE, 0), or a "
		    "set-user-ID, set-group-ID or file-capability program): the kernel keeps its "
		    "memory maps and memory (/proc/%d/maps, mem) from its owner too, so threadleak "
		    "cannot tell whether it runs libthreadleak.so nor choose a thread to ask",
		    pid, pid);
	} else {
		cli_err(
		    "process %d runs as uid %lu, as this command does, but the kernel refuses "
		    "this command its memory maps (/proc/%d/maps: %s; ptrace rules: not "
		    "dumpable, more capabilities than ours, another user namespace, or a "
		    "security module), so threadleak cannot tell whether it runs libthreadleak.so",
		    pid, me, pid, strerror(EACCES));
	}
}

/* Can process pid be asked? Else one line saying what is missing. */
bool live_check(int pid, int sig)
{
	switch (live_state(pid, sig)) {
	case LIVE_GONE:
		cli_err("no process %d", pid);
		return false;
	case LIVE_DENIED:
		say_denied(pid);
		return false;
	case LIVE_NO_LIBRARY:
		cli_err("process %d does not run libthreadleak.so: start it with `threadleak run "
		        "-- CMD` (or LD_PRELOAD=libthreadleak.so "
		        "THREADLEAK_OPTIONS=dump_signal=%d) to see its threads",
		        pid, dump_signal_default());
		return false;
	case LIVE_NO_SIGNAL: {
		/* a real-time signal it does catch: most likely its request signal, given by
		 * dump_signal= (--signal named another) */
		char path[64], buf[8192];
		snprintf(path, sizeof(path), "/proc/%d/status", pid);
		const char *c =
		    read_status(path, buf, sizeof(buf)) ? strstr(buf, "\nSigCgt:") : NULL;
		unsigned long long cgt = c ? strtoull(c + 8, NULL, 16) : 0;
		int rt = 0;
		for (int k = SIGRTMAX; k >= SIGRTMIN && rt == 0; k--)
			if ((cgt >> (k - 1)) & 1)
				rt = k;
		if (rt)
			cli_err(
			    "process %d does not catch signal %d; it catches real-time signal %d, "
			    "likely its request signal (its dump_signal=): try --signal %d",
			    pid, sig, rt, rt);
		else if (sig != dump_signal_default()) /* --signal named it: no circular advice */
			cli_err("process %d runs libthreadleak.so without a request signal: start "
			        "it with THREADLEAK_OPTIONS=dump_signal=%d",
			        pid, sig);
		else
			cli_err(
			    "process %d runs libthreadleak.so without a request signal: start "
			    "it with THREADLEAK_OPTIONS=dump_signal=%d (threadleak run sets it), "
			    "or name its signal with --signal",
			    pid, dump_signal_default());
		return false;
	}
	case LIVE_READY:
		break;
	}
	return owner_can_answer(pid);
}

/* A private folder (0700, mkdtemp) for the reports: its descriptor, or -1 after a message. */
int live_private_dir(char **path)
{
	const char *base = getenv("TMPDIR");
	if (asprintf(path, "%s/threadleak-dump.XXXXXX", base && base[0] ? base : "/tmp") < 0) {
		*path = NULL;
		return -1;
	}
	int dfd =
	    mkdtemp(*path) ? open(*path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
	if (dfd < 0) {
		cli_err("cannot create a private folder: %s", strerror(errno));
		free(*path);
		*path = NULL;
	}
	return dfd;
}

/* Ask pid for its hang report and read it (the file is removed): the document, or NULL after
 * a message. */
json_object *live_take(int pid, int sig, int dfd, const char *dir, int wait_ms)
{
	char name[64];
	snprintf(name, sizeof(name), "hang.%d", pid);
	unlinkat(dfd, name, 0);
	char refused[512];
	if (live_request(pid, sig, dfd, false, refused, sizeof(refused)) != 0) {
		if (errno == EBUSY)
			cli_err("process %d: %s", pid, refused);
		else
			cli_err("cannot ask process %d: %s", pid, strerror(errno));
		return NULL;
	}
	struct live_blocked b;
	live_blocking(pid, sig, &b); /* now, while it may still end before the deadline */
	int64_t start = live_now_ms(), deadline = start + wait_ms;
	bool came;
	for (;;) {
		/* Every thread blocks the signal and none waits for it in a sigwait (the kernel
		 * unblocks what a sigwait waits for, so SigBlk would show it), and the request is
		 * still pending: nothing takes it unless the program unblocks the signal. Look
		 * again after a second, and give up if that still holds, rather than wait the whole
		 * --wait. Not while it is taken: the library's handler blocks the signal while it
		 * writes the report, which can take longer than a second. */
		bool none_takes = b.threads > 0 && b.blocking == b.threads && b.pending;
		int64_t until =
		    none_takes && start + 1000 < deadline ? live_now_ms() + 1000 : deadline;
		came = live_wait_report(dfd, pid, until);
		if (came || until >= deadline || kill(pid, 0) != 0)
			break;
		live_blocking(pid, sig, &b);
		if (b.threads > 0 && b.blocking == b.threads && b.pending)
			break;
	}
	if (!came) {
		char why[256];
		live_silence(pid, sig, &b, why, sizeof(why));
		if (kill(pid, 0) != 0 && errno == ESRCH) /* not a matter of time */
			cli_err("process %d did not answer signal %d: %s", pid, sig, why);
		else
			cli_err("process %d did not answer signal %d within %d s: %s", pid, sig,
			        (int)((live_now_ms() - start + 500) / 1000), why);
		return NULL;
	}
	char *path = NULL, why[256];
	json_object *doc = NULL;
	if (asprintf(&path, "%s/%s", dir, name) > 0) {
		doc = json_read_file(path, TL_MAX_OWN_REPORT, why, sizeof(why));
		if (doc == NULL)
			cli_err("%s: %s", path, why);
	}
	unlinkat(dfd, name, 0);
	free(path);
	return doc;
}

/* A process without the library: what /proc shows of its threads, one line each (state, kernel
 * wait, system call): no stacks, no objects, no creation sites. */
static void proc_fallback(int pid)
{
	char path[PATH_MAX], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	DIR *d = opendir(path);
	struct dirent *e;
	printf("threads of pid %d as /proc shows them (no stacks, objects or creation sites "
	       "without the library):\n",
	       pid);
	while (d && (e = readdir(d)) != NULL) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		char comm[64] = "?", wchan[128] = "", sys[128] = "", state = '?';
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", pid, e->d_name);
		if (read_small(path, buf, sizeof(buf))) {
			char *open = strchr(buf, '('), *close = strrchr(buf, ')');
			if (open && close && close > open) {
				snprintf(comm, sizeof(comm), "%.*s", (int)(close - open - 1),
				         open + 1);
				sscanf(close + 1, " %c", &state);
			}
		}
		snprintf(path, sizeof(path), "/proc/%d/task/%s/wchan", pid, e->d_name);
		if (read_small(path, wchan, sizeof(wchan)) && strcmp(wchan, "0") == 0)
			wchan[0] = '\0';
		snprintf(path, sizeof(path), "/proc/%d/task/%s/syscall", pid, e->d_name);
		if (read_small(path, sys, sizeof(sys)))
			sys[strcspn(sys, " \n")] = '\0';
		for (char *p = comm; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
		printf("  tid %s (\"%s\") %s", e->d_name, comm,
		       state == 'S' || state == 'D' ? "blocked"
		       : state == 'R'               ? "running"
		                                    : "state");
		if (state != 'S' && state != 'D' && state != 'R')
			printf(" %c", state);
		if (wchan[0])
			printf(" in %s", wchan);
		if (sys[0] && strcmp(sys, "running") != 0)
			printf(" (system call %s)", sys);
		putchar('\n');
	}
	if (d)
		closedir(d);
}

int cmd_dump(int argc, char **argv)
{
	static const struct option longs[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"signal", required_argument, NULL, 's'},
	    {"wait", required_argument, NULL, 'w'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	bool json = false;
	long sig = 0, wait_s = 10, pid = 0;
	opterr = 0;
	optind = 1;
	int c, bad = 0;
	while ((c = getopt_long(argc, argv, "+:h", longs, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 's':
			if (!parse_int(optarg, SIGRTMIN, SIGRTMAX, &sig))
				bad +=
				    (cli_err("--signal: '%s' is not a real-time signal (%d to %d)",
				             optarg, SIGRTMIN, SIGRTMAX),
				     1);
			break;
		case 'w':
			if (!parse_int(optarg, 1, 3600, &wait_s))
				bad += (cli_err("--wait: '%s' is not a whole number of seconds "
				                "from 1 to 3600",
				                optarg),
				        1);
			break;
		case 'h':
			usage_dump(stdout);
			return 0;
		default:
			cli_err("dump: unknown option '%s'", argv[optind - 1]);
			bad++;
		}
	}
	if (!bad && (optind != argc - 1 || !parse_int(argv[optind], 1, INT_MAX, &pid)))
		bad += (cli_err("dump: expected one process id: threadleak dump PID"), 1);
	if (bad) {
		fprintf(stderr, "Try 'threadleak dump --help'.\n");
		return TL_EXIT_USAGE;
	}
	if (sig == 0)
		sig = live_signal_of((int)pid);
	if (!live_check((int)pid, (int)sig)) {
		if (!json && live_state((int)pid, (int)sig) == LIVE_NO_LIBRARY)
			proc_fallback((int)pid);
		return 1;
	}
	char *dir = NULL;
	int dfd = live_private_dir(&dir);
	if (dfd < 0)
		return TL_EXIT_INTERNAL;
	json_object *doc = live_take((int)pid, (int)sig, dfd, dir, (int)wait_s * 1000);
	int rc = doc ? 0 : 1;
	if (doc && json) {
		fputs(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY), stdout);
		fputc('\n', stdout);
	} else if (doc) {
		struct procset set = {0};
		procset_add(&set, json_object_get(doc), "dump");
		char cwd[PATH_MAX];
		if (set.n == 1)
			render_hang(stdout, &set.v[0], getcwd(cwd, sizeof(cwd)) ? cwd : NULL);
		procset_free(&set);
	}
	json_object_put(doc);
	/* a late report, and the temporary name of one being written */
	char late[64];
	snprintf(late, sizeof(late), ".hang.%ld", pid);
	unlinkat(dfd, late, 0);
	snprintf(late, sizeof(late), "hang.%ld", pid);
	unlinkat(dfd, late, 0);
	close(dfd);
	rmdir(dir);
	free(dir);
	return rc;
}
