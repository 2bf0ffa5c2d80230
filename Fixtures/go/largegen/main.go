// largegen writes a large execution trace for performance measurements (not committed: about
// 60 MB by default). Workers ping-pong over channels, sleep, make syscalls and spawn short-lived
// goroutines until the trace reaches the requested size.
// Usage: largegen -o big.trace -mb 60
package main

import (
	"flag"
	"os"
	"runtime"
	"runtime/trace"
	"sync"
	"sync/atomic"
	"time"
)

type countingWriter struct {
	f *os.File
	n atomic.Int64
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n.Add(int64(len(p)))
	return w.f.Write(p)
}

func main() {
	out := flag.String("o", "big.trace", "output trace")
	mb := flag.Int64("mb", 60, "stop once the trace has this many MiB")
	flag.Parse()
	f, err := os.Create(*out)
	if err != nil {
		panic(err)
	}
	defer f.Close()
	w := &countingWriter{f: f}
	runtime.GOMAXPROCS(4)
	if err := trace.Start(w); err != nil {
		panic(err)
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		a, b := make(chan int), make(chan int)
		wg.Add(2)
		go func() {
			defer wg.Done()
			for n := 0; !stop.Load(); n++ {
				a <- n
				<-b
			}
			close(a)
		}()
		go func() {
			defer wg.Done()
			for n := range a {
				b <- n
			}
		}()
	}
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				time.Sleep(50 * time.Microsecond)
				var inner sync.WaitGroup
				for j := 0; j < 4; j++ {
					inner.Add(1)
					go func() { defer inner.Done(); _ = make([]byte, 512) }()
				}
				inner.Wait()
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		buf := make([]byte, 1)
		r, wp, _ := os.Pipe()
		for !stop.Load() {
			wp.Write(buf)
			r.Read(buf)
		}
	}()
	limit := *mb << 20
	for w.n.Load() < limit {
		time.Sleep(20 * time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	trace.Stop()
}
