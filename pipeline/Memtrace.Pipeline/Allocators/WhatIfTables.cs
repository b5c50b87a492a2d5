using Memtrace.Pipeline.Fragmentation;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Results;

namespace Memtrace.Pipeline.Allocators;

/// <summary>The whatif and allocator_model_check tables from the pools' results.</summary>
public static class WhatIfTables
{
    public static Table Runs(IReadOnlyList<WhatIfPool> pools)
    {
        var t = new Table(WhatIf.Def);
        foreach (var pool in pools)
        {
            if (pool.Runs.Count == 0)
            {
                Key(t, pool.Key);
                t.Str("start").Append(WhatIfStart.Trace.Name());
                t.I64("config_index").Append(0);
                t.Str("config").Append("recorded");
                t.Str("alloc_conf").Append("");
                t.I64("capacity").Append(null);
                t.Str("capacity_origin").Append(pool.CapacityOrigin);
                t.Str("status").Append(pool.Status);
                foreach (var c in new[] { "requests", "ooms", "peak_reserved", "peak_allocated", "end_free", "end_largest_free", "device_allocations" }) t.I64(c).Append(0);
                foreach (var c in new[] { "first_oom_seq", "first_oom_ts_ns", "first_oom_request", "min_capacity" }) t.I64(c).Append(null);
                t.Bool("avoids_recorded_oom").Append(null);
                t.F64("end_frag_rate").Append(0);
                t.CommitRow();
                continue;
            }
            foreach (var start in pool.Runs.Select(r => r.Start).Distinct())
            {
                var runs = pool.Runs.Where(r => r.Start == start).ToList();
            for (var i = 0; i < runs.Count; i++)
            {
                var (config, _, r, min) = runs[i];
                Key(t, pool.Key);
                t.Str("start").Append(start.Name());
                t.I64("config_index").Append(i);
                t.Str("config").Append(config.Label);
                t.Str("alloc_conf").Append(config.AllocConf);
                t.I64("capacity").Append(pool.Capacity);
                t.Str("capacity_origin").Append(pool.CapacityOrigin);
                t.Str("status").Append(pool.Status);
                t.I64("requests").Append(r.Requests);
                t.I64("ooms").Append(r.Ooms);
                t.I64("first_oom_seq").Append(r.FirstOomSeq);
                t.I64("first_oom_ts_ns").Append(r.FirstOomTsNs);
                t.I64("first_oom_request").Append(r.FirstOomRequest);
                t.Bool("avoids_recorded_oom").Append(r.RecordedOomsServed);
                t.I64("peak_reserved").Append(r.PeakReserved);
                t.I64("peak_allocated").Append(r.PeakAllocated);
                t.I64("end_free").Append(r.EndFree);
                t.I64("end_largest_free").Append(r.EndLargestFree);
                t.F64("end_frag_rate").Append(FragMetrics.FragRate(r.EndFree, r.EndLargestFree));
                t.I64("device_allocations").Append(r.DeviceAllocations);
                t.I64("min_capacity").Append(min);
                t.CommitRow();
            }
            }
        }
        return t;
    }

    public static Table Checks(IReadOnlyList<WhatIfPool> pools)
    {
        var t = new Table(AllocatorModelCheck.Def);
        foreach (var pool in pools)
        {
            if (pool.Check is not { } c || pool.Initial is not { } init) continue;
            Key(t, pool.Key);
            t.Bool("settings_recorded").Append(pool.SettingsRecorded);
            t.I64("live_at_start").Append(init.LiveBlocks);
            t.I64("rebuilt_live_blocks").Append(init.RebuiltBlocks);
            t.I64("unplaced_blocks").Append(init.Unplaced);
            t.I64("allocations").Append(c.Allocations);
            t.I64("address_matches").Append(c.AddressMatches);
            t.I64("segment_events").Append(c.SegmentEvents);
            t.I64("segment_matches").Append(c.SegmentMatches);
            t.I64("recorded_ooms").Append(c.RecordedOoms);
            t.I64("oom_matches").Append(c.OomMatches);
            t.I64("final_segments").Append(c.FinalSegments);
            t.I64("final_segment_matches").Append(c.FinalSegmentMatches);
            t.I64("capacity_at_oom").Append(c.CapacityAtOom);
            t.Bool("verified").Append(c.Verified && init.Unplaced == 0);
            t.CommitRow();
        }
        return t;
    }

    private static void Key(Table t, PoolKey k)
    {
        t.Str("host").Append(k.Host);
        t.I64("pid").Append(k.Pid);
        t.I64("device").Append(k.Device);
        t.Str("pool").Append(k.Pool);
        t.Str("source_id").Append(k.SourceId);
    }
}
