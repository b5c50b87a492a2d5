using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Results;

/// <summary>Sliding-window epoll statistics per process, with the seed-002 busy-spin verdict.</summary>
public static class SpinWindows
{
    public static readonly TableDef Def = new(
        "spin_windows", 1, TableKind.Result,
        "One row per (pid, epoll syscall, window) with at least one call: rate, zero returns, zero timeouts, CPU% from /proc stat deltas and the goroutine count, joined on time.",
        ["host", "pid", "syscall", "window_start_ns"],
        [
            Str("host", "Host name, or empty."),
            I64("pid", "", "Process id."),
            Str("syscall", "epoll_wait or epoll_pwait (Go's netpoller calls epoll_pwait)."),
            I64("window_start_ns", "ns", "Window start, UTC."),
            I64("window_end_ns", "ns", "Window end (exclusive)."),
            I64("calls", "", "Completed calls (exits) in the window."),
            F64("calls_per_s", "1/s", "calls / window length."),
            F64("zero_return_fraction", "", "Share of exits that returned 0 (nothing ready)."),
            F64("timeout0_fraction", "", "Share of entries with timeout 0 (a non-blocking poll).", nullable: true),
            F64("cpu_percent", "%", "Process CPU over the window from /proc stat utime+stime deltas (100 = one core).", nullable: true),
            I64("goroutines_min", "", "Fewest goroutines in MemStats reads within the window.", nullable: true),
            I64("goroutines_max", "", "Most goroutines in MemStats reads within the window.", nullable: true),
            Bool("suspect", "calls/s > 1000, zero returns > 90%, CPU high and goroutines flat."),
            Str("reason", "Which conditions held or failed."),
        ]);
}
