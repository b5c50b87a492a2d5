using Memtrace.Schemas.Model;

namespace Memtrace.Pipeline.Synthetic;

/// <summary>
/// What a real allocator trace looks like, as samples to draw from: request sizes, gaps between
/// consecutive events of a pool, and lifetimes (free time − allocation time of the same address).
/// Read from the canonical gpu_alloc_events table, so any importer's trace can seed a generator.
/// </summary>
public sealed class GpuDistributions
{
    public required long[] RequestSizes { get; init; }
    public required long[] GapsNs { get; init; }
    public required long[] LifetimesNs { get; init; }

    public static GpuDistributions FromEvents(Table events)
    {
        var inputs = Fragmentation.FragmentationAnalyzer.BuildInputs(events, new Table(Schemas.Tables.GpuSegmentsSnapshot.Def));
        var sizes = new List<long>();
        var gaps = new List<long>();
        var lifetimes = new List<long>();
        foreach (var pool in inputs)
        {
            var born = new Dictionary<long, long>();
            for (var i = 0; i < pool.Events.Length; i++)
            {
                var e = pool.Events[i];
                if (i > 0) gaps.Add(e.TsNs - pool.Events[i - 1].TsNs);
                switch (e.Op)
                {
                    case Fragmentation.AllocOp.Alloc when !e.Failed && e.Size > 0:
                        sizes.Add(e.Size);
                        born[e.Address] = e.TsNs;
                        break;
                    case Fragmentation.AllocOp.Free when born.Remove(e.Address, out var t):
                        lifetimes.Add(e.TsNs - t);
                        break;
                }
            }
        }
        if (sizes.Count == 0 || lifetimes.Count == 0 || gaps.Count == 0 || gaps.All(g => g == 0))
            throw new InvalidDataException($"the trace has {sizes.Count} allocations, {lifetimes.Count} completed lifetimes and {gaps.Count(g => g > 0)} non-zero gaps: too little to draw from");
        return new GpuDistributions { RequestSizes = sizes.ToArray(), GapsNs = gaps.ToArray(), LifetimesNs = lifetimes.ToArray() };
    }
}
