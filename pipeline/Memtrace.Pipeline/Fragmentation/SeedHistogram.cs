namespace Memtrace.Pipeline.Fragmentation;

/// <summary>
/// The seed entropy's 8-bin histogram of a pool's free blocks, carried from one timeline row to the next. The bins
/// are size ranges fixed by the largest free block L (<see cref="SeedThresholds"/>), and L changes on few rows of a
/// real trace (none of the 6,200 rows of magma27 ×100, 12 of bcrafton's 5,163), so a row folds in the sizes that
/// entered or left the free list since the last row (7 compares each) instead of binning every free block again.
/// A row rescans the free blocks, O(n), only where L changed since the last row, or where more sizes changed
/// than there are free blocks (then the rescan is the cheaper of the two; the synthetic bench's 214 free blocks
/// and ~1,000 changes a row take this path, as every row did before). Either way the histogram is exact, so the
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
        if (_pendingCount >= freeBlocks) _valid = false;
        else Array.Resize(ref _pending, _pending.Length * 2);
    }

    /// <summary>The seed entropy of the free blocks now; <paramref name="sizes"/> enumerates their sizes for a rescan.</summary>
    public double Entropy(long freeBlocks, long largest, Func<int, long> sizeAt)
    {
        if (!_valid || largest != _binnedFor)
        {
            _thresholds.Prepare(largest);
            Array.Clear(_hist);
            for (var i = 0; i < freeBlocks; i++) _hist[_thresholds.BinOf(sizeAt(i))]++;
            _binnedFor = largest;
            _valid = true;
            Rescans++;
        }
        else
        {
            for (var i = 0; i < _pendingCount; i++)
            {
                var v = _pending[i];
                if (v >= 0) _hist[_thresholds.BinOf(v)]++;
                else _hist[_thresholds.BinOf(-v)]--;
            }
            Folds++;
        }
        _pendingCount = 0;
        return freeBlocks == 0 ? 0.0 : FragMetrics.EntropyOfSeedHistogram(_hist);
    }
}
