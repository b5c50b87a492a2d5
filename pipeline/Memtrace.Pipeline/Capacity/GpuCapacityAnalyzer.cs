using Memtrace.Pipeline.Fragmentation;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Results;

namespace Memtrace.Pipeline.Capacity;

/// <summary>
/// gpu_capacity: per pool, peak live and reserved bytes and the device that would have avoided every
/// OOM. When a request fails, a caching allocator asks the driver for a fresh segment of at least the
/// request; with fragmentation the free pieces cannot be merged, so the device must hold everything in
/// use at that moment (total − cudaMemGetInfo free, else the pool's reserved bytes) plus the request.
/// The compacted floor (allocated + request) shows how much of that is fragmentation's price.
/// </summary>
public static class GpuCapacityAnalyzer
{
    public static Table Run(IReadOnlyList<PoolResult> pools, IReadOnlyDictionary<(string Host, long Pid, long Device), long> deviceTotals)
    {
        var t = new Table(GpuCapacity.Def);
        foreach (var p in pools)
        {
            var k = p.Key;
            long? total = deviceTotals.TryGetValue((k.Host, k.Pid, k.Device), out var tot) ? tot : null;
            t.Str("host").Append(k.Host); t.I64("pid").Append(k.Pid); t.I64("device").Append(k.Device); t.Str("pool").Append(k.Pool); t.Str("source_id").Append(k.SourceId);
            t.I64("peak_allocated").Append(p.Timeline.Count > 0 ? p.Timeline.Max(r => r.AllocatedMax) : 0);
            t.I64("peak_reserved").Append(p.Timeline.Count > 0 ? p.Timeline.Max(r => r.ReservedMax) : 0);
            t.I64("ooms").Append(p.Ooms.Count);
            t.I64("fragmentation_ooms").Append(p.Ooms.Count(o => o.Verdict == Verdicts.Fragmentation));
            t.I64("device_total").Append(total);
            t.I64("device_needed").Append(p.Ooms.Count > 0 ? p.Ooms.Max(o => InUse(o, total) + o.Request) : null);
            t.I64("device_needed_if_compacted").Append(p.Ooms.Count > 0 ? p.Ooms.Max(o => o.Allocated + o.Request) : null);
            t.CommitRow();
        }
        return t;
    }

    private static long InUse(OomRow o, long? total) => total is { } t && o.DeviceFree is { } f ? Math.Max(o.Reserved, t - f) : o.Reserved;
}
