// pingserver ports the article's server: an HTTP /ping handler behind a middleware that takes a
// runtime/trace FlightRecorder snapshot when a request takes longer than 500 ms. Unlike the
// article it is deterministic and terminates by itself: it listens on loopback only, and an
// in-process client sends a bounded number of requests (one every 100 ms) of which exactly one does
// the slow work (100 sleeps of 10 ms, then 100 goroutines on GOMAXPROCS(2), then a 1 s sleep). The
// slow request comes after more than MinAge (5 s) of fast ones, so the snapshot starts mid-stream:
// its first generation is not the program's first, like a snapshot taken in production.
// The single snapshot is written to trace.1.out in the working directory (or to -o PATH).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/trace"
	"sync/atomic"
	"time"
)

type app struct {
	fr            *trace.FlightRecorder
	snapshotCount atomic.Int32
	maxSnapshots  int32
	requests      atomic.Int32
	slowRequest   int32
	out           string
}

func doBlockingWork() {
	for i := 0; i < 100; i++ {
		time.Sleep(10 * time.Millisecond)
	}
}

func doSchedulerWork() {
	runtime.GOMAXPROCS(2)
	for i := 0; i < 100; i++ {
		go func() {
			_ = fmt.Sprintf("hello")
		}()
	}
	time.Sleep(1 * time.Second)
}

func (a *app) handlePing(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	// The article picks 1 in 3 requests at random; the fixture picks one, after a warm-up.
	if a.requests.Add(1) == a.slowRequest {
		doBlockingWork()
		doSchedulerWork()
	}
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "pong, duration=%s\n", time.Since(start))
}

func (a *app) tracingMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		next.ServeHTTP(w, r)
		if time.Since(start) > 500*time.Millisecond {
			a.takeSnapshot()
		}
	})
}

func (a *app) takeSnapshot() {
	count := a.snapshotCount.Add(1)
	if count <= a.maxSnapshots {
		var b bytes.Buffer
		if _, err := a.fr.WriteTo(&b); err != nil {
			log.Print(err)
			return
		}
		if err := os.WriteFile(a.out, b.Bytes(), 0o644); err != nil {
			log.Print(err)
		}
	}
}

func main() {
	out := flag.String("o", "trace.1.out", "snapshot path")
	requests := flag.Int("n", 74, "requests the client sends")
	slow := flag.Int("slow", 70, "which request (1-based) does the slow work")
	flag.Parse()

	fr := trace.NewFlightRecorder(trace.FlightRecorderConfig{MinAge: 5 * time.Second})
	if err := fr.Start(); err != nil {
		log.Fatal(err)
	}
	defer fr.Stop()
	a := &app{fr: fr, maxSnapshots: 1, out: *out, slowRequest: int32(*slow)}

	mux := http.NewServeMux()
	mux.Handle("/ping", a.tracingMiddleware(http.HandlerFunc(a.handlePing)))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)

	url := "http://" + ln.Addr().String() + "/ping"
	client := &http.Client{Timeout: 10 * time.Second}
	for i := 0; i < *requests; i++ {
		resp, err := client.Get(url)
		if err != nil {
			log.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		time.Sleep(100 * time.Millisecond)
	}
	srv.Close()
	if a.snapshotCount.Load() == 0 {
		log.Fatal("no snapshot taken")
	}
}
