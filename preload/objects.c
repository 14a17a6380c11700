/* What a blocked thread waits on: the call the kernel reports for a thread outside our
 * wrappers, the call its top frames reveal (a futex wait under __lll_lock_wait is
 * pthread_mutex_lock), the object in words (fd kinds, symbols of global locks), and who holds
 * it (glibc records mutex owners and rwlock writers). */
#include "tl.h"

#include <poll.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

/* The kernel's word for a thread outside our wrappers. */
void tl_kernel_call(struct tl_seen *s)
{
	if (s->sysno < 0)
		return;
	const char *name = tl_syscall_name(s->sysno);
	if (name == NULL) {
		snprintf(s->call_buf, sizeof(s->call_buf), "syscall %ld", s->sysno);
		name = s->call_buf;
	}
	s->call = name;
	uintptr_t a0 = s->sysargs[0];
	switch (s->sysno) {
	case SYS_read: case SYS_write: case SYS_readv: case SYS_writev: case SYS_pread64:
	case SYS_pwrite64: case SYS_recvfrom: case SYS_recvmsg: case SYS_sendto: case SYS_sendmsg:
	case SYS_accept: case SYS_accept4: case SYS_connect: case SYS_flock: case SYS_fcntl:
		s->kind = TL_OBJ_FD; s->obj = a0; break;
	case SYS_poll: case SYS_ppoll:
		s->kind = TL_OBJ_POLL; s->obj = a0; s->obj2 = s->sysargs[1]; break;
	case SYS_select: case SYS_pselect6:
		s->kind = TL_OBJ_SELECT; s->obj = a0; break;
	case SYS_epoll_wait: case SYS_epoll_pwait:
		s->kind = TL_OBJ_EPOLL; s->obj = a0; break;
	case SYS_futex:
		s->kind = TL_OBJ_FUTEX; s->obj = a0; break;
	case SYS_mq_timedsend: case SYS_mq_timedreceive:
		s->kind = TL_OBJ_MQ; s->obj = a0; break;
	case SYS_msgsnd: case SYS_msgrcv:
		s->kind = TL_OBJ_MSGQ; s->obj = a0; break;
	case SYS_wait4: case SYS_waitid:
		s->kind = TL_OBJ_PID; s->obj = a0; break;
	case SYS_nanosleep: case SYS_clock_nanosleep:
		s->kind = TL_OBJ_SLEEP; s->obj = (uintptr_t)-1; break;
	default:
		s->kind = TL_OBJ_NONE;
	}
}

static uint64_t number_of_tid(const struct tl_known *k, size_t n, pid_t tid)
{
	for (size_t i = 0; i < n; i++)
		if (k[i].tid == tid)
			return k[i].number;
	return 0;
}

static uint64_t number_of_handle(const struct tl_known *k, size_t n, pthread_t h)
{
	for (size_t i = 0; i < n; i++)
		if (k[i].handle == h)
			return k[i].number;
	return 0;
}

static pid_t tid_of_number(const struct tl_known *k, size_t nk, uint64_t n)
{
	for (size_t i = 0; i < nk; i++)
		if (k[i].number == n)
			return k[i].tid;
	return 0;
}

static bool frame_is(const struct tl_frame *f, const char *const *names)
{
	if (f->function == NULL)
		return false;
	for (; *names; names++)
		if (strcmp(f->function, *names) == 0)
			return true;
	return false;
}

/* A futex wait seen from outside is usually a lock: say which, from the top frames. */
void tl_refine_from_stack(struct tl_report *r, struct tl_seen *s)
{
	static const char *const mutex_fns[] = {"__lll_lock_wait", "___pthread_mutex_lock",
						"__pthread_mutex_lock", "pthread_mutex_lock",
						"__pthread_mutex_lock_full", "lll_mutex_lock_optimized",
						"__GI___pthread_mutex_lock", NULL};
	static const char *const cond_fns[] = {"___pthread_cond_wait", "__pthread_cond_wait",
					       "__pthread_cond_wait_common", "pthread_cond_wait",
					       "___pthread_cond_timedwait64", NULL};
	static const char *const join_fns[] = {"__pthread_clockjoin_ex", NULL};
	if (s->in_wrapper || s->kind != TL_OBJ_FUTEX || s->stack.n == 0)
		return;
	for (int i = 0; i < s->stack.n && i < 4; i++) {
		struct tl_frame fr[8];
		int k = tl_sym_pc(r->sym, s->stack.pcs[i], (s->stack.exact >> i) & 1, fr, 8);
		for (int j = 0; j < k; j++) {
			if (frame_is(&fr[j], mutex_fns)) {
				s->call = "pthread_mutex_lock";
				s->kind = TL_OBJ_MUTEX;
				return;
			}
			if (frame_is(&fr[j], cond_fns)) {
				s->call = "pthread_cond_wait";
				s->kind = TL_OBJ_FUTEX;
				return;
			}
			if (frame_is(&fr[j], join_fns)) {
				s->call = "pthread_join";
				return;
			}
		}
	}
}

static void describe_addr(struct tl_report *r, const char *what, uintptr_t addr, char *buf, size_t len)
{
	char sym[128];
	if (tl_sym_data(r->sym, addr, sym, sizeof(sym)))
		snprintf(buf, len, "%s %s (0x%lx)", what, sym, (unsigned long)addr);
	else
		snprintf(buf, len, "%s 0x%lx", what, (unsigned long)addr);
}

void tl_describe_object(struct tl_report *r, const struct tl_known *k, size_t nk, struct tl_seen *s)
{
	char a[160], b[160];
	switch (s->kind) {
	case TL_OBJ_COND:
		describe_addr(r, "cond", s->obj, a, sizeof(a));
		describe_addr(r, "mutex", s->obj2, b, sizeof(b));
		snprintf(s->object, sizeof(s->object), "%s, %s", a, b);
		break;
	case TL_OBJ_MUTEX: {
		describe_addr(r, "mutex", s->obj, s->object, sizeof(s->object));
		/* glibc records the owner's tid: __owner (offset 8) for normal, recursive,
		 * errorcheck and adaptive mutexes; PI and robust ones keep it in __lock. */
		const int *m = (const int *)s->obj;
		int kind = m[4];
		pid_t owner = (kind & 0x30) ? (m[0] & 0x3fffffff) : m[2];
		if (owner > 0) {
			s->held_by_tid = owner;
			s->held_by = number_of_tid(k, nk, owner);
		}
		break;
	}
	case TL_OBJ_RWLOCK: {
		describe_addr(r, "rwlock", s->obj, s->object, sizeof(s->object));
		const int *l = (const int *)s->obj;
		pid_t writer = l[6]; /* __cur_writer */
		if (writer > 0) {
			s->held_by_tid = writer;
			s->held_by = number_of_tid(k, nk, writer);
		}
		break;
	}
	case TL_OBJ_SEM: {
		int val = 0;
		describe_addr(r, "semaphore", s->obj, a, sizeof(a));
		sem_getvalue((sem_t *)s->obj, &val);
		snprintf(s->object, sizeof(s->object), "%s (value %d)", a, val);
		break;
	}
	case TL_OBJ_BARRIER:
		describe_addr(r, "barrier", s->obj, s->object, sizeof(s->object));
		break;
	case TL_OBJ_FUTEX:
		describe_addr(r, "futex", s->obj, s->object, sizeof(s->object));
		break;
	case TL_OBJ_THREAD: {
		uint64_t n = number_of_handle(k, nk, (pthread_t)s->obj);
		if (n) {
			s->held_by = n;
			s->held_by_tid = tid_of_number(k, nk, n);
			snprintf(s->object, sizeof(s->object), "thread %llu (tid %d)",
				 (unsigned long long)n, (int)s->held_by_tid);
		} else {
			snprintf(s->object, sizeof(s->object), "thread 0x%lx", (unsigned long)s->obj);
		}
		break;
	}
	case TL_OBJ_FD:
		tl_describe_fd((int)s->obj, s->object, sizeof(s->object));
		break;
	case TL_OBJ_EPOLL:
		tl_describe_fd((int)s->obj, a, sizeof(a));
		snprintf(s->object, sizeof(s->object), "epoll %s", a);
		break;
	case TL_OBJ_MQ:
		tl_describe_fd((int)s->obj, a, sizeof(a));
		snprintf(s->object, sizeof(s->object), "message queue %s", a);
		break;
	case TL_OBJ_POLL: {
		const struct pollfd *p = (const struct pollfd *)s->obj;
		size_t n = s->obj2, used = 0;
		used += (size_t)snprintf(s->object, sizeof(s->object), "%zu fd%s:", n, n == 1 ? "" : "s");
		for (size_t i = 0; i < n && i < 3 && used < sizeof(s->object); i++) {
			tl_describe_fd(p[i].fd, a, sizeof(a));
			used += (size_t)snprintf(s->object + used, sizeof(s->object) - used, "%s %s", i ? "," : "", a);
		}
		if (n > 3 && used < sizeof(s->object))
			snprintf(s->object + used, sizeof(s->object) - used, ", ...");
		break;
	}
	case TL_OBJ_SELECT:
		snprintf(s->object, sizeof(s->object), "fds below %d", (int)s->obj);
		break;
	case TL_OBJ_MSGQ:
		snprintf(s->object, sizeof(s->object), "SysV message queue %d", (int)s->obj);
		break;
	case TL_OBJ_PID:
		if ((intptr_t)s->obj > 0)
			snprintf(s->object, sizeof(s->object), "child pid %d", (int)s->obj);
		else
			snprintf(s->object, sizeof(s->object), "any child");
		break;
	case TL_OBJ_SIGNALS: {
		const sigset_t *set = (const sigset_t *)s->obj;
		size_t used = (size_t)snprintf(s->object, sizeof(s->object), "signals");
		for (int sig = 1; sig < 65 && set && used < sizeof(s->object) - 16; sig++)
			if (sigismember(set, sig) == 1)
				used += (size_t)snprintf(s->object + used, sizeof(s->object) - used, " %s%s",
							 sig < SIGRTMIN ? "SIG" : "", sig < SIGRTMIN ? sigabbrev_np(sig) : "RT");
		break;
	}
	case TL_OBJ_SLEEP:
		if (s->obj != (uintptr_t)-1)
			snprintf(s->object, sizeof(s->object), "a sleep of %lu ms", (unsigned long)s->obj);
		break;
	default:
		break;
	}
}

