// churn allocates at a steady rate, keeps a sliding window of live buffers, forces two GCs and
// prints runtime.MemStats NumGC/LastGC at the end, so a test can anchor gctrace '@s' offsets.
// Run: go build -o churn churn.go && GODEBUG=gctrace=1 ./churn 2> gctrace.log > memstats.txt
// (not `go run`: the compiler inherits GODEBUG and would print its own gctrace lines).
package main

import (
	"fmt"
	"runtime"
	"time"
)

func main() {
	start := time.Now()
	window := make([][]byte, 0, 256)
	for i := 0; i < 4000; i++ {
		window = append(window, make([]byte, 64<<10))
		if len(window) == cap(window) {
			window = window[128:]
		}
		if i == 1500 || i == 3000 {
			runtime.GC()
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("start_unix_ns %d\nnum_gc %d\nlast_gc_unix_ns %d\nheap_alloc %d\nlive_window %d\n",
		start.UnixNano(), ms.NumGC, ms.LastGC, ms.HeapAlloc, len(window))
}
