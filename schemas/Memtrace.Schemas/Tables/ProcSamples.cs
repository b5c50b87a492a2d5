using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Tables;

/// <summary>One /proc/&lt;pid&gt; read: status, smaps_rollup, stat and the fd count.</summary>
public static class ProcSamples
{
    public static readonly TableDef Def = new(
        "proc_samples", 1, TableKind.Raw,
        "One row per /proc/<pid> sampler tick (capture-jsonl: the tick's first read; see 'Ticks and split captures'). Byte columns come from status/smaps_rollup kB values × 1024; a tick that lacked a file leaves its columns null.",
        ["host", "pid", "ts_ns"],
        [
            SourceId(),
            I64("ts_ns", "ns", "CLOCK_REALTIME of the read, UTC."),
            I64("mono_ns", "ns", "CLOCK_MONOTONIC of the same read, when recorded.", nullable: true),
            Str("host", "Host name, or empty."),
            I64("pid", "", "Process id."),
            Bool("alive", "False on a read that found the process gone (the file no longer exists), never for a file a tick lacks; true when a read succeeded."),
            I64("vm_rss", "bytes", "status VmRSS.", nullable: true),
            I64("rss_anon", "bytes", "status RssAnon.", nullable: true),
            I64("rss_file", "bytes", "status RssFile.", nullable: true),
            I64("rss_shmem", "bytes", "status RssShmem.", nullable: true),
            I64("vm_swap", "bytes", "status VmSwap.", nullable: true),
            I64("vm_hwm", "bytes", "status VmHWM (peak RSS).", nullable: true),
            I64("threads", "", "status Threads.", nullable: true),
            I64("smaps_rss", "bytes", "smaps_rollup Rss.", nullable: true),
            I64("smaps_pss", "bytes", "smaps_rollup Pss.", nullable: true),
            I64("smaps_anonymous", "bytes", "smaps_rollup Anonymous.", nullable: true),
            I64("smaps_lazyfree", "bytes", "smaps_rollup LazyFree (MADV_FREE pages the kernel may reclaim).", nullable: true),
            I64("smaps_swap", "bytes", "smaps_rollup Swap.", nullable: true),
            I64("utime_ticks", "ticks", "stat field 14, user CPU in clock ticks.", nullable: true),
            I64("stime_ticks", "ticks", "stat field 15, system CPU in clock ticks.", nullable: true),
            I64("num_fds", "", "Entries in /proc/<pid>/fd.", nullable: true),
        ]);
}
