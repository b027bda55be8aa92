package main

import (
	"sync/atomic"
	"time"
)

// anonPeak samples a process's RssAnon. VmHWM is the peak of every resident
// page, and for a Node.js process most of those are the node executable's own
// file pages (clean, shared by every process running it); RssAnon is the
// memory the process allocated itself. /proc keeps no peak of it, so it is
// read every 50 ms and the highest value kept: a lower bound of the true peak.
type anonPeak struct {
	max  atomic.Int64
	stop chan struct{}
	done chan struct{}
}

func sampleAnon(pid int) *anonPeak {
	p := &anonPeak{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			if kb := int64(procStatusKB(pid, "RssAnon")); kb > p.max.Load() {
				p.max.Store(kb)
			}
			select {
			case <-p.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return p
}

// finish stops the sampling and returns the peak in kB.
func (p *anonPeak) finish() int64 {
	close(p.stop)
	<-p.done
	return p.max.Load()
}
