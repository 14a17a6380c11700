// C++ names and inlined frames at -O2 (built with g++ and, when present, clang++): the seed
// written the way C++ code is, a class template channel in a namespace, detached std::threads
// running a lambda. At -O2 Channel<int>::send and the lambda are inlined into
// std::thread::_State_impl<...>::_M_run, and submit() into main: the report must still name
// them, demangled (app::Channel<int>::send, app::submit(int)::{lambda()#1}::operator()).
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>

namespace app
{

template <class T> class Channel
{
      public:
	void send(T v)
	{
		std::unique_lock<std::mutex> lk(mu_);
		taken_.wait(lk, [&] { return !full_; }); // one value at a time
		value_ = v;
		full_ = true;
		sent_.notify_all();
		auto ours_taken = [&] { return !(full_ && value_ == v); };
		taken_.wait(lk, ours_taken); // rendezvous: wait until ours is taken
	}
	T recv()
	{
		std::unique_lock<std::mutex> lk(mu_);
		sent_.wait(lk, [&] { return full_; });
		full_ = false;
		taken_.notify_all();
		return value_;
	}

      private:
	std::mutex mu_;
	std::condition_variable sent_, taken_;
	T value_{};
	bool full_ = false;
};

int submit(int round)
{
	// like a Go channel nobody reads any more: it stays alive, the senders stay blocked
	auto *ch = new Channel<int>;
	for (int i = 0; i < 4; i++) {
		// a sender: blocks forever for all but one
		auto sender = [ch, round, i] { ch->send(round * 10 + i + 1); };
		std::thread(sender).detach();
	}
	return ch->recv(); // the first answer wins; nobody reads the others
}

} // namespace app

int main()
{
	int sum = 0;
	for (int round = 0; round < 5; round++)
		sum += app::submit(round) > 0;
	std::printf("got %d answers\n", sum);
	return 0;
}
