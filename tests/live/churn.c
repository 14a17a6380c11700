/* Creates and joins threads in a loop, from the first instruction of main: a signal sent soon
 * after start lands during the first pthread_create, which loads libunwind (inside dlopen, under
 * a pthread_once of threadleak's). tests/live/test_signals.py sends SIGTERM at random moments:
 * dump_on_signal's report, made in the handler on that same thread, waited for that
 * pthread_once forever (3 to 11 runs of 100 hung, and threadleak run with them), or for
 * malloc's lock, which the creation stack's memo held there (1 run of 150). */
#include <pthread.h>

static void *nothing(void *arg)
{
	return arg;
}

int main(void)
{
	for (int i = 0; i < 200000; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, nothing, NULL) != 0 || pthread_join(t, NULL) != 0)
			return 2;
	}
	return 0;
}
