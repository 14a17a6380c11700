/* Built with -O2 -D_FORTIFY_SOURCE=2, so read, recv and poll become __read_chk,
 * __recv_chk and __poll_chk (the buffers' sizes are known, the lengths are not). The report
 * must still name read, recv and poll. */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int pfd[2], sfd[2], qfd[2];
static volatile size_t len = 8;
static volatile nfds_t npoll = 1;

static void *t_read(void *arg)
{
	char buf[16];
	pthread_setname_np(pthread_self(), "fortify_read");
	return (void *)(long)read(pfd[0], buf, len);
}

static void *t_recv(void *arg)
{
	char buf[16];
	pthread_setname_np(pthread_self(), "fortify_recv");
	return (void *)(long)recv(sfd[0], buf, len, 0);
}

static void *t_poll(void *arg)
{
	struct pollfd p[2] = {{qfd[0], POLLIN, 0}, {qfd[0], POLLIN, 0}};
	pthread_setname_np(pthread_self(), "fortify_poll");
	return (void *)(long)poll(p, npoll, -1);
}

int main(void)
{
	pthread_t t;
	if (pipe(pfd) || pipe(qfd) || socketpair(AF_UNIX, SOCK_STREAM, 0, sfd))
		return 2;
	pthread_create(&t, NULL, t_read, NULL);
	pthread_create(&t, NULL, t_recv, NULL);
	pthread_create(&t, NULL, t_poll, NULL);
	struct timespec ts = {0, 200 * 1000000};
	nanosleep(&ts, NULL);
	printf("fortified\n");
	return 0;
}
