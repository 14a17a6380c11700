/* libuv's thread pool in a test that checks for leaks mid-run (threadleak_verify_none, as a
 * test fixture would): uv_queue_work starts libuv's workers (4 by default) on first use, and
 * libuv keeps them, waiting in libuv, until the process ends. Modes:
 *   idle     one work request, run to completion, then the check: libuv's idle workers are
 *            not the test's leak
 *   blocked  a work request whose callback blocks forever, then the check: the worker running
 *            the program's callback is reported
 * Prints the check's result ("verify N"), then ends with _exit (libuv's teardown would wait
 * for a blocked worker). */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static int blocked;

static void work(uv_work_t *req)
{
	(void)req;
	if (!blocked)
		return;
	pthread_mutex_lock(&mu);
	for (;;)
		pthread_cond_wait(&never, &mu); /* WORK_BLOCKS */
}

static void after(uv_work_t *req, int status)
{
	(void)req;
	(void)status;
}

int main(int argc, char **argv)
{
	int (*verify)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "threadleak_verify_none");
	blocked = argc > 1 && strcmp(argv[1], "blocked") == 0;
	uv_loop_t *loop = uv_default_loop();
	static uv_work_t req;
	uv_queue_work(loop, &req, work, after);
	if (!blocked)
		uv_run(loop, UV_RUN_DEFAULT);
	else
		usleep(100000);
	printf("verify %d\n", verify ? verify() : -1);
	fflush(stdout);
	_exit(0);
}
