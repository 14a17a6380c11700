// C++20 waits (tests/lang/test_cpp_inline.py): std::atomic<int>::wait waits on the atomic
// itself (a futex, named); std::atomic<bool>::wait and std::atomic_flag::wait wait on a slot of
// libstdc++'s waiter pool, which the two share by their addresses' hash: the report says what
// that slot is instead of naming libstdc++'s internal variable as the object.
#include <atomic>
#include <chrono>
#include <thread>

static std::atomic<int> counter{0};
static std::atomic<bool> ready{false};
static std::atomic_flag flag;

int main()
{
	std::thread([] { counter.wait(0); }).detach(); // INT_WAIT
	std::thread([] { ready.wait(false); }).detach(); // BOOL_WAIT
	std::thread([] { flag.wait(false); }).detach(); // FLAG_WAIT
	std::this_thread::sleep_for(std::chrono::milliseconds(50));
	return 0;
}
