// A detached std::thread running a lambda that calls an always_inline function, built at -O0
// (tests/lang/test_cpp_inline.py): GCC puts the lambda's body inside main's debug entry,
// outside main's ranges, and the inlined call must still be a frame of its own.
#include <thread>
#include <unistd.h>

static int fds[2];

static inline __attribute__((always_inline)) void wait_byte()
{
	char c;
	if (read(fds[0], &c, 1) < 0) // INLINED_READ
		return;
}

int main()
{
	if (pipe(fds) != 0)
		return 2;
	std::thread t([] {
		wait_byte(); // LAMBDA_CALL
	});
	t.detach();
	usleep(20000);
	return 0;
}
