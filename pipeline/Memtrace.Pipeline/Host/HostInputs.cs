using Memtrace.Schemas.Model;
using Memtrace.Schemas.Tables;

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
        var read = CgroupReader(cgroup);
        foreach (var ((host, path), rows) in GroupRows(cgroup, r => (cgroup[CgroupSamples.Host][r] ?? "", cgroup[CgroupSamples.CgroupPath][r] ?? "")))
            _cgSeries[(host, path)] = SampleTicks.Coalesce(Ordered(cgroup, rows, read, s => s.Ts), s => s.Fields, _ => false, MergeCgroup, s => s.Ts);
        for (var r = 0; r < cgroup.RowCount; r++)
        {
            var src = cgroup[Col.SourceId][r] ?? "";
            if (!_cgroupOfSource.TryGetValue(src, out var set)) _cgroupOfSource[src] = set = [];
            set.Add(cgroup[CgroupSamples.CgroupPath][r] ?? "");
        }
    }

    public void AddProcs(Table proc)
    {
        var read = ProcReader(proc);
        foreach (var ((host, pid), rows) in GroupRows(proc, r => (proc[ProcSamples.Host][r] ?? "", proc[ProcSamples.Pid][r])))
        {
            var sources = rows.Select(r => proc[Col.SourceId][r] ?? "").Distinct();
            var candidates = sources.SelectMany(s => _cgroupOfSource.GetValueOrDefault(s) ?? []).Distinct().ToList();
            if (candidates.Count != 1)
            {
                var onHost = _cgSeries.Keys.Where(k => k.Host == host).Select(k => k.Path).ToList();
                candidates = onHost.Count == 1 ? onHost : [];
            }
            var path = candidates.Count == 1 ? candidates[0] : "";
            var w = new Workload(host, path, pid);
            w.Proc.AddRange(SampleTicks.Coalesce(Ordered(proc, rows, read, s => s.Ts), s => s.Fields, s => !s.Alive, MergeProc, s => s.Ts));
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
        var read = GoReader(go);
        foreach (var ((host, recordedPid), rows) in GroupRows(go, r => (go[GoRuntimeSamples.Host][r] ?? "", go[GoRuntimeSamples.Pid][r])))
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
            var merged = w.Go.Concat(Ordered(go, rows, read, s => s.Ts)).ToList();
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

    private List<T> Ordered<T>(Table t, List<int> rows, Func<int, T> read, Func<T, long> ts)
    {
        var kept = new List<T>();
        var (source, host) = (t[Col.SourceId], ClockColumns.HostOf(t));
        foreach (var bySource in rows.GroupBy(r => source[r] ?? ""))
        {
            var series = TimeOrder.Normalize(bySource.Select(read).ToList(), ts, out var back, out var dup);
            Faults.Add(new SeriesFaults(bySource.Key, t.Def.Name, host[bySource.First()] ?? "", bySource.Count(), back, dup));
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

    // Field groups, one bit per file a sampler reads: rows of one tick from split files carry disjoint groups.
    private static readonly ColumnKey[][] ProcGroups =
        [[ProcSamples.VmRss, ProcSamples.RssAnon, ProcSamples.VmHwm, ProcSamples.Threads], [ProcSamples.SmapsRss, ProcSamples.SmapsPss], [ProcSamples.UtimeTicks], [ProcSamples.NumFds]];
    private static readonly ColumnKey[][] CgroupGroups =
        [[CgroupSamples.Usage], [CgroupSamples.Limit], [CgroupSamples.MaxUsage], [CgroupSamples.Anon, CgroupSamples.File, CgroupSamples.InactiveFile], [CgroupSamples.Kmem], [CgroupSamples.Oom, CgroupSamples.OomKill], [CgroupSamples.Failcnt], [CgroupSamples.PsiSomeAvg10, CgroupSamples.PsiFullAvg10]];

    private static Func<int, byte> FieldsOf(Table t, ColumnKey[][] groups)
    {
        var columns = groups.Select(g => g.Select(n => t[n]).ToArray()).ToArray();
        return r =>
        {
            byte mask = 0;
            for (var g = 0; g < columns.Length; g++)
            {
                foreach (var c in columns[g])
                {
                    if (!c.IsNull(r)) { mask |= (byte)(1 << g); break; }
                }
            }
            return mask;
        };
    }

    private static ProcSample MergeProc(ProcSample a, ProcSample b) => a with
    {
        VmRss = a.VmRss ?? b.VmRss, RssAnon = a.RssAnon ?? b.RssAnon, RssFile = a.RssFile ?? b.RssFile, RssShmem = a.RssShmem ?? b.RssShmem,
        CpuTicks = a.CpuTicks ?? b.CpuTicks, Fields = (byte)(a.Fields | b.Fields),
    };

    private static CgroupSample MergeCgroup(CgroupSample a, CgroupSample b) => a with
    {
        Usage = a.Usage ?? b.Usage, Limit = a.Limit ?? b.Limit, Anon = a.Anon ?? b.Anon, File = a.File ?? b.File, InactiveFile = a.InactiveFile ?? b.InactiveFile,
        Kernel = a.Kernel ?? b.Kernel, OomKill = a.OomKill ?? b.OomKill, Failcnt = a.Failcnt ?? b.Failcnt, PsiSome10 = a.PsiSome10 ?? b.PsiSome10,
        PsiSome60 = a.PsiSome60 ?? b.PsiSome60, Fields = (byte)(a.Fields | b.Fields),
    };

    // Readers bind their columns once per table: a name lookup per cell was 55 M dictionary probes a day of reads.

    private static Func<int, ProcSample> ProcReader(Table t)
    {
        Int64Column ts = t[ProcSamples.TsNs], utime = t[ProcSamples.UtimeTicks], stime = t[ProcSamples.StimeTicks], rss = t[ProcSamples.VmRss], anon = t[ProcSamples.RssAnon], file = t[ProcSamples.RssFile], shmem = t[ProcSamples.RssShmem];
        var alive = t[ProcSamples.Alive];
        var fields = FieldsOf(t, ProcGroups);
        return r =>
        {
            long? cpu = utime.Get(r) is { } u && stime.Get(r) is { } s ? u + s : null;
            return new ProcSample(ts[r], alive[r], rss.Get(r), anon.Get(r), file.Get(r), shmem.Get(r), cpu) { Fields = fields(r) };
        };
    }

    private static Func<int, CgroupSample> CgroupReader(Table t)
    {
        Int64Column ts = t[CgroupSamples.TsNs], version = t[CgroupSamples.CgroupVersion], kmem = t[CgroupSamples.Kmem], usage = t[CgroupSamples.Usage], limit = t[CgroupSamples.Limit], anon = t[CgroupSamples.Anon],
            file = t[CgroupSamples.File], inactive = t[CgroupSamples.InactiveFile], oomKill = t[CgroupSamples.OomKill], failcnt = t[CgroupSamples.Failcnt];
        Int64Column[] kernelTerms = [t[CgroupSamples.Slab], t[CgroupSamples.KernelStack], t[CgroupSamples.Pagetables], t[CgroupSamples.Percpu], t[CgroupSamples.Sock], t[CgroupSamples.Vmalloc]];
        Float64Column psi10 = t[CgroupSamples.PsiSomeAvg10], psi60 = t[CgroupSamples.PsiSomeAvg60];
        var fields = FieldsOf(t, CgroupGroups);
        return r =>
        {
            var v = (int)version[r];
            long? kernel = v == 1 ? kmem.Get(r) : Sum(kernelTerms, r);
            return new CgroupSample(ts[r], v, usage.Get(r), limit.Get(r), anon.Get(r), file.Get(r), inactive.Get(r), kernel, oomKill.Get(r), failcnt.Get(r), psi10.Get(r), psi60.Get(r)) { Fields = fields(r) };
        };
    }

    /// <summary>The sum of the terms present; null when none is.</summary>
    private static long? Sum(Int64Column[] terms, int r)
    {
        long? sum = null;
        foreach (var c in terms)
        {
            if (c.Get(r) is { } v) sum = (sum ?? 0) + v;
        }
        return sum;
    }

    private static Func<int, GoSample> GoReader(Table t)
    {
        var ts = t[GoRuntimeSamples.TsNs];
        var f = new[]
        {
            GoRuntimeSamples.HeapAlloc, GoRuntimeSamples.HeapInuse, GoRuntimeSamples.HeapIdle, GoRuntimeSamples.HeapReleased, GoRuntimeSamples.HeapSys, GoRuntimeSamples.StackInuse,
            GoRuntimeSamples.StackSys, GoRuntimeSamples.MspanSys, GoRuntimeSamples.McacheSys, GoRuntimeSamples.BuckHashSys, GoRuntimeSamples.GcSys, GoRuntimeSamples.OtherSys, GoRuntimeSamples.Sys,
        }.Select(k => t[k]).ToArray();
        Int64Column goroutines = t[GoRuntimeSamples.NumGoroutine], gomemlimit = t[GoRuntimeSamples.Gomemlimit];
        return r => new GoSample(ts[r], Z(f[0], r), Z(f[1], r), Z(f[2], r), Z(f[3], r), Z(f[4], r), Z(f[5], r), Z(f[6], r), Z(f[7], r), Z(f[8], r), Z(f[9], r), Z(f[10], r), Z(f[11], r), Z(f[12], r),
            goroutines.Get(r), gomemlimit.Get(r));
    }

    private static long Z(Int64Column c, int r) => c.Get(r) ?? 0;
}
