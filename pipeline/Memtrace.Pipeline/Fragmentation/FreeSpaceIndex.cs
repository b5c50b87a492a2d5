using Memtrace.Pipeline.Collections;

namespace Memtrace.Pipeline.Fragmentation;

/// <summary>
/// The free blocks of one pool with every statistic kept incrementally: F, N, the ⌊log2⌋ histogram
/// (by blocks and by bytes), S(R) = Σ⌊b/R⌋ for a fixed set of reference sizes, and L through a max
/// tree over free-list positions. Each change is O(log n), amortized; nothing rescans the space. The blocks
/// themselves live in the <see cref="AddressSpace"/>'s arena; this index is told when one becomes
/// free, stops being free, or changes extent.
/// </summary>
public sealed class FreeSpaceIndex
{
    private readonly BlockArena _arena;
    private readonly LongIntMap _byStart;
    private readonly BlockIdList _list;
    /// <summary>
    /// Free sizes by free-list position, not block id: positions are dense, so the tree is as deep as the
    /// free blocks are many (~8 levels for 200) rather than every block of the arena (12 for 4,096), and a
    /// full rebuild of it is cheap.
    /// </summary>
    private readonly MaxTree _largest = new();
    /// <summary>Ordered free-block starts, for lookups that do not land on a block start. Built on the first such miss.</summary>
    private OrderedLongSet? _starts;
    /// <summary>A driver pool places anywhere, so its ordered starts are kept from the start and never dropped.</summary>
    private readonly bool _ordered;
    private readonly long[] _refSizes;
    private readonly ExactDivisor[] _divisors;

    internal FreeSpaceIndex(BlockArena arena, LongIntMap byStart, long[] referenceSizes, bool ordered)
    {
        _arena = arena;
        _byStart = byStart;
        _list = new BlockIdList(arena);
        _refSizes = referenceSizes;
        _divisors = referenceSizes.Select(r => new ExactDivisor(r)).ToArray();
        SuitableCounts = new long[referenceSizes.Length];
        _starts = ordered ? new OrderedLongSet() : null;
        _ordered = ordered;
    }

    /// <summary>
    /// Drops the ordered starts a lookup miss built, where the pool carves from block starts: rebuilding a torch pool's
    /// state from its snapshot places live blocks inside segments (a miss each), and keeping the set up to date through
    /// the whole replay was ~4% of magma27 ×100's stage (an insert, delete or re-key a change). A later miss builds it again.
    /// </summary>
    internal void DropStartsUnlessOrdered()
    {
        if (!_ordered) _starts = null;
    }

    public long FreeBytes { get; private set; }
    public long Count => _list.Count;
    public long Largest => _largest.Max;
    public long[] HistCount { get; } = new long[FragMetrics.Buckets];
    public long[] HistBytes { get; } = new long[FragMetrics.Buckets];
    /// <summary>S(R_k) for each reference size given at construction.</summary>
    public long[] SuitableCounts { get; }
    public IReadOnlyList<long> ReferenceSizes => _refSizes;

    /// <summary>Told of every free block that appears, disappears or changes extent (the heatmap's running sums).</summary>
    public ISpaceObserver? Observer { get; set; }

    /// <summary>Block <paramref name="id"/> (already in the address map) becomes free.</summary>
    internal void Insert(int id)
    {
        ref var b = ref _arena.Items[id];
        Observer?.FreeChanged(b.Start, b.End, b.Segment, +1);
        _list.Add(id);
        _starts?.Add(b.Start);
        _largest.Set(b.ListPos, b.Size);
        Tally(b.Size, +1);
    }

    /// <summary>Block <paramref name="id"/> stops being free (allocated, merged away or released).</summary>
    internal void Delete(int id)
    {
        ref var b = ref _arena.Items[id];
        Observer?.FreeChanged(b.Start, b.End, b.Segment, -1);
        var pos = b.ListPos;
        _list.Remove(id);
        _starts?.Remove(b.Start);
        // The list's last block moved into the hole (or the hole was the last place): the tree follows it.
        var last = _list.Count;
        if (pos != last) _largest.Set(pos, _arena.Items[_list.Ids[pos]].Size);
        _largest.Set(last, 0);
        Tally(b.Size, -1);
    }

    /// <summary>Free block <paramref name="id"/> shrinks or grows to [start, end); the caller re-keys the address map when the start moves.</summary>
    internal void Resize(int id, long start, long end)
    {
        ref var b = ref _arena.Items[id];
        Observer?.FreeResized(b.Start, b.End, start, end, b.Segment);
        Tally(b.Size, -1);
        // A start moves only within the block's own extent, so no other free start lies between the old and new one.
        if (b.Start != start) _starts?.Replace(b.Start, start);
        b.Start = start;
        b.End = end;
        _largest.Set(b.ListPos, end - start);
        Tally(end - start, +1);
    }

    /// <summary>The seed entropy's histogram, carried between timeline rows.</summary>
    public SeedHistogram Seed { get; } = new();

    /// <summary>
    /// The seed entropy of the free blocks now: O(changes since the last row), or O(n) where L changed. The sizes are
    /// copied into <paramref name="sizes"/> for a rescan, unless <paramref name="copied"/> says the caller did this row.
    /// </summary>
    public double SeedEntropy(ref long[] sizes, int copied = -1)
    {
        if (Seed.CanFold(Largest)) return Seed.Fold(_list.Count);
        var n = copied >= 0 ? copied : CopySizes(ref sizes);
        return Seed.Rescan(sizes.AsSpan(0, n), Largest);
    }

    private void Tally(long size, int sign)
    {
        Seed.Note(size, sign, _list.Count);
        FreeBytes += sign * size;
        var k = FragMetrics.Bucket(size);
        HistCount[k] += sign;
        HistBytes[k] += sign * size;
        var suitable = SuitableCounts;
        for (var r = 0; r < suitable.Length; r++) suitable[r] += sign * _divisors[r].Divide(size);
    }

    /// <summary>
    /// The free block holding [addr, addr + size). The caching allocator always carves from a block's
    /// start, so the hash lookup answers; driver pools place anywhere and use the ordered starts, which
    /// are built on the first miss and maintained from then on (O(log n) either way, never a scan).
    /// </summary>
    public bool TryFindContaining(long addr, long size, out long start, out long end, out int segment)
    {
        var found = TryFindContaining(addr, size, out int id);
        ref readonly var b = ref _arena.Items[Math.Max(0, id)];
        (start, end, segment) = id < 0 ? (addr, 0L, -1) : (b.Start, b.End, b.Segment);
        return found;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal bool TryFindContaining(long addr, long size, out int id)
    {
        if (!_byStart.TryGetValue(addr, out id))
        {
            if (_starts is null)
            {
                _starts = new OrderedLongSet();
                foreach (var free in _list.Ids) _starts.Add(_arena.Items[free].Start);
            }
            if (!_starts.TryPredecessor(addr, out var start) || !_byStart.TryGetValue(start, out id))
            {
                id = -1;
                return false;
            }
        }
        ref readonly var b = ref _arena.Items[id];
        if (!b.Free)
        {
            id = -1;
            return false;
        }
        return addr >= b.Start && addr + size <= b.End;
    }

    public IEnumerable<(long Start, long End, int Segment)> Blocks()
    {
        for (var i = 0; i < _list.Count; i++)
        {
            var b = _arena.Items[_list.Ids[i]];
            yield return (b.Start, b.End, b.Segment);
        }
    }

    /// <summary>Every free block's size into the buffer (grown when too small); returns how many.</summary>
    public int CopySizes(ref long[] sizes)
    {
        var ids = _list.Ids;
        if (sizes.Length < ids.Length) sizes = new long[Math.Max(ids.Length, sizes.Length * 2)];
        var items = _arena.Items;
        for (var i = 0; i < ids.Length; i++) sizes[i] = items[ids[i]].Size;
        return ids.Length;
    }

    public long[] BlockSizes()
    {
        var sizes = new long[_list.Count]; // exactly the count, so CopySizes fills it and never grows it
        CopySizes(ref sizes);
        return sizes;
    }
}
