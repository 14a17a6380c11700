/* A library that starts a thread running the caller's function; outside.c dlcloses it after,
 * so the creation stack's frame in here points into no module at the check. spawner_run's
 * thread runs the function from a frame of the library: its current stack has a return address
 * into the unloaded code, and nothing to unwind past it with. */
#include <pthread.h>

int spawner_start(void *(*fn)(void *), void *arg);

int spawner_start(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	int rc = pthread_create(&t, NULL, fn, arg); /* SPAWN_IN_LIB */
	if (rc == 0)
		pthread_detach(t);
	return rc;
}

struct call {
	void *(*fn)(void *);
	void *arg;
};

/* Without a frame pointer, as optimized library code: past this frame, once it is unloaded,
 * an unwinder that guesses from rbp finds what start_thread left there. */
__attribute__((optimize("omit-frame-pointer"))) static void *run_in_lib(void *p)
{
	static struct call c;
	c = *(struct call *)p;
	void *volatile r = c.fn(c.arg); /* CALL_IN_LIB: not a tail call */
	return r;
}

int spawner_run(void *(*fn)(void *), void *arg);

int spawner_run(void *(*fn)(void *), void *arg)
{
	static struct call c;
	c = (struct call){fn, arg};
	pthread_t t;
	int rc = pthread_create(&t, NULL, run_in_lib, &c);
	if (rc == 0)
		pthread_detach(t);
	return rc;
}
