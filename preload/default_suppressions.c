/* Default suppression sets: threads that libc and common runtimes start on their own and keep
 * for the whole process. Each set can be turned off by name
 * (THREADLEAK_OPTIONS=disable_default_sets=node,glib) and all of them with
 * default_suppressions=0. Every rule has a test showing it is needed (tests/api, tests/lang). */
#include "tl.h"

const struct tl_default_set tl_default_sets[] = {
	{"libc",
	 "helper threads glibc starts for timer_create(SIGEV_THREAD), mq_notify(SIGEV_THREAD), "
	 "POSIX aio and getaddrinfo_a, and keeps for the process lifetime",
	 "start:timer_helper_thread\n"
	 "start:mq_notify_helper_thread\n"
	 "start:handle_fildes_io\n"
	 "start:handle_requests\n"},
	{NULL, NULL, NULL},
};
