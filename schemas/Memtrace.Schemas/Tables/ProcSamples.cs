using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Tables;

/// <summary>One /proc/&lt;pid&gt; read: status, smaps_rollup, stat and the fd count.</summary>
public static class ProcSamples
{
    public static readonly I64Key TsNs = I64("ts_ns", "ns", "CLOCK_REALTIME of the read, UTC.");
    public static readonly I64Key MonoNs = I64("mono_ns", "ns", "CLOCK_MONOTONIC of the same read, when recorded.", nullable: true);
    public static readonly StrKey Host = Str("host", "Host name, or empty.");
    public static readonly I64Key Pid = I64("pid", "", "Process id.");
    public static readonly BoolKey Alive = Bool("alive", "False on a read that found the process gone (the file no longer exists), never for a file a tick lacks; true when a read succeeded.");
    public static readonly I64Key VmRss = I64("vm_rss", "bytes", "status VmRSS.", nullable: true);
    public static readonly I64Key RssAnon = I64("rss_anon", "bytes", "status RssAnon.", nullable: true);
    public static readonly I64Key RssFile = I64("rss_file", "bytes", "status RssFile.", nullable: true);
    public static readonly I64Key RssShmem = I64("rss_shmem", "bytes", "status RssShmem.", nullable: true);
    public static readonly I64Key VmSwap = I64("vm_swap", "bytes", "status VmSwap.", nullable: true);
    public static readonly I64Key VmHwm = I64("vm_hwm", "bytes", "status VmHWM (peak RSS).", nullable: true);
    public static readonly I64Key Threads = I64("threads", "", "status Threads.", nullable: true);
    public static readonly I64Key SmapsRss = I64("smaps_rss", "bytes", "smaps_rollup Rss.", nullable: true);
    public static readonly I64Key SmapsPss = I64("smaps_pss", "bytes", "smaps_rollup Pss.", nullable: true);
    public static readonly I64Key SmapsAnonymous = I64("smaps_anonymous", "bytes", "smaps_rollup Anonymous.", nullable: true);
    public static readonly I64Key SmapsLazyfree = I64("smaps_lazyfree", "bytes", "smaps_rollup LazyFree (MADV_FREE pages the kernel may reclaim).", nullable: true);
    public static readonly I64Key SmapsSwap = I64("smaps_swap", "bytes", "smaps_rollup Swap.", nullable: true);
    public static readonly I64Key UtimeTicks = I64("utime_ticks", "ticks", "stat field 14, user CPU in clock ticks.", nullable: true);
    public static readonly I64Key StimeTicks = I64("stime_ticks", "ticks", "stat field 15, system CPU in clock ticks.", nullable: true);
    public static readonly I64Key NumFds = I64("num_fds", "", "Entries in /proc/<pid>/fd.", nullable: true);

    public static readonly TableDef Def = new(
        "proc_samples", 1, TableKind.Raw,
        "One row per /proc/<pid> sampler tick (capture-jsonl: the tick's first read; see 'Ticks and split captures'). Byte columns come from status/smaps_rollup kB values × 1024; a tick that lacked a file leaves its columns null.",
        [Host, Pid, TsNs],
        [
            SourceId,
            TsNs,
            MonoNs,
            Host,
            Pid,
            Alive,
            VmRss,
            RssAnon,
            RssFile,
            RssShmem,
            VmSwap,
            VmHwm,
            Threads,
            SmapsRss,
            SmapsPss,
            SmapsAnonymous,
            SmapsLazyfree,
            SmapsSwap,
            UtimeTicks,
            StimeTicks,
            NumFds,
        ]);
}
