/* The real functions behind every wrapper, from one table, each resolved on its first use by a
 * lock-free lookup in the symbol hash tables of the objects loaded after us (real.c). */
#ifndef TL_REAL_H
#define TL_REAL_H

/* Data that every process touches at start or at exit, thread or not: kept together on the
 * page the loader already writes when it relocates us (.data follows .got.plt), instead of a
 * page of .bss each, where a first read and a first write cost two page faults apiece (see
 * docs/internals.md, Process start). Only small variables: the section must stay within that
 * page. */
#define TL_START_DATA __attribute__((section(".data.tl_start")))
/* Code that every process runs at start or at exit, thread or not: packed into a few pages at
 * the head of .text (the linker script puts .text.startup.* before .text), where a file-order
 * layout spread it over sixteen pages among the functions that no thread-less process runs.
 * On a VM each page first touched costs microseconds (docs/internals.md, Process start). */
#define TL_START_CODE __attribute__((section(".text.startup.tl")))

#include <aio.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <mqueue.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <pty.h>
#include <utmp.h>
#include <semaphore.h>
#include <signal.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <threads.h>
#include <time.h>

#define TL_LIKELY(x) __builtin_expect(!!(x), 1) /* as tl.h has it */

/* X(return type, name, parameter list): the next definition after us, as dlsym(RTLD_NEXT). */
/* read first: beside tl_real_table's unwinder_read, which it reads too */
#define TL_REAL_LIST(X)                                                                            \
	X(ssize_t, read, (int, void *, size_t))                                                    \
	X(int, pthread_create, (pthread_t *, const pthread_attr_t *, void *(*)(void *), void *))   \
	X(int, pthread_join, (pthread_t, void **))                                                 \
	X(int, clone, (int (*)(void *), void *, int, void *, ...))                                 \
	X(int, login_tty, (int))                                                                   \
	X(int, pthread_tryjoin_np, (pthread_t, void **))                                           \
	X(int, pthread_timedjoin_np, (pthread_t, void **, const struct timespec *))                \
	X(int, pthread_clockjoin_np, (pthread_t, void **, clockid_t, const struct timespec *))     \
	X(int, pthread_detach, (pthread_t))                                                        \
	X(void, pthread_exit, (void *))                                                            \
	X(int, pthread_setname_np, (pthread_t, const char *))                                      \
	X(int, dlclose, (void *))                                                                  \
	X(int, thrd_create, (thrd_t *, thrd_start_t, void *))                                      \
	X(int, thrd_join, (thrd_t, int *))                                                         \
	X(int, thrd_detach, (thrd_t))                                                              \
	X(int, pthread_key_create, (pthread_key_t *, void (*)(void *)))                            \
	X(int, __pthread_key_create, (pthread_key_t *, void (*)(void *)))                          \
	X(int, tss_create, (tss_t *, tss_dtor_t))                                                  \
	X(int, pthread_cond_clockwait,                                                             \
	  (pthread_cond_t *, pthread_mutex_t *, clockid_t, const struct timespec *))               \
	X(int, cnd_wait, (cnd_t *, mtx_t *))                                                       \
	X(int, cnd_timedwait, (cnd_t *, mtx_t *, const struct timespec *))                         \
	X(int, mtx_timedlock, (mtx_t *, const struct timespec *))                                  \
	X(int, pthread_mutex_trylock, (pthread_mutex_t *))                                         \
	X(int, pthread_mutex_timedlock, (pthread_mutex_t *, const struct timespec *))              \
	X(int, pthread_mutex_clocklock, (pthread_mutex_t *, clockid_t, const struct timespec *))   \
	X(int, pthread_rwlock_rdlock, (pthread_rwlock_t *))                                        \
	X(int, pthread_rwlock_wrlock, (pthread_rwlock_t *))                                        \
	X(int, pthread_rwlock_tryrdlock, (pthread_rwlock_t *))                                     \
	X(int, pthread_rwlock_unlock, (pthread_rwlock_t *))                                        \
	X(int, pthread_rwlock_trywrlock, (pthread_rwlock_t *))                                     \
	X(int, pthread_rwlock_timedrdlock, (pthread_rwlock_t *, const struct timespec *))          \
	X(int, pthread_rwlock_timedwrlock, (pthread_rwlock_t *, const struct timespec *))          \
	X(int, pthread_rwlock_clockrdlock,                                                         \
	  (pthread_rwlock_t *, clockid_t, const struct timespec *))                                \
	X(int, pthread_rwlock_clockwrlock,                                                         \
	  (pthread_rwlock_t *, clockid_t, const struct timespec *))                                \
	X(int, pthread_barrier_wait, (pthread_barrier_t *))                                        \
	X(int, sem_wait, (sem_t *))                                                                \
	X(int, sem_trywait, (sem_t *))                                                             \
	X(int, sem_timedwait, (sem_t *, const struct timespec *))                                  \
	X(int, sem_clockwait, (sem_t *, clockid_t, const struct timespec *))                       \
	X(int, pipe, (int *))                                                                      \
	X(int, semop, (int, struct sembuf *, size_t))                                              \
	X(int, semtimedop, (int, struct sembuf *, size_t, const struct timespec *))                \
	X(int, pipe2, (int *, int))                                                                \
	X(ssize_t, write, (int, const void *, size_t))                                             \
	X(ssize_t, readv, (int, const struct iovec *, int))                                        \
	X(ssize_t, writev, (int, const struct iovec *, int))                                       \
	X(ssize_t, pread, (int, void *, size_t, off_t))                                            \
	X(ssize_t, pwrite, (int, const void *, size_t, off_t))                                     \
	X(ssize_t, pread64, (int, void *, size_t, off_t))                                          \
	X(ssize_t, pwrite64, (int, const void *, size_t, off_t))                                   \
	X(ssize_t, __read_chk, (int, void *, size_t, size_t))                                      \
	X(ssize_t, __pread_chk, (int, void *, size_t, off_t, size_t))                              \
	X(ssize_t, __pread64_chk, (int, void *, size_t, off_t, size_t))                            \
	X(ssize_t, recv, (int, void *, size_t, int))                                               \
	X(ssize_t, recvfrom, (int, void *, size_t, int, struct sockaddr *, socklen_t *))           \
	X(ssize_t, recvmsg, (int, struct msghdr *, int))                                           \
	X(int, recvmmsg, (int, struct mmsghdr *, unsigned int, int, struct timespec *))            \
	X(ssize_t, __recv_chk, (int, void *, size_t, size_t, int))                                 \
	X(ssize_t, __recvfrom_chk,                                                                 \
	  (int, void *, size_t, size_t, int, struct sockaddr *, socklen_t *))                      \
	X(ssize_t, send, (int, const void *, size_t, int))                                         \
	X(ssize_t, sendto, (int, const void *, size_t, int, const struct sockaddr *, socklen_t))   \
	X(ssize_t, sendmsg, (int, const struct msghdr *, int))                                     \
	X(int, accept, (int, struct sockaddr *, socklen_t *))                                      \
	X(int, accept4, (int, struct sockaddr *, socklen_t *, int))                                \
	X(int, connect, (int, const struct sockaddr *, socklen_t))                                 \
	X(int, poll, (struct pollfd *, nfds_t, int))                                               \
	X(int, ppoll, (struct pollfd *, nfds_t, const struct timespec *, const sigset_t *))        \
	X(int, __poll_chk, (struct pollfd *, nfds_t, int, size_t))                                 \
	X(int, __ppoll_chk,                                                                        \
	  (struct pollfd *, nfds_t, const struct timespec *, const sigset_t *, size_t))            \
	X(int, select, (int, fd_set *, fd_set *, fd_set *, struct timeval *))                      \
	X(int, pselect,                                                                            \
	  (int, fd_set *, fd_set *, fd_set *, const struct timespec *, const sigset_t *))          \
	X(int, epoll_wait, (int, struct epoll_event *, int, int))                                  \
	X(int, epoll_pwait, (int, struct epoll_event *, int, int, const sigset_t *))               \
	X(int, epoll_pwait2,                                                                       \
	  (int, struct epoll_event *, int, const struct timespec *, const sigset_t *))             \
	X(int, mq_send, (mqd_t, const char *, size_t, unsigned int))                               \
	X(ssize_t, mq_receive, (mqd_t, char *, size_t, unsigned int *))                            \
	X(int, mq_timedsend, (mqd_t, const char *, size_t, unsigned int, const struct timespec *)) \
	X(ssize_t, mq_timedreceive,                                                                \
	  (mqd_t, char *, size_t, unsigned int *, const struct timespec *))                        \
	X(int, msgsnd, (int, const void *, size_t, int))                                           \
	X(ssize_t, msgrcv, (int, void *, size_t, long, int))                                       \
	X(int, nanosleep, (const struct timespec *, struct timespec *))                            \
	X(int, clock_nanosleep, (clockid_t, int, const struct timespec *, struct timespec *))      \
	X(int, thrd_sleep, (const struct timespec *, struct timespec *))                           \
	X(unsigned int, sleep, (unsigned int))                                                     \
	X(int, usleep, (useconds_t))                                                               \
	X(int, pause, (void))                                                                      \
	X(int, sigwait, (const sigset_t *, int *))                                                 \
	X(int, sigwaitinfo, (const sigset_t *, siginfo_t *))                                       \
	X(int, sigtimedwait, (const sigset_t *, siginfo_t *, const struct timespec *))             \
	X(int, sigpending, (sigset_t *))                                                           \
	X(int, sigaction, (int, const struct sigaction *, struct sigaction *))                     \
	X(__sighandler_t, signal, (int, __sighandler_t))                                           \
	X(int, sigsuspend, (const sigset_t *))                                                     \
	X(int, signalfd, (int, const sigset_t *, int))                                             \
	X(pid_t, wait, (int *))                                                                    \
	X(pid_t, waitpid, (pid_t, int *, int))                                                     \
	X(int, waitid, (idtype_t, id_t, siginfo_t *, int))                                         \
	X(pid_t, wait3, (int *, int, struct rusage *))                                             \
	X(pid_t, wait4, (pid_t, int *, int, struct rusage *))                                      \
	X(int, flock, (int, int))                                                                  \
	X(int, lockf, (int, int, off_t))                                                           \
	X(int, lockf64, (int, int, off_t))                                                         \
	X(int, fcntl, (int, int, ...))                                                             \
	X(int, fcntl64, (int, int, ...))                                                           \
	X(long, syscall, (long, ...))                                                              \
	X(int, close, (int))                                                                       \
	X(int, dup2, (int, int))                                                                   \
	X(int, dup3, (int, int, int))                                                              \
	X(int, close_range, (unsigned, unsigned, int))                                             \
	X(void, closefrom, (int))                                                                  \
	X(int, fclose, (FILE *))                                                                   \
	X(int, fcloseall, (void))                                                                  \
	X(FILE *, freopen, (const char *, const char *, FILE *))                                   \
	X(FILE *, freopen64, (const char *, const char *, FILE *))                                 \
	X(int, timer_create, (clockid_t, struct sigevent *, timer_t *))                            \
	X(int, mq_notify, (mqd_t, const struct sigevent *))                                        \
	X(int, aio_read, (struct aiocb *))                                                         \
	X(int, aio_write, (struct aiocb *))                                                        \
	X(int, aio_fsync, (int, struct aiocb *))                                                   \
	X(int, lio_listio, (int, struct aiocb *const[], int, struct sigevent *))                   \
	X(int, aio_read64, (struct aiocb64 *))                                                     \
	X(int, aio_write64, (struct aiocb64 *))                                                    \
	X(int, aio_fsync64, (int, struct aiocb64 *))                                               \
	X(int, lio_listio64, (int, struct aiocb64 *const[], int, struct sigevent *))               \
	X(int, getaddrinfo_a, (int, struct gaicb **, int, struct sigevent *))                      \
	X(void, exit, (int))                                                                       \
	X(int, __libc_start_main,                                                                  \
	  (int (*)(int, char **, char **), int, char **, void (*)(void), void (*)(void),           \
	   void (*)(void), void *))                                                                \
	X(int, sigprocmask, (int, const sigset_t *, sigset_t *))                                   \
	X(int, __register_atfork, (void (*)(void), void (*)(void), void (*)(void), void *))        \
	X(void, quick_exit, (int))                                                                 \
	X(void, _exit, (int))                                                                      \
	X(void, _Exit, (int))                                                                      \
	X(pid_t, fork, (void))                                                                     \
	/* not wrapped: called through this table so that the library needs no symbol version of   \
	 * libc's but the oldest (each version a library needs costs every process a check at      \
	 * load: docs/internals.md, Process start) */                                              \
	X(int, dladdr, (const void *, Dl_info *))                                                  \
	X(char *, dlerror, (void))                                                                 \
	X(int, dlinfo, (void *, int, void *))                                                      \
	X(void *, dlopen, (const char *, int))                                                     \
	X(void *, dlsym, (void *, const char *))                                                   \
	X(int, mq_getattr, (mqd_t, struct mq_attr *))                                              \
	X(int, pthread_attr_getstack, (const pthread_attr_t *, void **, size_t *))                 \
	X(int, pthread_getcpuclockid, (pthread_t, clockid_t *))                                    \
	X(int, pthread_once, (pthread_once_t *, void (*)(void)))                                   \
	X(int, pthread_setspecific, (pthread_key_t, const void *))                                 \
	X(void, __pthread_register_cancel, (__pthread_unwind_buf_t *))                             \
	X(void, __pthread_unregister_cancel, (__pthread_unwind_buf_t *))                           \
	X(void, __pthread_unwind_next, (__pthread_unwind_buf_t *))                                 \
	X(int, __cxa_thread_atexit_impl, (void (*)(void *), void *, void *))                       \
	X(int, sem_getvalue, (sem_t *, int *))                                                     \
	X(int, pthread_getattr_np, (pthread_t, pthread_attr_t *))                                  \
	X(int, pthread_sigmask, (int, const sigset_t *, sigset_t *))                               \
	X(const char *, sigabbrev_np, (int))                                                       \
	X(int, stat, (const char *, struct stat *))                                                \
	X(int, fstat, (int, struct stat *))                                                        \
	X(int, fstatat, (int, const char *, struct stat *, int))                                   \
	X(int, openat, (int, const char *, int, ...))                                              \
	X(int, __isoc99_sscanf, (const char *, const char *, ...))                                 \
	X(unsigned long, getauxval, (unsigned long))                                               \
	X(ssize_t, process_vm_readv,                                                               \
	  (pid_t, const struct iovec *, unsigned long, const struct iovec *, unsigned long,        \
	   unsigned long))                                                                         \
	X(int, clock_gettime, (clockid_t, struct timespec *))                                      \
	X(char *, realpath, (const char *, char *))                                                \
	X(int, daemon, (int, int))                                                                 \
	X(int, prctl, (int, unsigned long, unsigned long, unsigned long, unsigned long))           \
	X(pid_t, forkpty, (int *, char *, const struct termios *, const struct winsize *))         \
	X(int, execve, (const char *, char *const[], char *const[]))                               \
	X(int, execv, (const char *, char *const[]))                                               \
	X(int, execvp, (const char *, char *const[]))                                              \
	X(int, execvpe, (const char *, char *const[], char *const[]))                              \
	X(int, fexecve, (int, char *const[], char *const[]))                                       \
	X(int, posix_spawn,                                                                        \
	  (pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *,   \
	   char *const[], char *const[]))                                                          \
	X(int, posix_spawnp,                                                                       \
	  (pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *,   \
	   char *const[], char *const[]))

/* XV(return type, our name, symbol, version, parameters): symbols that exist in two
 * implementations; each of our two wrappers must call its own (see docs/internals.md). */
#define TL_REAL_VERSIONED(XV)                                                                \
	XV(int, cond_wait_new, "pthread_cond_wait", "GLIBC_2.3.2",                           \
	   (pthread_cond_t *, pthread_mutex_t *))                                            \
	XV(int, cond_wait_old, "pthread_cond_wait", "GLIBC_2.2.5",                           \
	   (pthread_cond_t *, pthread_mutex_t *))                                            \
	XV(int, cond_timedwait_new, "pthread_cond_timedwait", "GLIBC_2.3.2",                 \
	   (pthread_cond_t *, pthread_mutex_t *, const struct timespec *))                   \
	XV(int, cond_timedwait_old, "pthread_cond_timedwait", "GLIBC_2.2.5",                 \
	   (pthread_cond_t *, pthread_mutex_t *, const struct timespec *))                   \
	XV(int, cond_destroy_new, "pthread_cond_destroy", "GLIBC_2.3.2", (pthread_cond_t *)) \
	XV(int, cond_destroy_old, "pthread_cond_destroy", "GLIBC_2.2.5", (pthread_cond_t *))

/* The real functions, each set on its first use, in one table, and first in it what `read`
 * tests every descriptor against, in the cache line of `read`'s pointer. Where every system
 * call empties the TLB, each page a wrapper touches after it costs a walk (docs/internals.md,
 * "Timestamps"): that number, a variable of its own, and the pointer were on two pages. */
#define TL_DECLARE_REAL(ret, name, params) ret(*name) params;
#define TL_DECLARE_REALV(ret, name, sym, ver, params) ret(*name) params;
struct tl_real_table {
	int unwinder_read; /* libunwind's read end + 1, 0 before it has one (wrap_io.c read) */
	TL_REAL_LIST(TL_DECLARE_REAL)
	TL_REAL_VERSIONED(TL_DECLARE_REALV)
};
extern struct tl_real_table tl_real;

#define TL_REAL_ID(ret, name, params) TL_REAL_ID_##name,
#define TL_REAL_IDV(ret, name, sym, ver, params) TL_REAL_ID_##name,
enum tl_real_id { TL_REAL_LIST(TL_REAL_ID) TL_REAL_VERSIONED(TL_REAL_IDV) TL_REAL_COUNT };

/* Look up one real function and store it in its pointer; async-signal-safe (no lock, no
 * allocation), so a wrapper may be the first user in a signal handler or before our
 * constructor. */
void tl_real_find(enum tl_real_id id);
/* How many lookups had to ask the loader (dlsym): none in a normal process (a unit test
 * checks it). */
extern atomic_uint tl_real_fallbacks;
/* The real function: one load and a test once it is known. */
#define TL_REAL(name)                                   \
	(TL_LIKELY(tl_real.name != NULL) ? tl_real.name \
	                                 : (tl_real_find(TL_REAL_ID_##name), tl_real.name))

/* The next definition of `name` after us (its default version), as TL_REAL without the table
 * of names, whose page a process that starts no thread does not touch: NULL when not found.
 * Async-signal-safe. */
void *tl_lookup_next(const char *name);
/* The same for n names at once (each object's tables read once: the start path's lookups). */
void tl_lookup_next_n(const char *const *names, void **out, int n);

/* The first definition of `name` (its default version) in the objects loaded at start, in
 * load order from the program, as dlsym(RTLD_DEFAULT) without its error path: NULL when no
 * object defines it (the program's optional hooks). Async-signal-safe. */
void *tl_lookup_global(const char *name);

/* tl_lookup_global, once: *cache keeps the answer (start it NULL) */
void *tl_lookup_global_once(void *_Atomic *cache, const char *name);
/* Data of libc's found on first use, with tl_lookup_global (real.c says why): environ,
 * program_invocation_(short_)name ("?" when unknown), the head of glibc's list of open streams. */
char **tl_environ(void);
const char *tl_program_name(bool short_name);
FILE *tl_stdio_streams(void);

/* Our own file name as the loader recorded it (the LD_PRELOAD entry), or NULL. */
const char *tl_self_path(void);
bool tl_preloaded_after_another(void);
/* The next entry of an LD_PRELOAD list (entries separated by ':' or blanks, as the loader
 * reads them) from *p, which moves past it: false at the end. *ours: it names a file with our
 * file name. No allocation, no libc state (the exec wrappers run in vfork children). */
bool tl_preload_next(const char **p, const char **entry, size_t *len, bool *ours);

/* libc's own definition of `name`, not the next interposer's (RTLD_NEXT may find libfaketime
 * first): for what the exit check calls after other libraries' destructors. Async-signal-safe. */
void *tl_lookup_libc(const char *name);
/* Is a inside one of the named functions of libc (by its dynamic symbols)? */
bool tl_in_libc_function(uintptr_t a, const char *const *names, int n);
/* Whose code a return address found on a stack is (real.c). UNKNOWN: it cannot be told here
 * (no _dl_find_object, an object whose headers are not where they should be). */
enum tl_code_owner {
	TL_CODE_NONE, /* not a return address into a loaded object's code */
	TL_CODE_UNKNOWN,
	TL_CODE_LIBC,
	TL_CODE_LOADER,
	TL_CODE_OURS,
	TL_CODE_OTHER, /* the program's or another library's */
};
enum tl_code_owner tl_code_owner(uintptr_t a);
/* n bytes of this process's memory at src, by process_vm_readv: its result (-errno), and
 * whether all were copied */
long tl_vm_read(void *dst, uintptr_t src, size_t n);
bool tl_copy_mapped(void *dst, uintptr_t src, size_t n);

/* A raw system call (returns -errno), for the start and exit paths and for code that may run
 * after other libraries' destructors or in a signal handler: see real.c. */
long tl_raw_syscall(long nr, long a, long b, long c);
long tl_raw_syscall6(long nr, long a, long b, long c, long d, long e, long f);

#endif
