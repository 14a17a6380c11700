/* What a thread is blocked in, when the obvious record is wrong. One case per argv[1]; each
 * prints the fds or tids the test needs to know, "ready", then returns from main (the exit
 * check reports what is left).
 *   cancel      a thread cancelled in read(A) whose cleanup handler then blocks in read(B)
 *   jmp_spin    siglongjmp out of read(A) from a signal handler, then spin
 *   jmp_sem     siglongjmp out of read(A), then sem_wait
 *   jmp_raw     siglongjmp out of read(A), then a raw read(B) system call (not wrapped)
 *   handler     a signal handler that blocks in read(B) while the thread is in read(A)
 *   handler_spin  a signal handler that spins while the thread is in read(A)
 *   sigstorm    wrapped calls in a loop, interrupted by handlers making wrapped calls, then
 *               read(A)
 *   jmpstorm    the same, the handlers siglongjmp out of wherever they interrupted the loop
 *   altstack    the same, the handler on an alternate signal stack
 *   readstorm   a thread blocked in read(A) for good, while another one sends the process
 *               SIGUSR1 every 50 us (both others block it) and an SA_RESTART handler works a
 *               little each time: caught in the handler at the check's two looks, the reader
 *               was reported running in 1 run of 10 to 2 of 10
 *   tsd         a joinable and a detached thread blocked in their TSD destructor (read(B))
 *   tsd_late    the same, the key made after the first thread (after threadleak's own key,
 *               so that its destructor comes later in each round)
 *   tss         the same as tsd_late with a C11 tss_create key (glibc makes it without
 *               pthread_key_create)
 *   tsd_hidden  the same as tsd_late, the key made by libc's pthread_key_create found with
 *               dlsym on libc's handle, where no wrapper sees it
 *   tls_dtor    a thread blocked in its thread_local destructor (__cxa_thread_atexit_impl)
 *   tls_hidden  the same, registered through libc's __cxa_thread_atexit_impl found with dlsym on
 *               libc's handle (as a library loaded with RTLD_DEEPBIND binds it), where no
 *               wrapper sees it
 *   exit_cleanup  a thread blocked in a cleanup handler run by pthread_exit
 *   pi          an AB-BA deadlock on priority-inheritance mutexes
 *   robust      an AB-BA deadlock on robust mutexes
 *   pirobust    an AB-BA deadlock on robust priority-inheritance mutexes
 *   dead_owner  a thread waits for a mutex whose owner returned without unlocking it
 *   dead_owner_unjoined the same, the owner not joined (a leak itself, exited)
 *   pi_dead_owner the same with a priority-inheritance mutex: the kernel refuses the lock
 *               (ESRCH) and glibc waits forever on a local word
 *   pshared     threads block on process-shared mutexes (a plain and a robust one) and a
 *               rwlock that a child process holds; and on one whose holder, another child,
 *               exited without unlocking it
 *   fdtable     a thread with its own fd table blocked on its own fd numbered like a pipe
 *               of the process
 *   uring       a thread waiting in io_uring_enter for a completion
 *   waitv       a thread in futex_waitv (raw), one in waitid(P_PIDFD) (wrapped), one in a raw
 *               waitid(P_PIDFD) system call, for a child that exits with the process
 *   three       three threads blocked in read (run under a PID namespace)
 *   creator     a thread that creates and joins threads in a loop, without end
 *   creator_c11 the same with thrd_create and thrd_join */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/io_uring.h>
#include <pthread.h>
#include <threads.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <sched.h>
#include <semaphore.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

static int a[2], b[2];
static sem_t sem;
static sigjmp_buf jb;
static volatile int spin;

static void cleanup_reader(void *arg)
{
	char c;
	read(b[0], &c, 1); /* CLEANUP_READ */
}

static void *cancel_thread(void *arg)
{
	char c;
	pthread_cleanup_push(cleanup_reader, NULL);
	read(a[0], &c, 1); /* CANCELLED_READ */
	pthread_cleanup_pop(0);
	return NULL;
}

static void jump_out(int sig)
{
	siglongjmp(jb, 1);
}

static void *jmp_thread(void *arg)
{
	char c;
	if (sigsetjmp(jb, 1) == 0) {
		read(a[0], &c, 1); /* JUMPED_READ */
	} else if (arg == NULL) {
		for (;;)
			spin++; /* SPIN_AFTER_JUMP */
	} else if (arg == (void *)2) {
		syscall(SYS_read, b[0], &c, 1); /* RAW_AFTER_JUMP */
	} else {
		sem_wait(&sem); /* SEM_AFTER_JUMP */
	}
	return NULL;
}

static void handler_reads(int sig)
{
	char c;
	read(b[0], &c, 1); /* HANDLER_READ */
}

static void handler_spins(int sig)
{
	for (;;)
		spin++; /* HANDLER_SPIN */
}

static int devnull = -1;
static volatile int storm_done;

static volatile int handled;

static void handler_writes(int sig)
{
	struct timespec ts = {0, 0};
	write(devnull, "x", 1);
	nanosleep(&ts, NULL);
	handled++;
}

static void *storm_thread(void *arg)
{
	struct timespec ts = {0, 0};
	for (int i = 0; i < 3000; i++) {
		write(devnull, "y", 1);
		nanosleep(&ts, NULL);
	}
	storm_done = 1;
	char c;
	read(a[0], &c, 1); /* STORM_READ */
	return NULL;
}

static sigjmp_buf storm_jb;
static volatile int jumps, storm_ready, storm_i;

static void handler_jumps(int sig)
{
	struct timespec ts = {0, 0};
	nanosleep(&ts, NULL);
	jumps++;
	siglongjmp(storm_jb, 1);
}

static void *jmpstorm_thread(void *arg)
{
	struct timespec ts = {0, 0};
	sigsetjmp(storm_jb, 1);
	storm_ready = 1;
	for (; storm_i < 3000; storm_i++) {
		write(devnull, "y", 1);
		nanosleep(&ts, NULL);
	}
	storm_done = 1;
	char c;
	read(a[0], &c, 1); /* JMPSTORM_READ */
	return NULL;
}

static void handler_works(int sig)
{
	for (volatile int i = 0; i < 2000; i++)
		;
}

static void *storm_sender(void *arg)
{
	pid_t self = getpid();
	for (;;) {
		kill(self, SIGUSR1);
		usleep(50);
	}
	return arg;
}

static void *readstorm_thread(void *arg)
{
	char c;
	read(a[0], &c, 1); /* READSTORM_READ */
	return arg;
}

static void *handler_thread(void *arg)
{
	char c;
	if (arg != NULL) {
		stack_t ss = {.ss_sp = malloc(1 << 16), .ss_size = 1 << 16};
		sigaltstack(&ss, NULL);
	}
	read(a[0], &c, 1); /* INTERRUPTED_READ */
	return NULL;
}

static pthread_key_t key;

static void tsd_destructor(void *v)
{
	char c;
	read(b[0], &c, 1); /* TSD_READ */
}

static void *tsd_thread(void *arg)
{
	pthread_setspecific(key, arg);
	return NULL;
}

static tss_t tss_key;

static void *nothing(void *arg)
{
	return arg;
}

static void *tss_thread(void *arg)
{
	tss_set(tss_key, arg);
	return NULL;
}

extern void *__dso_handle;
int __cxa_thread_atexit_impl(void (*fn)(void *), void *obj, void *dso);

static void *tls_dtor_thread(void *arg)
{
	__cxa_thread_atexit_impl(tsd_destructor, NULL, &__dso_handle);
	return NULL;
}

static void *tls_hidden_thread(void *arg)
{
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	int (*atexit_impl)(void (*)(void *), void *, void *) =
	    libc
	        ? (int (*)(void (*)(void *), void *, void *))dlsym(libc, "__cxa_thread_atexit_impl")
	        : NULL;
	if (atexit_impl == NULL || atexit_impl(tsd_destructor, NULL, &__dso_handle) != 0)
		abort();
	return NULL;
}

static void *exit_cleanup_thread(void *arg)
{
	pthread_cleanup_push(cleanup_reader, NULL);
	pthread_exit(NULL);
	pthread_cleanup_pop(0);
	return NULL;
}

static pthread_mutex_t ma, mb;
static pthread_barrier_t bar;

static void *lock_ab(void *arg)
{
	pthread_mutex_t *first = arg ? &mb : &ma, *second = arg ? &ma : &mb;
	pthread_mutex_lock(first);
	pthread_barrier_wait(&bar);
	pthread_mutex_lock(second); /* SECOND_LOCK */
	return NULL;
}

static pthread_mutex_t mc = PTHREAD_MUTEX_INITIALIZER;

static void *lock_and_return(void *arg)
{
	pthread_mutex_lock(&mc);
	return NULL;
}

static void *lock_mc(void *arg)
{
	pthread_mutex_lock(&mc); /* DEAD_OWNER_LOCK */
	return NULL;
}

/* pshared: in memory shared with the children */
static struct shared_locks {
	pthread_mutex_t plain, robust, orphan;
	pthread_rwlock_t rw;
} * sh;

static void *lock_plain(void *arg)
{
	pthread_mutex_lock(&sh->plain); /* PSHARED_LOCK */
	return NULL;
}

static void *lock_robust(void *arg)
{
	pthread_mutex_lock(&sh->robust);
	return NULL;
}

static void *lock_orphan(void *arg)
{
	pthread_mutex_lock(&sh->orphan);
	return NULL;
}

static void *lock_rw(void *arg)
{
	pthread_rwlock_rdlock(&sh->rw);
	return NULL;
}

static void pshared_setup(void)
{
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pthread_mutexattr_t at;
	pthread_mutexattr_init(&at);
	pthread_mutexattr_setpshared(&at, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&sh->plain, &at);
	pthread_mutex_init(&sh->orphan, &at);
	pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&sh->robust, &at);
	pthread_rwlockattr_t rat;
	pthread_rwlockattr_init(&rat);
	pthread_rwlockattr_setpshared(&rat, PTHREAD_PROCESS_SHARED);
	pthread_rwlock_init(&sh->rw, &rat);
	int ready[2];
	pipe(ready);
	pid_t holder = fork();
	if (holder == 0) { /* holds the locks until the parent is gone (EOF on pipe a) */
		char c;
		pthread_mutex_lock(&sh->plain);
		pthread_mutex_lock(&sh->robust);
		pthread_rwlock_wrlock(&sh->rw);
		write(ready[1], "x", 1);
		close(a[1]);
		read(a[0], &c, 1);
		_exit(0);
	}
	pid_t quitter = fork();
	if (quitter == 0) { /* locks and leaves: a plain mutex keeps its dead owner's tid */
		pthread_mutex_lock(&sh->orphan);
		_exit(0);
	}
	char c;
	read(ready[0], &c, 1);
	waitpid(quitter, NULL, 0);
	printf("holder=%d quitter=%d\n", (int)holder, (int)quitter);
}

static int private_fd = -1;

static void *fdtable_thread(void *arg)
{
	int sv[2];
	unshare(CLONE_FILES);
	close(a[0]);
	socketpair(AF_UNIX, SOCK_DGRAM, 0, sv); /* takes a[0]'s number in this table only */
	private_fd = sv[0];
	char c;
	read(sv[0], &c, 1); /* PRIVATE_READ */
	return NULL;
}

static int ring_fd = -1;

static void *uring_thread(void *arg)
{
	struct io_uring_params p;
	memset(&p, 0, sizeof(p));
	ring_fd = (int)syscall(__NR_io_uring_setup, 4, &p);
	syscall(__NR_io_uring_enter, ring_fd, 0, 1, IORING_ENTER_GETEVENTS, NULL, 0); /* URING */
	return NULL;
}

static int pidfd = -1;

static void *waitv_thread(void *arg)
{
	static uint32_t word;
	struct futex_waitv w = {.val = 0, .uaddr = (uintptr_t)&word, .flags = FUTEX_32};
	syscall(SYS_futex_waitv, &w, 1, 0, NULL, CLOCK_MONOTONIC); /* WAITV */
	return NULL;
}

static void *pidfd_thread(void *arg)
{
	siginfo_t si;
	if (arg)
		syscall(SYS_waitid, P_PIDFD, pidfd, &si, WEXITED, NULL); /* RAW_WAITID */
	else
		waitid(P_PIDFD, pidfd, &si, WEXITED); /* WAITID */
	return NULL;
}

static void *reader(void *arg)
{
	char c;
	read(a[0], &c, 1); /* PLAIN_READ */
	return NULL;
}

static void *quick(void *arg)
{
	return arg;
}

static int quick_c11(void *arg)
{
	(void)arg;
	return 0;
}

static void *creator_thread(void *c11)
{
	for (;;) {
		if (c11) {
			thrd_t q;
			if (thrd_create(&q, quick_c11, NULL) == thrd_success) /* C11_CREATE */
				thrd_join(q, NULL);                           /* C11_JOIN */
		} else {
			pthread_t q;
			if (pthread_create(&q, NULL, quick, NULL) == 0) /* PT_CREATE */
				pthread_join(q, NULL);                  /* PT_JOIN */
		}
	}
	return NULL;
}

static void settle(void)
{
	usleep(100000);
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	pipe(a);
	pipe(b);
	printf("a=%d b=%d\n", a[0], b[0]);
	pthread_t t, u;
	if (strcmp(what, "cancel") == 0) {
		pthread_create(&t, NULL, cancel_thread, NULL);
		settle();
		pthread_cancel(t);
	} else if (strncmp(what, "jmp_", 4) == 0) {
		sem_init(&sem, 0, 0);
		signal(SIGUSR1, jump_out);
		void *how = strcmp(what, "jmp_sem") == 0   ? (void *)1
		            : strcmp(what, "jmp_raw") == 0 ? (void *)2
		                                           : NULL;
		pthread_create(&t, NULL, jmp_thread, how);
		settle();
		pthread_kill(t, SIGUSR1);
	} else if (strcmp(what, "sigstorm") == 0 || strcmp(what, "jmpstorm") == 0) {
		bool jmp = strcmp(what, "jmpstorm") == 0;
		struct sigaction sa = {.sa_handler = jmp ? handler_jumps : handler_writes,
		                       .sa_flags = SA_RESTART};
		sigaction(SIGUSR1, &sa, NULL);
		devnull = open("/dev/null", O_WRONLY);
		pthread_create(&t, NULL, jmp ? jmpstorm_thread : storm_thread, NULL);
		while (jmp && !storm_ready)
			sched_yield();
		while (!storm_done) {
			int before = jmp ? jumps : handled, at = storm_i;
			pthread_kill(t, SIGUSR1);
			/* one signal at a time: each handler runs before the next is sent
			 * (siglongjmp unblocks it before it jumps), or the thread could spend all
			 * its time in handlers and never finish its loop; a jumping loop must also
			 * move on */
			while ((jmp ? jumps : handled) == before && !storm_done)
				sched_yield();
			while (jmp && storm_i == at && !storm_done)
				sched_yield();
			sched_yield();
		}
	} else if (strcmp(what, "readstorm") == 0) {
		struct sigaction sa = {.sa_handler = handler_works, .sa_flags = SA_RESTART};
		sigaction(SIGUSR1, &sa, NULL);
		pthread_create(&t, NULL, readstorm_thread, NULL);
		sigset_t one;
		sigemptyset(&one);
		sigaddset(&one, SIGUSR1);
		pthread_sigmask(SIG_BLOCK, &one, NULL); /* the reader takes them all */
		pthread_t sender;
		pthread_create(&sender, NULL, storm_sender, NULL);
		settle();
	} else if (strncmp(what, "handler", 7) == 0 || strcmp(what, "altstack") == 0) {
		struct sigaction sa = {.sa_handler = handler_reads};
		if (strcmp(what, "handler_spin") == 0)
			sa.sa_handler = handler_spins;
		if (strcmp(what, "altstack") == 0)
			sa.sa_flags = SA_ONSTACK;
		sigaction(SIGUSR1, &sa, NULL);
		pthread_create(&t, NULL, handler_thread,
		               strcmp(what, "altstack") == 0 ? (void *)1 : NULL);
		settle();
		pthread_kill(t, SIGUSR1);
	} else if (strcmp(what, "tsd") == 0) {
		pthread_key_create(&key, tsd_destructor);
		pthread_attr_t at;
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		pthread_create(&t, NULL, tsd_thread, (void *)1);
		pthread_create(&u, &at, tsd_thread, (void *)2);
	} else if (strcmp(what, "tsd_hidden") == 0) {
		pthread_create(&t, NULL, nothing, NULL); /* the library's key first */
		pthread_join(t, NULL);
		void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
		int (*create)(pthread_key_t *, void (*)(void *)) =
		    libc ? (int (*)(pthread_key_t *, void (*)(void *)))dlsym(libc,
		                                                             "pthread_key_create")
		         : NULL;
		if (create == NULL || create(&key, tsd_destructor) != 0)
			return 2;
		pthread_attr_t at;
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		pthread_create(&t, NULL, tsd_thread, (void *)1);
		pthread_create(&u, &at, tsd_thread, (void *)2);
	} else if (strcmp(what, "tsd_late") == 0 || strcmp(what, "tss") == 0) {
		bool c11 = strcmp(what, "tss") == 0;
		pthread_create(&t, NULL, nothing, NULL);
		pthread_join(t, NULL);
		if (c11)
			tss_create(&tss_key, tsd_destructor);
		else
			pthread_key_create(&key, tsd_destructor);
		pthread_attr_t at;
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		pthread_create(&t, NULL, c11 ? tss_thread : tsd_thread, (void *)1);
		pthread_create(&u, &at, c11 ? tss_thread : tsd_thread, (void *)2);
	} else if (strcmp(what, "tls_dtor") == 0) {
		pthread_create(&t, NULL, tls_dtor_thread, NULL);
	} else if (strcmp(what, "tls_hidden") == 0) {
		pthread_create(&t, NULL, tls_hidden_thread, NULL);
	} else if (strcmp(what, "exit_cleanup") == 0) {
		pthread_create(&t, NULL, exit_cleanup_thread, NULL);
	} else if (strcmp(what, "pi") == 0 || strcmp(what, "robust") == 0 ||
	           strcmp(what, "pirobust") == 0) {
		pthread_mutexattr_t ma_attr;
		pthread_mutexattr_init(&ma_attr);
		if (strcmp(what, "robust") != 0)
			pthread_mutexattr_setprotocol(&ma_attr, PTHREAD_PRIO_INHERIT);
		if (strcmp(what, "pi") != 0)
			pthread_mutexattr_setrobust(&ma_attr, PTHREAD_MUTEX_ROBUST);
		pthread_mutex_init(&ma, &ma_attr);
		pthread_mutex_init(&mb, &ma_attr);
		pthread_barrier_init(&bar, NULL, 2);
		pthread_create(&t, NULL, lock_ab, NULL);
		pthread_create(&u, NULL, lock_ab, (void *)1);
	} else if (strcmp(what, "pi_dead_owner") == 0) {
		pthread_mutexattr_t pi;
		pthread_mutexattr_init(&pi);
		pthread_mutexattr_setprotocol(&pi, PTHREAD_PRIO_INHERIT);
		pthread_mutex_init(&mc, &pi);
		pthread_create(&t, NULL, lock_and_return, NULL);
		pthread_join(t, NULL);
		pthread_create(&u, NULL, lock_mc, NULL);
	} else if (strcmp(what, "dead_owner") == 0) {
		pthread_create(&t, NULL, lock_and_return, NULL);
		pthread_join(t, NULL);
		pthread_create(&u, NULL, lock_mc, NULL);
	} else if (strcmp(what, "dead_owner_unjoined") == 0) {
		pthread_create(&t, NULL, lock_and_return, NULL);
		usleep(50000); /* it has returned */
		pthread_create(&u, NULL, lock_mc, NULL);
	} else if (strcmp(what, "pshared") == 0) {
		pshared_setup();
		pthread_create(&t, NULL, lock_plain, NULL);
		pthread_create(&t, NULL, lock_robust, NULL);
		pthread_create(&t, NULL, lock_orphan, NULL);
		pthread_create(&t, NULL, lock_rw, NULL);
	} else if (strcmp(what, "fdtable") == 0) {
		pthread_create(&t, NULL, fdtable_thread, NULL);
		settle();
		printf("private=%d\n", private_fd);
	} else if (strcmp(what, "uring") == 0) {
		pthread_create(&t, NULL, uring_thread, NULL);
		settle();
		printf("ring=%d\n", ring_fd);
	} else if (strcmp(what, "waitv") == 0) {
		pid_t child = fork();
		if (child == 0) { /* lives until the parent is gone (EOF on the pipe) */
			char c;
			close(a[1]);
			read(a[0], &c, 1);
			_exit(0);
		}
		pidfd = (int)syscall(SYS_pidfd_open, child, 0);
		printf("pidfd=%d\n", pidfd);
		pthread_create(&t, NULL, waitv_thread, NULL);
		pthread_create(&t, NULL, pidfd_thread, NULL);
		pthread_create(&t, NULL, pidfd_thread, (void *)1);
	} else if (strncmp(what, "creator", 7) == 0) {
		pthread_create(&t, NULL, creator_thread,
		               strcmp(what, "creator_c11") == 0 ? (void *)1 : NULL);
	} else if (strcmp(what, "three") == 0) {
		for (int i = 0; i < 3; i++)
			pthread_create(&t, NULL, reader, NULL);
	} else {
		fprintf(stderr, "unknown case %s\n", what);
		return 2;
	}
	settle();
	if (jumps)
		printf("jumps=%d\n", jumps);
	printf("ready\n");
	fflush(stdout);
	return 0;
}
