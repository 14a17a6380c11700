/* OpenMP under threadleak (built with -fopenmp: GCC's libgomp, or LLVM's libomp by the
 * corpus test). The runtime keeps its pool of workers for the process lifetime; the user's
 * leaks inside it are still the user's. argv[1]:
 *   pool     a parallel loop, then a normal exit: only the runtime's idle workers remain
 *   pthread  a parallel region whose thread 0 starts a pthread that waits forever on a pipe
 *   task     a task that blocks on a pipe, and the program exits without a taskwait
 * Prints the loop's sum (or "exit") on stdout. */
#include <omp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int never[2]; /* nobody writes: a read blocks forever */
static atomic_int task_started;

static void *user_worker(void *arg)
{
	char c;
	read(never[0], &c, 1); /* marker: user_worker blocks */
	return arg;
}

static void start_user_thread(void)
{
	pthread_t t;
	pthread_create(&t, NULL, user_worker, NULL); /* marker: user pthread_create */
}

static void user_task_body(void)
{
	atomic_store(&task_started, 1);
	char c;
	read(never[0], &c, 1); /* marker: the task blocks */
}

static double pool(void)
{
	double s = 0;
#pragma omp parallel for reduction(+ : s)
	for (int i = 0; i < 4000000; i++)
		s += i * 0.5;
	return s;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "pool";
	if (pipe(never) != 0)
		return 2;
	double s = pool();
	if (strcmp(mode, "pthread") == 0) {
#pragma omp parallel num_threads(2)
		{
			if (omp_get_thread_num() == 0)
				start_user_thread();
		}
	} else if (strcmp(mode, "task") == 0) {
#pragma omp parallel num_threads(2)
#pragma omp master
		{
#pragma omp task
			user_task_body();
			/* the bug: no taskwait; the program finishes while the task still runs.
			 * (The other thread, waiting at the region's end, runs it: wait until it has
			 * it, so that the main thread does not run it itself.) */
			while (!atomic_load(&task_started))
				usleep(1000);
			printf("exit\n");
			fflush(stdout);
			exit(0);
		}
	}
	printf("%.1f\n", s);
	return 0;
}
