// oomsvc is the ground-truth workload for RSS-gap attribution. It serves expvar on loopback, churns
// ~70 MB/s of short-lived garbage the whole time, and walks through phases, printing one JSON line
// per phase to stdout with the realtime clock (the ground truth the tests compare against):
//
//	{"phase":"cgo_alloc","ts_ns":1795…,"bytes":50331648}
//
// cgo_alloc: 48 MiB from C malloc, every page touched, held for a while, then cgo_free.
// goroutines: a few thousand goroutines that grow their stacks to ~32 KiB and sleep.
// leak: 8 MiB retained every 200 ms until the memory cgroup's limit kills the process.
// Run it inside a 512 MiB memcg; see README.md next to it for the exact capture commands. An optional third
// argument divides every pause (a speed-up for live tests; the fixtures ran with none).
package main

/*
#include <stdlib.h>
#include <string.h>
static void* grab(size_t n) { void* p = malloc(n); if (p) memset(p, 0x5a, n); return p; }
*/
import "C"

import (
	"encoding/json"
	"expvar"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"time"
	"unsafe"
)

func phase(name string, bytes int64) {
	line, _ := json.Marshal(map[string]any{"phase": name, "ts_ns": time.Now().UnixNano(), "bytes": bytes})
	os.Stdout.Write(append(line, '\n'))
}

//go:noinline
func deep(n int, pad [1024]byte) byte {
	if n == 0 {
		return pad[0]
	}
	return deep(n-1, pad) + pad[n%1024]
}

var sink [][]byte
var leaked [][]byte

func churn() {
	// 64 KiB every ~0.9 ms ≈ 70 MB/s of garbage, with a 4 MiB live window.
	for {
		sink = append(sink, make([]byte, 64<<10))
		if len(sink) >= 64 {
			sink = sink[:0]
		}
		time.Sleep(900 * time.Microsecond)
	}
}

func main() {
	addr := os.Args[1]
	goroutines, _ := strconv.Atoi(os.Args[2])
	speed := 1.0
	if len(os.Args) > 3 {
		speed, _ = strconv.ParseFloat(os.Args[3], 64)
	}
	pause := func(d time.Duration) { time.Sleep(time.Duration(float64(d) / speed)) }
	expvar.Publish("goroutines", expvar.Func(func() any { return runtime.NumGoroutine() }))
	expvar.Publish("gomemlimit", expvar.Func(func() any { return debug.SetMemoryLimit(-1) }))
	expvar.Publish("gogc", expvar.Func(func() any { g := debug.SetGCPercent(-1); debug.SetGCPercent(g); return g }))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		panic(err)
	}
	go http.Serve(ln, nil)
	phase("start", 0)
	go churn()
	pause(4 * time.Second)

	const cgoBytes = 48 << 20
	p := C.grab(cgoBytes)
	phase("cgo_alloc", cgoBytes)
	pause(8 * time.Second)
	C.free(unsafe.Pointer(p))
	phase("cgo_free", cgoBytes)
	pause(4 * time.Second)

	block := make(chan struct{})
	for i := 0; i < goroutines; i++ {
		go func() {
			var pad [1024]byte
			deep(12, pad) // ~2 KiB a frame: the stack grows to 32 KiB and stays there
			<-block
		}()
	}
	phase("goroutines", int64(goroutines))
	pause(6 * time.Second)

	phase("leak", 8<<20)
	for {
		b := make([]byte, 8<<20)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		leaked = append(leaked, b)
		pause(200 * time.Millisecond)
	}
}
