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
    {"node",
     "Node.js: the inspector's I/O thread (StartIoThreadMain), started by every node process "
     "at start-up and left blocked on a semaphore until a SIGUSR1 asks for the debugger. "
     "Node joins its platform workers and libuv's thread pool at exit",
     /* the creating frame is exported from libnode.so (Debian) and named in nodesource's
      * static binary; the start routine is in an anonymous namespace, so a stripped libnode
      * does not name it */
     "created_by:^node::inspector::Agent::Start(\n"},
    {"glib",
     "GLib and GIO: the worker context thread (\"gmain\"), GDBus's shared worker thread "
     "(\"gdbus\"), the thread pool's spawner (\"pool-spawner\", when scheduler settings "
     "cannot be read) and idle threads of GLib's shared thread pool, which wait in "
     "g_cond_wait_until for a new job (0.5 s) or a new pool (GLib keeps 2 for 15 s). Threads "
     "of an exclusive pool, and pool jobs that block, are still reported",
     /* GLib is stripped: its threads are recognised by the names GLib gives them and, for
      * idle pool threads, by the timed wait they sit in (their own functions are static) */
     "name:^gmain$\n"
     "name:^gdbus$\n"
     "name:^pool-spawner$\n"
     "top:^g_cond_wait_until$\n"},
    {NULL, NULL, NULL},
};
