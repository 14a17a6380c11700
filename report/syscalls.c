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
	bool fd;       /* its first argument is a descriptor */
} syscalls[] = {
    {SYS_read, "read", true, true},
    {SYS_write, "write", true, true},
    {SYS_readv, "readv", true, true},
    {SYS_writev, "writev", true, true},
    {SYS_pread64, "pread", true, true},
    {SYS_pwrite64, "pwrite", true, true},
    {SYS_preadv, "preadv", true, true},
    {SYS_pwritev, "pwritev", true, true},
    {SYS_preadv2, "preadv2", true, true},
    {SYS_pwritev2, "pwritev2", true, true},
    {SYS_recvfrom, "recvfrom", true, true},
    {SYS_recvmsg, "recvmsg", true, true},
    {SYS_sendto, "sendto", true, true},
    {SYS_sendmsg, "sendmsg", true, true},
    {SYS_sendmmsg, "sendmmsg", true, true},
    {SYS_accept, "accept", true, true},
    {SYS_accept4, "accept4", true, true},
    {SYS_connect, "connect", true, true},
    {SYS_wait4, "wait4", true, false},
    {SYS_waitid, "waitid", true, false},
    {SYS_futex, "futex", true, false},
    {SYS_flock, "flock", true, true},
    {SYS_fcntl, "fcntl", true, true},
    {SYS_mq_timedsend, "mq_timedsend", true, false},
    {SYS_mq_timedreceive, "mq_timedreceive", true, false},
    {SYS_sendfile, "sendfile", false, true},
    {SYS_splice, "splice", false, true},
    {SYS_tee, "tee", false, true},
    {SYS_vmsplice, "vmsplice", false, true},
    {SYS_copy_file_range, "copy_file_range", false, true},
    {SYS_ioctl, "ioctl", false, true},
    {SYS_open, "open", false, false},
    {SYS_openat, "openat", false, false},
    {SYS_openat2, "openat2", false, false},
    {SYS_close, "close", false, true},
    {SYS_fsync, "fsync", false, true},
    {SYS_fdatasync, "fdatasync", false, true},
    {SYS_sync_file_range, "sync_file_range", false, true},
    {SYS_sync, "sync", false, false},
    {SYS_syncfs, "syncfs", false, true},
    {SYS_msync, "msync", false, false},
    {SYS_getrandom, "getrandom", false, false},
    {SYS_poll, "poll", false, false},
    {SYS_ppoll, "ppoll", false, false},
    {SYS_select, "select", false, false},
    {SYS_pselect6, "pselect6", false, false},
    {SYS_epoll_wait, "epoll_wait", false, true},
    {SYS_epoll_pwait, "epoll_pwait", false, true},
    {SYS_epoll_pwait2, "epoll_pwait2", false, true},
    {SYS_nanosleep, "nanosleep", false, false},
    {SYS_clock_nanosleep, "clock_nanosleep", false, false},
    {SYS_restart_syscall, "restart_syscall", false, false},
    {SYS_pause, "pause", false, false},
    {SYS_rt_sigtimedwait, "sigtimedwait", false, false},
    {SYS_rt_sigsuspend, "sigsuspend", false, false},
    {SYS_msgsnd, "msgsnd", false, false},
    {SYS_msgrcv, "msgrcv", false, false},
    {SYS_recvmmsg, "recvmmsg", false, true},
    {SYS_semop, "semop", false, false},
    {SYS_semtimedop, "semtimedop", false, false},
    {SYS_io_getevents, "io_getevents", false, false},
    {SYS_io_pgetevents, "io_pgetevents", false, false},
    {SYS_io_uring_enter, "io_uring_enter", false, true},
    {SYS_futex_waitv, "futex_waitv", false, false},
    {SYS_futex_wait, "futex_wait", false, false},
    {SYS_futex_requeue, "futex_requeue", false, false},
    {SYS_futex_wake, "futex_wake", false, false},
    {SYS_vfork, "vfork", false, false},
    {SYS_clone, "clone", false, false},
    {SYS_clone3, "clone3", false, false},
    {SYS_execve, "execve", false, false},
    {SYS_execveat, "execveat", false, false},
    {SYS_exit, "exit", false, false},
    {SYS_exit_group, "exit_group", false, false},
    {SYS_sched_yield, "sched_yield", true, false},
};

const char *tl_syscall_name(long nr)
{
	for (size_t i = 0; i < sizeof(syscalls) / sizeof(syscalls[0]); i++)
		if (syscalls[i].nr == nr)
			return syscalls[i].name;
	return NULL;
}

bool tl_syscall_on_fd(long nr)
{
	for (size_t i = 0; i < sizeof(syscalls) / sizeof(syscalls[0]); i++)
		if (syscalls[i].nr == nr)
			return syscalls[i].fd;
	return false;
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
