/* A program that sets its own threadleak defaults, the way LeakSanitizer's
 * __lsan_default_options() does: exitcode=5. One worker is leaked (blocked in
 * pthread_cond_wait). Built twice: hook_options (the hook is not exported: threadleak finds it
 * in the symbol table at the check) and hook_options_dyn (-rdynamic: found with dlsym).
 * HOOK_OPTS in the environment replaces the hook's text; HOOK_FINISHER=1 adds a detached worker
 * that ends 500 ms after main returns (outside the default grace period, inside a longer one). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

const char *threadleak_default_options(void);
const char *threadleak_default_options(void)
{
	const char *text = getenv("HOOK_OPTS");
	return text ? text : "exitcode=5";
}

static void *finisher(void *arg)
{
	usleep(510000);
	return arg;
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never_signalled = PTHREAD_COND_INITIALIZER;

static void *stuck(void *arg)
{
	pthread_mutex_lock(&mu);
	for (;;)
		pthread_cond_wait(&never_signalled, &mu);
	return NULL;
}

int main(void)
{
	pthread_t t;
	pthread_create(&t, NULL, stuck, NULL);
	if (getenv("HOOK_FINISHER")) {
		pthread_create(&t, NULL, finisher, NULL);
		pthread_detach(t);
	}
	usleep(10000);
	printf("hook\n");
	return 0;
}
