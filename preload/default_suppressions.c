/* Default suppression sets: threads that libc and common runtimes start on their own and keep
 * for the whole process. Each set can be turned off by name
 * (THREADLEAK_OPTIONS=disable_default_sets=node,glib) and all of them with
 * default_suppressions=0. Every rule has a test showing it is needed (tests/api, tests/lang). */
#include "default_sets.h" /* also compiled into the CLI (tools/run.c checks the names) */

#include <stddef.h>

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
     "created_by:^node::inspector::Agent::Start(\n"
     /* the same, mangled: without libthreadleak-demangle.so */
     "created_by:^_ZN4node9inspector5Agent5StartE\n"},
    {"glib",
     "GLib and GIO: the worker context thread (\"gmain\"), GDBus's shared worker thread "
     "(\"gdbus\"), the thread pool's spawner (\"pool-spawner\", when scheduler settings "
     "cannot be read) and idle threads of GLib's shared thread pool, which wait in "
     "g_cond_wait_until for a new job (0.5 s) or a new pool (GLib keeps 2 for 15 s), running "
     "nothing but GLib's code. Threads of an exclusive pool, pool jobs that block, and the "
     "program's own threads that wait in GLib are still reported",
     /* GLib is stripped: its threads are recognised by the names GLib gives them and, for
      * idle pool threads, by the timed wait they sit in (their own functions are static)
      * with nothing but GLib's code on the stack: a worker of the program's own that polls
      * a GAsyncQueue with a timeout sits in the same wait, under its own function */
     "name:^gmain$\n"
     "name:^gdbus$\n"
     "name:^pool-spawner$\n"
     "top:^g_cond_wait_until$ && only_in:/libg*-2.0.so\n"},
    {"libgomp",
     "GCC's OpenMP runtime: the worker threads of libgomp's pool, which it keeps for the "
     "process lifetime and parks between parallel regions (or spins, with "
     "OMP_WAIT_POLICY=active). A worker still running the user's code at exit (a task left "
     "without a taskwait, a region the program exited from) is still reported",
     /* libgomp is stripped: its workers are recognised by running nothing but libgomp's
      * code; a user frame anywhere on the stack makes the thread the user's */
     "only_in:/libgomp.so.\n"},
    {"tbb",
     "oneTBB: the workers of TBB's thread pool, which it starts on the first parallel algorithm "
     "and keeps, parked or spinning in libtbb, until the process ends (they are gone by the exit "
     "check; a check made mid-run, as a test fixture does, sees them). A worker running the "
     "program's task is still reported",
     /* libtbb's own functions are hidden: its workers are recognised, as libgomp's, by running
      * nothing but its code */
     "only_in:/libtbb.so.\n"},
    {"libuv",
     "libuv (shared library): the workers of its thread pool (uv_queue_work, file system and "
     "DNS requests), started on first use and kept, waiting in libuv, until the process ends. A "
     "worker running the program's work callback is still reported",
     "only_in:/libuv.so.\n"},
    {"jvm",
     "The HotSpot JVM: the threads it creates itself (GC and JIT compiler workers, Reference "
     "Handler, Finalizer, Service Thread, ... and the java.lang.Thread threads it runs, "
     "daemon threads included, which the JVM abandons at exit by design), and the launcher's "
     "thread that runs main() (left waiting in vm_exit when the program calls System.exit). "
     "Threads a JNI or JVMTI library creates itself are still reported",
     /* every JVM thread is created by os::create_thread in libjvm.so, the main thread by
      * the launcher's libjli.so; named by module, not by symbol, so a stripped libjvm is
      * recognised too */
     "module:/libjvm.so$\n"
     "module:/libjli.so$\n"},
    {"rust",
     "Rust crates' helper threads that live as long as the process by design: the ctrlc "
     "crate's signal thread (\"ctrl-c\", waiting for the next Ctrl-C; rustc starts one), and "
     "the jobserver crate's helper thread (rustc, cargo and build scripts), whose client a "
     "program keeps in a static. Threads of the program's own are still reported",
     /* ctrlc names its thread, so a stripped binary is recognised too; jobserver's helper is
      * the closure of jobserver::imp::spawn_helper (rustc: in librustc_driver, which keeps
      * its symbols), demangled or not (legacy and v0 manglings both spell the path with
      * length prefixes) */
     "name:^ctrl-c$\n"
     "any:jobserver::imp::spawn_helper\n"
     "any:9jobserver3imp12spawn_helper\n"},
    {"gdb",
     "GDB's worker pool (\"gdb worker\", gdbsupport's thread_pool, which reads symbols in "
     "parallel): started once, detached and idle until gdb exits, by design, so that a test "
     "script that runs gdb -batch does not fail the check",
     /* gdb is usually stripped: its workers are recognised by the name gdb gives them */
     "name:^gdb worker$\n"},
    {"go",
     "The Go runtime in cgo programs and in Go shared libraries (-buildmode=c-shared) loaded "
     "by a C program: its Ms, the threads that run goroutines, which Go never ends. Threads "
     "the program's own C code creates are still reported",
     /* runtime/cgo creates every M through _cgo_try_pthread_create (gcc_libinit.c), which
      * Go exports in the dynamic symbol table, so a stripped binary still names it */
     "created_by:^_cgo_try_pthread_create$\n"},
    {NULL, NULL, NULL},
};
