// The seed in C++: a rendezvous channel (mutex + condition variables, a sender waits until its
// own value is taken), detached std::thread senders started by submit() through a lambda.
// submit() takes the first answer and returns; the other 3 senders stay blocked in
// Channel<int>::send(int) forever. main() calls submit() 5 times: 15 leaks, status 0.
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

template <typename T> class Channel {
public:
	void send(T v)
	{
		std::unique_lock<std::mutex> lock(mu_);
		while (full_) // one value at a time
			taken_.wait(lock);
		value_ = v;
		full_ = true;
		sent_.notify_all();
		while (full_ && value_ == v) // rendezvous: wait until ours is taken
			taken_.wait(lock);
	}

	T recv()
	{
		std::unique_lock<std::mutex> lock(mu_);
		while (!full_)
			sent_.wait(lock);
		T v = value_;
		full_ = false;
		taken_.notify_all();
		return v;
	}

private:
	std::mutex mu_;
	std::condition_variable sent_, taken_;
	T value_{};
	bool full_ = false;
};

static int submit(int round)
{
	auto *ch = new Channel<int>; // never freed: the leaked senders still use it
	for (int i = 0; i < 4; i++) {
		int v = round * 10 + i + 1;
		std::thread([ch, v] { ch->send(v); }).detach(); // SPAWN: blocks forever for all but one
	}
	return ch->recv(); // the first answer wins; nobody reads the others
}

int main()
{
	int sum = 0;
	for (int round = 0; round < 5; round++)
		sum += submit(round) > 0; // CALL_SUBMIT
	std::printf("got %d answers\n", sum);
	return 0;
}
