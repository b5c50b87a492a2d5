using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Tables;

/// <summary>One syscall enter or exit from perf script or bpftrace.</summary>
public static class SyscallEvents
{
    public static readonly TableDef Def = new(
        "syscall_events", 2, TableKind.Raw,
        "One row per syscall tracepoint hit (sys_enter_* or sys_exit_*).",
        ["host", "pid", "tid", "mono_ns", "ts_ns"],
        [
            SourceId(),
            I64("ts_ns", "ns", "Event time on the UTC timeline; null when the source recorded only CLOCK_MONOTONIC (clock alignment fills it).", nullable: true),
            I64("mono_ns", "ns", "CLOCK_MONOTONIC of the event (perf record -k CLOCK_MONOTONIC), when recorded.", nullable: true),
            Str("host", "Host name, or empty."),
            I64("pid", "", "Process id."),
            I64("tid", "", "Thread id."),
            Str("comm", "Thread command name."),
            Str("syscall", "Syscall name, e.g. epoll_pwait."),
            Str("phase", "enter or exit."),
            I64("ret", "", "Return value on exit.", nullable: true),
            I64("timeout_ms", "ms", "epoll timeout argument on enter.", nullable: true),
            Str("args", "Remaining argument text as printed.", nullable: true),
        ]);
}
