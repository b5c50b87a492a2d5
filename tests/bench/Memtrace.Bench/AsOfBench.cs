using DuckDB.NET.Data;
using Memtrace.Pipeline.Join;

namespace Memtrace.Bench;

/// <summary>
/// The as-of join kernel (backward) against DuckDB's ASOF JOIN on the same data: 10M events × 1M
/// samples in 64 partitions at scale 1. The inputs are presorted (archive tables are written in key
/// order); the kernel's time includes its sortedness checks. Count and sum of matches must agree.
/// </summary>
internal static class AsOfBench
{
    public static IEnumerable<Figure> Run(int events, int samples)
    {
        var rng = new Random(9);
        (long[] P, long[] T) Make(int n)
        {
            var p = new long[n];
            var t = new long[n];
            for (var i = 0; i < n; i++) { p[i] = i * 64L / n; t[i] = rng.NextInt64(1L << 40); }
            for (var start = 0; start < n;)
            {
                var end = start;
                while (end < n && p[end] == p[start]) end++;
                Array.Sort(t, start, end - start);
                start = end;
            }
            return (p, t);
        }
        var (lp, lt) = Make(events);
        var (rp, rt) = Make(samples);
        int[]? match = null;
        var ours = Program.Best(5, () => match = AsOfJoin.Join(lp, lt, rp, rt, AsOfStrategy.Backward));
        var oursSequential = Program.Best(5, () => AsOfJoin.Join(lp.AsSpan(), lt, rp, rt, AsOfStrategy.Backward));
        decimal oursSum = 0;
        long oursCount = 0;
        foreach (var m in match!) if (m >= 0) { oursSum += rt[m]; oursCount++; }

        using var con = new DuckDBConnection("Data Source=:memory:");
        con.Open();
        foreach (var (name, p, t) in new[] { ("l", lp, lt), ("r", rp, rt) })
        {
            using (var c = con.CreateCommand()) { c.CommandText = $"CREATE TABLE {name} (p BIGINT, t BIGINT)"; c.ExecuteNonQuery(); }
            using var app = con.CreateAppender(name);
            for (var i = 0; i < p.Length; i++) app.CreateRow().AppendValue(p[i]).AppendValue(t[i]).EndRow();
        }
        decimal duckSum = 0;
        long duckCount = 0;
        var peer = Program.Best(2, () =>
        {
            using var c = con.CreateCommand();
            c.CommandText = "SELECT count(r.t), sum(r.t) FROM l ASOF LEFT JOIN r ON l.p = r.p AND l.t >= r.t";
            using var rd = c.ExecuteReader();
            rd.Read();
            duckCount = Convert.ToInt64(rd.GetValue(0), System.Globalization.CultureInfo.InvariantCulture);
            duckSum = (decimal)(System.Numerics.BigInteger)rd.GetValue(1);
        });
        if (duckCount != oursCount || duckSum != oursSum) throw new InvalidOperationException($"as-of join disagrees with DuckDB: {oursCount}/{oursSum} vs {duckCount}/{duckSum}");
        Console.WriteLine($"as-of join: {events:N0} events × {samples:N0} samples, 64 partitions, presorted: kernel {ours:0.0000} s ({events / ours / 1e6:F0} M rows/s; one thread {oursSequential:0.0000} s), DuckDB ASOF JOIN {peer:0.000} s, {oursCount:N0} matches agree");
        yield return new Figure("asof_join_rows_per_s", events / ours, "rows/s", "duckdb ASOF JOIN", events / peer, peer / ours);
        yield return new Figure("asof_join_one_thread_rows_per_s", events / oursSequential, "rows/s", "duckdb ASOF JOIN", events / peer, peer / oursSequential);
    }
}
