// GoogleTest death tests under the detector. A background service thread lives for the whole
// test binary (joined at the end of main); the death tests' statements end their child process
// with exit(), one of them after starting a thread of its own. gtest compares each child's
// status: the child must not be checked (a report there would turn exit(0) into 23 and blame
// the child for the parent's service thread). With TL_GTEST_LEAK set, main leaves a thread of
// its own at exit: the parent is still checked. Run with --gtest_death_test_style=threadsafe
// (the binary runs itself again) or fast (the default: fork()).
#include <gtest/gtest.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <unistd.h>

struct Service {
	std::mutex mu;
	std::condition_variable cv;
	bool stop = false;
	std::thread t{[this] {
		std::unique_lock<std::mutex> lk(mu);
		cv.wait(lk, [this] { return stop; });
	}};
	~Service()
	{
		{
			std::lock_guard<std::mutex> g(mu);
			stop = true;
		}
		cv.notify_all();
		t.join();
	}
};

static void shutdown_cleanly()
{
	std::fprintf(stderr, "bye\n");
	std::exit(0);
}

TEST(Death, ExitsZero)
{
	EXPECT_EXIT(shutdown_cleanly(), ::testing::ExitedWithCode(0), "bye");
}

TEST(Death, ExitsThree)
{
	EXPECT_EXIT(std::exit(3), ::testing::ExitedWithCode(3), "");
}

TEST(Death, ChildStartsThreadAndExits)
{
	EXPECT_EXIT(
	    {
		    std::thread([] { pause(); }).detach();
		    std::exit(0);
	    },
	    ::testing::ExitedWithCode(0), "");
}

int main(int argc, char **argv)
{
	::testing::InitGoogleTest(&argc, argv);
	Service *svc = new Service;
	int r = RUN_ALL_TESTS();
	delete svc;
	if (std::getenv("TL_GTEST_LEAK"))
		std::thread([] { pause(); }).detach();
	return r;
}
