using Memtrace.Schemas.Model;

namespace Memtrace.Pipeline.Fragmentation;

/// <summary>Copies one pool's replay rows into the result tables.</summary>
internal static class ResultRows
{
    private static void Key(Table t, PoolKey k)
    {
        t.Str("host").Append(k.Host);
        t.I64("pid").Append(k.Pid);
        t.I64("device").Append(k.Device);
        t.Str("pool").Append(k.Pool);
        t.Str("source_id").Append(k.SourceId);
    }

    public static void Append(FragmentationOutput o, PoolResult r, Func<long?, string> frameOf)
    {
        var k = r.Key;
        var t = o.Timeline;
        foreach (var x in r.Timeline)
        {
            Key(t, k);
            t.I64("seq").Append(x.Seq); t.I64("ts_ns").Append(x.TsNs); t.I64("events").Append(x.Events);
            t.I64("reserved").Append(x.Reserved); t.I64("allocated").Append(x.Allocated);
            t.I64("free_bytes").Append(x.F); t.I64("largest_free").Append(x.L); t.I64("free_blocks").Append(x.N);
            t.F64("frag_rate").Append(x.FragRate); t.F64("effective_contiguous_ratio").Append(x.Ecr);
            t.F64("entropy_seed").Append(x.EntropySeed); t.F64("entropy_log2").Append(x.EntropyLog2); t.F64("entropy_log2_bytes").Append(x.EntropyLog2Bytes);
            t.I64("request_p50").Append(r.RequestP50); t.F64("unusable_p50").Append(x.UnusableP50); t.F64("extfrag_p50").Append(x.ExtfragP50);
            t.I64("request_p99").Append(r.RequestP99); t.F64("unusable_p99").Append(x.UnusableP99); t.F64("extfrag_p99").Append(x.ExtfragP99);
            t.F64("unusable_user").Append(x.UnusableUser);
            t.F64("frag_rate_max").Append(x.FragRateMax); t.I64("largest_free_min").Append(x.LargestFreeMin);
            t.I64("reserved_max").Append(x.ReservedMax); t.I64("allocated_max").Append(x.AllocatedMax);
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
        foreach (var x in r.Heatmap)
        {
            Key(m, k);
            m.I64("level").Append(x.Level); m.I64("time_bin").Append(x.TimeBin); m.I64("addr_bin").Append(x.AddrBin); m.I64("ts_ns").Append(x.TsNs);
            m.I64("offset_start").Append(x.OffsetStart); m.I64("offset_end").Append(x.OffsetEnd); m.I64("address_start").Append(x.AddressStart);
            m.F64("allocated_fraction").Append(x.AllocatedFraction); m.F64("fragmented_fraction").Append(x.FragmentedFraction); m.Str("state").Append(x.State);
            m.I64("top_stack_id").Append(x.TopStackId); m.I64("top_stack_bytes").Append(x.TopStackBytes);
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
