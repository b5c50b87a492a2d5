using System.Globalization;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Stats;
using Memtrace.Schemas.Tables;

namespace Memtrace.Collectors.Importers.CudaHook;

/// <summary>
/// Logs of libmemtrace_cuda.so (collectors/cuda-hook): every cudaMalloc/cuMemAlloc-family call with its
/// return code, stream, context and call stack, plus periodic cudaMemGetInfo samples. Times are
/// CLOCK_MONOTONIC, put on the UTC timeline through the realtime/monotonic pair read back to back
/// when the file was opened. Frees carry no size in the API, so it is taken from the allocation
/// they release.
/// </summary>
public sealed class CudaHookImporter : IImporter
{
    public string Format => "cuda-hook";
    public int Version => 1;
    public string Description => "memtrace CUDA LD_PRELOAD hook log (libmemtrace_cuda.so, .mtcu)";

    public bool Sniff(ReadOnlySpan<byte> head, string path) => head.StartsWith(MtcuFormat.Magic);

    public ImportResult Import(ImportContext ctx)
    {
        MtcuLog log;
        using (var stream = new FileStream(ctx.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
            log = MtcuLog.Read(stream, ctx.Stats, p => ctx.Progress?.Invoke(p * 0.7));
        var h = log.Header;
        var host = ctx.Options.Host is { Length: > 0 } given ? given : log.Host;
        long Utc(long mono) => h.RealtimeAnchorNs + (mono - h.MonotonicAnchorNs);

        if (log.EndRecords is null)
            ctx.Stats.Log(StatsCatalog.CudaHookNoEnd, $"byte {new FileInfo(ctx.Path).Length}", "", "no END record: the process ended without the hook's final flush");
        var dropped = log.Drops.EventsBufferFull + log.Drops.EventsReentrant;
        if (dropped > 0)
            ctx.Stats.Log(StatsCatalog.CudaHookDropped, "DROPS record", $"buffer_full={log.Drops.EventsBufferFull} reentrant={log.Drops.EventsReentrant}", "events the hook dropped while recording", dropped);
        if (log.Drops.BytesWriteFailed > 0)
            ctx.Stats.Log(StatsCatalog.CudaHookWriteFailed, "DROPS record", $"{log.Drops.BytesWriteFailed} bytes", "write() failed in the hook (full disk or file size limit)", log.Drops.BytesWriteFailed);
        CountThreadGaps(log, ctx.Stats);

        // Order: time, then thread, then the thread's own counter (records of one thread are in file order).
        var order = Enumerable.Range(0, log.Events.Count).ToArray();
        Array.Sort(order, (a, b) =>
        {
            var (x, y) = (log.Events[a].Event, log.Events[b].Event);
            return x.TsMonoNs != y.TsMonoNs ? x.TsMonoNs.CompareTo(y.TsMonoNs) : x.Tid != y.Tid ? x.Tid.CompareTo(y.Tid) : a.CompareTo(b);
        });

        var symbolizer = new HookStackSymbolizer(log, ctx.SourceId);
        var memInfo = MemInfoTable(log, ctx.SourceId, host, Utc);
        var infoByDevice = log.MemInfo.GroupBy(m => m.Device).ToDictionary(g => g.Key, g => g.OrderBy(m => m.TsMonoNs).ToArray());
        var events = new Table(GpuAllocEvents.Def, log.Events.Count);
        var live = new Dictionary<(int Device, ulong Address), (string Pool, long Size)>();
        var contextDevice = new Dictionary<ulong, int>();
        long seq = 0;
        foreach (var index in order)
        {
            var (e, frameStart) = log.Events[index];
            var device = e.Device;
            if (e.Op == MtcuOp.cuCtxCreate && e.Result == 0) contextDevice[e.Context] = e.Device;
            if (device < 0 && contextDevice.TryGetValue(e.Context, out var known)) device = known;
            var kind = HookOps.Kind(e.Op);
            var pool = HookOps.Pool(e.Op);
            var op = HookOps.Name(e.Op, e.Result);
            long size = (long)e.Size;
            if (kind == HookOpKind.Alloc && e.Result == 0) live[(device, e.Address)] = (pool, size);
            else if (kind == HookOpKind.Free && live.Remove((device, e.Address), out var alloc)) (pool, size) = alloc;

            events[Col.SourceId].Append(ctx.SourceId);
            events[GpuAllocEvents.Seq].Append(seq++);
            events[GpuAllocEvents.TsNs].Append(Utc(e.TsMonoNs));
            events[GpuAllocEvents.Host].Append(host);
            events[GpuAllocEvents.Pid].Append(h.Pid);
            events[GpuAllocEvents.Tid].Append(e.Tid);
            events[GpuAllocEvents.Device].Append(device);
            events[GpuAllocEvents.Pool].Append(pool);
            events[GpuAllocEvents.Op].Append(op);
            events[GpuAllocEvents.Address].Append(kind == HookOpKind.Alloc && e.Result != 0 || e.Address == 0 && kind != HookOpKind.Free ? null : (long)e.Address);
            events[GpuAllocEvents.Size].Append(size);
            events[GpuAllocEvents.RequestedSize].Append(kind == HookOpKind.Alloc ? (long)e.Size : null);
            events[GpuAllocEvents.Stream].Append(HookOps.HasStream(e.Op) ? (long)e.Stream : null);
            events[GpuAllocEvents.Api].Append(HookOps.Api(e.Op));
            events[GpuAllocEvents.StackId].Append(symbolizer.StackId(frameStart, e.FrameCount));
            events[GpuAllocEvents.DeviceFree].Append(op == "oom" ? FreeAt(infoByDevice, device, e.TsMonoNs) : null);
            events[GpuAllocEvents.ReturnCode].Append(e.Result);
            events.CommitRow();
        }
        ctx.Progress?.Invoke(1.0);
        return new ImportResult
        {
            Tables = [events, memInfo, symbolizer.Table],
            ClockDomain = "monotonic",
            Notes = new SortedDictionary<string, string>(StringComparer.Ordinal)
            {
                ["pid"] = h.Pid.ToString(CultureInfo.InvariantCulture),
                ["ppid"] = h.Ppid.ToString(CultureInfo.InvariantCulture),
                ["fork_child"] = h.Forked ? "true" : "false",
                ["exe"] = log.Exe,
                ["realtime_anchor_ns"] = h.RealtimeAnchorNs.ToString(CultureInfo.InvariantCulture),
                ["monotonic_anchor_ns"] = h.MonotonicAnchorNs.ToString(CultureInfo.InvariantCulture),
                ["stack_depth"] = h.StackDepth.ToString(CultureInfo.InvariantCulture),
                ["meminfo_ms"] = h.MeminfoMs.ToString(CultureInfo.InvariantCulture),
                ["clean_end"] = log.EndRecords is null ? "false" : "true",
                ["modules"] = log.Modules.Count.ToString(CultureInfo.InvariantCulture),
                ["symbolized_frames"] = $"{symbolizer.Symbolized}/{symbolizer.DistinctPcs}",
            },
        };
    }

    private static Table MemInfoTable(MtcuLog log, string sourceId, string host, Func<long, long> utc)
    {
        var t = new Table(GpuMemInfo.Def, log.MemInfo.Count);
        foreach (var m in log.MemInfo.OrderBy(m => m.Device).ThenBy(m => m.TsMonoNs))
        {
            t[Col.SourceId].Append(sourceId);
            t[GpuMemInfo.TsNs].Append(utc(m.TsMonoNs));
            t[GpuMemInfo.Host].Append(host);
            t[GpuMemInfo.Pid].Append(log.Header.Pid);
            t[GpuMemInfo.Device].Append(m.Device);
            t[GpuMemInfo.Free].Append(m.Free);
            t[GpuMemInfo.Total].Append(m.Total);
            t[GpuMemInfo.Origin].Append("sample");
            t.CommitRow();
        }
        return t;
    }

    /// <summary>The last cudaMemGetInfo sample of the device at or before the OOM (the hook samples every MEMTRACE_MEMINFO_MS).</summary>
    private static long? FreeAt(Dictionary<int, MtcuMemInfo[]> byDevice, int device, long tsMono)
    {
        if (!byDevice.TryGetValue(device, out var samples)) return null;
        int lo = 0, hi = samples.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (samples[mid].TsMonoNs <= tsMono) lo = mid + 1; else hi = mid;
        }
        return lo == 0 ? null : samples[lo - 1].Free;
    }

    /// <summary>thread_seq counts every call a thread made, recorded or dropped, so a skip is a loss at that spot.</summary>
    private static void CountThreadGaps(MtcuLog log, StatsSink stats)
    {
        var last = new Dictionary<uint, long>();
        foreach (var (e, _) in log.Events)
        {
            if (last.TryGetValue(e.Tid, out var prev) && e.ThreadSeq > prev + 1)
                stats.Log(StatsCatalog.CudaHookThreadGap, $"tid {e.Tid} seq {e.ThreadSeq}", $"after seq {prev}", "events missing in this thread's sequence", e.ThreadSeq - prev - 1);
            last[e.Tid] = e.ThreadSeq;
        }
    }
}
