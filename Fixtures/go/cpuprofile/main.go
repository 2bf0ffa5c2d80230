// cpuprofile writes a full trace (runtime/trace.Start) of ~3 s with CPU profiling on, and
// goroutines that exist before the trace starts:
//   - consume: waits on a channel, woken by the main loop all along;
//   - pipeReader: in a raw read(2) of a pipe (a syscall, not the network poller) from before
//     the trace until 1.5 s into it, then waits on a channel;
//   - lateWaiter: waits on a channel from before the trace until 1.5 s into it, then on another.
// runtime/pprof.profileWriter spends the trace blocked in the runtime's profile read (a
// blocking syscall for the trace: Go's analysis counts it as syscall block time).
// In Go 1.22 traces goroutine statuses carry no stacks, so pipeReader's and lateWaiter's
// first stacks come after the first generation (traces are cut into ~1 s generations).
// Usage: cpuprofile OUT.trace
package main

import (
	"os"
	"runtime/pprof"
	"runtime/trace"
	"syscall"
	"time"
)

func main() {
	work := make(chan int)
	done := make(chan struct{})
	go consume(work, done)
	var pipe [2]int
	if err := syscall.Pipe(pipe[:]); err != nil {
		panic(err)
	}
	finished := make(chan struct{})
	go pipeReader(pipe[0], finished)
	late := make(chan struct{})
	go lateWaiter(late, finished)
	time.Sleep(20 * time.Millisecond)

	out, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	if err := trace.Start(out); err != nil {
		panic(err)
	}
	profile, err := os.Create(os.DevNull)
	if err != nil {
		panic(err)
	}
	if err := pprof.StartCPUProfile(profile); err != nil {
		panic(err)
	}
	go func() {
		time.Sleep(1500 * time.Millisecond)
		syscall.Write(pipe[1], []byte{1})
		close(late)
	}()
	deadline := time.Now().Add(3 * time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		work <- 1 + i%5
		time.Sleep(20 * time.Millisecond)
	}
	close(work)
	<-done
	close(finished)
	pprof.StopCPUProfile()
	trace.Stop()
	out.Close()
}

func consume(work chan int, done chan struct{}) {
	sum := 0
	for n := range work {
		sum += spin(n)
	}
	_ = sum
	close(done)
}

func spin(n int) int {
	x := 0
	for i := 0; i < n*100000; i++ {
		x += i ^ (x >> 3)
	}
	return x
}

func pipeReader(fd int, finished chan struct{}) {
	var b [1]byte
	syscall.Read(fd, b[:])
	<-finished
}

func lateWaiter(late, finished chan struct{}) {
	<-late
	<-finished
}
