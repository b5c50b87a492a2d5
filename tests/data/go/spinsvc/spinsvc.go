// spinsvc is the ground-truth workload for spin detection (seed 002). It serves expvar and plain
// HTTP on loopback with a client driving ~200 requests/s (a healthy netpoller: epoll_pwait with
// timeout 0 from the scheduler's non-blocking polls, and blocking waits), then for a while one
// goroutine spins on epoll_pwait(timeout 0) over an empty epoll set with ~100 µs of busy work between
// calls (CPU pinned, nothing ever ready, goroutine count flat), then idles. One JSON line per phase
// on stdout: {"phase":"spin","ts_ns":1795…}.
package main

import (
	"encoding/json"
	"expvar"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"time"
	"unsafe"
)

func phase(name string) {
	line, _ := json.Marshal(map[string]any{"phase": name, "ts_ns": time.Now().UnixNano()})
	os.Stdout.Write(append(line, '\n'))
}

var spinSink uint64

func busy(d time.Duration) {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		spinSink++
	}
}

func main() {
	addr := os.Args[1]
	spinSecs, _ := strconv.ParseFloat(os.Args[2], 64)
	expvar.Publish("goroutines", expvar.Func(func() any { return runtime.NumGoroutine() }))
	http.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello\n") })
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		panic(err)
	}
	go http.Serve(ln, nil)
	phase("healthy")
	stop := make(chan struct{})
	go func() {
		client := &http.Client{}
		for {
			select {
			case <-stop:
				return
			default:
			}
			if resp, err := client.Get("http://" + addr + "/hello"); err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	time.Sleep(3 * time.Second)

	epfd, err := syscall.EpollCreate1(0)
	if err != nil {
		panic(err)
	}
	var events [128]syscall.EpollEvent
	phase("spin")
	end := time.Now().Add(time.Duration(spinSecs * float64(time.Second)))
	for time.Now().Before(end) {
		// The netpoller's own call: epoll_pwait(epfd, events, 128, timeout 0, sigmask NULL).
		syscall.Syscall6(syscall.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])), 128, 0, 0, 0)
		busy(100 * time.Microsecond)
	}
	phase("idle")
	close(stop)
	time.Sleep(3 * time.Second)
	phase("exit")
}
