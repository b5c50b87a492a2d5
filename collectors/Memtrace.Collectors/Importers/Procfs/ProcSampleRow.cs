using Memtrace.Schemas.Model;

namespace Memtrace.Collectors.Importers.Procfs;

/// <summary>What one proc_samples row holds, whichever importer read the files.</summary>
public sealed record ProcSampleRow(long Pid, long TsNs, long? MonoNs, bool Alive, ProcStatus? Status, SmapsRollup? Smaps, long? Utime, long? Stime, long? Fds)
{
    public void AppendTo(Table t, string sourceId, string host)
    {
        t.Str("source_id").Append(sourceId);
        t.I64("ts_ns").Append(TsNs);
        t.I64("mono_ns").Append(MonoNs);
        t.Str("host").Append(host);
        t.I64("pid").Append(Pid);
        t.Bool("alive").Append(Alive);
        t.I64("vm_rss").Append(Status?.VmRss);
        t.I64("rss_anon").Append(Status?.RssAnon);
        t.I64("rss_file").Append(Status?.RssFile);
        t.I64("rss_shmem").Append(Status?.RssShmem);
        t.I64("vm_swap").Append(Status?.VmSwap);
        t.I64("vm_hwm").Append(Status?.VmHwm);
        t.I64("threads").Append(Status?.Threads);
        t.I64("smaps_rss").Append(Smaps?.Rss);
        t.I64("smaps_pss").Append(Smaps?.Pss);
        t.I64("smaps_anonymous").Append(Smaps?.Anonymous);
        t.I64("smaps_lazyfree").Append(Smaps?.LazyFree);
        t.I64("smaps_swap").Append(Smaps?.Swap);
        t.I64("utime_ticks").Append(Utime);
        t.I64("stime_ticks").Append(Stime);
        t.I64("num_fds").Append(Fds);
        t.CommitRow();
    }
}
