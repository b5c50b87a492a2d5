using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Tables;

/// <summary>
/// One kernel log (dmesg) line that matters to memory: the OOM killer's lines, e.g.
/// "[13311.956500] Memory cgroup out of memory: Killed process 9263 (oomsvc) total-vm:1628208kB, anon-rss:522788kB, …".
/// </summary>
public static class KernelLog
{
    public static readonly I64Key TsNs = I64("ts_ns", "ns", "UTC after clock alignment; null when the line could not be placed.", nullable: true);
    public static readonly I64Key MonoNs = I64("mono_ns", "ns", "The '[seconds.micros]' stamp: kernel time since boot (printk's clock, which tracks CLOCK_MONOTONIC).");
    public static readonly StrKey Host = Str("host", "Host name, or empty.");
    public static readonly I64Key Line = I64("line", "", "Line number in the file.");
    public static readonly StrKey Event = Str("event", "oom_invoked ('… invoked oom-killer'), oom_kill_context ('oom-kill:constraint=…'), oom_killed ('… out of memory: Killed process …') or oom_reaped.");
    public static readonly I64Key Pid = I64("pid", "", "Process the line names.", nullable: true);
    public static readonly StrKey Comm = Str("comm", "Command name the line names.", nullable: true);
    public static readonly StrKey Memcg = Str("memcg", "Memory cgroup (oom_memcg / task_memcg), when the line names one.", nullable: true);
    public static readonly I64Key AnonRss = I64("anon_rss", "bytes", "anon-rss of the killed process.", nullable: true);
    public static readonly I64Key FileRss = I64("file_rss", "bytes", "file-rss of the killed process.", nullable: true);
    public static readonly I64Key ShmemRss = I64("shmem_rss", "bytes", "shmem-rss of the killed process.", nullable: true);
    public static readonly StrKey Message = Str("message", "The line without its stamp.");

    public static readonly TableDef Def = new(
        "kernel_log", 1, TableKind.Raw,
        "One row per OOM-related kernel log line. The '[seconds]' stamp is the kernel's monotonic clock; ts_ns is filled by clock alignment.",
        [Host, MonoNs, Line],
        [
            SourceId,
            TsNs,
            MonoNs,
            Host,
            Line,
            Event,
            Pid,
            Comm,
            Memcg,
            AnonRss,
            FileRss,
            ShmemRss,
            Message,
        ]);
}
