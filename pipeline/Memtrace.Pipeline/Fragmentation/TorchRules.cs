namespace Memtrace.Pipeline.Fragmentation;

/// <summary>
/// The PyTorch CUDA caching allocator's block rules (c10/cuda/CUDACachingAllocator.cpp): requests
/// round up to 512 bytes (kMinBlockSize); a free block is split only when the remainder is at least
/// 512 bytes in the small pool, or more than 1 MiB (kSmallSize) in the large pool. Small-pool
/// segments are 2 MiB (kSmallBuffer).
/// </summary>
public static class TorchRules
{
    public const long MinBlockSize = 512;
    public const long SmallSize = 1 << 20;
    public const long SmallBuffer = 2 << 20;

    public static long RoundSize(long size) => size < MinBlockSize ? MinBlockSize : (size + MinBlockSize - 1) / MinBlockSize * MinBlockSize;

    public static bool ShouldSplit(long remaining, bool smallPool) => smallPool ? remaining >= MinBlockSize : remaining > SmallSize;

    public static bool IsSmallSegment(long segmentSize) => segmentSize == SmallBuffer;
}
