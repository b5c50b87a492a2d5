using Memtrace.Schemas.Model;
using Memtrace.Schemas.Results;

namespace Memtrace.Pipeline.Fragmentation;

/// <summary>Copies one pool's replay rows into the result tables.</summary>
internal static class ResultRows
{
    private static void Key(Table t, PoolKey k) => PoolKeyCells.Of(t).Append(k);

    /// <summary>
    /// The first pool's rows sized once, not by doubling (a small run's 96,000 heatmap cells grew each column through 17
    /// copies; the copies and their page faults were 7% of the bundled bcrafton run's main thread). Later pools grow the
    /// columns geometrically as before: an exact reserve per pool would copy the table once per pool.
    /// </summary>
    private static void Reserve(Table t, int rows)
    {
        if (t.RowCount == 0) foreach (var c in t.Columns) c.Reserve(rows);
    }

    public static void Append(FragmentationOutput o, PoolResult r, Func<long?, string> frameOf)
    {
        var k = r.Key;
        // The two large tables bind their columns once: a name lookup per cell was a fifth of a warm fragmentation stage.
        var t = o.Timeline;
        var tk = PoolKeyCells.Of(t);
        Int64Column seq = t[FragmentationTimeline.Seq], ts = t[FragmentationTimeline.TsNs], events = t[FragmentationTimeline.Events], reserved = t[FragmentationTimeline.Reserved], allocated = t[FragmentationTimeline.Allocated],
            free = t[FragmentationTimeline.FreeBytes], largest = t[FragmentationTimeline.LargestFree], blocks = t[FragmentationTimeline.FreeBlocks], p50 = t[FragmentationTimeline.RequestP50], p99 = t[FragmentationTimeline.RequestP99],
            largestMin = t[FragmentationTimeline.LargestFreeMin], reservedMax = t[FragmentationTimeline.ReservedMax], allocatedMax = t[FragmentationTimeline.AllocatedMax];
        Float64Column fragRate = t[FragmentationTimeline.FragRate], ecr = t[FragmentationTimeline.EffectiveContiguousRatio], seed = t[FragmentationTimeline.EntropySeed], log2 = t[FragmentationTimeline.EntropyLog2],
            log2Bytes = t[FragmentationTimeline.EntropyLog2Bytes], unusable50 = t[FragmentationTimeline.UnusableP50], extfrag50 = t[FragmentationTimeline.ExtfragP50], unusable99 = t[FragmentationTimeline.UnusableP99],
            extfrag99 = t[FragmentationTimeline.ExtfragP99], unusableUser = t[FragmentationTimeline.UnusableUser], fragRateMax = t[FragmentationTimeline.FragRateMax];
        Reserve(t, r.Timeline.Count);
        foreach (ref readonly var x in System.Runtime.InteropServices.CollectionsMarshal.AsSpan(r.Timeline))
        {
            tk.Append(k);
            seq.Append(x.Seq); ts.Append(x.TsNs); events.Append(x.Events);
            reserved.Append(x.Reserved); allocated.Append(x.Allocated);
            free.Append(x.F); largest.Append(x.L); blocks.Append(x.N);
            fragRate.Append(x.FragRate); ecr.Append(x.Ecr);
            seed.Append(x.EntropySeed); log2.Append(x.EntropyLog2); log2Bytes.Append(x.EntropyLog2Bytes);
            p50.Append(r.RequestP50); unusable50.Append(x.UnusableP50); extfrag50.Append(x.ExtfragP50);
            p99.Append(r.RequestP99); unusable99.Append(x.UnusableP99); extfrag99.Append(x.ExtfragP99);
            unusableUser.Append(x.UnusableUser);
            fragRateMax.Append(x.FragRateMax); largestMin.Append(x.LargestFreeMin);
            reservedMax.Append(x.ReservedMax); allocatedMax.Append(x.AllocatedMax);
            t.CommitRow();
        }
        var h = o.Histogram;
        foreach (var x in r.Histograms)
        {
            Key(h, k);
            h[FreeBlockHistogram.Instant].Append(x.Instant); h[FreeBlockHistogram.Seq].Append(x.Seq); h[FreeBlockHistogram.TsNs].Append(x.TsNs);
            h[FreeBlockHistogram.BucketLog2].Append(x.Bucket); h[FreeBlockHistogram.Blocks].Append(x.Blocks); h[FreeBlockHistogram.Bytes].Append(x.Bytes);
            h.CommitRow();
        }
        var d = o.Ooms;
        foreach (var x in r.Ooms)
        {
            Key(d, k);
            d[OomDiagnoses.Seq].Append(x.Seq); d[OomDiagnoses.TsNs].Append(x.TsNs); d[OomDiagnoses.Origin].Append(x.Origin); d[OomDiagnoses.Request].Append(x.Request);
            d[OomDiagnoses.FreeBytes].Append(x.F); d[OomDiagnoses.LargestFree].Append(x.L); d[OomDiagnoses.FreeBlocks].Append(x.N);
            d[OomDiagnoses.Reserved].Append(x.Reserved); d[OomDiagnoses.Allocated].Append(x.Allocated); d[OomDiagnoses.ReservedUnallocated].Append(x.Reserved - x.Allocated);
            d[OomDiagnoses.DeviceFree].Append(x.DeviceFree); d[OomDiagnoses.Verdict].Append(x.Verdict); d[OomDiagnoses.ExtraContiguousNeeded].Append(x.ExtraContiguousNeeded);
            d[OomDiagnoses.UnusableAtRequest].Append(x.UnusableAtRequest); d[OomDiagnoses.ExtfragAtRequest].Append(x.ExtfragAtRequest);
            d.CommitRow();
        }
        var b = o.Blame;
        foreach (var x in r.Blame)
        {
            Key(b, k);
            b[FragmentationBlame.Instant].Append(x.Instant); b[FragmentationBlame.TsNs].Append(x.TsNs); b[FragmentationBlame.ReferenceRequest].Append(x.ReferenceRequest);
            b[FragmentationBlame.Rank].Append(x.Rank); b[FragmentationBlame.StackId].Append(x.StackId); b[FragmentationBlame.TopFrame].Append(frameOf(x.StackId));
            b[FragmentationBlame.FragmentedBytes].Append(x.FragmentedBytes); b[FragmentationBlame.Fragments].Append(x.Fragments); b[FragmentationBlame.LiveAllocations].Append(x.LiveAllocations);
            b.CommitRow();
        }
        var m = o.Heatmap;
        var mk = PoolKeyCells.Of(m);
        Int64Column level = m[Heatmap.Level], timeBin = m[Heatmap.TimeBin], addrBin = m[Heatmap.AddrBin], cellTs = m[Heatmap.TsNs], offStart = m[Heatmap.OffsetStart],
            offEnd = m[Heatmap.OffsetEnd], addrStart = m[Heatmap.AddressStart], topStack = m[Heatmap.TopStackId], topBytes = m[Heatmap.TopStackBytes];
        Float64Column allocFraction = m[Heatmap.AllocatedFraction], fragFraction = m[Heatmap.FragmentedFraction];
        var state = m[Heatmap.State];
        Reserve(m, r.Heatmap.Count);
        foreach (ref readonly var x in System.Runtime.InteropServices.CollectionsMarshal.AsSpan(r.Heatmap))
        {
            mk.Append(k);
            level.Append(x.Level); timeBin.Append(x.TimeBin); addrBin.Append(x.AddrBin); cellTs.Append(x.TsNs);
            offStart.Append(x.OffsetStart); offEnd.Append(x.OffsetEnd); addrStart.Append(x.AddressStart);
            allocFraction.Append(x.AllocatedFraction); fragFraction.Append(x.FragmentedFraction); state.Append(x.State);
            topStack.Append(x.TopStackId); topBytes.Append(x.TopStackBytes);
            m.CommitRow();
        }
        var a = o.Anomalies;
        foreach (var x in r.Anomalies)
        {
            Key(a, k);
            a[Anomalies.Seq].Append(x.Seq); a[Anomalies.TsNs].Append(x.TsNs); a[Anomalies.Kind].Append(x.Kind);
            a[Anomalies.Address].Append(x.Address); a[Anomalies.Size].Append(x.Size); a[Anomalies.Message].Append(x.Message);
            a.CommitRow();
        }
    }
}
