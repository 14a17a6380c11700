// A Go shared library (-buildmode=c-shared) loaded by a C program (Python's ctypes in the
// test): loading it starts the Go runtime and its threads, which stay until the process
// ends. GoSum runs goroutines; GoLeak calls C code that starts a pthread waiting forever.
package main

/*
#include <pthread.h>
#include <unistd.h>

static int never[2];

static void *shared_worker(void *arg)
{
	char c;
	read(never[0], &c, 1);
	return arg;
}

static int shared_leak(void)
{
	pthread_t t;
	if (pipe(never) != 0)
		return -1;
	return pthread_create(&t, NULL, shared_worker, NULL);
}
*/
import "C"

import "sync"

//export GoSum
func GoSum(n C.int) C.long {
	var wg sync.WaitGroup
	parts := make([]int64, 4)
	for i := range parts {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < int(n); j++ {
				parts[i] += int64((i * j) % 5)
			}
		}(i)
	}
	wg.Wait()
	return C.long(parts[0] + parts[1] + parts[2] + parts[3])
}

//export GoLeak
func GoLeak() C.int {
	return C.shared_leak()
}

func main() {}
