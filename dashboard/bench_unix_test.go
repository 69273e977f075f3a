//go:build unix

package dashboard

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSSE100Clients holds 100 event-stream clients open on the
// 10-year database and reports the CPU the whole process (server and the
// in-process clients together) spends per second, as a percentage of one
// core. Each iteration is one event delivered to every client.
func BenchmarkSSE100Clients(b *testing.B) {
	const clients = 100
	base, s := benchServer(b, Options{StreamInterval: time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	client := &http.Client{Transport: tr}
	defer tr.CloseIdleConnections()
	got := make(chan int, clients*4)
	for i := 0; i < clients; i++ {
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/stream", nil)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		go func() { // ends when ctx cancels the request
			defer resp.Body.Close()
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				if strings.HasPrefix(sc.Text(), "data: ") {
					select {
					case got <- 1:
					case <-ctx.Done():
						return
					}
				}
			}
		}()
	}
	for s.hub.subscribers() < clients {
		time.Sleep(10 * time.Millisecond)
	}
	// Drain the first (immediate) events.
	for i := 0; i < clients; i++ {
		<-got
	}
	b.ResetTimer()
	cpu0, wall0 := cpuTime(), time.Now()
	for i := 0; i < b.N; i++ {
		for j := 0; j < clients; j++ {
			<-got
		}
	}
	cpu, wall := cpuTime()-cpu0, time.Since(wall0)
	b.StopTimer()
	b.ReportMetric(100*cpu.Seconds()/wall.Seconds(), "%core")
	b.ReportMetric(float64(clients), "clients")
}
