// Command yamux-peer is the Go side of the TypeScript yamux interop tests: a
// hashicorp/yamux v0.1.2 session over a unix socket.
//
// As -role server it listens on -socket and serves one connection; as
// -role client it dials -socket. Either way it echoes back every stream the
// peer opens (-accept of them), opens -open streams of its own that each send
// -size random bytes, half-close and verify the echo, and pings the peer
// -pings times. Progress is reported as JSON lines on stdout; failures go to
// stderr with exit status 1.
//
// When its work is done a client sends GoAway and closes the session; a
// server waits for the peer to close it. Either exits 0.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"net"
	"os"
	"sync"
	"time"

	"github.com/hashicorp/yamux"
)

var stdoutMu sync.Mutex

// report writes one JSON event line on stdout.
func report(event string, fields map[string]any) {
	if fields == nil {
		fields = map[string]any{}
	}
	fields["event"] = event
	line, _ := json.Marshal(fields)
	stdoutMu.Lock()
	defer stdoutMu.Unlock()
	fmt.Println(string(line))
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "yamux-peer: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	role := flag.String("role", "server", "yamux role: server (listens) or client (dials)")
	socket := flag.String("socket", "", "unix socket path")
	open := flag.Int("open", 0, "streams to open towards the peer")
	size := flag.Int("size", 1<<20, "bytes to send on each opened stream")
	accept := flag.Int("accept", 0, "streams the peer will open, to echo")
	pings := flag.Int("pings", 0, "pings to send")
	keepAlive := flag.Duration("keepalive", 30*time.Second, "yamux keepalive interval")
	timeout := flag.Duration("timeout", 20*time.Second, "give up after this long")
	flag.Parse()
	if *socket == "" {
		fail("-socket is required")
	}
	time.AfterFunc(*timeout, func() { fail("timed out after %s", *timeout) })

	cfg := yamux.DefaultConfig()
	cfg.KeepAliveInterval = *keepAlive
	cfg.LogOutput = os.Stderr

	var session *yamux.Session
	switch *role {
	case "server":
		ln, err := net.Listen("unix", *socket)
		if err != nil {
			fail("listen: %v", err)
		}
		report("listening", map[string]any{"socket": *socket})
		conn, err := ln.Accept()
		if err != nil {
			fail("accept connection: %v", err)
		}
		ln.Close()
		if session, err = yamux.Server(conn, cfg); err != nil {
			fail("yamux server: %v", err)
		}
	case "client":
		conn, err := net.Dial("unix", *socket)
		if err != nil {
			fail("dial: %v", err)
		}
		if session, err = yamux.Client(conn, cfg); err != nil {
			fail("yamux client: %v", err)
		}
	default:
		fail("-role must be server or client, not %q", *role)
	}

	var wg sync.WaitGroup
	wg.Add(*accept + *open)
	go func() {
		for i := 0; i < *accept; i++ {
			stream, err := session.AcceptStream()
			if err != nil {
				fail("accept stream %d: %v", i, err)
			}
			go echo(stream, &wg)
		}
	}()
	for i := 0; i < *open; i++ {
		go sendAndVerify(session, i, *size, &wg)
	}
	for i := 0; i < *pings; i++ {
		rtt, err := session.Ping()
		if err != nil {
			fail("ping %d: %v", i, err)
		}
		report("ping", map[string]any{"rttMicros": rtt.Microseconds()})
	}
	wg.Wait()
	report("done", map[string]any{"streams": session.NumStreams()})

	if *role == "client" {
		if err := session.GoAway(); err != nil {
			fail("go away: %v", err)
		}
		// Closing at once can cut off frames the peer has not read yet (its window
		// updates then fail with EPIPE and the rest of its input is lost); give it
		// a moment to read what it was sent, or to close first.
		select {
		case <-session.CloseChan():
		case <-time.After(time.Second):
		}
		if err := session.Close(); err != nil {
			fail("close: %v", err)
		}
	} else {
		<-session.CloseChan()
	}
	report("closed", nil)
}

// echo copies a peer-opened stream back until the peer half-closes, then closes ours.
func echo(stream *yamux.Stream, wg *sync.WaitGroup) {
	defer wg.Done()
	n, err := io.Copy(stream, stream)
	if err != nil {
		fail("echo stream %d: %v", stream.StreamID(), err)
	}
	if err := stream.Close(); err != nil {
		fail("close echoed stream %d: %v", stream.StreamID(), err)
	}
	report("echoed", map[string]any{"stream": stream.StreamID(), "bytes": n})
}

// sendAndVerify opens a stream, sends random bytes, half-closes and checks the peer echoes them.
func sendAndVerify(session *yamux.Session, index, size int, wg *sync.WaitGroup) {
	defer wg.Done()
	stream, err := session.OpenStream()
	if err != nil {
		fail("open stream %d: %v", index, err)
	}
	payload := make([]byte, size)
	rand.New(rand.NewSource(int64(index) + 1)).Read(payload)
	writeErr := make(chan error, 1)
	go func() {
		_, err := stream.Write(payload)
		if err == nil {
			err = stream.Close()
		}
		writeErr <- err
	}()
	got, err := io.ReadAll(stream)
	if err != nil {
		fail("read echo on stream %d: %v", stream.StreamID(), err)
	}
	if err := <-writeErr; err != nil {
		fail("write stream %d: %v", stream.StreamID(), err)
	}
	if !bytes.Equal(got, payload) {
		fail("stream %d: echo of %d bytes differs from the %d bytes sent", stream.StreamID(), len(got), len(payload))
	}
	report("verified", map[string]any{"stream": stream.StreamID(), "bytes": len(got)})
}
