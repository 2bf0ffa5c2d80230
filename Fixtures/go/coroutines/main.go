// coroutines writes a trace of iter.Pull coroutines: the runtime switches goroutines directly
// (GoCreateBlocked, GoSwitch, GoSwitchDestroy; trace format 1.23 and later).
// Usage: coroutines OUT.trace
package main

import (
	"iter"
	"os"
	"runtime/trace"
	"time"
)

func numbers(n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := 0; i < n; i++ {
			if i%10 == 0 {
				time.Sleep(200 * time.Microsecond)
			}
			if !yield(i) {
				return
			}
		}
	}
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
	sum := 0
	for round := 0; round < 3; round++ {
		next, stop := iter.Pull(numbers(50))
		for {
			v, ok := next()
			if !ok {
				break
			}
			sum += v
		}
		stop()
	}
	// One coroutine stopped early: its goroutine is destroyed from a switch.
	next, stop := iter.Pull(numbers(50))
	next()
	stop()
	trace.Stop()
	if sum != 3*1225 {
		panic("bad sum")
	}
}
