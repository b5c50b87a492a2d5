using System.Runtime;

namespace Memtrace.Collectors.Pickle;

/// <summary>
/// Runs a graph-building load with the GC held off (a no-GC region), as far as a budget goes. Every object the unpickler
/// makes stays live until the import ends, so a collection during the load only traces and promotes the growing graph:
/// GC was a third of the torch import's samples. Measured here on magma27 ×100 (43.5 MB pickle, 516,300 trace entries):
/// the in-process parse 1.27–1.37 s with collections, 0.74–1.06 s without; the CLI import 2.36–2.55 s against 1.54–1.97 s,
/// peak RSS 462 MB against 580 MB. Past the budget the runtime ends the region with one collection and the load goes on
/// as before; a second import in the process while one holds the region runs with collections.
/// </summary>
public static class HeldCollections
{
    /// <summary>
    /// Twelve bytes of objects a pickle byte covers the snapshots measured; at most 4 GiB is held back. Capped at 1 GiB,
    /// magma27 ×1000 (436 MB, 5.2 M trace entries, a 1.8 GB object graph) ran out of the region partway, and collections
    /// tracing the graph were 5.8 s of a 13.2 s in-process import. `memtrace import` of it: 13.0–14.3 s at 2.6 GB peak RSS
    /// capped at 1 GiB, 8.0–8.5 s at 3.4 GB capped at 4 GiB; bcrafton ×1000 (519 MB): 17.2 s at 3.2 GB, 12.6 s at 4.1 GB.
    /// A machine or container that cannot give the budget refuses the region, and the load runs with collections.
    /// </summary>
    public static long BudgetFor(long inputBytes) => Math.Clamp(inputBytes * 12, 16L << 20, 4L << 30);

    public static T Run<T>(long budget, Func<T> load)
    {
        var held = false;
        try
        {
            held = GC.TryStartNoGCRegion(budget);
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or InvalidOperationException)
        {
            // Over what the runtime can promise, or another thread holds the region: load with collections.
        }
        try
        {
            return load();
        }
        finally
        {
            if (held && GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
            {
                try
                {
                    GC.EndNoGCRegion();
                }
                catch (InvalidOperationException)
                {
                    // The runtime ended the region itself (a collection was induced or the budget ran out).
                }
            }
        }
    }
}
