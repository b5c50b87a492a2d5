namespace Memtrace.Pipeline.Fragmentation;

/// <summary>
/// Told of every change to a pool's address space as it happens, with the block's segment, so a consumer keeps its
/// own sums current per change (O(1) or O(log n)) instead of walking every segment and block when it needs them.
/// </summary>
public interface ISpaceObserver
{
    void SegmentChanged(Segment segment, int sign);
    void FreeChanged(long start, long end, int segment, int sign);
    /// <summary>A free block went from [oldStart, oldEnd) to [start, end) in place (carved from, or merged into).</summary>
    void FreeResized(long oldStart, long oldEnd, long start, long end, int segment);
    void LiveChanged(long start, long size, int segment, long stackId, int sign);
}

/// <summary>Several observers told in turn (the heatmap's levels).</summary>
public sealed class SpaceObservers(ISpaceObserver[] observers) : ISpaceObserver
{
    public void SegmentChanged(Segment segment, int sign)
    {
        foreach (var o in observers) o.SegmentChanged(segment, sign);
    }

    public void FreeChanged(long start, long end, int segment, int sign)
    {
        foreach (var o in observers) o.FreeChanged(start, end, segment, sign);
    }

    public void FreeResized(long oldStart, long oldEnd, long start, long end, int segment)
    {
        foreach (var o in observers) o.FreeResized(oldStart, oldEnd, start, end, segment);
    }

    public void LiveChanged(long start, long size, int segment, long stackId, int sign)
    {
        foreach (var o in observers) o.LiveChanged(start, size, segment, stackId, sign);
    }
}
