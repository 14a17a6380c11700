// Threads std::async started, one with a function and its argument, one with a lambda, left
// blocked (tests/lang/test_cpp_inline.py): the start routine is the function or the lambda,
// not libstdc++'s invoker, "int std::thread::_Invoker<...>::_M_invoke<0ul, 1ul>(...)", whose
// return type hid that it is std's. And no frame of crt1.o's _start has a file or a line.
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

static std::mutex mu;
static std::condition_variable cv;

// A static initializer whose last instructions are std::shared_ptr's, inlined: at -O2 its code
// comes right before crt1.o's _start, which got the initializer's last line (libdwfl took the
// range before _start for one that holds it)
static std::promise<int> &never = *new std::promise<int>;
static std::shared_future<int> never_set = never.get_future().share();

static int park_async(int x)
{
	std::unique_lock<std::mutex> l(mu);
	for (;;)
		cv.wait(l); // ASYNC_PARK
	return x;
}

// a thread_local whose destructor waits forever, armed by a std::thread's lambda: the thread
// is blocked after its lambda returned, in glibc's __call_tls_dtors; its start routine is not
// the destructor (it was named "Blocker::~Blocker()")
struct Blocker {
	bool armed = false;
	~Blocker()
	{
		std::unique_lock<std::mutex> l(mu);
		while (armed)
			cv.wait(l); // TLS_DTOR_PARK
	}
};
static thread_local Blocker blocker;

int main()
{
	std::thread([] { blocker.armed = true; }).detach();
	auto *f = new std::future<int>(std::async(std::launch::async, park_async, 1));
	auto *g = new std::future<void>(std::async(std::launch::async, [] {
		std::unique_lock<std::mutex> l(mu);
		for (;;)
			cv.wait(l); // LAMBDA_PARK
	}));
	(void)f;
	(void)g;
	std::this_thread::sleep_for(std::chrono::milliseconds(50));
	return 0;
}
