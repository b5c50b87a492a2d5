using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Tables;

/// <summary>One syscall enter or exit from perf script or bpftrace.</summary>
public static class SyscallEvents
{
    public static readonly TableDef Def = new(
        "syscall_events", 1, TableKind.Raw,
        "One row per syscall tracepoint hit (sys_enter_* or sys_exit_*).",
        ["host", "pid", "tid", "ts_ns"],
        [
            SourceId(),
            I64("ts_ns", "ns", "Event time on the UTC timeline, after clock alignment."),
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
