using Memtrace.Schemas.Archive;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Tables;

namespace Memtrace.Pipeline.Fragmentation;

/// <summary>
/// Where each pool's events lie in a gpu_alloc_events table read a row group at a time, so that the replay
/// holds one pool's events at a time (per core), never the table: 10^8 events are ~8 GB as a table and 6.4 GB
/// as replay events, one device's pool of them 0.8 GB. A first pass decodes only the key columns and cuts
/// each row group into runs of one pool (a source's file is sorted by host, pid, device, pool, ts, seq, so a
/// pool is one run per row group); <see cref="Input"/> later decodes the event columns of that pool's runs.
/// </summary>
public sealed class PoolPlan
{
    private static readonly IReadOnlySet<string> KeyColumns = ColumnKey.NameSet(Col.SourceId, GpuAllocEvents.Host, GpuAllocEvents.Pid, GpuAllocEvents.Device, GpuAllocEvents.Pool);

    /// <summary>Rows [Start, Start + Count) of row group RowGroup of part Part.</summary>
    public readonly record struct Run(int Part, int RowGroup, int Start, int Count);

    private sealed class PoolRuns
    {
        public List<Run> Runs { get; } = [];
        public long Events { get; set; }
    }

    private readonly ArchiveTableReader _events;
    private readonly List<(PoolKey Key, PoolRuns Runs)> _pools;
    private readonly Dictionary<PoolKey, List<SnapshotBlock>> _snapshots;

    private PoolPlan(ArchiveTableReader events, List<(PoolKey, PoolRuns)> pools, Dictionary<PoolKey, List<SnapshotBlock>> snapshots)
    {
        _events = events;
        _pools = pools;
        _snapshots = snapshots;
    }

    public int Count => _pools.Count;
    public PoolKey Key(int pool) => _pools[pool].Key;
    public long Events(int pool) => _pools[pool].Runs.Events;
    public IEnumerable<int> Parts(int pool) => _pools[pool].Runs.Runs.Select(r => r.Part).Distinct();

    /// <summary>
    /// The plan: every row group's key columns, cut into runs. A part whose key pages are damaged is reported
    /// to <paramref name="onPartFailed"/> and left out whole.
    /// </summary>
    public static PoolPlan Build(ArchiveTableReader events, Table snapshot, Action<int, Exception> onPartFailed, Action<double>? progress = null)
    {
        var byKey = new Dictionary<PoolKey, PoolRuns>();
        var totalGroups = events.Parts.Sum(p => p.RowGroupCount);
        var done = 0;
        for (var part = 0; part < events.Parts.Count; part++)
        {
            var found = new List<(PoolKey, Run)>();
            try
            {
                for (var g = 0; g < events.Parts[part].RowGroupCount; g++)
                {
                    CutRuns(events.ReadRowGroup(part, g, KeyColumns), part, g, found);
                    progress?.Invoke((double)++done / Math.Max(1, totalGroups));
                }
            }
            catch (Exception e) when (TraceArchive.IsUnreadable(e))
            {
                onPartFailed(part, e);
                continue;
            }
            foreach (var (key, run) in found)
            {
                if (!byKey.TryGetValue(key, out var runs)) byKey[key] = runs = new PoolRuns();
                runs.Runs.Add(run);
                runs.Events += run.Count;
            }
        }
        var snaps = FragmentationAnalyzer.SnapshotsByPool(snapshot);
        var pools = FragmentationAnalyzer.OrderedKeys(byKey.Keys.Union(snaps.Keys)).Select(k => (k, byKey.GetValueOrDefault(k) ?? new PoolRuns())).ToList();
        return new PoolPlan(events, pools, snaps);
    }

    // Keys compare by dictionary code: within a column equal codes are equal strings, and no string is fetched per row.
    private static void CutRuns(Table keys, int part, int rowGroup, List<(PoolKey, Run)> found)
    {
        StringColumn src = keys[Col.SourceId], host = keys[GpuAllocEvents.Host], pool = keys[GpuAllocEvents.Pool];
        Int64Column pid = keys[GpuAllocEvents.Pid], dev = keys[GpuAllocEvents.Device];
        if (keys.RowCount == 0) return;
        // A row group of one pool (a snapshot's single device, any one-pool capture): five vectorised scans, not five
        // comparisons a row (9 ms of magma27 ×100's 516,300 rows).
        if (src.IsConstant && host.IsConstant && pool.IsConstant && pid.IsConstant && dev.IsConstant)
        {
            found.Add((new PoolKey(host[0] ?? "", pid[0], dev[0], pool[0] ?? "", src[0] ?? ""), new Run(part, rowGroup, 0, keys.RowCount)));
            return;
        }
        var start = 0;
        for (var i = 1; i <= keys.RowCount; i++)
        {
            if (i < keys.RowCount && src.CodeAt(i) == src.CodeAt(start) && host.CodeAt(i) == host.CodeAt(start) && pool.CodeAt(i) == pool.CodeAt(start)
                && pid[i] == pid[start] && dev[i] == dev[start]) continue;
            found.Add((new PoolKey(host[start] ?? "", pid[start], dev[start], pool[start] ?? "", src[start] ?? ""), new Run(part, rowGroup, start, i - start)));
            start = i;
        }
    }

    public bool HasSnapshot(int pool) => _snapshots.ContainsKey(_pools[pool].Key);

    /// <summary>The pool's snapshot with no events: what is left of it when its events' source is refused.</summary>
    public PoolInput SnapshotOnly(int pool) => FragmentationAnalyzer.NewInput(_pools[pool].Key, [], _snapshots);

    /// <summary>One pool's events decoded by the caller's reader, which gets each row group's table (only <paramref name="columns"/>) and a row.</summary>
    public T[] Decode<T>(int pool, IReadOnlySet<string> columns, Func<Table, Func<int, T>> reader)
    {
        var (_, runs) = _pools[pool];
        var events = new T[runs.Events];
        var at = 0;
        foreach (var run in runs.Runs)
        {
            var read = reader(_events.ReadRowGroup(run.Part, run.RowGroup, columns));
            for (var i = 0; i < run.Count; i++) events[at++] = read(run.Start + i);
        }
        return events;
    }

    /// <summary>One pool's replay input, its events decoded now from its runs (row groups read again, event columns only).</summary>
    public PoolInput Input(int pool)
    {
        var (key, runs) = _pools[pool];
        // Every slot is written below, so the GC need not zero the array first (~800 MB for a 12 M-event pool).
        var events = GC.AllocateUninitializedArray<PoolEvent>(checked((int)runs.Events));
        var at = 0;
        foreach (var run in runs.Runs)
        {
            var table = _events.ReadRowGroup(run.Part, run.RowGroup, FragmentationAnalyzer.EventReader.Columns);
            new FragmentationAnalyzer.EventReader(table).Fill(events.AsSpan(at, run.Count), run.Start);
            at += run.Count;
        }
        if (at != events.Length) throw new InvalidOperationException($"pool {key} decoded {at} of its {events.Length} events");
        return FragmentationAnalyzer.NewInput(key, events, _snapshots);
    }
}
