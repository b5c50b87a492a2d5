using static System.FormattableString;

namespace Memtrace.Schemas.Stats;

public enum Severity
{
    /// <summary>Expected in real traces; nothing is lost.</summary>
    Info,
    /// <summary>Some input could not be used; results cover less than the input.</summary>
    DataLoss,
    /// <summary>The run cannot be trusted; the CLI exits non-zero unless --tolerate-errors.</summary>
    Error,
}

public sealed record StatDef(string Key, Severity Severity, string Description)
{
    public string SeverityName => Severity switch
    {
        Severity.Info => "info",
        Severity.DataLoss => "data_loss",
        _ => "error",
    };
}

/// <summary>
/// Every counter is declared here, once, with its severity and meaning (as Perfetto's stats.h does).
/// A zero row is written for each one in every run.
/// </summary>
public static class StatsCatalog
{
    private static readonly List<StatDef> Declared = [];

    /// <summary>Declares a counter: the field is its one definition, and <see cref="All"/> lists it in declaration order.</summary>
    private static StatDef Stat(string key, Severity severity, string description)
    {
        var stat = new StatDef(key, severity, description);
        Declared.Add(stat);
        return stat;
    }

    // Files.
    public static readonly StatDef FileRefused = Stat("file_refused", Severity.Error, "A whole input file was refused: unreadable, unrecognised format or unsupported version.");
    public static readonly StatDef FileAlreadyImported = Stat("file_already_imported", Severity.Info, "An input whose sha256 is already in the archive was skipped (idempotent import).");
    public static readonly StatDef ArchiveSourceMissing = Stat("archive_source_missing", Severity.Error, "The manifest lists a table file that is missing, unreadable or outside the archive.");

    // Pickle / torch snapshot.
    public static readonly StatDef PickleTruncated = Stat("pickle_truncated", Severity.DataLoss, "A pickle ended before STOP; complete records before the cut were kept.");
    public static readonly StatDef TorchBadField = Stat("torch_bad_field", Severity.DataLoss, "A snapshot record had a missing or wrongly typed field and was skipped.");
    public static readonly StatDef TorchUnknownAction = Stat("torch_unknown_action", Severity.DataLoss, "A trace entry's action is not one memtrace knows; the entry was skipped.");
    public static readonly StatDef TorchUnknownBlockState = Stat("torch_unknown_block_state", Severity.DataLoss, "A block's state is not active_allocated, active_pending_free/active_awaiting_free or inactive.");
    public static readonly StatDef TorchFreeBeforeWindow = Stat("torch_free_before_window", Severity.Info, "A free of an allocation made before the trace window (the trace is a ring buffer); normal.");
    public static readonly StatDef TorchBlockSizeRecovered = Stat("torch_block_size_recovered", Severity.Info, "Alloc events whose rounded block size was recovered from the final snapshot blocks.");

    // RMM logging_resource_adaptor CSV.
    public static readonly StatDef RmmBadRow = Stat("rmm_bad_row", Severity.DataLoss, "An RMM CSV row with missing or unparseable fields was skipped.");
    public static readonly StatDef RmmUnknownAction = Stat("rmm_unknown_action", Severity.DataLoss, "An RMM CSV row whose Action is not allocate, free/deallocate or allocate failure was skipped.");
    public static readonly StatDef RmmMidnightRollover = Stat("rmm_midnight_rollover", Severity.Info, "RMM's date-less time went back by more than 12 h, so the date was advanced by one day.");

    // Nsight Systems SQLite export.
    public static readonly StatDef NsysBadRow = Stat("nsys_bad_row", Severity.DataLoss, "A CUDA_GPU_MEMORY_USAGE_EVENTS row with a NULL or out-of-range field was skipped.");
    public static readonly StatDef NsysUnknownOperation = Stat("nsys_unknown_operation", Severity.DataLoss, "A memory event whose memoryOperationType is neither 0 (allocation) nor 1 (free) was skipped.");

    // /proc and cgroup trees.
    public static readonly StatDef TtarBadEntry = Stat("ttar_bad_entry", Severity.DataLoss, "A ttar archive entry without a valid 'Lines: n' header was skipped.");
    public static readonly StatDef ProcfsBadFile = Stat("procfs_bad_file", Severity.DataLoss, "A /proc file that did not hold the fields expected of it was skipped.");
    public static readonly StatDef CaptureBadLine = Stat("capture_bad_line", Severity.DataLoss, "A capture JSONL line that is not a {ts_ns, path, content|error} object was skipped.");
    public static readonly StatDef CaptureReadFailed = Stat("capture_read_failed", Severity.DataLoss, "A capture record says its read failed for a reason other than the process being gone (permission denied, a removed cgroup); that tick lacks the file's fields, and the failure is no evidence of exit.");
    public static readonly StatDef CgroupBadFile = Stat("cgroup_bad_file", Severity.DataLoss, "A cgroup memory file whose content did not parse was left out of its sample.");
    public static readonly StatDef CgroupInconsistent = Stat("cgroup_inconsistent", Severity.DataLoss, "A cgroup sample whose memory.stat anon + file exceeds its usage: the files contradict each other, so its attribution is unreliable. Kept as read.");

    // Go runtime.
    public static readonly StatDef GctraceBadLine = Stat("gctrace_bad_line", Severity.DataLoss, "A line that starts like a gctrace record ('gc N @') but does not parse was skipped.");

    public static readonly StatDef ExpvarBadRecord = Stat("expvar_bad_record", Severity.DataLoss, "An expvar capture line or /debug/vars body without a memstats object was skipped.");

    // perf script and dmesg.
    public static readonly StatDef PerfBadLine = Stat("perf_bad_line", Severity.DataLoss, "A perf script line that names a syscalls: tracepoint but does not parse was skipped.");
    public static readonly StatDef PerfUnpairedExit = Stat("perf_unpaired_exit", Severity.Info, "A sys_exit with no sys_enter before it on its thread (the recording started mid-call); counted as a call, without its timeout.");
    public static readonly StatDef PprofBadRecord = Stat("pprof_bad_record", Severity.DataLoss, "A heap?debug=1 line or a pprof sample that did not parse (or whose value count differs from sample_type's) was skipped.");
    public static readonly StatDef BpftraceBadLine = Stat("bpftrace_bad_line", Severity.DataLoss, "A bpftrace output line (text or -f json) that looked like map output but did not parse was skipped.");
    public static readonly StatDef BpftraceLostEvents = Stat("bpftrace_lost_events", Severity.DataLoss, "Events bpftrace itself reported lost (its perf buffer overflowed), summed.");
    public static readonly StatDef MemleakBadLine = Stat("memleak_bad_line", Severity.DataLoss, "A bcc memleak line that did not parse (a stack header without sizes, a frame outside a stack) was skipped.");
    public static readonly StatDef DmesgBadLine = Stat("dmesg_bad_line", Severity.DataLoss, "An OOM-killer kernel log line without a parseable '[seconds]' stamp or fields was skipped.");

    // CUDA hook log (collectors/cuda-hook).
    public static readonly StatDef CudaHookBadRecord = Stat("cuda_hook_bad_record", Severity.DataLoss, "A hook log region failed its record check (corruption); the reader skipped to the next valid record.");
    public static readonly StatDef CudaHookTruncated = Stat("cuda_hook_truncated", Severity.DataLoss, "The hook log ends inside a record (kill -9, full disk); records before the cut were kept.");
    public static readonly StatDef CudaHookNoEnd = Stat("cuda_hook_no_end_marker", Severity.DataLoss, "The hook log has no END record: the process died without the final flush, so its last few milliseconds of events may be missing.");
    public static readonly StatDef CudaHookDropped = Stat("cuda_hook_dropped", Severity.DataLoss, "Events the hook dropped while recording (buffer cap reached, or a call from a signal handler), counted by the hook itself.");
    public static readonly StatDef CudaHookWriteFailed = Stat("cuda_hook_write_failed_bytes", Severity.DataLoss, "Bytes of records the hook could not write (full disk, file size limit); the file was cut back to whole records.");
    public static readonly StatDef CudaHookThreadGap = Stat("cuda_hook_thread_gap", Severity.DataLoss, "Events missing inside one thread's sequence (its per-thread counter skipped).");

    // Resource limits: hostile inputs meet an explicit bound (ImportLimits holds the numbers), each with its counter.
    public static readonly StatDef LimitInflatedBytes = Stat("limit_inflated_bytes", Severity.Error, Invariant($"A compressed input inflated past its bound ({ImportLimits.MaxTextExpansion}x its size for text, {ImportLimits.MaxPprofInflatedBytes >> 20} MiB for a pprof): a gzip bomb; the file was refused."));
    public static readonly StatDef LimitPickleDepth = Stat("limit_pickle_depth", Severity.Error, Invariant($"A pickle opened more nested MARKs than the bound ({ImportLimits.MaxPickleMarks:N0}); the file was refused rather than risk the stack."));
    public static readonly StatDef LimitPickleMemo = Stat("limit_pickle_memo", Severity.Error, Invariant($"A pickle's memo grew past the bound ({ImportLimits.MaxPickleMemo >> 20} M entries); the file was refused."));
    public static readonly StatDef LimitStackFrames = Stat("limit_stack_frames", Severity.DataLoss, Invariant($"A call stack deeper than the bound ({ImportLimits.MaxStackFrames:N0} frames); the innermost frames up to the bound were kept."));
    public static readonly StatDef LimitLineLength = Stat("limit_line_length", Severity.DataLoss, Invariant($"A text line longer than the bound ({ImportLimits.MaxLineChars >> 20} Mi characters) was skipped without being held in memory."));

    // Replay.
    public static readonly StatDef ReplayLiveAtStart = Stat("replay_reconstructed_live_at_start", Severity.Info, "Allocations made before the trace window, rebuilt backwards from the final snapshot as live at its start.");
    public static readonly StatDef ReplayFreeUnknown = Stat("replay_free_unknown_address", Severity.Info, "A free of an address with no live allocation (ring-buffer traces start mid-run).");
    public static readonly StatDef ReplayDoubleFree = Stat("replay_double_free", Severity.DataLoss, "A free of an address that was already freed, within the last 16,384 frees (a bounded quarantine, as AddressSanitizer keeps; an older one counts as an unknown address).");
    public static readonly StatDef ReplayOverlap = Stat("replay_overlapping_alloc", Severity.DataLoss, "An allocation overlaps a live allocation or lies outside every segment; it was clipped to free space.");
    public static readonly StatDef ReplayAllocAfterOom = Stat("replay_alloc_after_oom", Severity.Info, "An allocation succeeded right after an OOM at a size that had failed.");
    public static readonly StatDef ReplaySegmentNotEmpty = Stat("replay_segment_free_not_empty", Severity.DataLoss, "A segment was released while blocks in it were still live; they were dropped.");
    public static readonly StatDef ReplayBatchMismatch = Stat("replay_batch_mismatch", Severity.Error, "The batch statistics (ILGPU kernel or CPU path) disagree with the incremental replay at a timeline row.");
    public static readonly StatDef HeatmapRasterMismatch = Stat("heatmap_raster_mismatch", Severity.Error, "A heatmap cell's live bytes from the rasteriser (ILGPU kernel or CPU path, over live intervals) differ from the replay's own walk of the live blocks at that instant.");
    public static readonly StatDef ReplayFinalMismatch = Stat("replay_final_state_mismatch", Severity.Error, "The replayed final state differs from the snapshot's segments.");

    // Allocator what-if (pipeline/Memtrace.Pipeline/Allocators).
    public static readonly StatDef WhatIfAddressMismatch = Stat("whatif_address_mismatch", Severity.Error, "Replayed under its recorded settings, the allocator model placed a recorded allocation at another address than the real allocator did (import_log names the event); the what-if rows of that pool rest on an imperfect model.");
    public static readonly StatDef WhatIfSegmentMismatch = Stat("whatif_segment_mismatch", Severity.Error, "A segment event (segment_alloc/free/map/unmap) the real allocator recorded and the model did not issue the same way, or the reverse.");
    public static readonly StatDef WhatIfOomMismatch = Stat("whatif_oom_mismatch", Severity.Error, "A recorded OOM the model served from its cache.");
    public static readonly StatDef WhatIfFinalMismatch = Stat("whatif_final_state_mismatch", Severity.Error, "A segment of the final snapshot whose blocks the model did not end with.");
    public static readonly StatDef WhatIfUnplacedBlock = Stat("whatif_unplaced_block", Severity.DataLoss, "A block live at the trace's first event that lies in no segment or overlaps another, or a final segment that overlaps another (a damaged or hand-made snapshot); the what-if starts without it.");
    public static readonly StatDef WhatIfExpandableHistory = Stat("whatif_expandable_history", Severity.DataLoss, "segment_map/segment_unmap events of expandable segments: the pages mapped at the trace's first event are not rebuilt, so the model starts such segments as fixed ones.");
    public static readonly StatDef WhatIfPrivatePools = Stat("whatif_private_pool_segments", Severity.Info, "Segments of a private pool (CUDA graph capture): the model routes each request to the pool of the final segment holding its recorded address; when a capture began, ended or released its pool is not in the trace and not modelled.");
    public static readonly StatDef WhatIfSettingsMissing = Stat("whatif_settings_missing", Severity.Info, "A snapshot without allocator_settings (PyTorch before 2.1): the what-if assumes PyTorch's defaults as the recorded configuration.");
    public static readonly StatDef WhatIfPoolSkipped = Stat("whatif_pool_skipped", Severity.Info, "A pool over run's what-if event limit (--whatif-max-events) was not replayed; memtrace whatif replays any size.");

    // Clock alignment and host joins.
    public static readonly StatDef ClockUnanchored = Stat("clock_unanchored_rows", Severity.DataLoss, "Rows of a source that could not be placed on UTC (no dual-clock source on its host, no matching GC cycle); kept on their own clock, left out of joins, flagged.");
    public static readonly StatDef ClockBackwards = Stat("clock_backwards", Severity.DataLoss, "A row earlier than the previous row of the same entity (pid, cgroup, GPU pool) in file order: a clock step, or a writer that emitted events out of order. Counted at import, where file order is still known; the archive and the analyses use time order.");
    public static readonly StatDef DuplicateSamples = Stat("duplicate_samples", Severity.Info, "A sample repeating the previous sample's time for the same entity; the later one is left out of joins.");
    public static readonly StatDef AttributionUnpaired = Stat("attribution_unpaired_instants", Severity.Info, "Attribution instants with no /proc sample within tolerance (the process had exited, or a sampler stalled); no layers are given there.");

    /// <summary>Every counter, in the order declared above (static fields initialise in textual order).</summary>
    public static IReadOnlyList<StatDef> All => Declared;

    public static StatDef? Find(string key) => All.FirstOrDefault(s => s.Key == key);
}
