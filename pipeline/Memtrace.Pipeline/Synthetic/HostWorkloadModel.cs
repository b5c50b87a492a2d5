using Memtrace.Schemas.Model;
using Memtrace.Schemas.Tables;

namespace Memtrace.Pipeline.Synthetic;

/// <summary>
/// One Go service in a container, sampled: a live heap with GOGC=100's sawtooth (HeapAlloc climbs
/// from the live heap to NextGC = 2 × live, then a GC drops it back), runtime overheads in the
/// shape of our own expvar capture (tests/data/go/expvar.jsonl: HeapInuse ≈ HeapAlloc + 1/16, HeapSys ≈
/// 1.2 × HeapInuse at the peak; its GCSys of 0.34 × HeapSys belongs to a 24 MiB heap and does not scale,
/// so GC metadata is taken as 1/24 of HeapSys; 8 KiB of stack per goroutine), an off-heap (cgo) part that
/// grows in some workloads, and page cache on top in the cgroup. Each workload draws its own live
/// heap (50–500 MiB), GC period (2–30 s), leak rate and limit from the seed.
/// </summary>
public sealed class HostWorkloadModel(int seed)
{
    private const long MiB = 1 << 20;

    public (Table Proc, Table Cgroup, Table Go) Sample(string source, string host, long pid, string cgroupPath, long startNs, long intervalNs, int samples)
    {
        var rng = new Random(seed);
        var live = (50 + rng.Next(450)) * MiB;
        var gcPeriodNs = (2 + rng.Next(28)) * 1_000_000_000L;
        var offHeapLeakPerHour = rng.Next(4) == 0 ? (20 + rng.Next(200)) * MiB : 0;
        var pageCache = (100 + rng.Next(900)) * MiB;
        var goroutines = 20 + rng.Next(400);
        var limit = rng.Next(5) == 0 ? (long?)null : (long)((live * 2.6 + pageCache) * (1.1 + rng.NextDouble())) / MiB * MiB;
        var proc = new Table(ProcSamples.Def, samples);
        var cg = new Table(CgroupSamples.Def, samples);
        var go = new Table(GoRuntimeSamples.Def, samples);
        long totalAlloc = 0, numGc = 0, cpuTicks = 0, lastGc = startNs;
        for (var i = 0; i < samples; i++)
        {
            var ts = startNs + i * intervalNs;
            var phase = (double)((ts - startNs) % gcPeriodNs) / gcPeriodNs;
            var heapAlloc = live + (long)(live * phase) + rng.Next(1 << 20);
            if (i > 0 && phase < (double)intervalNs / gcPeriodNs)
            {
                numGc++;
                lastGc = ts - (long)(phase * gcPeriodNs);
            }
            totalAlloc += live * intervalNs / gcPeriodNs;
            var heapInuse = heapAlloc + heapAlloc / 16;
            var heapSys = (long)(2.4 * live); // ≥ 1.2 × the peak HeapInuse (2 × live + 1/16)
            var heapReleased = Math.Max(0, (heapSys - heapInuse) / 2);
            var stack = goroutines * 8_192L;
            var gcSys = heapSys / 24;
            var offHeap = 40 * MiB + (long)(offHeapLeakPerHour * ((ts - startNs) / 3.6e12));
            var rss = heapInuse + (heapSys - heapInuse - heapReleased) + stack + gcSys + offHeap;
            cpuTicks += intervalNs / 10_000_000 / 4;

            proc[Col.SourceId].Append(source); proc[ProcSamples.TsNs].Append(ts); proc[ProcSamples.MonoNs].Append(ts - startNs);
            proc[ProcSamples.Host].Append(host); proc[ProcSamples.Pid].Append(pid); proc[ProcSamples.Alive].Append(true);
            proc[ProcSamples.VmRss].Append(rss); proc[ProcSamples.RssAnon].Append(rss - 12 * MiB); proc[ProcSamples.RssFile].Append(12 * MiB); proc[ProcSamples.RssShmem].Append(0);
            proc[ProcSamples.Threads].Append(12); proc[ProcSamples.UtimeTicks].Append(cpuTicks); proc[ProcSamples.StimeTicks].Append(cpuTicks / 5);
            proc.CommitRow();

            var usage = rss + pageCache;
            cg[Col.SourceId].Append(source); cg[CgroupSamples.TsNs].Append(ts); cg[CgroupSamples.MonoNs].Append(ts - startNs);
            cg[CgroupSamples.Host].Append(host); cg[CgroupSamples.CgroupPath].Append(cgroupPath); cg[CgroupSamples.CgroupVersion].Append(2);
            cg[CgroupSamples.Usage].Append(usage); cg[CgroupSamples.Limit].Append(limit);
            cg[CgroupSamples.Anon].Append(rss - 12 * MiB); cg[CgroupSamples.File].Append(pageCache + 12 * MiB);
            cg[CgroupSamples.ActiveFile].Append(pageCache / 2); cg[CgroupSamples.InactiveFile].Append(pageCache / 2 + 12 * MiB);
            cg[CgroupSamples.Oom].Append(0); cg[CgroupSamples.OomKill].Append(0); cg[CgroupSamples.Failcnt].Append(0);
            cg.CommitRow();

            go[Col.SourceId].Append(source); go[GoRuntimeSamples.TsNs].Append(ts); go[GoRuntimeSamples.MonoNs].Append(ts - startNs);
            go[GoRuntimeSamples.Host].Append(host); go[GoRuntimeSamples.Pid].Append(pid);
            go[GoRuntimeSamples.Alloc].Append(heapAlloc); go[GoRuntimeSamples.TotalAlloc].Append(totalAlloc); go[GoRuntimeSamples.Sys].Append(heapSys + stack + gcSys + 8 * MiB);
            go[GoRuntimeSamples.HeapAlloc].Append(heapAlloc); go[GoRuntimeSamples.HeapSys].Append(heapSys); go[GoRuntimeSamples.HeapIdle].Append(heapSys - heapInuse);
            go[GoRuntimeSamples.HeapInuse].Append(heapInuse); go[GoRuntimeSamples.HeapReleased].Append(heapReleased);
            go[GoRuntimeSamples.StackInuse].Append(stack); go[GoRuntimeSamples.StackSys].Append(stack); go[GoRuntimeSamples.GcSys].Append(gcSys);
            go[GoRuntimeSamples.NextGc].Append(2 * live); go[GoRuntimeSamples.LastGcNs].Append(lastGc); go[GoRuntimeSamples.NumGc].Append(numGc);
            go[GoRuntimeSamples.NumGoroutine].Append(goroutines); go[GoRuntimeSamples.Gogc].Append(100); go[GoRuntimeSamples.Gomemlimit].Append(long.MaxValue);
            go.CommitRow();
        }
        return (proc, cg, go);
    }
}
