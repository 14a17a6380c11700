// A cgo program under threadleak. The Go runtime starts its threads (Ms) through
// runtime/cgo's _cgo_try_pthread_create and never ends them. argv[1]:
//
//	return  goroutines, then main returns: Go exits by the exit_group system call, so no
//	        exit handler runs and nothing is checked
//	exit    goroutines, then C's exit(0): the check runs with the runtime's threads alive
//	leak    as exit, after a cgo function started a pthread that waits forever on a pipe
package main

/*
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int never[2];

static void *user_worker(void *arg)
{
	char c;
	read(never[0], &c, 1); // marker: user_worker blocks
	return arg;
}

static int user_leak(void)
{
	pthread_t t;
	if (pipe(never) != 0)
		return -1;
	return pthread_create(&t, NULL, user_worker, NULL); // marker: user pthread_create
}

static void c_exit(int status)
{
	fflush(stdout);
	exit(status);
}
*/
import "C"

import (
	"fmt"
	"os"
	"sync"
)

func main() {
	mode := "return"
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	var wg sync.WaitGroup
	sums := make([]int, 8)
	for i := range sums {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 2000000; j++ {
				sums[i] += (i * j) % 7
			}
		}(i)
	}
	wg.Wait()
	total := 0
	for _, s := range sums {
		total += s
	}
	if mode == "leak" {
		C.user_leak()
	}
	fmt.Println(total)
	if mode != "return" {
		C.c_exit(0)
	}
}
