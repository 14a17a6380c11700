/* A correct GLib program: everything it starts it stops, yet GLib keeps threads of its own for
 * the process lifetime. Each argument turns on one part of GLib:
 *   pool    g_thread_pool, waited for and freed
 *   task    a GTask run in a thread (GIO's task pool)
 *   dbus    a GDBus peer-to-peer connection over a socketpair, closed and freed
 *   resolve a GResolver lookup of "localhost" (GIO's resolver threads)
 *   loop    a GMainLoop run in a thread the program starts, quits and joins (not a leak)
 *   xpool   an exclusive g_thread_pool of 2 threads that is never freed: the program's own
 *           leak, its idle threads wait in g_cond_wait (no timeout) and must be reported
 *   addon   dlopen the library named by $TL_ADDON and call addon_start(), which starts a
 *           thread that blocks forever: a leak, to be reported inside the runtime too
 *   qworker a worker of the program's own (g_thread_new) that polls a GAsyncQueue with a
 *           timeout and is never stopped: a leak whose innermost GLib frame is
 *           g_cond_wait_until, as for GLib's idle pool threads, but with the program's code
 *           on its stack: it must be reported
 * It prints one line per part, then "done". */
#include <dlfcn.h>
#include <gio/gio.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static void pool_job(gpointer data, gpointer user)
{
	g_atomic_int_add((gint *)user, GPOINTER_TO_INT(data));
}

static void part_pool(void)
{
	gint sum = 0;
	GThreadPool *pool = g_thread_pool_new(pool_job, &sum, 3, FALSE, NULL);
	for (int i = 1; i <= 10; i++)
		g_thread_pool_push(pool, GINT_TO_POINTER(i), NULL);
	g_thread_pool_free(pool, FALSE, TRUE); /* wait for every job */
	printf("pool %d\n", sum);
}

static void part_xpool(void)
{
	gint sum = 0;
	GThreadPool *pool = g_thread_pool_new(pool_job, &sum, 2, TRUE, NULL);
	g_thread_pool_push(pool, GINT_TO_POINTER(7), NULL);
	while (g_atomic_int_get(&sum) != 7)
		g_usleep(1000);
	printf("xpool %d\n", sum); /* and never g_thread_pool_free(pool, ...) */
}

static void task_work(GTask *task, gpointer src, gpointer data, GCancellable *c)
{
	g_task_return_int(task, 42);
}

static void part_task(void)
{
	GTask *task = g_task_new(NULL, NULL, NULL, NULL);
	g_task_run_in_thread_sync(task, task_work);
	gssize v = g_task_propagate_int(task, NULL);
	g_object_unref(task);
	printf("task %zd\n", v);
}

struct server {
	GIOStream *stream;
	gchar *guid;
};

static gpointer dbus_server(gpointer data)
{
	struct server *s = data;
	GError *err = NULL;
	GDBusConnection *c = g_dbus_connection_new_sync(
	    s->stream, s->guid, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_SERVER, NULL, NULL, &err);
	if (c == NULL)
		fprintf(stderr, "server: %s\n", err->message);
	return c;
}

static void part_dbus(void)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		perror("socketpair");
		return;
	}
	GSocket *s0 = g_socket_new_from_fd(sv[0], NULL);
	GSocket *s1 = g_socket_new_from_fd(sv[1], NULL);
	GSocketConnection *c0 = g_socket_connection_factory_create_connection(s0);
	GSocketConnection *c1 = g_socket_connection_factory_create_connection(s1);
	struct server srv = {G_IO_STREAM(c0), g_dbus_generate_guid()};
	GThread *t = g_thread_new("dbus-server", dbus_server, &srv);
	GError *err = NULL;
	GDBusConnection *client = g_dbus_connection_new_sync(
	    G_IO_STREAM(c1), NULL, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT, NULL, NULL, &err);
	GDBusConnection *server = g_thread_join(t);
	int ok = client && server;
	if (client) {
		g_dbus_connection_close_sync(client, NULL, NULL);
		g_object_unref(client);
	} else {
		fprintf(stderr, "client: %s\n", err->message);
	}
	if (server) {
		g_dbus_connection_close_sync(server, NULL, NULL);
		g_object_unref(server);
	}
	g_free(srv.guid);
	g_object_unref(c0);
	g_object_unref(c1);
	g_object_unref(s0);
	g_object_unref(s1);
	printf("dbus %s\n", ok ? "connected" : "failed");
}

static void part_resolve(void)
{
	GResolver *r = g_resolver_get_default();
	GList *addrs = g_resolver_lookup_by_name(r, "localhost", NULL, NULL);
	printf("resolve %s\n", addrs ? "ok" : "failed");
	g_resolver_free_addresses(addrs);
	g_object_unref(r);
}

static gboolean quit_loop(gpointer loop)
{
	g_main_loop_quit(loop);
	return G_SOURCE_REMOVE;
}

static gpointer loop_thread(gpointer data)
{
	GMainContext *ctx = g_main_context_new();
	g_main_context_push_thread_default(ctx);
	GMainLoop *loop = g_main_loop_new(ctx, FALSE);
	GSource *src = g_timeout_source_new(20);
	g_source_set_callback(src, quit_loop, loop, NULL);
	g_source_attach(src, ctx);
	g_source_unref(src);
	g_main_loop_run(loop);
	g_main_loop_unref(loop);
	g_main_context_pop_thread_default(ctx);
	g_main_context_unref(ctx);
	return GINT_TO_POINTER(1);
}

static void part_loop(void)
{
	GThread *t = g_thread_new("loop", loop_thread, NULL);
	printf("loop %d\n", GPOINTER_TO_INT(g_thread_join(t)));
}

static void part_addon(void)
{
	const char *path = getenv("TL_ADDON");
	void *h = path ? dlopen(path, RTLD_NOW) : NULL;
	void (*start)(void) = h ? (void (*)(void))dlsym(h, "addon_start") : NULL;
	if (start == NULL) {
		fprintf(stderr, "addon: %s\n", path ? dlerror() : "TL_ADDON not set");
		return;
	}
	start();
	printf("addon started\n");
}

static gpointer queue_worker(gpointer data)
{
	GAsyncQueue *q = data;
	for (;;) {
		gpointer job = g_async_queue_timeout_pop(q, 100000); /* QWORKER_POP */
		if (job == GINT_TO_POINTER(-1))
			break;
	}
	return NULL;
}

static void part_qworker(void)
{
	g_thread_unref(g_thread_new("qworker", queue_worker, g_async_queue_new()));
	printf("qworker started\n");
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "pool") == 0)
			part_pool();
		else if (strcmp(argv[i], "task") == 0)
			part_task();
		else if (strcmp(argv[i], "dbus") == 0)
			part_dbus();
		else if (strcmp(argv[i], "resolve") == 0)
			part_resolve();
		else if (strcmp(argv[i], "loop") == 0)
			part_loop();
		else if (strcmp(argv[i], "xpool") == 0)
			part_xpool();
		else if (strcmp(argv[i], "addon") == 0)
			part_addon();
		else if (strcmp(argv[i], "qworker") == 0)
			part_qworker();
		else
			fprintf(stderr, "unknown part %s\n", argv[i]);
	}
	printf("done\n");
	return 0;
}
