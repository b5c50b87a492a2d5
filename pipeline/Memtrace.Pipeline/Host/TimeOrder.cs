namespace Memtrace.Pipeline.Host;

/// <summary>
/// Puts one entity's samples (in file order) into time order for the joins, counting what that took:
/// a sample earlier than its predecessor is a clock step backwards (an NTP step on a realtime clock,
/// or two captures of one pid concatenated), and a sample at exactly the predecessor's time is a
/// duplicate, which the joins leave out (keeping the first) so that "nearest" stays well defined.
/// </summary>
public static class TimeOrder
{
    /// <summary>Steps back in time between consecutive items, in the order given.</summary>
    public static int Backwards<T>(IReadOnlyList<T> fileOrder, Func<T, long> ts)
    {
        var backwards = 0;
        for (var i = 1; i < fileOrder.Count; i++)
        {
            if (ts(fileOrder[i]) < ts(fileOrder[i - 1])) backwards++;
        }
        return backwards;
    }

    public static List<T> Normalize<T>(IReadOnlyList<T> fileOrder, Func<T, long> ts, out int backwards, out int duplicates)
    {
        backwards = Backwards(fileOrder, ts);
        var sorted = backwards == 0 ? fileOrder.ToList() : fileOrder.Select((x, i) => (x, i)).OrderBy(p => ts(p.x)).ThenBy(p => p.i).Select(p => p.x).ToList();
        var kept = new List<T>(sorted.Count);
        duplicates = 0;
        foreach (var x in sorted)
        {
            if (kept.Count > 0 && ts(kept[^1]) == ts(x)) duplicates++;
            else kept.Add(x);
        }
        return kept;
    }
}
