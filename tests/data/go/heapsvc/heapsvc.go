// heapsvc retains a known amount of memory from two named functions, with every allocation
// profiled (runtime.MemProfileRate = 1), then serves net/http/pprof and expvar on loopback. The
// profiles it serves are the pprof fixtures; the known sizes are their oracle:
//   retainBlocks: 1000 × 64 KiB live;  retainSmall: 20000 × 256 B live;  churn: allocated, then freed.
package main

import (
	"expvar"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"time"
)

var blocks [][]byte
var small [][]byte

//go:noinline
func retainBlocks() {
	for i := 0; i < 1000; i++ {
		blocks = append(blocks, make([]byte, 64<<10))
	}
}

//go:noinline
func retainSmall() {
	for i := 0; i < 20000; i++ {
		small = append(small, make([]byte, 256))
	}
}

//go:noinline
func churn() {
	for i := 0; i < 5000; i++ {
		_ = make([]byte, 4096)
	}
}

func main() {
	runtime.MemProfileRate = 1
	blocks = make([][]byte, 0, 1000)
	small = make([][]byte, 0, 20000)
	retainBlocks()
	retainSmall()
	churn()
	// The heap profile reports the heap as of the last completed GC cycle, twice over to publish it.
	runtime.GC()
	runtime.GC()
	expvar.Publish("goroutines", expvar.Func(func() any { return runtime.NumGoroutine() }))
	ln, err := net.Listen("tcp", os.Args[1])
	if err != nil {
		panic(err)
	}
	go http.Serve(ln, nil)
	time.Sleep(30 * time.Second)
	runtime.KeepAlive(blocks)
	runtime.KeepAlive(small)
}
