// requestserver is a Go service written the way Go's runtime/trace documentation suggests: a
// middleware opens one user task per request (trace.NewTask, named by the matched route) and, as
// in the flight-recorder article, writes a snapshot when a request takes longer than 500 ms. The
// handlers carry no other annotation. One GET /orders/{id} is slow for four reasons a reader of
// the snapshot should find: a call to a slow backend over loopback HTTP (network wait), 100
// goroutines pricing items on GOMAXPROCS(2) (waiting to be scheduled), a contended mutex
// (sync), and a sleep. Fast requests come before it, every 50 ms, for longer than MinAge, so the
// snapshot starts mid-stream. The single snapshot goes to trace.1.out (or -o PATH).
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/trace"
	"sync"
	"sync/atomic"
	"time"
)

type app struct {
	fr          *trace.FlightRecorder
	snapshots   atomic.Int32
	requests    atomic.Int32
	slowRequest int32
	backendURL  string
	client      *http.Client
	ledger      sync.Mutex
	out         string
}

// withRequestTask is the middleware: one user task per request, a snapshot when it is slow.
func (a *app) withRequestTask(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, task := trace.NewTask(r.Context(), r.Pattern) // "GET /orders/{id}"
		defer task.End()
		start := time.Now()
		next.ServeHTTP(w, r.WithContext(ctx))
		if time.Since(start) > 500*time.Millisecond {
			a.snapshot()
		}
	})
}

func (a *app) snapshot() {
	if a.snapshots.Add(1) > 1 {
		return
	}
	var b bytes.Buffer
	if _, err := a.fr.WriteTo(&b); err != nil {
		log.Print(err)
		return
	}
	if err := os.WriteFile(a.out, b.Bytes(), 0o644); err != nil {
		log.Print(err)
	}
}

func (a *app) handleOrder(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if a.requests.Add(1) != a.slowRequest {
		fmt.Fprintf(w, "order %s\n", id)
		return
	}
	stock := a.checkStock(r.Context(), id)
	total := a.priceItems(100)
	a.recordInLedger()
	time.Sleep(100 * time.Millisecond)
	fmt.Fprintf(w, "order %s: %s, total %d\n", id, stock, total)
}

// checkStock asks the inventory backend, which takes 150 ms to answer.
func (a *app) checkStock(ctx context.Context, id string) string {
	req, err := http.NewRequestWithContext(ctx, "GET", a.backendURL+"/stock/"+id, nil)
	if err != nil {
		log.Fatal(err)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(bytes.TrimSpace(body))
}

// priceItems prices n items, one goroutine each, on two Ps.
func (a *app) priceItems(n int) int {
	runtime.GOMAXPROCS(2)
	var wg sync.WaitGroup
	var total atomic.Int64
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			total.Add(int64(price(i)))
		}()
	}
	wg.Wait()
	return int(total.Load())
}

// price spins for about 2 ms.
func price(i int) int {
	deadline := time.Now().Add(2 * time.Millisecond)
	x := i
	for time.Now().Before(deadline) {
		x = x*1664525 + 1013904223
	}
	return x & 0xff
}

// recordInLedger waits for the ledger, which a bookkeeping goroutine holds for 80 ms.
func (a *app) recordInLedger() {
	held := make(chan struct{})
	go func() {
		a.ledger.Lock()
		close(held)
		time.Sleep(80 * time.Millisecond)
		a.ledger.Unlock()
	}()
	<-held
	a.ledger.Lock()
	a.ledger.Unlock()
}

func serve(handler http.Handler) (string, *http.Server) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: handler}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), srv
}

func main() {
	out := flag.String("o", "trace.1.out", "snapshot path")
	requests := flag.Int("n", 34, "requests the client sends")
	slow := flag.Int("slow", 30, "which request (1-based) is slow")
	flag.Parse()

	fr := trace.NewFlightRecorder(trace.FlightRecorderConfig{MinAge: time.Second})
	if err := fr.Start(); err != nil {
		log.Fatal(err)
	}
	defer fr.Stop()

	backend := http.NewServeMux()
	backend.HandleFunc("GET /stock/{id}", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(150 * time.Millisecond)
		fmt.Fprintln(w, "in stock")
	})
	backendURL, backendServer := serve(backend)

	a := &app{fr: fr, slowRequest: int32(*slow), backendURL: backendURL, out: *out,
		client: &http.Client{Timeout: 10 * time.Second}}
	mux := http.NewServeMux()
	mux.Handle("GET /orders/{id}", a.withRequestTask(http.HandlerFunc(a.handleOrder)))
	url, srv := serve(mux)

	client := &http.Client{Timeout: 10 * time.Second}
	for i := 1; i <= *requests; i++ {
		resp, err := client.Get(fmt.Sprintf("%s/orders/%d", url, i))
		if err != nil {
			log.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		time.Sleep(50 * time.Millisecond)
	}
	srv.Close()
	backendServer.Close()
	if a.snapshots.Load() == 0 {
		log.Fatal("no snapshot taken")
	}
}
