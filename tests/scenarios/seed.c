/* The seed: Go's classic goroutine leak, in C. Senders are detached, like goroutines. A rendezvous channel (unbuffered: a sender
 * waits until its own value is taken). submit() starts 4 senders, takes the first answer and
 * returns; the 3 other senders stay blocked in pthread_cond_wait forever. main() calls
 * submit() 5 times: 15 leaked threads, and the program itself exits 0. */
#include <pthread.h>
#include <stdio.h>

struct chan {
	pthread_mutex_t mu;
	pthread_cond_t sent;  /* a value is waiting to be taken */
	pthread_cond_t taken; /* the waiting value was taken */
	int value;
	int full;
};

static void chan_send(struct chan *c, int v)
{
	pthread_mutex_lock(&c->mu);
	while (c->full) /* one value at a time */
		pthread_cond_wait(&c->taken, &c->mu);
	c->value = v;
	c->full = 1;
	pthread_cond_broadcast(&c->sent);
	while (c->full && c->value == v) /* rendezvous: wait until ours is taken */
		pthread_cond_wait(&c->taken, &c->mu);
	pthread_mutex_unlock(&c->mu);
}

static int chan_recv(struct chan *c)
{
	pthread_mutex_lock(&c->mu);
	while (!c->full)
		pthread_cond_wait(&c->sent, &c->mu);
	int v = c->value;
	c->full = 0;
	pthread_cond_broadcast(&c->taken);
	pthread_mutex_unlock(&c->mu);
	return v;
}

struct job {
	struct chan *c;
	int id;
};

static struct job jobs[5][4];

static void *sender(void *arg)
{
	struct job *j = arg;
	chan_send(j->c, j->id); /* blocks forever for all but the first */
	return NULL;
}

static int submit(int round)
{
	static struct chan chans[5];
	struct chan *c = &chans[round];
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->sent, NULL);
	pthread_cond_init(&c->taken, NULL);
	for (int i = 0; i < 4; i++) {
		pthread_t t;
		jobs[round][i] = (struct job){c, round * 10 + i + 1};
		pthread_create(&t, NULL, sender, &jobs[round][i]);
		pthread_detach(t);
	}
	return chan_recv(c); /* the first answer wins; nobody reads the others */
}

int main(void)
{
	int sum = 0;
	for (int round = 0; round < 5; round++)
		sum += submit(round) > 0;
	printf("got %d answers\n", sum);
	return 0;
}
