// Four threads started in one loop by std::vector<std::thread>::emplace_back, all blocked
// forever on the same pipe: the vector reallocates on some of the calls, so the creation
// stacks differ in libstdc++'s frames above main, which the report does not print (the
// "created by" line names main). One group of four, as printed, in the library's text and in
// threadleak run's.
#include <thread>
#include <unistd.h>
#include <vector>

static int fds[2];

static void worker()
{
	char c;
	if (read(fds[0], &c, 1) < 0) // blocked forever
		return;
}

int main()
{
	if (pipe(fds) != 0)
		return 2;
	auto *pool = new std::vector<std::thread>; // never joined
	for (int i = 0; i < 4; i++)
		pool->emplace_back(worker);
	usleep(20000);
	return 0;
}
