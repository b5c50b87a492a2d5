using Memtrace.Pipeline.Run;

namespace Memtrace.Pipeline.Allocators;

/// <summary>The what-if as terminal lines: the proof first, then one line per configuration, the worst first never hidden.</summary>
public static class WhatIfText
{
    public static IEnumerable<string> Lines(WhatIfOutput output)
    {
        foreach (var p in output.Pools)
        {
            yield return $"{p.Key}";
            if (p.Check is not { } c)
            {
                yield return $"  {p.Status}";
                continue;
            }
            yield return $"  model check under the recorded settings{(p.SettingsRecorded ? "" : " (not recorded: PyTorch's defaults)")}: " +
                $"{c.AddressMatches}/{c.Allocations} allocation addresses, {c.SegmentMatches}/{c.SegmentEvents} segment events, " +
                $"{c.OomMatches}/{c.RecordedOoms} OOMs, {c.FinalSegmentMatches}/{c.FinalSegments} final segments: {(c.Verified ? "reproduced" : "NOT reproduced (see import_log)")}";
            yield return $"  capacity {(p.Capacity is { } cap ? ByteSize.Format(cap) : "unlimited")} ({CapacityOrigins.Describe(p.CapacityOrigin)})";
            foreach (var (config, start, r, min) in p.Runs)
            {
                if (config.Label == "recorded")
                    yield return start == WhatIfStart.Trace ? "  changed at the trace's first event:" : "  in force from an empty allocator (allocations before the trace replayed first):";
                var ooms = r.Ooms == 0 ? "no OOM" : $"{r.Ooms} OOM{(r.Ooms == 1 ? "" : "s")}, first {ByteSize.Format(r.FirstOomRequest ?? 0)}";
                var minText = min is { } m ? $", needs {ByteSize.Format(m)}" : "";
                var line = $"    {config.Label,-30} {ooms}; peak reserved {ByteSize.Format(r.PeakReserved)}{minText}";
                yield return config.AllocConf.Length > 0 ? $"{line}  PYTORCH_CUDA_ALLOC_CONF={config.AllocConf}" : line;
            }
        }
    }
}
