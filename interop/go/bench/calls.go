package main

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const smallMsg = "Quorum"

// percentiles of latencies in microseconds (nearest rank).
func percentiles(us []float64) map[string]any {
	sort.Float64s(us)
	at := func(p float64) float64 {
		i := int(p*float64(len(us))+0.5) - 1
		if i < 0 {
			i = 0
		}
		if i >= len(us) {
			i = len(us) - 1
		}
		return us[i]
	}
	sum := 0.0
	for _, v := range us {
		sum += v
	}
	return map[string]any{
		"calls": len(us), "p50_us": at(0.50), "p90_us": at(0.90), "p99_us": at(0.99),
		"p999_us": at(0.999), "max_us": us[len(us)-1], "mean_us": sum / float64(len(us)),
	}
}

// runLatency: sequential Greeting calls with a small message, after warm-up.
func runLatency(o options) (map[string]any, error) {
	s, err := startPlugin(o)
	if err != nil {
		return nil, err
	}
	s.anon = sampleAnon(s.cmd.Process.Pid)
	want := "Hello " + smallMsg + "!"
	for i := 0; i < o.warmup; i++ {
		if _, err := greet(s.svc, smallMsg); err != nil {
			s.stop()
			return nil, err
		}
	}
	us := make([]float64, 0, o.n)
	for i := 0; i < o.n; i++ {
		t := time.Now()
		got, err := greet(s.svc, smallMsg)
		us = append(us, float64(time.Since(t).Nanoseconds())/1000)
		if err != nil || got != want {
			s.stop()
			return nil, fmt.Errorf("call %d: %q, %v", i, got, err)
		}
	}
	out := percentiles(us)
	for k, v := range s.stop() {
		out[k] = v
	}
	return out, nil
}

// closedLoop keeps c calls in flight for d and returns completed calls per second.
func closedLoop(s *started, c int, d time.Duration) (float64, int64, error) {
	var done atomic.Int64
	var firstErr atomic.Value
	stopAt := time.Now().Add(d)
	var wg sync.WaitGroup
	t0 := time.Now()
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stopAt) {
				if _, err := greet(s.svc, smallMsg); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(t0).Seconds()
	if e, ok := firstErr.Load().(error); ok {
		return 0, 0, e
	}
	return float64(done.Load()) / elapsed, done.Load(), nil
}

// runThroughput: for each concurrency, a warm-up of d/4 then d measured.
func runThroughput(o options) (map[string]any, error) {
	s, err := startPlugin(o)
	if err != nil {
		return nil, err
	}
	s.anon = sampleAnon(s.cmd.Process.Pid)
	var rates []map[string]any
	for _, c := range o.conc {
		if _, _, err := closedLoop(s, c, o.duration/4); err != nil {
			s.stop()
			return nil, err
		}
		rate, calls, err := closedLoop(s, c, o.duration)
		if err != nil {
			s.stop()
			return nil, err
		}
		rates = append(rates, map[string]any{"concurrency": c, "calls": calls, "per_sec": rate})
	}
	out := map[string]any{"rates": rates}
	for k, v := range s.stop() {
		out[k] = v
	}
	return out, nil
}

// runBig: o.n sequential round trips of an o.size-byte message (after 2 warm-ups).
func runBig(o options) (map[string]any, error) {
	s, err := startPlugin(o)
	if err != nil {
		return nil, err
	}
	s.anon = sampleAnon(s.cmd.Process.Pid)
	msg := strings.Repeat("x", o.size)
	want := len(msg) + len("Hello !")
	var us []float64
	for i := -2; i < o.n; i++ {
		t := time.Now()
		got, err := greet(s.svc, msg)
		if err != nil || len(got) != want {
			s.stop()
			return nil, fmt.Errorf("big call %d: %d bytes, %v", i, len(got), err)
		}
		if i >= 0 {
			us = append(us, float64(time.Since(t).Nanoseconds())/1000)
		}
	}
	out := percentiles(us)
	out["size"] = o.size
	for k, v := range s.stop() {
		out[k] = v
	}
	return out, nil
}
