using Memtrace.Collectors.Importers.Common;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Stats;
using Memtrace.Schemas.Tables;
using Xunit;

namespace Memtrace.Collectors.Tests;

/// <summary>
/// The file-order check keeps each entity's last time in a local while the entity's run lasts and touches its map only
/// where the run changes; a naive oracle looks every row up. Seeded tables of interleaved runs, steps back within a run,
/// across runs and at a run's first row; and tables of one entity.
/// </summary>
public sealed class FileOrderCheckTests
{
    /// <summary>With one host and one pid the table is one entity: the check's single pass over the times.</summary>
    [Theory]
    [InlineData(1, 3, 2)]
    [InlineData(2, 3, 2)]
    [InlineData(3, 1, 2)]
    [InlineData(4, 1, 1)]
    [InlineData(5, 1, 1)]
    public void Counts_and_logs_the_rows_a_per_row_oracle_finds(int seed, int hosts, int pids)
    {
        var rng = new Random(seed);
        var t = new Table(GpuAllocEvents.Def);
        var oracle = new Dictionary<(string, long), long>();
        var expected = new List<long>();
        var clock = new Dictionary<(string, long), long>();
        for (var row = 0; row < 3000;)
        {
            var (host, pid) = ($"h{rng.Next(hosts)}", (long)rng.Next(pids));
            for (var run = rng.Next(1, 12); run > 0; run--, row++)
            {
                var key = (host, pid);
                var now = clock.GetValueOrDefault(key) + rng.Next(-20, 100);
                clock[key] = now;
                Add(t, row, host, pid, now);
                if (oracle.TryGetValue(key, out var previous) && now < previous) expected.Add(row);
                oracle[key] = now;
            }
        }
        var sink = new StatsSink("s");
        FileOrderCheck.Run(t, sink);
        Assert.True(expected.Count > 100);
        Assert.Equal(expected.Count, sink[StatsCatalog.ClockBackwards]);
        var logged = Enumerable.Range(0, sink.Log_.RowCount).Select(r => sink.Log_[ImportLog.Location][r]).ToList();
        Assert.Equal(expected.Take(logged.Count).Select(r => $"gpu_alloc_events row {r}"), logged);
    }

    private static void Add(Table t, int row, string host, long pid, long ts)
    {
        t[Col.SourceId].Append("s");
        t[GpuAllocEvents.Seq].Append(row);
        t[GpuAllocEvents.TsNs].Append(ts);
        t[GpuAllocEvents.Host].Append(host);
        t[GpuAllocEvents.Pid].Append(pid);
        t[GpuAllocEvents.Device].Append(0);
        t[GpuAllocEvents.Pool].Append("rmm");
        t[GpuAllocEvents.Op].Append("alloc");
        t[GpuAllocEvents.Size].Append(512);
        t.CommitRow();
    }
}
