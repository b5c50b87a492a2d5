using System.Buffers;

namespace Memtrace.Pipeline.Fragmentation;

/// <summary>
/// The free-block sizes of a pool's first timeline rows, concatenated (the CSR values the batch cross-check
/// reads). Appended in fixed chunks taken from a pool of its own and handed back on <see cref="Release"/>:
/// a growing List&lt;long&gt; copied itself at every doubling and took fresh pages for each pool, which cost the
/// replay ~10 ns an event (0.1 s of a 10^7-event replay, measured) for up to 16 MB it only appends to.
/// </summary>
public sealed class CapturedSizes
{
    /// <summary>512 KB chunks: big enough that the per-chunk bookkeeping vanishes, small enough for a tiny pool.</summary>
    private const int ChunkLength = 1 << 16;

    /// <summary>
    /// Retains up to 512 chunks (256 MB), the most that a cross-check group (16 M blocks, 128 MB) and the pools
    /// being replayed beside it hold at once; ArrayPool.Shared keeps only a few arrays of a size per core.
    /// </summary>
    private static readonly ArrayPool<long> Chunks = ArrayPool<long>.Create(ChunkLength, 512);

    private readonly List<long[]> _chunks = [];

    public long Count { get; private set; }

    public void Append(ReadOnlySpan<long> sizes)
    {
        while (!sizes.IsEmpty)
        {
            var at = (int)(Count % ChunkLength);
            if (Count == (long)_chunks.Count * ChunkLength) _chunks.Add(Chunks.Rent(ChunkLength));
            var n = Math.Min(sizes.Length, ChunkLength - at);
            sizes[..n].CopyTo(_chunks[(int)(Count / ChunkLength)].AsSpan(at));
            Count += n;
            sizes = sizes[n..];
        }
    }

    /// <summary>The first <paramref name="destination"/>.Length sizes, in order.</summary>
    public void CopyTo(Span<long> destination)
    {
        if (destination.Length > Count) throw new ArgumentOutOfRangeException(nameof(destination), $"{destination.Length} sizes asked, {Count} captured");
        for (var c = 0; !destination.IsEmpty; c++)
        {
            var n = Math.Min(destination.Length, ChunkLength);
            _chunks[c].AsSpan(0, n).CopyTo(destination);
            destination = destination[n..];
        }
    }

    public long[] ToArray()
    {
        var all = new long[Count];
        CopyTo(all);
        return all;
    }

    /// <summary>Hands the chunks back; the capture is empty afterwards.</summary>
    public void Release()
    {
        foreach (var chunk in _chunks) Chunks.Return(chunk);
        _chunks.Clear();
        Count = 0;
    }
}
