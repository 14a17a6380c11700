/* For the api suite's scenario programs: whether the kernel shows a thread of this process
 * asleep ('S') in a wait. */
#ifndef TL_TESTS_API_TASK_STATE_H
#define TL_TESTS_API_TASK_STATE_H

#include <stdio.h>
#include <string.h>
#include <sys/types.h>

static int asleep(pid_t tid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] == 'S';
}

#endif
