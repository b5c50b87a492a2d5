namespace Memtrace.Pipeline.Join;

public enum AsOfStrategy
{
    /// <summary>The latest right row at or before the left time (DuckDB/Polars default).</summary>
    Backward,
    /// <summary>The earliest right row at or after the left time.</summary>
    Forward,
    /// <summary>Whichever of the two is closer in time; an exact tie goes backward.</summary>
    Nearest,
}

/// <summary>
/// The as-of join kernel: for each left row, the index of the matching right row in the same
/// partition, or −1. Both sides must be sorted by (partition, time); that is checked up front, with
/// the first offending row in the message, because a silently wrong join is worse than none. Among
/// right rows with equal times, backward takes the last and forward the first (the rows nearest the
/// left row in sort order). A match further than <c>tolerance</c> ns away is no match (long.MaxValue, the
/// default, means no limit). O(n + m):
/// the check pass also cuts both sides into partition runs, and each pair of runs is a two-pointer
/// merge over times alone; large inputs spread the runs over the cores.
/// </summary>
public static class AsOfJoin
{
    /// <summary>Below this many left rows the runs are joined on the calling thread.</summary>
    public const int ParallelThreshold = 1 << 18;

    public static int[] Join(
        ReadOnlySpan<long> leftPartition, ReadOnlySpan<long> leftTime,
        ReadOnlySpan<long> rightPartition, ReadOnlySpan<long> rightTime,
        AsOfStrategy strategy, long tolerance = long.MaxValue)
    {
        Validate(leftPartition.Length, leftTime.Length, rightPartition.Length, rightTime.Length, tolerance);
        var pairs = Pair(Runs("left", leftPartition, leftTime), Runs("right", rightPartition, rightTime));
        var result = new int[leftTime.Length];
        foreach (var (l, r) in pairs) JoinRun(leftTime[l.Start..l.End], rightTime[r.Start..r.End], r.Start, result.AsSpan(l.Start, l.End - l.Start), strategy, tolerance);
        return result;
    }

    /// <summary>The same join over arrays, which may run the partition runs in parallel.</summary>
    public static int[] Join(long[] leftPartition, long[] leftTime, long[] rightPartition, long[] rightTime, AsOfStrategy strategy, long tolerance = long.MaxValue)
    {
        if (leftTime.Length < ParallelThreshold) return Join(leftPartition.AsSpan(), leftTime, rightPartition, rightTime, strategy, tolerance);
        Validate(leftPartition.Length, leftTime.Length, rightPartition.Length, rightTime.Length, tolerance);
        var pairs = Pair(Runs("left", leftPartition, leftTime), Runs("right", rightPartition, rightTime));
        var result = new int[leftTime.Length];
        Parallel.ForEach(pairs, p =>
        {
            var (l, r) = p;
            JoinRun(leftTime.AsSpan(l.Start, l.End - l.Start), rightTime.AsSpan(r.Start, r.End - r.Start), r.Start, result.AsSpan(l.Start, l.End - l.Start), strategy, tolerance);
        });
        return result;
    }

    private static void Validate(int lp, int lt, int rp, int rt, long tolerance)
    {
        if (lp != lt) throw new ArgumentException("left partition and time columns differ in length");
        if (rp != rt) throw new ArgumentException("right partition and time columns differ in length");
        if (tolerance < 0) throw new ArgumentOutOfRangeException(nameof(tolerance), "tolerance must be ≥ 0");
    }

    private readonly record struct Run(long Key, int Start, int End);

    /// <summary>Checks (partition, time) order and cuts the rows into runs of one partition each.</summary>
    private static List<Run> Runs(string side, ReadOnlySpan<long> part, ReadOnlySpan<long> time)
    {
        var runs = new List<Run>();
        if (time.Length == 0) return runs;
        var start = 0;
        for (var i = 1; i < time.Length; i++)
        {
            if (part[i] == part[i - 1])
            {
                if (time[i] < time[i - 1]) throw Unsorted(side, part, time, i);
                continue;
            }
            if (part[i] < part[i - 1]) throw Unsorted(side, part, time, i);
            runs.Add(new Run(part[i - 1], start, i));
            start = i;
        }
        runs.Add(new Run(part[^1], start, time.Length));
        return runs;
    }

    private static ArgumentException Unsorted(string side, ReadOnlySpan<long> part, ReadOnlySpan<long> time, int i) =>
        new($"{side} input is not sorted by (partition, time) at row {i}: ({part[i - 1]}, {time[i - 1]}) then ({part[i]}, {time[i]})");

    /// <summary>Each left run with the right run of the same key (an empty run when the right side has none).</summary>
    private static List<(Run Left, Run Right)> Pair(List<Run> left, List<Run> right)
    {
        var pairs = new List<(Run, Run)>(left.Count);
        var j = 0;
        foreach (var l in left)
        {
            while (j < right.Count && right[j].Key < l.Key) j++;
            pairs.Add((l, j < right.Count && right[j].Key == l.Key ? right[j] : new Run(l.Key, 0, 0)));
        }
        return pairs;
    }

    private static void JoinRun(ReadOnlySpan<long> left, ReadOnlySpan<long> right, int rightOffset, Span<int> result, AsOfStrategy strategy, long tolerance)
    {
        var tol = tolerance == long.MaxValue ? ulong.MaxValue : (ulong)tolerance; // the default means "no limit", even across the whole long range
        int after = 0, atOrAfter = 0; // first right row with time > t, and with time ≥ t
        for (var i = 0; i < left.Length; i++)
        {
            var t = left[i];
            while (after < right.Length && right[after] <= t) after++;
            int match;
            if (strategy == AsOfStrategy.Backward)
            {
                match = after - 1;
            }
            else
            {
                while (atOrAfter < right.Length && right[atOrAfter] < t) atOrAfter++;
                var fwd = atOrAfter < right.Length ? atOrAfter : -1;
                if (strategy == AsOfStrategy.Forward) match = fwd;
                else
                {
                    var back = after - 1;
                    match = back < 0 ? fwd : fwd < 0 ? back : Distance(t, right[back]) <= Distance(right[fwd], t) ? back : fwd;
                }
            }
            result[i] = match >= 0 && Distance(right[match], t) <= tol ? match + rightOffset : -1;
        }
    }

    /// <summary>|a − b| without overflow, for any two longs.</summary>
    private static ulong Distance(long a, long b) => a >= b ? unchecked((ulong)(a - b)) : unchecked((ulong)(b - a));
}
