namespace Memtrace.Pipeline.Allocators;

/// <summary>What the caching allocator asks of CUDA: cudaMalloc/cudaFree for segments, and for expandable segments
/// a virtual range (cuMemAddressReserve) and physical pages mapped into it (cuMemCreate + cuMemMap).</summary>
public interface IDeviceDriver
{
    bool TryMalloc(long size, out long ptr);
    void Free(long ptr, long size);
    long ReserveAddressSpace(long size, long alignment);
    bool TryMapPages(long ptr, long size);
    void UnmapPages(long ptr, long size);
}

/// <summary>
/// A device of fixed capacity (or unlimited, capacity null): cudaMalloc and page mapping fail when the bytes in
/// use would pass it. Addresses of new segments are not in any trace, so they are handed out upward from a base
/// above every recorded address, 2 MiB aligned; a real driver's choice differs, and only the address tie-break
/// between equal-sized free blocks can feel it.
/// </summary>
public sealed class CapacityDriver(long? capacity, long firstAddress) : IDeviceDriver
{
    private const long Alignment = 2 << 20;
    private long _next = Align(firstAddress, Alignment);

    public long? Capacity { get; } = capacity;
    public long Used { get; private set; }

    /// <summary>Counts bytes already held (the initial state's segments) against the capacity; Used may then exceed it, and every new request fails until releases bring it back under.</summary>
    public void Reserve(long bytes) => Used += bytes;

    private static long Align(long v, long a) => (v + a - 1) / a * a;

    private bool Fits(long size) => Capacity is not { } c || Used + size <= c;

    public bool TryMalloc(long size, out long ptr)
    {
        ptr = 0;
        if (!Fits(size)) return false;
        ptr = _next;
        _next = Align(_next + size, Alignment);
        Used += size;
        return true;
    }

    public void Free(long ptr, long size) => Used -= size;

    public long ReserveAddressSpace(long size, long alignment)
    {
        var at = Align(_next, alignment);
        _next = Align(at + size, Alignment);
        return at;
    }

    public bool TryMapPages(long ptr, long size)
    {
        if (!Fits(size)) return false;
        Used += size;
        return true;
    }

    public void UnmapPages(long ptr, long size) => Used -= size;
}

/// <summary>One segment-level event as the allocator records it (SEGMENT_ALLOC/FREE/MAP/UNMAP) or as the model issues it.</summary>
public readonly record struct SegmentOp(SegmentOpKind Kind, long Ptr, long Size, long Seq = -1);

public enum SegmentOpKind : byte
{
    Alloc,
    Free,
    Map,
    Unmap,
}

/// <summary>
/// The driver of the proof: the real driver's answers, read from the trace. A cudaMalloc succeeds exactly when
/// the trace's next recorded segment event is a segment_alloc (at the address the trace gives), so the model's
/// own decisions (which block, whether to split, which segments to release) are what is checked, against a
/// device whose other tenants memtrace cannot see. Every disagreement is handed to <see cref="OnMismatch"/>.
/// </summary>
public sealed class RecordedDriver : IDeviceDriver
{
    private readonly Queue<SegmentOp> _pending = new();

    public Action<string, SegmentOp?>? OnMismatch { get; set; }
    public int PendingCount => _pending.Count;

    public void Enqueue(SegmentOp op) => _pending.Enqueue(op);

    public bool TryPeek(out SegmentOp op) => _pending.TryPeek(out op);

    public SegmentOp Dequeue() => _pending.Dequeue();

    public bool TryMalloc(long size, out long ptr)
    {
        ptr = 0;
        if (!_pending.TryPeek(out var op) || op.Kind != SegmentOpKind.Alloc) return false;
        _pending.Dequeue();
        if (op.Size != size) OnMismatch?.Invoke($"the model asked cudaMalloc for {size} bytes; the trace's segment_alloc has {op.Size}", op);
        ptr = op.Ptr;
        return true;
    }

    public void Free(long ptr, long size) => Expect(SegmentOpKind.Free, ptr, size);

    public long ReserveAddressSpace(long size, long alignment) =>
        // A new expandable segment starts where the trace maps its first page.
        _pending.TryPeek(out var op) && op.Kind == SegmentOpKind.Map ? op.Ptr : 0;

    public bool TryMapPages(long ptr, long size)
    {
        if (!_pending.TryPeek(out var op) || op.Kind != SegmentOpKind.Map) return false;
        _pending.Dequeue();
        if (op.Ptr != ptr || op.Size != size) OnMismatch?.Invoke($"the model mapped {size} bytes at 0x{ptr:x}; the trace maps {op.Size} at 0x{op.Ptr:x}", op);
        return true;
    }

    public void UnmapPages(long ptr, long size) => Expect(SegmentOpKind.Unmap, ptr, size);

    private void Expect(SegmentOpKind kind, long ptr, long size)
    {
        var name = kind == SegmentOpKind.Free ? "segment_free" : "segment_unmap";
        if (_pending.TryPeek(out var op) && op.Kind == kind && op.Ptr == ptr && op.Size == size)
        {
            _pending.Dequeue();
            return;
        }
        OnMismatch?.Invoke($"the model issued {name} of {size} bytes at 0x{ptr:x}, which the trace does not record here", _pending.TryPeek(out var next) ? next : null);
    }
}
