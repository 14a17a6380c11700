// Threads whose callable ends in a tail call into std's code (tests/lang/test_cpp_inline.py): at
// -O2 neither the lambda, nor the function, nor libstdc++'s _M_run keeps a frame on the stack,
// which holds only std's inlined wait and libstdc++'s start routine; the report names the
// callable from the thread's std::thread state, as the stack names it at -O0. A function given
// with an argument: its place in the state is not known, so no name rather than a wrong one.
#include <chrono>
#include <semaphore>
#include <thread>

static std::counting_semaphore<1> sem(0);

static void waiter()
{
	sem.acquire(); // FUNCTION_WAIT
}

static void waiter_arg(int n)
{
	(void)n;
	sem.acquire();
}

int main()
{
	std::thread([] { sem.acquire(); }).detach(); // LAMBDA_WAIT
	std::thread(waiter).detach();
	std::thread(waiter_arg, 3).detach();
	std::this_thread::sleep_for(std::chrono::milliseconds(50));
	return 0;
}
