using Memtrace.Pipeline.Fragmentation;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Tables;

namespace Memtrace.Pipeline.Allocators;

/// <summary>The archive's torch-caching pools as <see cref="AllocatorTrace"/>s: events from gpu_alloc_events, final segments from gpu_segments_snapshot, settings from gpu_allocator_settings.</summary>
public static class WhatIfInputs
{
    public const string TorchPool = "torch-caching";

    public static readonly IReadOnlySet<string> EventColumns = ColumnKey.NameSet(
        GpuAllocEvents.Seq, GpuAllocEvents.TsNs, GpuAllocEvents.Op, GpuAllocEvents.Address, GpuAllocEvents.Size, GpuAllocEvents.Stream, GpuAllocEvents.DeviceFree);

    /// <summary>Row reader over one row group's table, columns bound once.</summary>
    public static Func<int, TraceEvent> Reader(Table t)
    {
        Int64Column seq = t[GpuAllocEvents.Seq], ts = t[GpuAllocEvents.TsNs], addr = t[GpuAllocEvents.Address], size = t[GpuAllocEvents.Size], stream = t[GpuAllocEvents.Stream], free = t[GpuAllocEvents.DeviceFree];
        var op = t[GpuAllocEvents.Op];
        var ops = Enumerable.Range(0, op.DistinctCount + 1).Select(c => TraceEvent.OpOf(op.ValueOfCode(c))).ToArray();
        return i => new TraceEvent(seq[i], ts[i], ops[op.CodeAt(i)], addr.Get(i) ?? 0, size[i], stream.Get(i) ?? 0, free.Get(i) ?? -1);
    }

    /// <summary>Events in the order the allocator recorded them: seq is the file order of one source, which is one pool's.</summary>
    public static TraceEvent[] InRecordedOrder(TraceEvent[] events)
    {
        for (var i = 1; i < events.Length; i++)
        {
            if (events[i - 1].Seq > events[i].Seq)
            {
                Array.Sort(events, (a, b) => a.Seq.CompareTo(b.Seq));
                break;
            }
        }
        return events;
    }

    public static Dictionary<PoolKey, List<SegmentState>> Segments(Table snapshot)
    {
        var rows = new Dictionary<(PoolKey, long), (SegmentState Seg, List<BlockState> Blocks)>();
        Int64Column segAddr = snapshot[GpuSegmentsSnapshot.SegmentAddress], segSize = snapshot[GpuSegmentsSnapshot.SegmentSize], stream = snapshot[GpuSegmentsSnapshot.Stream],
            addr = snapshot[GpuSegmentsSnapshot.BlockAddress], size = snapshot[GpuSegmentsSnapshot.BlockSize], requested = snapshot[GpuSegmentsSnapshot.BlockRequestedSize],
            pid = snapshot[GpuSegmentsSnapshot.Pid], device = snapshot[GpuSegmentsSnapshot.Device];
        StringColumn host = snapshot[GpuSegmentsSnapshot.Host], pool = snapshot[GpuSegmentsSnapshot.Pool], source = snapshot[Col.SourceId], type = snapshot[GpuSegmentsSnapshot.SegmentType],
            poolId = snapshot[GpuSegmentsSnapshot.SegmentPoolId], state = snapshot[GpuSegmentsSnapshot.BlockState];
        var expandable = snapshot[GpuSegmentsSnapshot.IsExpandable];
        for (var i = 0; i < snapshot.RowCount; i++)
        {
            var key = new PoolKey(host[i] ?? "", pid[i], device[i], pool[i] ?? "", source[i] ?? "");
            if (key.Pool != TorchPool) continue;
            if (!rows.TryGetValue((key, segAddr[i]), out var seg))
            {
                var blocks = new List<BlockState>();
                seg = (new SegmentState(segAddr[i], segSize[i], stream[i], type[i] == "small", NormalizePoolId(poolId[i]), expandable[i], blocks), blocks);
                rows[(key, segAddr[i])] = seg;
            }
            seg.Blocks.Add(new BlockState(addr[i], size[i], state[i] != "inactive", requested[i]));
        }
        var result = new Dictionary<PoolKey, List<SegmentState>>();
        foreach (var ((key, _), (seg, blocks)) in rows)
        {
            blocks.Sort((a, b) => a.Address.CompareTo(b.Address));
            if (!result.TryGetValue(key, out var list)) result[key] = list = [];
            list.Add(seg);
        }
        foreach (var list in result.Values) list.Sort((a, b) => a.Address.CompareTo(b.Address));
        return result;
    }

    /// <summary>segment_pool_id arrives as "0,0" from a tuple; a synthetic file may write "0, 0" or brackets.</summary>
    private static string NormalizePoolId(string? id) =>
        string.Join(',', (id ?? CachingAllocatorModel.DefaultPoolId).Trim('[', ']', '(', ')').Split(',', StringSplitOptions.TrimEntries));

    public static Dictionary<PoolKey, Dictionary<string, string>> Settings(Table settings)
    {
        var result = new Dictionary<PoolKey, Dictionary<string, string>>();
        for (var i = 0; i < settings.RowCount; i++)
        {
            var key = new PoolKey(settings[GpuAllocatorSettings.Host][i] ?? "", settings[GpuAllocatorSettings.Pid][i], settings[GpuAllocatorSettings.Device][i], settings[GpuAllocatorSettings.Pool][i] ?? "", settings[Col.SourceId][i] ?? "");
            if (!result.TryGetValue(key, out var d)) result[key] = d = new Dictionary<string, string>(StringComparer.Ordinal);
            d[settings[GpuAllocatorSettings.Setting][i] ?? ""] = settings[GpuAllocatorSettings.Value][i] ?? "";
        }
        return result;
    }
}
