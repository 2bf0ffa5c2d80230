// workload writes a small execution trace (runtime/trace.Start) exercising the goroutine states the
// reader maps: running, runnable (more goroutines than Ps), blocked for several reasons (sleep,
// channels, select, sync.Mutex, WaitGroup, network), system calls, user tasks/regions/logs, and a GC.
// Usage: workload OUT.trace
package main

import (
	"context"
	"io"
	"net"
	"os"
	"runtime"
	"runtime/trace"
	"sync"
	"time"
)

var sink []byte

func spin(d time.Duration) {
	end := time.Now().Add(d)
	n := 0
	for time.Now().Before(end) {
		n++
	}
	_ = n
}

func sleeper(wg *sync.WaitGroup) {
	defer wg.Done()
	for i := 0; i < 5; i++ {
		time.Sleep(2 * time.Millisecond)
	}
}

func producer(ch chan<- int, wg *sync.WaitGroup) {
	defer wg.Done()
	for i := 0; i < 20; i++ {
		ch <- i
		if i%5 == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	close(ch)
}

func consumer(ch <-chan int, wg *sync.WaitGroup) {
	defer wg.Done()
	for v := range ch {
		spin(time.Duration(v%3) * 50 * time.Microsecond)
	}
}

func selector(a, b <-chan int, done <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	for {
		select {
		case <-a:
		case <-b:
		case <-done:
			return
		}
	}
}

func locker(mu *sync.Mutex, wg *sync.WaitGroup) {
	defer wg.Done()
	for i := 0; i < 10; i++ {
		mu.Lock()
		spin(200 * time.Microsecond)
		mu.Unlock()
	}
}

func fileWriter(path string, wg *sync.WaitGroup) {
	defer wg.Done()
	f, err := os.Create(path)
	if err != nil {
		panic(err)
	}
	defer os.Remove(path)
	defer f.Close()
	buf := make([]byte, 64<<10)
	for i := 0; i < 20; i++ {
		if _, err := f.Write(buf); err != nil {
			panic(err)
		}
		_ = f.Sync()
	}
}

func network(wg *sync.WaitGroup) {
	defer wg.Done()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.Copy(c, c)
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		panic(err)
	}
	defer c.Close()
	msg := []byte("ping")
	reply := make([]byte, 4)
	for i := 0; i < 10; i++ {
		c.Write(msg)
		io.ReadFull(c, reply)
		time.Sleep(500 * time.Microsecond)
	}
}

func cpuBound(wg *sync.WaitGroup) {
	defer wg.Done()
	spin(3 * time.Millisecond)
}

func annotated(ctx context.Context, wg *sync.WaitGroup) {
	defer wg.Done()
	ctx, task := trace.NewTask(ctx, "fixture.request")
	defer task.End()
	trace.Log(ctx, "phase", "start")
	trace.WithRegion(ctx, "prepare", func() {
		spin(300 * time.Microsecond)
		trace.WithRegion(ctx, "inner", func() { time.Sleep(time.Millisecond) })
	})
	_, sub := trace.NewTask(ctx, "fixture.subtask")
	r := trace.StartRegion(ctx, "work")
	for i := 0; i < 50; i++ {
		sink = make([]byte, 1<<16)
	}
	r.End()
	sub.End()
	trace.Log(ctx, "phase", "done")
}

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	defer f.Close()
	runtime.GOMAXPROCS(2)
	if err := trace.Start(f); err != nil {
		panic(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ch := make(chan int)
	a, b := make(chan int), make(chan int)
	done := make(chan struct{})
	var selWG sync.WaitGroup
	selWG.Add(1)
	go selector(a, b, done, &selWG)
	wg.Add(3)
	go sleeper(&wg)
	go producer(ch, &wg)
	go consumer(ch, &wg)
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go locker(&mu, &wg)
	}
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go cpuBound(&wg)
	}
	wg.Add(3)
	go fileWriter(os.Args[1]+".tmp", &wg)
	go network(&wg)
	go annotated(context.Background(), &wg)
	for i := 0; i < 10; i++ {
		a <- i
		b <- i
	}
	wg.Wait()
	close(done)
	selWG.Wait()
	runtime.GC()
	trace.Stop()
}
