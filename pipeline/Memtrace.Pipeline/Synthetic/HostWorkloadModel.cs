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

            proc.Str("source_id").Append(source); proc.I64("ts_ns").Append(ts); proc.I64("mono_ns").Append(ts - startNs);
            proc.Str("host").Append(host); proc.I64("pid").Append(pid); proc.Bool("alive").Append(true);
            proc.I64("vm_rss").Append(rss); proc.I64("rss_anon").Append(rss - 12 * MiB); proc.I64("rss_file").Append(12 * MiB); proc.I64("rss_shmem").Append(0);
            proc.I64("threads").Append(12); proc.I64("utime_ticks").Append(cpuTicks); proc.I64("stime_ticks").Append(cpuTicks / 5);
            proc.CommitRow();

            var usage = rss + pageCache;
            cg.Str("source_id").Append(source); cg.I64("ts_ns").Append(ts); cg.I64("mono_ns").Append(ts - startNs);
            cg.Str("host").Append(host); cg.Str("cgroup_path").Append(cgroupPath); cg.I64("cgroup_version").Append(2);
            cg.I64("usage").Append(usage); cg.I64("limit").Append(limit);
            cg.I64("anon").Append(rss - 12 * MiB); cg.I64("file").Append(pageCache + 12 * MiB);
            cg.I64("active_file").Append(pageCache / 2); cg.I64("inactive_file").Append(pageCache / 2 + 12 * MiB);
            cg.I64("oom").Append(0); cg.I64("oom_kill").Append(0); cg.I64("failcnt").Append(0);
            cg.CommitRow();

            go.Str("source_id").Append(source); go.I64("ts_ns").Append(ts); go.I64("mono_ns").Append(ts - startNs);
            go.Str("host").Append(host); go.I64("pid").Append(pid);
            go.I64("alloc").Append(heapAlloc); go.I64("total_alloc").Append(totalAlloc); go.I64("sys").Append(heapSys + stack + gcSys + 8 * MiB);
            go.I64("heap_alloc").Append(heapAlloc); go.I64("heap_sys").Append(heapSys); go.I64("heap_idle").Append(heapSys - heapInuse);
            go.I64("heap_inuse").Append(heapInuse); go.I64("heap_released").Append(heapReleased);
            go.I64("stack_inuse").Append(stack); go.I64("stack_sys").Append(stack); go.I64("gc_sys").Append(gcSys);
            go.I64("next_gc").Append(2 * live); go.I64("last_gc_ns").Append(lastGc); go.I64("num_gc").Append(numGc);
            go.I64("num_goroutine").Append(goroutines); go.I64("gogc").Append(100); go.I64("gomemlimit").Append(long.MaxValue);
            go.CommitRow();
        }
        return (proc, cg, go);
    }
}
