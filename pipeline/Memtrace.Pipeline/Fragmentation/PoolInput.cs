namespace Memtrace.Pipeline.Fragmentation;

public enum AllocOp : byte
{
    Alloc,
    FreeRequested,
    Free,
    SegmentAlloc,
    SegmentFree,
    Oom,
    Other,
}

/// <summary>
/// One replayable event of a pool, already in (ts, seq) order. 64 bytes: as a positional record with three
/// long? it was 96 (each long? takes 16), and a run holds one per GPU event. An absent value is stored as
/// long.MinValue, which no block size, stack id or free-bytes reading takes (a corrupt one that did would
/// read as absent).
/// </summary>
public readonly struct PoolEvent(long seq, long tsNs, AllocOp op, long address, long size, long? blockSize, long? stackId, long? deviceFree, bool failed)
{
    private const long Absent = long.MinValue;
    private readonly long _blockSize = blockSize ?? Absent;
    private readonly long _stackId = stackId ?? Absent;
    private readonly long _deviceFree = deviceFree ?? Absent;

    public long Seq { get; init; } = seq;
    public long TsNs { get; init; } = tsNs;
    public long Address { get; init; } = address;
    public long Size { get; init; } = size;
    public AllocOp Op { get; init; } = op;
    public bool Failed { get; init; } = failed;
    public long? BlockSize => _blockSize == Absent ? null : _blockSize;
    public long? StackId => _stackId == Absent ? null : _stackId;
    /// <summary>The stack id with long.MinValue for none (the replay's own sentinel too), with no long? on the per-event path.</summary>
    internal long StackIdOrMin => _stackId;
    /// <summary>The block size, or long.MinValue when the source did not give one.</summary>
    internal long BlockSizeOrMin => _blockSize;
    public long? DeviceFree => _deviceFree == Absent ? null : _deviceFree;

    public override string ToString() => $"#{Seq} {Op} at {TsNs} ns: 0x{Address:x} size {Size} block {BlockSize} stack {StackId}{(Failed ? " (failed)" : "")}";
}

/// <summary>One block of the pool's final snapshot.</summary>
public readonly record struct SnapshotBlock(long SegmentAddress, long SegmentSize, bool SmallPool, long Address, long Size, bool Live, long? StackId);

public readonly record struct PoolKey(string Host, long Pid, long Device, string Pool, string SourceId)
{
    /// <summary>"host/pid 42/cuda:0/torch-caching (s…)": the host and pid only when the source knew them (a torch snapshot names neither).</summary>
    public override string ToString() => $"{(Host.Length == 0 ? "" : Host + "/")}{(Pid == 0 ? "" : $"pid {Pid}/")}cuda:{Device}/{Pool} ({SourceId})";
}

/// <summary>Allocator pools (torch, RMM) measure free space inside segments; driver pools measure gaps in an address range.</summary>
public enum PoolLevel
{
    Allocator,
    Driver,
}

public sealed class PoolInput
{
    public required PoolKey Key { get; init; }
    public required PoolLevel Level { get; init; }
    public required PoolEvent[] Events { get; init; }
    public SnapshotBlock[] Snapshot { get; init; } = [];
    /// <summary>Whether the pool follows the PyTorch caching allocator's rounding and split rules.</summary>
    public bool TorchRules { get; init; }
}

public sealed record FragmentationOptions
{
    /// <summary>Extra reference request size for unusable_index (--request-size).</summary>
    public long? RequestSize { get; init; }
    /// <summary>Time bucket for the timeline (--resolution); null = automatic (at most MaxTimelineRows rows per pool).</summary>
    public long? ResolutionNs { get; init; }
    public int MaxTimelineRows { get; init; } = 20_000;
    /// <summary>Driver pools: the address range is [lowest address, lowest + this) instead of the observed extent.</summary>
    public long? DeviceMemory { get; init; }
    public int HeatmapTimeBins { get; init; } = 120;
    public int HeatmapAddressBins { get; init; } = 160;
    /// <summary>Heatmap levels: level 0 is HeatmapTimeBins × HeatmapAddressBins, each next one HeatmapZoom× finer in both axes.</summary>
    public int HeatmapLevels { get; init; } = 2;
    public int HeatmapZoom { get; init; } = 2;
    /// <summary>Heatmap sums kept per change (true) or recounted by a walk per capture (false); null: whichever costs less (tests force each).</summary>
    public bool? HeatmapPerChange { get; init; }
    /// <summary>Coarser heatmap levels summed from the next finer one where their bins line up (null: yes), or sampled each on its own (false; tests compare the two). The cells are the same.</summary>
    public bool? HeatmapDerived { get; init; }
    public int BlameTop { get; init; } = 20;
    /// <summary>Where the batch statistics run (--accelerator).</summary>
    public Gpu.AcceleratorChoice Accelerator { get; init; } = Gpu.AcceleratorChoice.Auto;
    /// <summary>Free blocks per pool captured at timeline rows for the batch cross-check (bounds its memory).</summary>
    public long MaxCapturedBlocks { get; init; } = 2_000_000;
    /// <summary>Keep each pool's captured blocks and live intervals after the cross-checks ran (to run them again: tests).</summary>
    public bool KeepCrossCheckInputs { get; init; }
}
