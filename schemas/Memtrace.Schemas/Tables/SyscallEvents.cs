using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Tables;

/// <summary>One syscall enter or exit from perf script or bpftrace.</summary>
public static class SyscallEvents
{
    public static readonly I64Key TsNs = I64("ts_ns", "ns", "Event time on the UTC timeline; null when the source recorded only CLOCK_MONOTONIC (clock alignment fills it).", nullable: true);
    public static readonly I64Key MonoNs = I64("mono_ns", "ns", "CLOCK_MONOTONIC of the event (perf record -k CLOCK_MONOTONIC), when recorded.", nullable: true);
    public static readonly StrKey Host = Str("host", "Host name, or empty.");
    public static readonly I64Key Pid = I64("pid", "", "Process id.");
    public static readonly I64Key Tid = I64("tid", "", "Thread id.");
    public static readonly StrKey Comm = Str("comm", "Thread command name.");
    public static readonly StrKey Syscall = Str("syscall", "Syscall name, e.g. epoll_pwait.");
    public static readonly StrKey Phase = Str("phase", "enter or exit.");
    public static readonly I64Key Ret = I64("ret", "", "Return value on exit.", nullable: true);
    public static readonly I64Key TimeoutMs = I64("timeout_ms", "ms", "epoll timeout argument on enter.", nullable: true);
    public static readonly StrKey Args = Str("args", "Remaining argument text as printed.", nullable: true);

    public static readonly TableDef Def = new(
        "syscall_events", 2, TableKind.Raw,
        "One row per syscall tracepoint hit (sys_enter_* or sys_exit_*).",
        [Host, Pid, Tid, MonoNs, TsNs],
        [
            SourceId,
            TsNs,
            MonoNs,
            Host,
            Pid,
            Tid,
            Comm,
            Syscall,
            Phase,
            Ret,
            TimeoutMs,
            Args,
        ]);
}
