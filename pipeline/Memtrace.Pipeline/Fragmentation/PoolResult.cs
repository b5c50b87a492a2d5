namespace Memtrace.Pipeline.Fragmentation;

public readonly record struct TimelineRow(
    long Seq, long TsNs, long Events, long Reserved, long Allocated, long F, long L, long N,
    double FragRate, double Ecr, double EntropySeed, double EntropyLog2, double EntropyLog2Bytes,
    double UnusableP50, double ExtfragP50, double UnusableP99, double ExtfragP99, double? UnusableUser,
    double FragRateMax, long LargestFreeMin, long ReservedMax, long AllocatedMax);

public sealed record HistogramRow(string Instant, long Seq, long TsNs, int Bucket, long Blocks, long Bytes);

public sealed record OomRow(
    long Seq, long TsNs, string Origin, long Request, long F, long L, long N, long Reserved, long Allocated,
    long? DeviceFree, string Verdict, long ExtraContiguousNeeded, double UnusableAtRequest, double ExtfragAtRequest);

public sealed record BlameRow(string Instant, long TsNs, long ReferenceRequest, int Rank, long? StackId, long FragmentedBytes, long Fragments, long LiveAllocations);

public readonly record struct HeatmapCell(int Level, int TimeBin, int AddrBin, long TsNs, long OffsetStart, long OffsetEnd, long AddressStart,
    double AllocatedFraction, double FragmentedFraction, string State, long? TopStackId, long TopStackBytes)
{
    /// <summary>Segment bytes in the bin, free bytes, fragmented-gap bytes, and live bytes as the sampler's state walk counted them.</summary>
    public long MappedBytes { get; init; }
    public long FreeBytes { get; init; }
    public long FragmentedBytes { get; init; }
    public long SampledLiveBytes { get; init; }
}

public sealed record AnomalyRow(long Seq, long TsNs, string Kind, long? Address, long? Size, string Message);

/// <summary>Everything the replay of one pool produced.</summary>
public sealed class PoolResult
{
    public required PoolKey Key { get; init; }
    public long RequestP50 { get; set; }
    public long RequestP99 { get; set; }
    public List<TimelineRow> Timeline { get; } = new();
    public List<HistogramRow> Histograms { get; } = new();
    public List<OomRow> Ooms { get; } = new();
    public List<BlameRow> Blame { get; } = new();
    public List<HeatmapCell> Heatmap { get; } = new();
    /// <summary>Each heatmap level's grid and where its cells start in <see cref="Heatmap"/>, for the rasteriser.</summary>
    public List<(int Level, Gpu.HeatmapGrid Grid, int FirstCell)> HeatmapGrids { get; } = new();
    /// <summary>Live blocks as (offset × time) rectangles, those live at a heatmap instant at least.</summary>
    public LiveIntervals? LiveIntervals { get; set; }
    public List<AnomalyRow> Anomalies { get; } = new();
    /// <summary>Counters by stats-catalogue key.</summary>
    public Dictionary<string, long> Counts { get; } = new(StringComparer.Ordinal);

    /// <summary>At most this many anomaly rows per pool are kept; the counters count them all.</summary>
    public const int MaxAnomalyRows = 100_000;

    /// <summary>Counts one anomaly under its stat and keeps its row (up to <see cref="MaxAnomalyRows"/>).</summary>
    public void Record(Memtrace.Schemas.Stats.StatDef stat, long seq, long ts, long? address, long? size, string message)
    {
        Counts[stat.Key] = Counts.GetValueOrDefault(stat.Key) + 1;
        if (Anomalies.Count < MaxAnomalyRows) Anomalies.Add(new AnomalyRow(seq, ts, stat.Key, address, size, message));
    }
    /// <summary>Final replayed free blocks (start, end), sorted; compared against the snapshot by tests and by the replay itself.</summary>
    public List<(long Start, long End)> FinalFree { get; } = new();
    public List<(long Start, long Size)> FinalLive { get; } = new();
    public long EventsReplayed { get; set; }

    /// <summary>Drops what only the batch cross-check and the heatmap raster read, once they ran: up to 2 M captured sizes and the live intervals.</summary>
    public void ReleaseCapturedInputs()
    {
        CapturedSizes.Release();
        CapturedEnds.Clear();
        CapturedEnds.TrimExcess();
        LiveIntervals = null;
    }

    /// <summary>Drops the heatmap cells once they are rows of the result table (96,000 cell objects a pool at the default levels).</summary>
    public void ReleaseHeatmapCells()
    {
        Heatmap.Clear();
        Heatmap.TrimExcess();
        HeatmapGrids.Clear();
    }
    /// <summary>Free-block sizes at the first timeline rows, concatenated (CSR values), for the batch cross-check.</summary>
    public CapturedSizes CapturedSizes { get; } = new();
    /// <summary>End offset into <see cref="CapturedSizes"/> of each captured timeline row, in row order.</summary>
    public List<long> CapturedEnds { get; } = new();
}
