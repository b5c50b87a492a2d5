using Memtrace.Collectors.Importers.Common;
using Memtrace.Collectors.Pickle;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Stats;
using Memtrace.Schemas.Tables;
using static Memtrace.Collectors.Importers.TorchSnapshot.PyFields;

namespace Memtrace.Collectors.Importers.TorchSnapshot;

/// <summary>
/// torch.cuda.memory._dump_snapshot pickles: {"segments": [...], "device_traces": [[...], ...], ...},
/// or a legacy bare list of segments. A trace entry reads, once unpickled,
/// {'action': 'alloc', 'addr': 47294971904, 'size': 25165824, 'stream': 0, 'time_us': 1776479641085368, 'frames': [...]}.
/// The trace is a ring buffer: the final segments are the truth, and earlier states are rebuilt
/// backwards from them by the replay.
/// </summary>
public sealed class TorchSnapshotImporter : IImporter
{
    public const string Pool = "torch-caching";

    public string Format => "torch-snapshot";
    public int Version => 1;
    public string Description => "PyTorch CUDA caching-allocator snapshot (torch.cuda.memory._dump_snapshot pickle)";

    /// <summary>A protocol 2–5 pickle whose first strings name snapshot keys (or a bare segment list).</summary>
    public bool Sniff(ReadOnlySpan<byte> head, string path)
    {
        if (head.Length < 2 || head[0] != 0x80 || head[1] is < 2 or > 5) return false;
        return head.IndexOf("segments"u8) >= 0 || head.IndexOf("device_traces"u8) >= 0 || head.IndexOf("total_size"u8) >= 0;
    }

    /// <summary>
    /// Only the unpickle runs with collections held off. Holding them over the whole parse saved 0.1–0.2 s on the ×100
    /// files (a collection in the entry pass traces the live graph), but the region is the process's: with it held that
    /// long, another thread's work stalled (the Go sampler test, beside the importer tests in the same process, saw its
    /// 1 s requests time out in 2 of 6 runs, against 1 of 12 with the shorter region).
    /// </summary>
    public ImportResult Import(ImportContext ctx)
    {
        var bytes = File.ReadAllBytes(ctx.Path);
        PickleResult loaded;
        try
        {
            loaded = HeldCollections.Run(HeldCollections.BudgetFor(bytes.Length), () => SafeUnpickler.Load(bytes));
        }
        catch (PickleForbiddenException e)
        {
            throw new ImportRefusedException(e.Message);
        }
        catch (PickleFormatException e)
        {
            throw new ImportRefusedException($"not a readable pickle: {e.Message} (byte {e.Offset})", e.Limit);
        }
        ctx.Progress?.Invoke(0.5);
        if (loaded.Truncated)
        {
            ctx.Stats.Log(StatsCatalog.PickleTruncated, $"byte {loaded.StopOffset}", Tail(bytes, loaded.StopOffset), loaded.TruncationReason ?? "truncated");
        }

        List<object?>? segments;
        List<object?>? traces = null;
        PyDict? settings = null;
        switch (loaded.Root)
        {
            case PyDict root:
                segments = List(root, "segments");
                traces = List(root, "device_traces");
                settings = root.GetValueOrDefault("allocator_settings") as PyDict;
                if (segments is null && traces is null && !loaded.Truncated)
                    throw new ImportRefusedException("pickle holds a dict without 'segments' or 'device_traces': not a memory snapshot");
                break;
            case List<object?> legacy:
                segments = legacy;
                break;
            default:
                throw new ImportRefusedException($"pickle root is {loaded.Root?.GetType().Name ?? "None"}, not a snapshot dict or segment list");
        }

        var o = ctx.Options;
        var stacks = new StackInterner(ctx.SourceId, ctx.Stats);
        var events = new Table(GpuAllocEvents.Def);
        var memInfo = new Table(GpuMemInfo.Def);
        var blocks = new Table(GpuSegmentsSnapshot.Def);
        var finalBlocks = new Dictionary<(long Device, long Address), long>();

        long? lastTs = null;
        var entries = traces?.Select(t => t is List<object?> trace ? EntryFields.Of(trace) : null).ToArray() ?? [];
        foreach (var trace in entries)
        {
            foreach (var e in trace ?? [])
            {
                if (e.TimeUs is { } t) lastTs = Math.Max(lastTs ?? long.MinValue, t * 1000);
            }
        }
        var snapshotTs = lastTs ?? new DateTimeOffset(File.GetLastWriteTimeUtc(ctx.Path)).ToUnixTimeMilliseconds() * 1_000_000;

        var frames = new FrameCache(stacks);
        ImportSegments(ctx, segments ?? [], snapshotTs, frames, blocks, finalBlocks);
        ImportTraces(ctx, entries, frames, events, memInfo, finalBlocks);
        var settingsTable = new Table(GpuAllocatorSettings.Def);
        if (settings is not null) ImportSettings(ctx, settings, traces?.Count ?? 0, settingsTable);

        var result = new ImportResult
        {
            Tables = [events, blocks, memInfo, settingsTable, stacks.Table],
            ClockDomain = "realtime",
            Notes = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["snapshot_ts_ns"] = snapshotTs.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        };
        ctx.Progress?.Invoke(1.0);
        return result;
    }

    private static string Tail(byte[] bytes, long at)
    {
        var start = (int)Math.Max(0, Math.Min(at, bytes.Length) - 32);
        return StatsSink.Excerpt(bytes.AsSpan(start, (int)Math.Min(at, bytes.Length) - start));
    }

    private static void ImportSegments(ImportContext ctx, List<object?> segments, long ts, FrameCache frames, Table t,
        Dictionary<(long, long), long> finalBlocks)
    {
        var o = ctx.Options;
        for (var si = 0; si < segments.Count; si++)
        {
            if (segments[si] is not PyDict s
                || !TryLong(s, "address", out var segAddr) || !TryLong(s, "total_size", out var segSize) || segSize < 0
                || List(s, "blocks") is not { } blockList)
            {
                ctx.Stats.Log(StatsCatalog.TorchBadField, $"segments[{si}]", Describe(segments[si]), "segment lacks address, total_size or blocks");
                continue;
            }
            var device = Long(s, "device") ?? 0;
            for (var bi = 0; bi < blockList.Count; bi++)
            {
                if (blockList[bi] is not PyDict b || !TryLong(b, "address", out var addr) || !TryLong(b, "size", out var size) || size < 0)
                {
                    ctx.Stats.Log(StatsCatalog.TorchBadField, $"segments[{si}].blocks[{bi}]", Describe(blockList[bi]), "block lacks address or size");
                    continue;
                }
                var state = NormalizeState(Str(b, "state"));
                if (state is null)
                {
                    ctx.Stats.Log(StatsCatalog.TorchUnknownBlockState, $"segments[{si}].blocks[{bi}]", Str(b, "state") ?? "(none)", "unknown block state; block skipped");
                    continue;
                }
                if (state != "inactive") finalBlocks[(device, addr)] = size;
                t[Col.SourceId].Append(ctx.SourceId);
                t[GpuSegmentsSnapshot.TsNs].Append(ts);
                t[GpuSegmentsSnapshot.Host].Append(o.Host);
                t[GpuSegmentsSnapshot.Pid].Append(o.Pid ?? 0);
                t[GpuSegmentsSnapshot.Device].Append(device);
                t[GpuSegmentsSnapshot.Pool].Append(Pool);
                t[GpuSegmentsSnapshot.SegmentAddress].Append(segAddr);
                t[GpuSegmentsSnapshot.SegmentSize].Append(segSize);
                t[GpuSegmentsSnapshot.SegmentType].Append(Str(s, "segment_type") ?? "");
                t[GpuSegmentsSnapshot.SegmentPoolId].Append(PoolId(s));
                t[GpuSegmentsSnapshot.Stream].Append(Long(s, "stream") ?? 0);
                t[GpuSegmentsSnapshot.IsExpandable].Append(Bool(s, "is_expandable"));
                t[GpuSegmentsSnapshot.BlockAddress].Append(addr);
                t[GpuSegmentsSnapshot.BlockSize].Append(size);
                t[GpuSegmentsSnapshot.BlockRequestedSize].Append(Long(b, "requested_size") ?? 0);
                t[GpuSegmentsSnapshot.BlockState].Append(state);
                t[GpuSegmentsSnapshot.StackId].Append(frames.StackOf(b));
                t.CommitRow();
            }
        }
    }

    /// <summary>
    /// allocator_settings reads, once unpickled, {'PYTORCH_CUDA_ALLOC_CONF': '', 'max_split_size': -1,
    /// 'garbage_collection_threshold': 0.0, 'expandable_segments': False, 'roundup_power2_divisions': {'1': 0, '2': 0, …}, …}.
    /// The settings are the process's, so each device with a trace gets the same rows (device 0 when there is no trace).
    /// </summary>
    private static void ImportSettings(ImportContext ctx, PyDict settings, int devices, Table t)
    {
        var rows = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in settings)
        {
            if (k is not string key) continue;
            if (SettingText(v) is { } text) rows[key] = text;
            else ctx.Stats.Log(StatsCatalog.TorchBadField, $"allocator_settings.{key}", Describe(v), "allocator setting of an unexpected type; left out");
        }
        for (var d = 0; d < Math.Max(1, devices); d++)
        {
            foreach (var (key, text) in rows)
            {
                t[Col.SourceId].Append(ctx.SourceId);
                t[GpuAllocatorSettings.Host].Append(ctx.Options.Host);
                t[GpuAllocatorSettings.Pid].Append(ctx.Options.Pid ?? 0);
                t[GpuAllocatorSettings.Device].Append(d);
                t[GpuAllocatorSettings.Pool].Append(Pool);
                t[GpuAllocatorSettings.Setting].Append(key);
                t[GpuAllocatorSettings.Value].Append(text);
                t.CommitRow();
            }
        }
    }

    private static string? SettingText(object? v) => v switch
    {
        string s => s,
        bool b => b ? "True" : "False",
        long l => l.ToString(System.Globalization.CultureInfo.InvariantCulture),
        System.Numerics.BigInteger bi => bi.ToString(System.Globalization.CultureInfo.InvariantCulture),
        double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        // roundup_power2_divisions: interval (MiB, as a string key) → divisions, in interval order.
        PyDict dict when dict.All(kv => kv.Key is string && SettingText(kv.Value) is not null) =>
            string.Join(",", dict.OrderBy(kv => long.TryParse((string)kv.Key, out var n) ? n : long.MaxValue).ThenBy(kv => (string)kv.Key, StringComparer.Ordinal)
                .Select(kv => $"{kv.Key}:{SettingText(kv.Value)}")),
        _ => null,
    };

    /// <summary>PyTorch writes active_pending_free; its docs call the same state active_awaiting_free.</summary>
    private static string? NormalizeState(string? s) => s switch
    {
        "active_allocated" or "inactive" => s,
        "active_pending_free" or "active_awaiting_free" => "active_pending_free",
        _ => null,
    };

    private static readonly HashSet<string> KnownActions = new(StringComparer.Ordinal)
    {
        "alloc", "free_requested", "free_completed", "segment_alloc", "segment_free", "segment_map", "segment_unmap", "oom", "snapshot", "annotate",
    };

    private static void ImportTraces(ImportContext ctx, EntryFields[]?[] traces, FrameCache frames, Table ev, Table memInfo,
        Dictionary<(long, long), long> finalBlocks)
    {
        var rows = new TraceRows(ctx, ev, memInfo);
        // One row an entry at most: the columns are sized once instead of doubling through the trace.
        var entries = traces.Sum(t => t?.Length ?? 0);
        foreach (var c in ev.Columns) c.Reserve(entries);
        for (var d = 0; d < traces.Length; d++)
        {
            if (traces[d] is not { } trace) continue;
            var liveAtEnd = LiveAtEnd(trace);
            var seenAlloc = new HashSet<long>();
            for (var i = 0; i < trace.Length; i++)
            {
                if (Entry(ctx, trace[i], d, i) is not var (e, op, timeUs, size, addr)) continue;
                long? blockSize = null;
                if (op == "alloc")
                {
                    seenAlloc.Add(addr!.Value);
                    if (liveAtEnd[i] && finalBlocks.TryGetValue((d, addr.Value), out var bs))
                    {
                        blockSize = bs;
                        ctx.Stats.Count(StatsCatalog.TorchBlockSizeRecovered);
                    }
                }
                else if (op == "free_completed" && !seenAlloc.Contains(addr!.Value))
                {
                    ctx.Stats.Log(StatsCatalog.TorchFreeBeforeWindow, Location(d, i), Describe(e), "free of an allocation made before the trace window (ring buffer); the replay rebuilds it backwards");
                }
                rows.Append(d, e, op, timeUs * 1000, size, addr, blockSize, frames.StackOf(e));
            }
        }
    }

    /// <summary>
    /// A trace entry's fields, each looked up once: the last timestamp, the blocks live at the end and the rows all read
    /// them. An entry reads, once unpickled, {'action': 'alloc', 'addr': 47294971904, 'size': 25165824, 'stream': 0,
    /// 'time_us': 1776479641085368, 'frames': [...]}; Dict is null when the entry is not a dict.
    /// </summary>
    private readonly record struct EntryFields(object? Raw, string? Action, long? TimeUs, long? Size, long? Addr)
    {
        public PyDict? Dict => Raw as PyDict;

        public static EntryFields[] Of(List<object?> trace)
        {
            var fields = new EntryFields[trace.Count];
            for (var i = 0; i < fields.Length; i++)
            {
                fields[i] = trace[i] is PyDict e ? Read(e) : new EntryFields(trace[i], null, null, null, null);
            }
            return fields;
        }

        /// <summary>One pass over the entry's keys (a dict holds each key once) instead of a lookup per field.</summary>
        private static EntryFields Read(PyDict e)
        {
            string? action = null;
            long? timeUs = null, size = null, addr = null;
            foreach (var (key, value) in e)
            {
                switch (key as string)
                {
                    case "action": action = value as string; break;
                    case "time_us": timeUs = Long(value); break;
                    case "size": size = Long(value); break;
                    case "addr": addr = Long(value); break;
                }
            }
            return new EntryFields(e, action, timeUs, size, addr);
        }
    }

    /// <summary>
    /// True at each alloc that is its address's last and is never freed after it (a block live at the end). Read from the
    /// end: an address's last alloc or free decides it, and whatever comes before that is not its last.
    /// </summary>
    private static bool[] LiveAtEnd(EntryFields[] trace)
    {
        var live = new bool[trace.Length];
        var decided = new HashSet<long>();
        for (var i = trace.Length - 1; i >= 0; i--)
        {
            var e = trace[i];
            if (e.Addr is not { } a || e.Action is not ("alloc" or "free_completed" or "free")) continue;
            if (decided.Add(a)) live[i] = e.Action == "alloc";
        }
        return live;
    }

    /// <summary>
    /// A trace entry that becomes an event: a dict with a known action (not annotate), an integer time_us and size ≥ 0,
    /// and an integer addr unless it is an oom or a snapshot. Anything else is counted, logged with its location, and skipped.
    /// </summary>
    private static (PyDict E, string Op, long TimeUs, long Size, long? Addr)? Entry(ImportContext ctx, in EntryFields f, int device, int index)
    {
        // Formatted only for a log row: a string per entry was an allocation for each of 516,300 entries (magma27 ×100).
        string loc() => Location(device, index);
        if (f.Dict is not { } e)
        {
            ctx.Stats.Log(StatsCatalog.TorchBadField, loc(), Describe(f.Raw), "trace entry is not a dict");
            return null;
        }
        var action = f.Action;
        if (action is null || !KnownActions.Contains(action))
        {
            ctx.Stats.Log(StatsCatalog.TorchUnknownAction, loc(), action ?? Describe(e), "unknown or missing action; entry skipped");
            return null;
        }
        if (action == "annotate") return null;
        if (f.TimeUs is not { } timeUs || f.Size is not { } size || size < 0)
        {
            ctx.Stats.Log(StatsCatalog.TorchBadField, loc(), Describe(e), "entry lacks an integer time_us or size");
            return null;
        }
        var addr = f.Addr;
        if (addr is null && action != "oom" && action != "snapshot")
        {
            ctx.Stats.Log(StatsCatalog.TorchBadField, loc(), Describe(e), "entry lacks an integer addr");
            return null;
        }
        return (e, action == "free" ? "free_completed" : action, timeUs, size, addr);
    }

    /// <summary>
    /// The gpu_alloc_events columns bound once (a name lookup per cell was 16 a row, 8 M for a 516,300-entry trace), and
    /// gpu_mem_info, which gets a row for each OOM that carries cudaMemGetInfo's free bytes.
    /// </summary>
    private sealed class TraceRows(ImportContext ctx, Table ev, Table memInfo)
    {
        private readonly StringColumn _source = ev[Col.SourceId], _host = ev[GpuAllocEvents.Host], _pool = ev[GpuAllocEvents.Pool], _op = ev[GpuAllocEvents.Op], _api = ev[GpuAllocEvents.Api];
        private readonly Int64Column _seq = ev[GpuAllocEvents.Seq], _ts = ev[GpuAllocEvents.TsNs], _pid = ev[GpuAllocEvents.Pid], _device = ev[GpuAllocEvents.Device], _address = ev[GpuAllocEvents.Address],
            _size = ev[GpuAllocEvents.Size], _requested = ev[GpuAllocEvents.RequestedSize], _block = ev[GpuAllocEvents.BlockSize], _stream = ev[GpuAllocEvents.Stream], _stack = ev[GpuAllocEvents.StackId],
            _deviceFree = ev[GpuAllocEvents.DeviceFree];
        private long _next;

        public void Append(int device, PyDict e, string op, long ts, long size, long? addr, long? blockSize, long? stackId)
        {
            var o = ctx.Options;
            long? deviceFree = op == "oom" ? Long(e, "device_free") : null;
            _source.Append(ctx.SourceId);
            _seq.Append(_next++);
            _ts.Append(ts);
            _host.Append(o.Host);
            _pid.Append(o.Pid ?? 0);
            _device.Append(device);
            _pool.Append(Pool);
            _op.Append(op);
            _address.Append(op != "oom" ? addr : null);
            _size.Append(size);
            _requested.Append(op is "alloc" or "free_requested" or "free_completed" or "oom" ? size : null);
            _block.Append(blockSize);
            _stream.Append(Long(e, "stream"));
            _api.Append("torch");
            _stack.Append(stackId);
            _deviceFree.Append(deviceFree);
            ev.CommitRow();
            if (deviceFree is not { } free) return;
            memInfo[Col.SourceId].Append(ctx.SourceId);
            memInfo[GpuMemInfo.TsNs].Append(ts);
            memInfo[GpuMemInfo.Host].Append(o.Host);
            memInfo[GpuMemInfo.Pid].Append(o.Pid ?? 0);
            memInfo[GpuMemInfo.Device].Append(device);
            memInfo[GpuMemInfo.Free].Append(free);
            memInfo[GpuMemInfo.Origin].Append("oom");
            memInfo.CommitRow();
        }
    }

    private static string Location(int device, int index) => $"device_traces[{device}][{index}]";

    private static string Describe(object? o) => o switch
    {
        null => "None",
        PyDict d => "{" + string.Join(", ", d.Where(kv => kv.Key is string k && k != "frames").Take(8).Select(kv => $"{kv.Key}: {kv.Value}")) + "}",
        _ => o.ToString() ?? "",
    };
}
