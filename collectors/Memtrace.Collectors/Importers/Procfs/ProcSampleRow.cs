using Memtrace.Schemas.Model;
using Memtrace.Schemas.Tables;

namespace Memtrace.Collectors.Importers.Procfs;

/// <summary>What one proc_samples row holds, whichever importer read the files.</summary>
public sealed record ProcSampleRow(long Pid, long TsNs, long? MonoNs, bool Alive, ProcStatus? Status, SmapsRollup? Smaps, long? Utime, long? Stime, long? Fds)
{
    public void AppendTo(Table t, string sourceId, string host)
    {
        t[Col.SourceId].Append(sourceId);
        t[ProcSamples.TsNs].Append(TsNs);
        t[ProcSamples.MonoNs].Append(MonoNs);
        t[ProcSamples.Host].Append(host);
        t[ProcSamples.Pid].Append(Pid);
        t[ProcSamples.Alive].Append(Alive);
        t[ProcSamples.VmRss].Append(Status?.VmRss);
        t[ProcSamples.RssAnon].Append(Status?.RssAnon);
        t[ProcSamples.RssFile].Append(Status?.RssFile);
        t[ProcSamples.RssShmem].Append(Status?.RssShmem);
        t[ProcSamples.VmSwap].Append(Status?.VmSwap);
        t[ProcSamples.VmHwm].Append(Status?.VmHwm);
        t[ProcSamples.Threads].Append(Status?.Threads);
        t[ProcSamples.SmapsRss].Append(Smaps?.Rss);
        t[ProcSamples.SmapsPss].Append(Smaps?.Pss);
        t[ProcSamples.SmapsAnonymous].Append(Smaps?.Anonymous);
        t[ProcSamples.SmapsLazyfree].Append(Smaps?.LazyFree);
        t[ProcSamples.SmapsSwap].Append(Smaps?.Swap);
        t[ProcSamples.UtimeTicks].Append(Utime);
        t[ProcSamples.StimeTicks].Append(Stime);
        t[ProcSamples.NumFds].Append(Fds);
        t.CommitRow();
    }
}
