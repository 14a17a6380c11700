// Detached std::threads running lambdas that call an always_inline function, built at -O0
// (tests/lang/test_cpp_inline.py): GCC puts a lambda's body inside main's debug entry,
// outside main's ranges, and the inlined call must still be a frame of its own. Also a lambda
// written in an if's block and one in a loop: their bodies are inside that block's entry.
#include <thread>
#include <unistd.h>

static int fds[2];

static inline __attribute__((always_inline)) void wait_byte()
{
	char c;
	if (read(fds[0], &c, 1) < 0) // INLINED_READ
		return;
}

int main(int argc, char **argv)
{
	(void)argv;
	if (pipe(fds) != 0)
		return 2;
	std::thread t([] {
		wait_byte(); // LAMBDA_CALL
	});
	t.detach();
	if (argc > 0) {
		std::thread([] {
			wait_byte(); // BLOCK_CALL
		}).detach();
	}
	for (int i = 0; i < argc; i++)
		std::thread([] {
			wait_byte(); // LOOP_CALL
		}).detach();
	usleep(20000);
	return 0;
}
