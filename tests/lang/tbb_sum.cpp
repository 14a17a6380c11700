// oneTBB: a parallel reduction, then a normal exit. TBB's scheduler keeps its workers in a
// global market that it tears down at exit, so nothing must be reported.
#include <tbb/blocked_range.h>
#include <tbb/parallel_reduce.h>

#include <cstdio>
#include <functional>

int main()
{
	double s = tbb::parallel_reduce(
	    tbb::blocked_range<long>(0, 20000000), 0.0,
	    [](const tbb::blocked_range<long> &r, double a) {
		    for (long i = r.begin(); i < r.end(); i++)
			    a += i * 0.5;
		    return a;
	    },
	    std::plus<double>());
	std::printf("%.1f\n", s);
	return 0;
}
