// expvarsvc serves expvar (/debug/vars, with runtime.MemStats) on loopback while churning the heap,
// and publishes its goroutine count. It exits by itself after the given number of seconds.
// Captured with: ./expvarsvc 127.0.0.1:16061 5 & memtrace collect go --url http://127.0.0.1:16061/debug/vars --interval 200 --duration 3
package main

import (
	"expvar"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"time"
)

func main() {
	addr, secs := os.Args[1], os.Args[2]
	n, _ := strconv.Atoi(secs)
	expvar.Publish("goroutines", expvar.Func(func() any { return runtime.NumGoroutine() }))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		panic(err)
	}
	go http.Serve(ln, nil)
	window := make([][]byte, 0, 512)
	deadline := time.Now().Add(time.Duration(n) * time.Second)
	for time.Now().Before(deadline) {
		window = append(window, make([]byte, 32<<10))
		if len(window) == cap(window) {
			window = window[256:]
		}
		time.Sleep(50 * time.Microsecond)
	}
}
