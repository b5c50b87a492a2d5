using Memtrace.Pipeline.Host;
using Memtrace.Pipeline.RssGap;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Results;
using Xunit;

namespace Memtrace.Pipeline.Tests.Host;

/// <summary>Each flag on a hand-built workload: it fires exactly over the instants that cross its threshold.</summary>
public sealed class HostFlagsTests
{
    private const long MiB = 1 << 20;
    private const long S = 1_000_000_000;

    private static (List<int> Rows, Table T) Flags(Workload w, string kind)
    {
        var gap = RssGapAnalyzer.Run([w]);
        var t = HostFlagsAnalyzer.Run([w], gap.Instants, new Dictionary<Workload, List<OomKill>>(), new Table(ClockAlignment.Def), new HostFlagOptions());
        return (Enumerable.Range(0, t.RowCount).Where(r => t[Memtrace.Schemas.Results.Flags.Kind][r] == kind).ToList(), t);
    }

    private static GoSample Go(long ts, long heapIdleUnreturned = 0, long stackSys = 1 * MiB, long? gomemlimit = long.MaxValue) =>
        new(ts, 10 * MiB, 12 * MiB, 4 * MiB + heapIdleUnreturned, 4 * MiB, 16 * MiB + heapIdleUnreturned, stackSys, stackSys, 0, 0, 0, 0, 0, 16 * MiB + heapIdleUnreturned + stackSys, 10, gomemlimit);

    private static Workload Build(int n, Func<int, GoSample> go, Func<int, CgroupSample> cg, Func<int, long>? rssAnon = null)
    {
        var w = new Workload("h", "/cg", 1);
        for (var i = 0; i < n; i++)
        {
            w.Go.Add(go(i));
            w.Proc.Add(new ProcSample(i * S, true, 100 * MiB, rssAnon?.Invoke(i) ?? 50 * MiB, 10 * MiB, 0, i));
            w.Cgroup.Add(cg(i));
        }
        return w;
    }

    private static CgroupSample Cg(int i, long usage = 200 * MiB, long file = 100 * MiB, long inactive = 50 * MiB, long kernel = 10 * MiB, long? limit = 1024 * MiB, double? psi10 = null, double? psi60 = null) =>
        new(i * S, 2, usage, limit, 80 * MiB, file, inactive, kernel, 0, 0, psi10, psi60);

    [Fact]
    public void Psi_disagreement_fires_only_where_avg10_and_avg60_differ_by_ten_points()
    {
        double[] avg10 = [1, 30, 35, 2, 2];
        var (rows, t) = Flags(Build(5, i => Go(i * S), i => Cg(i, psi10: avg10[i], psi60: 5)), "psi_avg10_avg60_disagree");
        var r = Assert.Single(rows);
        Assert.Equal((1 * S, 2 * S, 30.0), (t[Memtrace.Schemas.Results.Flags.StartTsNs][r], t[Memtrace.Schemas.Results.Flags.EndTsNs][r], t[Memtrace.Schemas.Results.Flags.Value][r]));
    }

    [Fact]
    public void Page_cache_and_kernel_flags_fire_above_half_and_a_fifth_of_usage()
    {
        // usage 200 MiB: file 100 with 50 inactive → page cache (active + inactive, minus the process's 10 MiB file) = 90 MiB < 100.
        var (none, _) = Flags(Build(3, i => Go(i * S), i => Cg(i)), "page_cache_dominating");
        Assert.Empty(none);
        // file 150 of usage 230 → page cache 140 MiB = 61% of usage.
        var (cache, _) = Flags(Build(3, i => Go(i * S), i => Cg(i, usage: 240 * MiB, file: 150 * MiB)), "page_cache_dominating");
        Assert.Single(cache);
        var (kernel, t) = Flags(Build(3, i => Go(i * S), i => Cg(i, kernel: i == 2 ? 60 * MiB : 10 * MiB, usage: i == 2 ? 250 * MiB : 200 * MiB)), "kernel_memory_high");
        var k = Assert.Single(kernel);
        Assert.Equal(2 * S, t[Memtrace.Schemas.Results.Flags.StartTsNs][k]);
        Assert.Equal(60.0 / 250, t[Memtrace.Schemas.Results.Flags.Value][k], 9);
    }

    [Fact]
    public void Heap_not_returned_needs_both_64_MiB_and_a_quarter_of_go_managed()
    {
        var (rows, t) = Flags(Build(3, i => Go(i * S, heapIdleUnreturned: i == 1 ? 80 * MiB : 10 * MiB), i => Cg(i), i => 200 * MiB), "heap_not_returned");
        var r = Assert.Single(rows);
        Assert.Equal(1 * S, t[Memtrace.Schemas.Results.Flags.StartTsNs][r]);
        Assert.Equal(80.0 * MiB, t[Memtrace.Schemas.Results.Flags.Value][r]);
    }

    [Fact]
    public void Gomemlimit_above_the_cgroup_limit_is_flagged_and_a_sane_one_is_not()
    {
        var (above, _) = Flags(Build(2, i => Go(i * S, gomemlimit: 2048 * MiB), i => Cg(i)), "gomemlimit_above_limit");
        Assert.Single(above);
        var (sane, t) = Flags(Build(2, i => Go(i * S, gomemlimit: 800 * MiB), i => Cg(i)), "gomemlimit_above_limit");
        Assert.Empty(sane);
        Assert.DoesNotContain(Enumerable.Range(0, t.RowCount), r => t[Memtrace.Schemas.Results.Flags.Kind][r] == "gomemlimit_unset");
    }
}
