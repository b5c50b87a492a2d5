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
                t[WhatIf.Start].Append(WhatIfStart.Trace.Name());
                t[WhatIf.ConfigIndex].Append(0);
                t[WhatIf.Config].Append("recorded");
                t[WhatIf.AllocConf].Append("");
                t[WhatIf.Capacity].Append(null);
                t[WhatIf.CapacityOrigin].Append(pool.CapacityOrigin);
                t[WhatIf.Status].Append(pool.Status);
                foreach (var c in new[] { WhatIf.Requests, WhatIf.Ooms, WhatIf.PeakReserved, WhatIf.PeakAllocated, WhatIf.EndFree, WhatIf.EndLargestFree, WhatIf.DeviceAllocations }) t[c].Append(0);
                foreach (var c in new[] { WhatIf.FirstOomSeq, WhatIf.FirstOomTsNs, WhatIf.FirstOomRequest, WhatIf.MinCapacity }) t[c].Append(null);
                t[WhatIf.AvoidsRecordedOom].Append(null);
                t[WhatIf.EndFragRate].Append(0);
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
                t[WhatIf.Start].Append(start.Name());
                t[WhatIf.ConfigIndex].Append(i);
                t[WhatIf.Config].Append(config.Label);
                t[WhatIf.AllocConf].Append(config.AllocConf);
                t[WhatIf.Capacity].Append(pool.Capacity);
                t[WhatIf.CapacityOrigin].Append(pool.CapacityOrigin);
                t[WhatIf.Status].Append(pool.Status);
                t[WhatIf.Requests].Append(r.Requests);
                t[WhatIf.Ooms].Append(r.Ooms);
                t[WhatIf.FirstOomSeq].Append(r.FirstOomSeq);
                t[WhatIf.FirstOomTsNs].Append(r.FirstOomTsNs);
                t[WhatIf.FirstOomRequest].Append(r.FirstOomRequest);
                t[WhatIf.AvoidsRecordedOom].Append(r.RecordedOomsServed);
                t[WhatIf.PeakReserved].Append(r.PeakReserved);
                t[WhatIf.PeakAllocated].Append(r.PeakAllocated);
                t[WhatIf.EndFree].Append(r.EndFree);
                t[WhatIf.EndLargestFree].Append(r.EndLargestFree);
                t[WhatIf.EndFragRate].Append(FragMetrics.FragRate(r.EndFree, r.EndLargestFree));
                t[WhatIf.DeviceAllocations].Append(r.DeviceAllocations);
                t[WhatIf.MinCapacity].Append(min);
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
            t[AllocatorModelCheck.SettingsRecorded].Append(pool.SettingsRecorded);
            t[AllocatorModelCheck.LiveAtStart].Append(init.LiveBlocks);
            t[AllocatorModelCheck.RebuiltLiveBlocks].Append(init.RebuiltBlocks);
            t[AllocatorModelCheck.UnplacedBlocks].Append(init.Unplaced);
            t[AllocatorModelCheck.Allocations].Append(c.Allocations);
            t[AllocatorModelCheck.AddressMatches].Append(c.AddressMatches);
            t[AllocatorModelCheck.SegmentEvents].Append(c.SegmentEvents);
            t[AllocatorModelCheck.SegmentMatches].Append(c.SegmentMatches);
            t[AllocatorModelCheck.RecordedOoms].Append(c.RecordedOoms);
            t[AllocatorModelCheck.OomMatches].Append(c.OomMatches);
            t[AllocatorModelCheck.FinalSegments].Append(c.FinalSegments);
            t[AllocatorModelCheck.FinalSegmentMatches].Append(c.FinalSegmentMatches);
            t[AllocatorModelCheck.CapacityAtOom].Append(c.CapacityAtOom);
            t[AllocatorModelCheck.Verified].Append(c.Verified && init.Unplaced == 0);
            t.CommitRow();
        }
        return t;
    }

    private static void Key(Table t, PoolKey k)
    {
        t[PoolKeyColumns.Host].Append(k.Host);
        t[PoolKeyColumns.Pid].Append(k.Pid);
        t[PoolKeyColumns.Device].Append(k.Device);
        t[PoolKeyColumns.Pool].Append(k.Pool);
        t[PoolKeyColumns.SourceId].Append(k.SourceId);
    }
}
