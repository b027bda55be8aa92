package main

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// procStatusKB reads a "<key>: N kB" line of /proc/<pid>/status (0 if unknown).
func procStatusKB(pid int, key string) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	return 0
}

func openFDs() int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0
	}
	return len(entries)
}

// selfMaxRSSKB is this process's VmHWM. getrusage's maxrss would be no
// better than the bench's own peak: Linux carries a parent's maxrss into the
// child across fork and exec.
func selfMaxRSSKB() int64 {
	if kb := procStatusKB(os.Getpid(), "VmHWM"); kb > 0 {
		return int64(kb)
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Maxrss
}

// runScale starts o.n plugins at once, reports the time until all are ready
// and what each live plugin costs the host, then kills them all at once.
func runScale(o options) (map[string]any, error) {
	runtime.GC()
	rss0, fds0 := procStatusKB(os.Getpid(), "VmRSS"), openFDs()
	all := make([]*started, o.n)
	errs := make([]error, o.n)
	var wg sync.WaitGroup
	t0 := time.Now()
	for i := range all {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			all[i], errs[i] = startPlugin(o)
		}(i)
	}
	wg.Wait()
	readyMs := ms(time.Since(t0))
	runtime.GC()
	rss1, fds1 := procStatusKB(os.Getpid(), "VmRSS"), openFDs()
	pluginRSS, failed := 0, 0
	var firstErr string
	for i, s := range all {
		if errs[i] != nil {
			failed++
			if firstErr == "" {
				firstErr = errs[i].Error()
			}
			continue
		}
		pluginRSS += procStatusKB(s.cmd.Process.Pid, "VmRSS")
	}
	live := o.n - failed
	cpu0 := cpuMs()
	t1 := time.Now()
	exited := 0
	killMax := 0.0
	var mu sync.Mutex
	for _, s := range all {
		if s == nil {
			continue
		}
		wg.Add(1)
		go func(s *started) {
			defer wg.Done()
			s.client.Kill()
			d := ms(time.Since(t1))
			mu.Lock()
			killMax = max(killMax, d)
			mu.Unlock()
			if s.client.Exited() {
				mu.Lock()
				exited++
				mu.Unlock()
			}
		}(s)
	}
	wg.Wait()
	killMs := ms(time.Since(t1))
	killCPU := cpuMs() - cpu0
	time.Sleep(200 * time.Millisecond) // let closed connections release their fds
	fds2 := openFDs()
	alive := 0
	for _, s := range all {
		if s != nil && syscall.Kill(s.cmd.Process.Pid, 0) == nil {
			alive++
		}
	}
	per := func(d int) float64 {
		if live == 0 {
			return 0
		}
		return float64(d) / float64(live)
	}
	return map[string]any{
		"plugins": o.n, "ready": live, "failed": failed, "first_error": firstErr,
		"all_ready_ms": readyMs, "kill_all_ms": killMs, "kill_max_ms": killMax, "kill_cpu_ms": killCPU, "exited": exited, "alive_after_kill": alive,
		"host_rss_kb_before": rss0, "host_rss_kb_live": rss1, "host_rss_kb_per_plugin": per(rss1 - rss0),
		"fds_before": fds0, "fds_live": fds1, "fds_after_kill": fds2, "fds_per_plugin": per(fds1 - fds0),
		"plugin_rss_kb_total": pluginRSS,
	}, nil
}

// cpuMs is the CPU time (user + system, all threads) this process has used so far.
func cpuMs() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e6
}
