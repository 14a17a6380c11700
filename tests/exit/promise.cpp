// A detached thread waits on a static std::promise that nobody keeps; the promise's destructor,
// in the program's teardown, breaks it: the thread wakes, throws std::future_error, and
// std::terminate aborts the process, unless _exit() ends it first, as bare it nearly always does
// (a user's program, tests/exit/test_teardown.py). Under the library this died of SIGABRT in
// about half the runs: the exit check had taken main milliseconds of CPU time, and the woken
// thread preempted it on its CPU at once. Prints "end".
#include <chrono>
#include <cstdio>
#include <future>
#include <thread>

static std::promise<int> kept_by_nobody;

int main()
{
	std::thread([] { kept_by_nobody.get_future().get(); }).detach();
	std::this_thread::sleep_for(std::chrono::milliseconds(50));
	std::puts("end");
}
