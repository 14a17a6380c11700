/* The program's own hooks return untrusted, possibly huge text:
 * threadleak_default_options() returns the contents of $HOOK_OPTIONS_FILE and
 * threadleak_default_suppressions() those of $HOOK_SUPP_FILE (read whole, MBs allowed).
 * Usage: hooks N [NAME]: N threads blocked in sem_wait, named NAME (\xHH decoded). */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sem_t never, ready;
static char name[64];

static char *slurp(const char *env)
{
	const char *path = getenv(env);
	if (path == NULL)
		return NULL;
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		return NULL;
	}
	buf[n] = '\0';
	fclose(f);
	return buf;
}

const char *threadleak_default_options(void);
const char *threadleak_default_options(void)
{
	static char *s;
	if (s == NULL)
		s = slurp("HOOK_OPTIONS_FILE");
	return s;
}

const char *threadleak_default_suppressions(void);
const char *threadleak_default_suppressions(void)
{
	static char *s;
	if (s == NULL)
		s = slurp("HOOK_SUPP_FILE");
	return s;
}

static void *blocked(void *arg)
{
	if (name[0])
		pthread_setname_np(pthread_self(), name);
	sem_post(&ready);
	sem_wait(&never);
	return arg;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1;
	if (argc > 2) {
		size_t j = 0;
		for (const char *s = argv[2]; *s && j + 1 < sizeof(name); s++) {
			if (s[0] == '\\' && s[1] == 'x' && s[2] && s[3]) {
				char hex[3] = {s[2], s[3], 0};
				name[j++] = (char)strtoul(hex, NULL, 16);
				s += 3;
			} else {
				name[j++] = *s;
			}
		}
	}
	sem_init(&never, 0, 0);
	sem_init(&ready, 0, 0);
	for (int i = 0; i < n; i++) {
		pthread_t t;
		pthread_create(&t, NULL, blocked, NULL);
	}
	for (int i = 0; i < n; i++)
		sem_wait(&ready);
	printf("ready\n");
	return 0;
}
