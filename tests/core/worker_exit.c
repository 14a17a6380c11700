/* exit() called by a worker while main waits for it in pthread_join. Two other workers are
 * leaked: one blocked reading a pipe nobody writes, one blocked in pthread_cond_wait.
 * Expected: exactly those 2 leaks; neither main (thread 1, blocked in pthread_join) nor the
 * exiting worker are reported; status 0 becomes the exitcode. The worker's output is buffered
 * (no newline) when it calls exit(): it must still reach stdout. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int pipefd[2];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never_signalled = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t ready_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready_cv = PTHREAD_COND_INITIALIZER;
static int ready;

static void mark_ready(void)
{
	pthread_mutex_lock(&ready_mu);
	ready++;
	pthread_cond_broadcast(&ready_cv);
	pthread_mutex_unlock(&ready_mu);
}

static void *reader(void *arg)
{
	char c;
	mark_ready();
	read(pipefd[0], &c, 1); /* READER_BLOCKS: nobody writes */
	return NULL;
}

static void *waiter(void *arg)
{
	pthread_mutex_lock(&mu);
	mark_ready();
	for (;;)
		pthread_cond_wait(&never_signalled, &mu); /* WAITER_BLOCKS */
	return NULL;
}

static void *exiter(void *arg)
{
	pthread_mutex_lock(&ready_mu);
	while (ready < 2)
		pthread_cond_wait(&ready_cv, &ready_mu);
	pthread_mutex_unlock(&ready_mu);
	usleep(20000); /* let the two reach their blocking calls */
	printf("worker calls exit"); /* buffered, no newline */
	exit(0);
}

int main(void)
{
	pipe(pipefd);
	pthread_t r, w, x;
	pthread_create(&r, NULL, reader, NULL);
	pthread_create(&w, NULL, waiter, NULL);
	pthread_create(&x, NULL, exiter, NULL);
	pthread_join(x, NULL); /* never returns: the worker exits the process */
	printf("not reached\n");
	return 1;
}
