/* A test runner using the public API (include/threadleak.h) the way goleak is used:
 *   test 1: ignore current, start 2 threads that block forever: threadleak_verify_none() == 2,
 *           and threadleak_report_json() returns a document naming them
 *   test 2: ignore current, start 2 threads and join them: threadleak_verify_none() == 0
 * Prints one line per result ("test1 2"), and each JSON document to FILE.N when given
 * "-j FILE". Options:
 *   -l  test 3 leaks one more thread and does not ignore it: the exit check reports it
 *   -x  turn the exit check off (threadleak_set_exit_check(0)) before returning
 *   -X  turn it off first thing, before any check
 * Built with -DHOOK_OPTS (api_runner_hook), it also defines threadleak_default_options()
 * returning "exitcode=42", not exported: threadleak applies it at the first check.
 * Header only: built and run without threadleak, every call returns 0 (or NULL). Also built
 * as C++ (runner_cpp.cpp includes this file). */
#include <threadleak.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HOOK_OPTS
const char *threadleak_default_options(void);
const char *threadleak_default_options(void)
{
	return "exitcode=42";
}
#endif

static int never[2];
static const char *json_prefix;

static void *test1_blocked(void *arg)
{
	char c;
	if (read(never[0], &c, 1) < 0)
		perror("read");
	return arg;
}

static void *test2_quick(void *arg)
{
	usleep(1000);
	return arg;
}

static void *test3_blocked(void *arg)
{
	char c;
	if (read(never[0], &c, 1) < 0)
		perror("read");
	return arg;
}

static void save_json(const char *what, char *json, int leaked)
{
	printf("%s leaked %d json %s\n", what, leaked, json ? "yes" : "null");
	if (json && json_prefix) {
		char path[4096];
		snprintf(path, sizeof(path), "%s.%s", json_prefix, what);
		FILE *f = fopen(path, "w");
		if (f) {
			fputs(json, f);
			fclose(f);
		}
	}
	free(json);
}

int main(int argc, char **argv)
{
	int leak_at_end = 0, no_exit_check = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-l") == 0)
			leak_at_end = 1;
		else if (strcmp(argv[i], "-x") == 0)
			no_exit_check = 1;
		else if (strcmp(argv[i], "-X") == 0)
			threadleak_set_exit_check(0);
		else if (strcmp(argv[i], "-j") == 0 && i + 1 < argc)
			json_prefix = argv[++i];
	}
	if (pipe(never) != 0)
		return 2;
	printf("active %d\n", threadleak_active());

	/* test 1 */
	threadleak_ignore_current();
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, test1_blocked, NULL);
	usleep(20000);
	printf("test1 %d\n", threadleak_verify_none());
	int leaked = -1;
	char *json = threadleak_report_json(&leaked);
	save_json("test1", json, leaked);

	/* test 2 */
	threadleak_ignore_current();
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, test2_quick, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("test2 %d\n", threadleak_verify_none());
	leaked = -1;
	json = threadleak_report_json(&leaked);
	save_json("test2", json, leaked);

	if (leak_at_end) {
		pthread_t t3;
		pthread_create(&t3, NULL, test3_blocked, NULL);
		usleep(20000);
		printf("test3 %d\n", threadleak_verify_none());
	}
	if (no_exit_check)
		threadleak_set_exit_check(0);
	printf("done\n");
	fflush(stdout);
	return 0;
}
