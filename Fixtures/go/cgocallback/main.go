// cgocallback writes a trace in which C threads call into Go: the runtime reports those calls as
// goroutines created in a syscall (GoCreateSyscall) that end in one (GoDestroySyscall), the
// least common goroutine lifecycle. Needs cgo (gcc). Usage: cgocallback OUT.trace
package main

/*
#include <pthread.h>
#include <unistd.h>
extern void goCallback(int);
static void* worker(void* arg) {
	for (int i = 0; i < 5; i++) {
		goCallback((int)(long)arg);
		usleep(2000);
	}
	return 0;
}
static void runThreads(int n) {
	pthread_t t[8];
	for (int i = 0; i < n && i < 8; i++) pthread_create(&t[i], 0, worker, (void*)(long)i);
	for (int i = 0; i < n && i < 8; i++) pthread_join(t[i], 0);
}
*/
import "C"

import (
	"os"
	"runtime/trace"
	"sync/atomic"
	"time"
)

var calls atomic.Int64

//export goCallback
func goCallback(i C.int) {
	calls.Add(1)
	time.Sleep(100 * time.Microsecond)
}

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	defer f.Close()
	if err := trace.Start(f); err != nil {
		panic(err)
	}
	C.runThreads(3)
	trace.Stop()
	if calls.Load() != 15 {
		panic("missing callbacks")
	}
}
