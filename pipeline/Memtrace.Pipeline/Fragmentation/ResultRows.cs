using Memtrace.Schemas.Model;

namespace Memtrace.Pipeline.Fragmentation;

/// <summary>Copies one pool's replay rows into the result tables.</summary>
internal static class ResultRows
{
    private static void Key(Table t, PoolKey k) => KeyColumns.Of(t).Append(k);

    /// <summary>A table's pool-key columns, bound once.</summary>
    private readonly record struct KeyColumns(StringColumn Host, Int64Column Pid, Int64Column Device, StringColumn Pool, StringColumn SourceId)
    {
        public static KeyColumns Of(Table t) => new(t.Str("host"), t.I64("pid"), t.I64("device"), t.Str("pool"), t.Str("source_id"));

        public void Append(PoolKey k)
        {
            Host.Append(k.Host);
            Pid.Append(k.Pid);
            Device.Append(k.Device);
            Pool.Append(k.Pool);
            SourceId.Append(k.SourceId);
        }
    }

    public static void Append(FragmentationOutput o, PoolResult r, Func<long?, string> frameOf)
    {
        var k = r.Key;
        // The two large tables bind their columns once: a name lookup per cell was a fifth of a warm fragmentation stage.
        var t = o.Timeline;
        var tk = KeyColumns.Of(t);
        Int64Column seq = t.I64("seq"), ts = t.I64("ts_ns"), events = t.I64("events"), reserved = t.I64("reserved"), allocated = t.I64("allocated"),
            free = t.I64("free_bytes"), largest = t.I64("largest_free"), blocks = t.I64("free_blocks"), p50 = t.I64("request_p50"), p99 = t.I64("request_p99"),
            largestMin = t.I64("largest_free_min"), reservedMax = t.I64("reserved_max"), allocatedMax = t.I64("allocated_max");
        Float64Column fragRate = t.F64("frag_rate"), ecr = t.F64("effective_contiguous_ratio"), seed = t.F64("entropy_seed"), log2 = t.F64("entropy_log2"),
            log2Bytes = t.F64("entropy_log2_bytes"), unusable50 = t.F64("unusable_p50"), extfrag50 = t.F64("extfrag_p50"), unusable99 = t.F64("unusable_p99"),
            extfrag99 = t.F64("extfrag_p99"), unusableUser = t.F64("unusable_user"), fragRateMax = t.F64("frag_rate_max");
        foreach (var x in r.Timeline)
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
            h.Str("instant").Append(x.Instant); h.I64("seq").Append(x.Seq); h.I64("ts_ns").Append(x.TsNs);
            h.I64("bucket_log2").Append(x.Bucket); h.I64("blocks").Append(x.Blocks); h.I64("bytes").Append(x.Bytes);
            h.CommitRow();
        }
        var d = o.Ooms;
        foreach (var x in r.Ooms)
        {
            Key(d, k);
            d.I64("seq").Append(x.Seq); d.I64("ts_ns").Append(x.TsNs); d.Str("origin").Append(x.Origin); d.I64("request").Append(x.Request);
            d.I64("free_bytes").Append(x.F); d.I64("largest_free").Append(x.L); d.I64("free_blocks").Append(x.N);
            d.I64("reserved").Append(x.Reserved); d.I64("allocated").Append(x.Allocated); d.I64("reserved_unallocated").Append(x.Reserved - x.Allocated);
            d.I64("device_free").Append(x.DeviceFree); d.Str("verdict").Append(x.Verdict); d.I64("extra_contiguous_needed").Append(x.ExtraContiguousNeeded);
            d.F64("unusable_at_request").Append(x.UnusableAtRequest); d.F64("extfrag_at_request").Append(x.ExtfragAtRequest);
            d.CommitRow();
        }
        var b = o.Blame;
        foreach (var x in r.Blame)
        {
            Key(b, k);
            b.Str("instant").Append(x.Instant); b.I64("ts_ns").Append(x.TsNs); b.I64("reference_request").Append(x.ReferenceRequest);
            b.I64("rank").Append(x.Rank); b.I64("stack_id").Append(x.StackId); b.Str("top_frame").Append(frameOf(x.StackId));
            b.I64("fragmented_bytes").Append(x.FragmentedBytes); b.I64("fragments").Append(x.Fragments); b.I64("live_allocations").Append(x.LiveAllocations);
            b.CommitRow();
        }
        var m = o.Heatmap;
        var mk = KeyColumns.Of(m);
        Int64Column level = m.I64("level"), timeBin = m.I64("time_bin"), addrBin = m.I64("addr_bin"), cellTs = m.I64("ts_ns"), offStart = m.I64("offset_start"),
            offEnd = m.I64("offset_end"), addrStart = m.I64("address_start"), topStack = m.I64("top_stack_id"), topBytes = m.I64("top_stack_bytes");
        Float64Column allocFraction = m.F64("allocated_fraction"), fragFraction = m.F64("fragmented_fraction");
        var state = m.Str("state");
        foreach (var x in r.Heatmap)
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
            a.I64("seq").Append(x.Seq); a.I64("ts_ns").Append(x.TsNs); a.Str("kind").Append(x.Kind);
            a.I64("address").Append(x.Address); a.I64("size").Append(x.Size); a.Str("message").Append(x.Message);
            a.CommitRow();
        }
    }
}
