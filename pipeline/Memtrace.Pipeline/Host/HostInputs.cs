using Memtrace.Schemas.Model;
using static Memtrace.Pipeline.Host.Cells;

namespace Memtrace.Pipeline.Host;

/// <summary>Clock faults found in one source's rows of one table.</summary>
public sealed record SeriesFaults(string SourceId, string Table, string Host, long Rows, long Backwards, long Duplicates);

/// <summary>
/// Groups proc_samples, cgroup_samples and go_runtime_samples into workloads (host, cgroup, pid).
/// A process belongs to the cgroup sampled by the same source (the procfs sampler reads both), else
/// to the only cgroup seen on its host. Go samples recorded without a pid (pid 0) belong to the only
/// process on their host. A cgroup that no sampled process belongs to is a workload of its own (pid 0).
/// </summary>
public sealed class HostInputs
{
    public List<Workload> Workloads { get; } = [];
    public List<SeriesFaults> Faults { get; } = [];

    private readonly Dictionary<(string Host, string Path), List<CgroupSample>> _cgSeries = new();
    private readonly Dictionary<string, HashSet<string>> _cgroupOfSource = new();
    private readonly Dictionary<(string Host, long Pid), Workload> _byPid = new();
    private readonly HashSet<(string, string)> _usedCgroups = new();

    public static HostInputs Load(Table proc, Table cgroup, Table go)
    {
        var inputs = new HostInputs();
        inputs.AddCgroups(cgroup);
        inputs.AddProcs(proc);
        inputs.AddGo(go);
        inputs.Finish();
        return inputs;
    }

    /// <summary>
    /// Stage 1 of 3 (cgroups, then processes, then Go reads, then <see cref="Finish"/>): each stage reads one
    /// table, so the caller can drop it before reading the next — a day of 2 Hz samples is gigabytes a table.
    /// </summary>
    public void AddCgroups(Table cgroup)
    {
        foreach (var ((host, path), rows) in GroupRows(cgroup, r => (cgroup.Str("host")[r] ?? "", cgroup.Str("cgroup_path")[r] ?? "")))
            _cgSeries[(host, path)] = Ordered(cgroup, "cgroup_samples", rows, r => ReadCgroup(cgroup, r), s => s.Ts);
        for (var r = 0; r < cgroup.RowCount; r++)
        {
            var src = cgroup.Str("source_id")[r] ?? "";
            if (!_cgroupOfSource.TryGetValue(src, out var set)) _cgroupOfSource[src] = set = [];
            set.Add(cgroup.Str("cgroup_path")[r] ?? "");
        }
    }

    public void AddProcs(Table proc)
    {
        foreach (var ((host, pid), rows) in GroupRows(proc, r => (proc.Str("host")[r] ?? "", proc.I64("pid")[r])))
        {
            var sources = rows.Select(r => proc.Str("source_id")[r] ?? "").Distinct();
            var candidates = sources.SelectMany(s => _cgroupOfSource.GetValueOrDefault(s) ?? []).Distinct().ToList();
            if (candidates.Count != 1)
            {
                var onHost = _cgSeries.Keys.Where(k => k.Host == host).Select(k => k.Path).ToList();
                candidates = onHost.Count == 1 ? onHost : [];
            }
            var path = candidates.Count == 1 ? candidates[0] : "";
            var w = new Workload(host, path, pid);
            w.Proc.AddRange(Ordered(proc, "proc_samples", rows, r => ReadProc(proc, r), s => s.Ts));
            if (path.Length > 0)
            {
                w.Cgroup.AddRange(_cgSeries[(host, path)]);
                _usedCgroups.Add((host, path));
            }
            _byPid[(host, pid)] = w;
            Workloads.Add(w);
        }
    }

    public void AddGo(Table go)
    {
        foreach (var ((host, recordedPid), rows) in GroupRows(go, r => (go.Str("host")[r] ?? "", go.I64("pid")[r])))
        {
            var pid = recordedPid;
            if (pid == 0 && _byPid.Keys.Where(k => k.Host == host).ToList() is { Count: 1 } only) pid = only[0].Pid;
            if (!_byPid.TryGetValue((host, pid), out var w))
            {
                w = new Workload(host, "", pid);
                _byPid[(host, pid)] = w;
                Workloads.Add(w);
            }
            // Normalize puts the merged series (pid-0 reads joining a known pid's) back in time order.
            var merged = w.Go.Concat(Ordered(go, "go_runtime_samples", rows, r => ReadGo(go, r), s => s.Ts)).ToList();
            w.Go.Clear();
            w.Go.AddRange(TimeOrder.Normalize(merged, s => s.Ts, out _, out _));
        }
    }

    /// <summary>Cgroups no sampled process belongs to become workloads of their own; workloads in a stable order.</summary>
    public void Finish()
    {
        foreach (var ((host, path), series) in _cgSeries)
        {
            if (_usedCgroups.Contains((host, path))) continue;
            var w = new Workload(host, path, 0);
            w.Cgroup.AddRange(series);
            Workloads.Add(w);
        }
        Workloads.Sort((a, b) => string.CompareOrdinal(a.ToString(), b.ToString()) is var c && c != 0 ? c : a.Pid.CompareTo(b.Pid));
    }

    private List<T> Ordered<T>(Table t, string table, List<int> rows, Func<int, T> read, Func<T, long> ts)
    {
        var kept = new List<T>();
        foreach (var bySource in rows.GroupBy(r => t.Str("source_id")[r] ?? ""))
        {
            var series = TimeOrder.Normalize(bySource.Select(read).ToList(), ts, out var back, out var dup);
            Faults.Add(new SeriesFaults(bySource.Key, table, t.Str("host")[bySource.First()] ?? "", bySource.Count(), back, dup));
            kept.AddRange(series);
        }
        return TimeOrder.Normalize(kept, ts, out _, out _);
    }

    private static SortedDictionary<TKey, List<int>> GroupRows<TKey>(Table t, Func<int, TKey> key) where TKey : notnull
    {
        var groups = new SortedDictionary<TKey, List<int>>();
        for (var r = 0; r < t.RowCount; r++)
        {
            var k = key(r);
            if (!groups.TryGetValue(k, out var list)) groups[k] = list = [];
            list.Add(r);
        }
        return groups;
    }

    private static ProcSample ReadProc(Table t, int r)
    {
        long? cpu = L(t, "utime_ticks", r) is { } u && L(t, "stime_ticks", r) is { } s ? u + s : null;
        return new ProcSample(t.I64("ts_ns")[r], t.Bool("alive")[r], L(t, "vm_rss", r), L(t, "rss_anon", r), L(t, "rss_file", r), L(t, "rss_shmem", r), cpu);
    }

    private static CgroupSample ReadCgroup(Table t, int r)
    {
        var version = (int)t.I64("cgroup_version")[r];
        long? kernel = version == 1
            ? L(t, "kmem", r)
            : Sum(L(t, "slab", r), L(t, "kernel_stack", r), L(t, "pagetables", r), L(t, "percpu", r), L(t, "sock", r), L(t, "vmalloc", r));
        return new CgroupSample(t.I64("ts_ns")[r], version, L(t, "usage", r), L(t, "limit", r), L(t, "anon", r), L(t, "file", r), L(t, "inactive_file", r), kernel,
            L(t, "oom_kill", r), L(t, "failcnt", r), D(t, "psi_some_avg10", r), D(t, "psi_some_avg60", r));
    }

    private static long? Sum(params long?[] terms) => terms.All(x => x is null) ? null : terms.Sum(x => x ?? 0);

    private static GoSample ReadGo(Table t, int r) => new(
        t.I64("ts_ns")[r], Z(t, "heap_alloc", r), Z(t, "heap_inuse", r), Z(t, "heap_idle", r), Z(t, "heap_released", r), Z(t, "heap_sys", r),
        Z(t, "stack_inuse", r), Z(t, "stack_sys", r), Z(t, "mspan_sys", r), Z(t, "mcache_sys", r), Z(t, "buck_hash_sys", r), Z(t, "gc_sys", r), Z(t, "other_sys", r),
        Z(t, "sys", r), L(t, "num_goroutine", r), L(t, "gomemlimit", r));
}
