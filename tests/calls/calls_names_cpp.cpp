/* C++ objects named with where they were declared (tests/calls test_names.py): in namespaces,
 * a class's static members (defined out of the class: the definition's line), function-local
 * statics. Their symbols are mangled, so matching DWARF by name found none of them. Members
 * of an object, one of them through its base class ("derived.bm", not "derived+8"). */
#include <array>
#include <condition_variable>
#include <mutex>
#include <pthread.h>
#include <unistd.h>

namespace app
{
pthread_mutex_t queue_mu = PTHREAD_MUTEX_INITIALIZER; /* DECL app_mu */
pthread_cond_t queue_cv = PTHREAD_COND_INITIALIZER;   /* DECL app_cv */
namespace inner
{
struct Box {
	static pthread_cond_t cv; /* declared here, defined below */
	static pthread_mutex_t mu;
};
pthread_cond_t Box::cv = PTHREAD_COND_INITIALIZER;   /* DECL box_cv */
pthread_mutex_t Box::mu = PTHREAD_MUTEX_INITIALIZER; /* DECL box_mu */
} // namespace inner
} // namespace app

struct Base {
	int id;
	pthread_mutex_t bm;
};
struct Derived : Base {
	pthread_cond_t cv;
};
Derived derived; /* DECL derived */

static void *derived_waiter(void *)
{
	pthread_mutex_lock(&derived.bm);
	for (;;)
		pthread_cond_wait(&derived.cv, &derived.bm);
}

/* std::mutex and std::condition_variable at offset 0 of what holds them, and std::array's
 * elements: "workers[0].m", not "workers"; "locks[1]", not "locks._M_elems[1]"; and not
 * libstdc++'s insides ("workers[0].m._M_mutex") */
struct Worker {
	std::mutex m;
	std::condition_variable cv;
	bool stop = false;
};
Worker workers[2];               /* DECL workers */
std::array<std::mutex, 3> locks; /* DECL locks */

static void *worker_waiter(void *)
{
	std::unique_lock<std::mutex> g(workers[0].m);
	workers[0].cv.wait(g, [] { return workers[0].stop; });
	return nullptr;
}

static void *array_waiter(void *)
{
	locks[1].lock();
	locks[1].lock(); /* relocks: blocked forever */
	return nullptr;
}

static void *queue_waiter(void *)
{
	pthread_mutex_lock(&app::queue_mu);
	for (;;)
		pthread_cond_wait(&app::queue_cv, &app::queue_mu);
}

static void *box_waiter(void *)
{
	pthread_mutex_lock(&app::inner::Box::mu);
	for (;;)
		pthread_cond_wait(&app::inner::Box::cv, &app::inner::Box::mu);
}

static void *local_waiter(void *)
{
	static pthread_mutex_t local_mu = PTHREAD_MUTEX_INITIALIZER; /* DECL local_mu */
	static pthread_cond_t local_cv = PTHREAD_COND_INITIALIZER;   /* DECL local_cv */
	pthread_mutex_lock(&local_mu);
	for (;;)
		pthread_cond_wait(&local_cv, &local_mu);
}

int main()
{
	pthread_t t;
	pthread_create(&t, nullptr, queue_waiter, nullptr);
	pthread_create(&t, nullptr, box_waiter, nullptr);
	pthread_create(&t, nullptr, local_waiter, nullptr);
	pthread_create(&t, nullptr, derived_waiter, nullptr);
	pthread_create(&t, nullptr, worker_waiter, nullptr);
	pthread_create(&t, nullptr, array_waiter, nullptr);
	usleep(100000);
	return 0;
}
