package main

import (
	"bufio"
	"os/exec"
	"time"
)

// runStart starts and kills the plugin o.n times in this one process. The
// first sample pays this process's cold paths; the harness reports it apart.
func runStart(o options) (map[string]any, error) {
	var samples []map[string]any
	for i := 0; i < o.n; i++ {
		s, err := startPlugin(o)
		if err != nil {
			return nil, err
		}
		sample := map[string]any{}
		for k, v := range s.phases {
			sample[k] = v
		}
		for k, v := range s.stop() {
			sample[k] = v
		}
		samples = append(samples, sample)
	}
	return map[string]any{"samples": samples}, nil
}

// runExec times a plain process: spawn → first stdout line (if it prints
// one) and spawn → exit. The bare-Node baseline of scenario 2 is `node -e 0`.
func runExec(o options) (map[string]any, error) {
	var samples []map[string]any
	for i := 0; i < o.n; i++ {
		cmd := exec.Command(o.cmd[0], o.cmd[1:]...)
		out, err := cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		t0 := time.Now()
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		sample := map[string]any{}
		r := bufio.NewReader(out)
		if _, err := r.ReadString('\n'); err == nil {
			sample["first_line_ms"] = ms(time.Since(t0))
		}
		for {
			if _, err := r.ReadString('\n'); err != nil {
				break
			}
		}
		if err := cmd.Wait(); err != nil {
			return nil, err
		}
		sample["exit_ms"] = ms(time.Since(t0))
		samples = append(samples, sample)
	}
	return map[string]any{"samples": samples}, nil
}
