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
/// left row in sort order). A match further than <c>tolerance</c> ns away is no match. O(n + m).
/// </summary>
public static class AsOfJoin
{
    public static int[] Join(
        ReadOnlySpan<long> leftPartition, ReadOnlySpan<long> leftTime,
        ReadOnlySpan<long> rightPartition, ReadOnlySpan<long> rightTime,
        AsOfStrategy strategy, long tolerance = long.MaxValue)
    {
        if (leftPartition.Length != leftTime.Length) throw new ArgumentException("left partition and time columns differ in length");
        if (rightPartition.Length != rightTime.Length) throw new ArgumentException("right partition and time columns differ in length");
        if (tolerance < 0) throw new ArgumentOutOfRangeException(nameof(tolerance), "tolerance must be ≥ 0");
        CheckSorted("left", leftPartition, leftTime);
        CheckSorted("right", rightPartition, rightTime);

        var result = new int[leftTime.Length];
        var r = 0; // first right row whose (partition, time) is not below the current left row's partition
        for (var i = 0; i < leftTime.Length; i++)
        {
            var p = leftPartition[i];
            var t = leftTime[i];
            while (r < rightTime.Length && rightPartition[r] < p) r++;
            // Advance past right rows of this partition at or before t: they are all backward candidates.
            var j = r;
            while (j < rightTime.Length && rightPartition[j] == p && rightTime[j] <= t) j++;
            var back = j > r && rightPartition[j - 1] == p ? j - 1 : -1;
            // Forward: the first right row at or after t; equal times sit just before j.
            var fwd = back >= 0 && rightTime[back] == t ? FirstEqual(rightPartition, rightTime, back, p, t, r)
                : j < rightTime.Length && rightPartition[j] == p ? j : -1;
            var match = strategy switch
            {
                AsOfStrategy.Backward => back,
                AsOfStrategy.Forward => fwd,
                _ => Nearest(rightTime, t, back, fwd),
            };
            result[i] = match >= 0 && Math.Abs((decimal)rightTime[match] - t) <= tolerance ? match : -1;
            // The next left row has time ≥ t in the same partition, so rows before back stay behind it.
            if (back > r) r = back;
        }
        return result;
    }

    private static int FirstEqual(ReadOnlySpan<long> part, ReadOnlySpan<long> time, int from, long p, long t, int floor)
    {
        var k = from;
        while (k - 1 >= floor && part[k - 1] == p && time[k - 1] == t) k--;
        return k;
    }

    private static int Nearest(ReadOnlySpan<long> time, long t, int back, int fwd)
    {
        if (back < 0) return fwd;
        if (fwd < 0) return back;
        return (decimal)t - time[back] <= (decimal)time[fwd] - t ? back : fwd;
    }

    private static void CheckSorted(string side, ReadOnlySpan<long> part, ReadOnlySpan<long> time)
    {
        for (var i = 1; i < time.Length; i++)
        {
            if (part[i] < part[i - 1] || (part[i] == part[i - 1] && time[i] < time[i - 1]))
                throw new ArgumentException($"{side} input is not sorted by (partition, time) at row {i}: ({part[i - 1]}, {time[i - 1]}) then ({part[i]}, {time[i]})");
        }
    }
}
