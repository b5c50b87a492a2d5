using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Results;

/// <summary>One row per torch-caching pool and allocator configuration replayed by the what-if model.</summary>
public static class WhatIf
{
    public static readonly StrKey Start = Str("start", "trace: from the allocator's state at the trace's first event (the setting changed then); empty: from an empty allocator, the blocks live at the first event requested first in address order (the setting in force from the process's start).");
    public static readonly I64Key ConfigIndex = I64("config_index", "", "Order of the configuration in the set: 0 is the recorded one.");
    public static readonly StrKey Config = Str("config", "recorded, expandable_segments, max_split_size_mb:N, roundup_power2_divisions:N, or user (--alloc-conf).");
    public static readonly StrKey AllocConf = Str("alloc_conf", "The PYTORCH_CUDA_ALLOC_CONF value that selects the configuration (the recorded settings with one change); empty for PyTorch's defaults.");
    public static readonly I64Key Capacity = I64("capacity", "bytes", "Device bytes the allocator could use; null when unlimited.", nullable: true);
    public static readonly StrKey CapacityOrigin = Str("capacity_origin", "oom (reserved + the driver's free bytes at the first recorded OOM), device-memory (--device-memory) or none.");
    public static readonly StrKey Status = Str("status", "ok, or skipped with the reason (a pool over the event limit of run).");
    public static readonly I64Key Requests = I64("requests", "", "Allocation requests replayed (alloc and oom entries).");
    public static readonly I64Key Ooms = I64("ooms", "", "Requests the configuration could not serve at this capacity.");
    public static readonly I64Key FirstOomSeq = I64("first_oom_seq", "", "seq of the first failed request.", nullable: true);
    public static readonly I64Key FirstOomTsNs = I64("first_oom_ts_ns", "ns", "Time of the first failed request.", nullable: true);
    public static readonly I64Key FirstOomRequest = I64("first_oom_request", "bytes", "Size of the first failed request.", nullable: true);
    public static readonly BoolKey AvoidsRecordedOom = Bool("avoids_recorded_oom", "Whether the trace's oom requests were all served with no failure before them; null when the trace has none.", nullable: true);
    public static readonly I64Key PeakReserved = I64("peak_reserved", "bytes", "Peak bytes reserved from the device (segments and mapped pages); from the trace's start it includes the segments held then, whatever the capacity.");
    public static readonly I64Key PeakAllocated = I64("peak_allocated", "bytes", "Peak bytes of blocks handed to the program.");
    public static readonly I64Key EndFree = I64("end_free", "bytes", "F at the end: cached free bytes.");
    public static readonly I64Key EndLargestFree = I64("end_largest_free", "bytes", "L at the end: the largest cached free block.");
    public static readonly F64Key EndFragRate = F64("end_frag_rate", "", "frag_rate at the end: (F − L) / F, 0 when F = 0.");
    public static readonly I64Key DeviceAllocations = I64("device_allocations", "", "cudaMalloc calls and page mappings the configuration made.");
    public static readonly I64Key MinCapacity = I64("min_capacity", "bytes", "Smallest capacity, in 2 MiB steps, with no OOM (bisection; see docs/whatif.md for when it is an upper bound); null when not searched.", nullable: true);

    public static readonly TableDef Def = new(
        "whatif", 1, TableKind.Result,
        "The pool's recorded requests replayed through a model of PyTorch's CUDA caching allocator under each configuration, from the state at the trace's first event: OOMs, peaks and the smallest device capacity without an OOM.",
        [.. PoolKeyColumns.All, Start, ConfigIndex],
        [
            .. PoolKeyColumns.All,
            Start,
            ConfigIndex,
            Config,
            AllocConf,
            Capacity,
            CapacityOrigin,
            Status,
            Requests,
            Ooms,
            FirstOomSeq,
            FirstOomTsNs,
            FirstOomRequest,
            AvoidsRecordedOom,
            PeakReserved,
            PeakAllocated,
            EndFree,
            EndLargestFree,
            EndFragRate,
            DeviceAllocations,
            MinCapacity,
        ]);
}

/// <summary>One row per torch-caching pool: how much of the real allocator's recorded behaviour the model reproduced.</summary>
public static class AllocatorModelCheck
{
    public static readonly BoolKey SettingsRecorded = Bool("settings_recorded", "Whether the snapshot recorded its allocator settings; PyTorch's defaults are assumed otherwise.");
    public static readonly I64Key LiveAtStart = I64("live_at_start", "", "Blocks live at the trace's first event (rebuilt backwards from the final snapshot).");
    public static readonly I64Key RebuiltLiveBlocks = I64("rebuilt_live_blocks", "", "Of those, blocks allocated before the trace window, whose size was rebuilt from their request.");
    public static readonly I64Key UnplacedBlocks = I64("unplaced_blocks", "", "Live-at-start blocks that fit no segment and were left out.");
    public static readonly I64Key Allocations = I64("allocations", "", "Recorded alloc events.");
    public static readonly I64Key AddressMatches = I64("address_matches", "", "Allocations the model placed at the address the real allocator chose.");
    public static readonly I64Key SegmentEvents = I64("segment_events", "", "Recorded segment_alloc/free/map/unmap events.");
    public static readonly I64Key SegmentMatches = I64("segment_matches", "", "Recorded segment events the model issued the same way.");
    public static readonly I64Key RecordedOoms = I64("recorded_ooms", "", "Recorded oom events.");
    public static readonly I64Key OomMatches = I64("oom_matches", "", "Recorded OOMs the model also could not serve.");
    public static readonly I64Key FinalSegments = I64("final_segments", "", "Segments of the final snapshot (expandable ones excepted).");
    public static readonly I64Key FinalSegmentMatches = I64("final_segment_matches", "", "Final segments whose blocks the model ended with exactly.");
    public static readonly I64Key CapacityAtOom = I64("capacity_at_oom", "bytes", "Reserved bytes plus the driver's free bytes at the first recorded OOM.", nullable: true);
    public static readonly BoolKey Verified = Bool("verified", "Every comparison above matched.");

    public static readonly TableDef Def = new(
        "allocator_model_check", 1, TableKind.Result,
        "The proof behind the what-if: the pool's trace replayed under its recorded settings, every allocation address, segment event, OOM and final segment compared with what the real allocator recorded.",
        [.. PoolKeyColumns.All],
        [
            .. PoolKeyColumns.All,
            SettingsRecorded,
            LiveAtStart,
            RebuiltLiveBlocks,
            UnplacedBlocks,
            Allocations,
            AddressMatches,
            SegmentEvents,
            SegmentMatches,
            RecordedOoms,
            OomMatches,
            FinalSegments,
            FinalSegmentMatches,
            CapacityAtOom,
            Verified,
        ]);
}
