/* System calls by number (x86_64's <sys/syscall.h>): their names, and whether a signal with a
 * SA_RESTART handler leaves a thread inside one unharmed. Shared by the library and the CLI. */
#include "report.h"

#include <stdio.h>
#include <sys/syscall.h>

/* Every syscall a thread can wait in for long: the kernel reports a bare number for the others
 * (a thread shown in one of those is reported as "syscall N"). The library names the calls of
 * the threads it reports, and its signal safety rests on `restarts`; the CLI's dump names what
 * the threads of another process wait in. */
static const struct {
	long nr;
	char name[16]; /* not a pointer: a pointer is a relocation, written into a page of ours
	                * by the loader in every process (docs/internals.md, Process start) */
	bool restarts; /* transparently restarted after a SA_RESTART handler (see docs/internals.md)
	                */
} syscalls[] = {
    {SYS_read, "read", true},
    {SYS_write, "write", true},
    {SYS_readv, "readv", true},
    {SYS_writev, "writev", true},
    {SYS_pread64, "pread", true},
    {SYS_pwrite64, "pwrite", true},
    {SYS_preadv, "preadv", true},
    {SYS_pwritev, "pwritev", true},
    {SYS_preadv2, "preadv2", true},
    {SYS_pwritev2, "pwritev2", true},
    {SYS_recvfrom, "recvfrom", true},
    {SYS_recvmsg, "recvmsg", true},
    {SYS_sendto, "sendto", true},
    {SYS_sendmsg, "sendmsg", true},
    {SYS_sendmmsg, "sendmmsg", true},
    {SYS_accept, "accept", true},
    {SYS_accept4, "accept4", true},
    {SYS_connect, "connect", true},
    {SYS_wait4, "wait4", true},
    {SYS_waitid, "waitid", true},
    {SYS_futex, "futex", true},
    {SYS_flock, "flock", true},
    {SYS_fcntl, "fcntl", true},
    {SYS_mq_timedsend, "mq_timedsend", true},
    {SYS_mq_timedreceive, "mq_timedreceive", true},
    {SYS_sendfile, "sendfile", false},
    {SYS_splice, "splice", false},
    {SYS_tee, "tee", false},
    {SYS_vmsplice, "vmsplice", false},
    {SYS_copy_file_range, "copy_file_range", false},
    {SYS_ioctl, "ioctl", false},
    {SYS_open, "open", false},
    {SYS_openat, "openat", false},
    {SYS_openat2, "openat2", false},
    {SYS_close, "close", false},
    {SYS_fsync, "fsync", false},
    {SYS_fdatasync, "fdatasync", false},
    {SYS_sync_file_range, "sync_file_range", false},
    {SYS_sync, "sync", false},
    {SYS_syncfs, "syncfs", false},
    {SYS_msync, "msync", false},
    {SYS_getrandom, "getrandom", false},
    {SYS_poll, "poll", false},
    {SYS_ppoll, "ppoll", false},
    {SYS_select, "select", false},
    {SYS_pselect6, "pselect6", false},
    {SYS_epoll_wait, "epoll_wait", false},
    {SYS_epoll_pwait, "epoll_pwait", false},
    {SYS_epoll_pwait2, "epoll_pwait2", false},
    {SYS_nanosleep, "nanosleep", false},
    {SYS_clock_nanosleep, "clock_nanosleep", false},
    {SYS_restart_syscall, "restart_syscall", false},
    {SYS_pause, "pause", false},
    {SYS_rt_sigtimedwait, "sigtimedwait", false},
    {SYS_rt_sigsuspend, "sigsuspend", false},
    {SYS_msgsnd, "msgsnd", false},
    {SYS_msgrcv, "msgrcv", false},
    {SYS_recvmmsg, "recvmmsg", false},
    {SYS_semop, "semop", false},
    {SYS_semtimedop, "semtimedop", false},
    {SYS_io_getevents, "io_getevents", false},
    {SYS_io_pgetevents, "io_pgetevents", false},
    {SYS_io_uring_enter, "io_uring_enter", false},
    {SYS_futex_waitv, "futex_waitv", false},
    {SYS_futex_wait, "futex_wait", false},
    {SYS_futex_requeue, "futex_requeue", false},
    {SYS_futex_wake, "futex_wake", false},
    {SYS_vfork, "vfork", false},
    {SYS_clone, "clone", false},
    {SYS_clone3, "clone3", false},
    {SYS_execve, "execve", false},
    {SYS_execveat, "execveat", false},
    {SYS_exit, "exit", false},
    {SYS_exit_group, "exit_group", false},
    {SYS_sched_yield, "sched_yield", true},
};

const char *tl_syscall_name(long nr)
{
	for (size_t i = 0; i < sizeof(syscalls) / sizeof(syscalls[0]); i++)
		if (syscalls[i].nr == nr)
			return syscalls[i].name;
	return NULL;
}

int tl_syscall_restarts(long nr)
{
	for (size_t i = 0; i < sizeof(syscalls) / sizeof(syscalls[0]); i++)
		if (syscalls[i].nr == nr)
			return syscalls[i].restarts;
	return -1;
}

const char *tl_syscall_word(long nr, char *buf, size_t len)
{
	const char *name = tl_syscall_name(nr);
	if (name)
		return name;
	snprintf(buf, len, "syscall %ld", nr);
	return buf;
}
