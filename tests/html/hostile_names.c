/* Threads named to break a page that would take names as markup: an opening script tag,
 * quotes closing an attribute and an img tag, a closing tag with an entity, and control bytes
 * (an escape sequence, SOH, DEL). Each blocks forever on a pipe nobody writes. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static int fds[2];

static void *reader(void *arg)
{
	pthread_setname_np(pthread_self(), arg);
	char c;
	read(fds[0], &c, 1); /* blocks forever: nobody writes */
	return NULL;
}

int main(void)
{
	/* at most 15 bytes each (the kernel's limit) */
	static const char *names[] = {"<script>alert(", "\"'><img src=x>", "</details>&amp;",
	                              "\x1b[31mred\x01\x7f"};
	pipe(fds);
	for (int i = 0; i < 4; i++) {
		pthread_t t;
		pthread_create(&t, NULL, reader, (void *)names[i]);
		pthread_detach(t);
	}
	usleep(100000);
	printf("named\n");
	return 0;
}
