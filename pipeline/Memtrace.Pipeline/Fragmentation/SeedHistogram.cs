namespace Memtrace.Pipeline.Fragmentation;

/// <summary>
/// The seed entropy's 8-bin histogram of a pool's free blocks, carried from one timeline row to the next. The bins
/// are size ranges fixed by the largest free block L (<see cref="SeedThresholds"/>), and L changes on few rows of a
/// real trace (none of the 6,200 rows of magma27 ×100, 12 of bcrafton's 5,163), so a row folds in the sizes that
/// entered or left the free list since the last row (7 compares each) instead of binning every free block again.
/// A row rescans the free blocks, O(n), only where L changed since the last row, or where more sizes changed
/// than there are free blocks (then the rescan is the cheaper of the two; the synthetic bench's 214 free blocks
/// and ~1,000 changes a row take this path, as every row did before, and record nothing for the next 15 rows so
/// the per-change cost stays off the event loop). Either way the histogram is exact, so the
/// entropy's bits are those of binning every block.
/// </summary>
public sealed class SeedHistogram
{
    private readonly SeedThresholds _thresholds = new();
    private readonly long[] _hist = new long[FragMetrics.SeedBins.Count];
    /// <summary>Sizes that entered (+size) or left (−size) the free list since the last row.</summary>
    private long[] _pending = new long[64];
    private int _pendingCount;
    /// <summary>Whether <see cref="_hist"/> plus the pending sizes is the histogram of the free list under <see cref="_binnedFor"/>'s thresholds.</summary>
    private bool _valid;
    private long _binnedFor = -1;

    /// <summary>Rows that rescanned every free block, and rows that folded the changes in (for tests and the bench).</summary>
    public long Rescans { get; private set; }
    public long Folds { get; private set; }

    /// <summary>Rows left during which nothing is recorded, after a row whose changes outnumbered its blocks (then every row rescans, as a row always did).</summary>
    private int _quietRows;
    private bool _overflowed;

    /// <summary>A free block of <paramref name="size"/> entered (+1) or left (−1) the free list, which holds <paramref name="freeBlocks"/>.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal void Note(long size, int sign, long freeBlocks)
    {
        if (!_valid) return;
        if (_pendingCount == _pending.Length) Grow(freeBlocks);
        if (_valid) _pending[_pendingCount++] = sign > 0 ? size : -size;
    }

    private void Grow(long freeBlocks)
    {
        // Past the free list's size, a rescan costs less than folding: stop recording until the next row.
        if (_pendingCount >= freeBlocks) (_valid, _overflowed) = (false, true);
        else Array.Resize(ref _pending, _pending.Length * 2);
    }

    /// <summary>Whether this row can fold the recorded changes in (else it must <see cref="Rescan"/>).</summary>
    public bool CanFold(long largest) => _valid && largest == _binnedFor;

    /// <summary>The entropy after folding in the sizes recorded since the last row.</summary>
    public double Fold(long freeBlocks)
    {
        for (var i = 0; i < _pendingCount; i++)
        {
            var v = _pending[i];
            if (v >= 0) _hist[_thresholds.BinOf(v)]++;
            else _hist[_thresholds.BinOf(-v)]--;
        }
        Folds++;
        return EndRow(freeBlocks);
    }

    /// <summary>The entropy of <paramref name="sizes"/>, every free block now, binned afresh for <paramref name="largest"/>.</summary>
    public double Rescan(ReadOnlySpan<long> sizes, long largest)
    {
        _thresholds.Prepare(largest);
        Array.Clear(_hist);
        _thresholds.Histogram(sizes, _hist, System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated);
        _binnedFor = largest;
        Rescans++;
        return EndRow(sizes.Length);
    }

    private double EndRow(long freeBlocks)
    {
        _pendingCount = 0;
        // A row that overflowed is followed by 15 rows that record nothing (they rescan); then folding is tried again.
        if (_overflowed) (_quietRows, _overflowed) = (15, false);
        else if (_quietRows > 0) _quietRows--;
        _valid = _quietRows == 0;
        return freeBlocks == 0 ? 0.0 : FragMetrics.EntropyOfSeedHistogram(_hist);
    }
}
