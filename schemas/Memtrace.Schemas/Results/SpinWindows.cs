using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Results;

/// <summary>Sliding-window epoll statistics per process, with the seed-002 busy-spin verdict.</summary>
public static class SpinWindows
{
    public static readonly StrKey Host = Str("host", "Host name, or empty.");
    public static readonly I64Key Pid = I64("pid", "", "Process id.");
    public static readonly StrKey Syscall = Str("syscall", "epoll_wait or epoll_pwait (Go's netpoller calls epoll_pwait).");
    public static readonly I64Key WindowStartNs = I64("window_start_ns", "ns", "Window start, UTC.");
    public static readonly I64Key WindowEndNs = I64("window_end_ns", "ns", "Window end (exclusive).");
    public static readonly I64Key Calls = I64("calls", "", "Completed calls (exits) in the window.");
    public static readonly F64Key CallsPerS = F64("calls_per_s", "1/s", "calls / window length.");
    public static readonly F64Key ZeroReturnFraction = F64("zero_return_fraction", "", "Share of exits that returned 0 (nothing ready).");
    public static readonly F64Key Timeout0Fraction = F64("timeout0_fraction", "", "Share of entries with timeout 0 (a non-blocking poll).", nullable: true);
    public static readonly F64Key CpuPercent = F64("cpu_percent", "%", "Process CPU over the window from /proc stat utime+stime deltas (100 = one core).", nullable: true);
    public static readonly I64Key GoroutinesMin = I64("goroutines_min", "", "Fewest goroutines in MemStats reads within the window.", nullable: true);
    public static readonly I64Key GoroutinesMax = I64("goroutines_max", "", "Most goroutines in MemStats reads within the window.", nullable: true);
    public static readonly BoolKey Suspect = Bool("suspect", "calls/s > 1000, zero returns > 90%, CPU high and goroutines flat.");
    public static readonly StrKey Reason = Str("reason", "Which conditions held or failed.");

    public static readonly TableDef Def = new(
        "spin_windows", 1, TableKind.Result,
        "One row per (pid, epoll syscall, window) with at least one call: rate, zero returns, zero timeouts, CPU% from /proc stat deltas and the goroutine count, joined on time.",
        [Host, Pid, Syscall, WindowStartNs],
        [
            Host,
            Pid,
            Syscall,
            WindowStartNs,
            WindowEndNs,
            Calls,
            CallsPerS,
            ZeroReturnFraction,
            Timeout0Fraction,
            CpuPercent,
            GoroutinesMin,
            GoroutinesMax,
            Suspect,
            Reason,
        ]);
}
