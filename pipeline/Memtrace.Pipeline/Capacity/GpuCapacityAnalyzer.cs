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
            t[PoolKeyColumns.Host].Append(k.Host); t[PoolKeyColumns.Pid].Append(k.Pid); t[PoolKeyColumns.Device].Append(k.Device); t[PoolKeyColumns.Pool].Append(k.Pool); t[PoolKeyColumns.SourceId].Append(k.SourceId);
            t[GpuCapacity.PeakAllocated].Append(p.Timeline.Count > 0 ? p.Timeline.Max(r => r.AllocatedMax) : 0);
            t[GpuCapacity.PeakReserved].Append(p.Timeline.Count > 0 ? p.Timeline.Max(r => r.ReservedMax) : 0);
            t[GpuCapacity.Ooms].Append(p.Ooms.Count);
            t[GpuCapacity.FragmentationOoms].Append(p.Ooms.Count(o => o.Verdict == Verdicts.Fragmentation));
            t[GpuCapacity.DeviceTotal].Append(total);
            t[GpuCapacity.DeviceNeeded].Append(p.Ooms.Count > 0 ? p.Ooms.Max(o => InUse(o, total) + o.Request) : null);
            t[GpuCapacity.DeviceNeededIfCompacted].Append(p.Ooms.Count > 0 ? p.Ooms.Max(o => o.Allocated + o.Request) : null);
            t.CommitRow();
        }
        return t;
    }

    private static long InUse(OomRow o, long? total) => total is { } t && o.DeviceFree is { } f ? Math.Max(o.Reserved, t - f) : o.Reserved;
}
