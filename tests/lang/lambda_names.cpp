// Threads blocked inside lambdas of every kind the demangler numbers (tests/lang/test_cpp_inline.py):
// at -O2 GCC inlines each into its thread's entry and gives its operator() no linkage name; the
// report must still name it as the demangler names the -O0 build's "main::{lambda()#3}". In the
// source order, GCC's numbering: FIRST #1, SECOND (int)#2, THIRD #3 (in a block: its debug
// entry comes after the others'), OUTER #4 with INNER #1 inside it, SEVENTH #5, the wait's #6.
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <unistd.h>

static std::mutex mu;
static std::condition_variable cv;
static int started;

__attribute__((noinline)) static void park(int id)
{
	std::unique_lock<std::mutex> l(mu);
	started++;
	cv.notify_all();
	for (;;)
		cv.wait(l); // PARK
	(void)id;
}

struct Pool {
	void start()
	{
		std::thread([this] { park(5); }).detach(); // POOL
	}
};

template <class T> void spawn_t()
{
	std::thread([] { park(6); }).detach(); // TEMPLATE
}

int main()
{
	std::thread([] { park(1); }).detach();                   // FIRST
	std::thread([](int k) { park(k); }, 2).detach();         // SECOND
	{
		std::thread([] { park(3); }).detach();               // THIRD
	}
	std::thread([] {
		std::thread([] { park(41); }).detach();              // INNER
		park(4);                                             // OUTER
	}).detach();
	Pool().start();
	spawn_t<int>();
	std::thread([](const std::string &s, double d, char *p) { park((int)s.size() + (int)d + (p != nullptr)); },
	            std::string("x"), 2.0, nullptr).detach(); // SEVENTH
	std::unique_lock<std::mutex> l(mu);
	cv.wait(l, [] { return started == 8; });
	return 0;
}
