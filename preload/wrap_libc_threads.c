/* Overridden libc: calls after which glibc may have started a thread of its own, through its
 * internal pthread_create that no wrapper sees (see docs/internals.md): the
 * timer_create(SIGEV_THREAD) and mq_notify(SIGEV_THREAD) helpers, POSIX aio workers, getaddrinfo_a
 * workers. Tasks that appear during such a call are recorded under libc's start routine, so that
 * reports name them and the default "libc" suppression set can recognise them. */
#include "tl.h"

/* Run `call`; if `ok`, adopt the tasks that appeared meanwhile. The list of tasks from before
 * the call keeps a thread that was already there (another call's stuck helper, a thread created
 * by raw clone) from being hidden under libc's name. */
#define ADOPT_AROUND(label, call, ok)                               \
	pid_t before_[TL_MAX_TASKS_BEFORE];                         \
	int nbefore_ = tl_list_tasks(before_, TL_MAX_TASKS_BEFORE); \
	int r = call;                                               \
	if (ok)                                                     \
		tl_adopt_new_tasks(label, before_, nbefore_);       \
	return r

TL_EXPORT int timer_create(clockid_t clk, struct sigevent *sev, timer_t *timer)
{
	if (sev == NULL || sev->sigev_notify != SIGEV_THREAD)
		return TL_REAL(timer_create)(clk, sev, timer);
	ADOPT_AROUND("timer_helper_thread", TL_REAL(timer_create)(clk, sev, timer), r == 0);
}

TL_EXPORT int mq_notify(mqd_t q, const struct sigevent *sev)
{
	if (sev == NULL || sev->sigev_notify != SIGEV_THREAD)
		return TL_REAL(mq_notify)(q, sev);
	ADOPT_AROUND("mq_notify_helper_thread", TL_REAL(mq_notify)(q, sev), r == 0);
}

#define AIO_WRAPPER(name, params, args)                                       \
	TL_EXPORT int name params                                             \
	{                                                                     \
		ADOPT_AROUND("handle_fildes_io", TL_REAL(name) args, r == 0); \
	}

AIO_WRAPPER(aio_read, (struct aiocb * cb), (cb))
AIO_WRAPPER(aio_write, (struct aiocb * cb), (cb))
AIO_WRAPPER(aio_fsync, (int op, struct aiocb *cb), (op, cb))
AIO_WRAPPER(lio_listio, (int mode, struct aiocb *const list[], int n, struct sigevent *sev),
            (mode, list, n, sev))

/* The 64-bit-offset variants (what _FILE_OFFSET_BITS=64 programs call). */
AIO_WRAPPER(aio_read64, (struct aiocb64 * cb), (cb))
AIO_WRAPPER(aio_write64, (struct aiocb64 * cb), (cb))
AIO_WRAPPER(aio_fsync64, (int op, struct aiocb64 *cb), (op, cb))
AIO_WRAPPER(lio_listio64, (int mode, struct aiocb64 *const list[], int n, struct sigevent *sev),
            (mode, list, n, sev))

TL_EXPORT int getaddrinfo_a(int mode, struct gaicb **list, int n, struct sigevent *sev)
{
	ADOPT_AROUND("handle_requests", TL_REAL(getaddrinfo_a)(mode, list, n, sev), r == 0);
}
