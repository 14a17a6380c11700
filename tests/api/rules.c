/* A named logger thread that is meant to live, and a worker that leaks. Each is blocked in
 * read() on its own pipe, in a helper of its own (the innermost frame of the program):
 *   logger: name "logger", start routine logger_loop, top frame logger_wait, created by
 *           start_logger (through api_lib_spawn in libapispawn.so with argument "lib")
 *   worker: name "worker", start routine worker_loop, top frame worker_wait, created by
 *           start_worker from main
 * Built several times: api_rules (plain), api_hook_supp[_dyn] (-DHOOK_SUPP: defines
 * threadleak_default_suppressions()), api_hook_opts[_dyn] (-DHOOK_OPTS: defines
 * threadleak_default_options() returning "exitcode=42"); the _dyn ones are linked with
 * -rdynamic (found with dlsym), the others are not (found in the symbol table at the check);
 * api_hook_nodefaults names its threads "gmain" and "gdbus" (names the default set glib
 * suppresses) and its options hook, not exported, turns the default sets off.
 * Prints "ready" once both threads are named and blocked, then returns 0 from main. */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int api_lib_spawn(pthread_t *t, void *(*start)(void *), void *arg);

#ifdef HOOK_SUPP
/* line 3 is malformed: reported as threadleak_default_suppressions():3 */
const char *threadleak_default_suppressions(void);
const char *threadleak_default_suppressions(void)
{
	return "# the program's own rules\n"
	       "name:^logger$\n"
	       "bogus line\n";
}
#endif
#ifdef HOOK_OPTS
#ifndef HOOK_OPTS_TEXT
#define HOOK_OPTS_TEXT "exitcode=42"
#endif
const char *threadleak_default_options(void);
const char *threadleak_default_options(void)
{
	return HOOK_OPTS_TEXT;
}
#endif
#ifndef LOGGER_NAME
#define LOGGER_NAME "logger"
#define WORKER_NAME "worker"
#endif

static int logger_pipe[2], worker_pipe[2];
static sem_t ready;

__attribute__((noinline)) static void logger_wait(void)
{
	char c;
	read(logger_pipe[0], &c, 1); /* logger blocks here */
}

static void *logger_loop(void *arg)
{
	pthread_setname_np(pthread_self(), LOGGER_NAME);
	sem_post(&ready);
	logger_wait();
	__asm__ volatile("");
	return arg;
}

__attribute__((noinline)) static void worker_wait(void)
{
	char c;
	read(worker_pipe[0], &c, 1); /* worker blocks here */
}

static void *worker_loop(void *arg)
{
	pthread_setname_np(pthread_self(), WORKER_NAME);
	sem_post(&ready);
	worker_wait();
	__asm__ volatile("");
	return arg;
}

__attribute__((noinline)) static void start_logger(int in_lib)
{
	pthread_t t;
	if (in_lib)
		api_lib_spawn(&t, logger_loop, NULL);
	else
		pthread_create(&t, NULL, logger_loop, NULL);
	__asm__ volatile("");
}

__attribute__((noinline)) static void start_worker(void)
{
	pthread_t t;
	pthread_create(&t, NULL, worker_loop, NULL);
	__asm__ volatile("");
}

int main(int argc, char **argv)
{
	int in_lib = argc > 1 && strcmp(argv[1], "lib") == 0;
	if (pipe(logger_pipe) != 0 || pipe(worker_pipe) != 0 || sem_init(&ready, 0, 0) != 0)
		return 2;
	start_logger(in_lib);
	start_worker();
	sem_wait(&ready);
	sem_wait(&ready);
	printf("ready\n");
	return 0;
}
