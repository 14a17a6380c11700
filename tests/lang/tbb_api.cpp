// oneTBB in a test that checks for leaks mid-run (threadleak_verify_none, as a test fixture
// would): TBB keeps its workers between algorithms, parked or spinning in libtbb, until the
// process ends. Modes:
//   idle     a parallel loop, then the check: TBB's idle workers are not the test's leak
//   blocked  a task_group task that blocks forever on a condition variable, then the check:
//            the worker running the program's task is reported
// Prints the check's result ("verify N"), then ends with _exit (a blocked task would keep
// TBB's teardown waiting).
#include <tbb/parallel_for.h>
#include <tbb/task_group.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <dlfcn.h>
#include <mutex>
#include <thread>
#include <unistd.h>

static std::mutex mu;
static std::condition_variable never;

static void block_forever()
{
	std::unique_lock<std::mutex> l(mu);
	never.wait(l, [] { return false; }); // TASK_BLOCKS
}

int main(int argc, char **argv)
{
	auto verify = (int (*)(void))dlsym(RTLD_DEFAULT, "threadleak_verify_none");
	bool blocked = argc > 1 && std::strcmp(argv[1], "blocked") == 0;
	std::atomic<long> sum{0};
	tbb::parallel_for(0L, 2000000L, [&sum](long i) { sum += i & 1; }); // starts TBB's workers
	std::printf("%ld\n", sum.load());
	static tbb::task_group g; // never waited for: its destructor would wait for the task
	if (blocked) {
		g.run(block_forever);
		std::this_thread::sleep_for(std::chrono::milliseconds(100));
	}
	std::printf("verify %d\n", verify ? verify() : -1);
	std::fflush(stdout);
	_exit(0);
}
