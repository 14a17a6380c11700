/* Objects are named with where they were declared, found by their address (tests/calls
 * test_names.py): this file and calls_names_other.c each have a static `mu` and `cv`, and
 * first() and second() each a function-local static `lock`. By name alone, the first match
 * in any unit was taken: other.c's waiter was shown on this file's objects, and first()'s
 * lock at second()'s line. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER; /* DECL this_mu */
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;   /* DECL this_cv */

/* Objects inside arrays and structs: named by their place, not by a byte offset ("shards+240") */
struct shard {
	int id;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};
static struct shard shards[3];      /* DECL shards */
static pthread_mutex_t table[2][3]; /* DECL table */

/* Objects at offset 0 of what holds them: named by the innermost part ("pool.lanes[0].mu"),
 * not the outermost ("pool"); a C11 anonymous struct's members as the source names them */
struct lane {
	pthread_mutex_t mu;
	pthread_cond_t cv;
};
static struct {
	struct lane lanes[2];
	struct {
		pthread_mutex_t gate;
		int open;
	};
} pool; /* DECL pool */

/* A named semaphore (sem_open, argv[1] its name): named by it, not by its address */
static sem_t *named;

void names_other_start(void); /* calls_names_other.c */

static void *first(void *arg)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* DECL first_lock */
	pthread_mutex_lock(&lock);
	pthread_mutex_lock(&lock); /* relocks: blocked forever */
	return arg;
}

static void *second(void *arg)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* DECL second_lock */
	static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;     /* DECL second_cv */
	pthread_mutex_lock(&lock);
	for (;;)
		pthread_cond_wait(&cv, &lock);
	return arg;
}

static void *third(void *arg)
{
	pthread_mutex_lock(&shards[2].mu);
	for (;;)
		pthread_cond_wait(&shards[2].cv, &shards[2].mu);
	return arg;
}

static void *fourth(void *arg)
{
	pthread_mutex_lock(&table[1][2]);
	pthread_mutex_lock(&table[1][2]); /* relocks */
	return arg;
}

static void *sixth(void *arg)
{
	pthread_mutex_lock(&pool.lanes[0].mu);
	for (;;)
		pthread_cond_wait(&pool.lanes[0].cv, &pool.lanes[0].mu);
	return arg;
}

static void *seventh(void *arg)
{
	pthread_mutex_lock(&pool.gate);
	pthread_mutex_lock(&pool.gate); /* relocks */
	return arg;
}

static void *fifth(void *arg)
{
	sem_wait(named);
	return arg;
}

int main(int argc, char **argv)
{
	pthread_t t;
	pthread_mutex_lock(&mu); /* this file's statics, in use, waited on by nobody */
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
	pthread_create(&t, NULL, first, NULL);
	pthread_create(&t, NULL, second, NULL);
	pthread_create(&t, NULL, third, NULL);
	pthread_create(&t, NULL, fourth, NULL);
	pthread_create(&t, NULL, sixth, NULL);
	pthread_create(&t, NULL, seventh, NULL);
	if (argc > 1 && (named = sem_open(argv[1], O_CREAT | O_EXCL, 0600, 0)) != SEM_FAILED)
		pthread_create(&t, NULL, fifth, NULL);
	names_other_start();
	usleep(100000);
	return 0;
}
