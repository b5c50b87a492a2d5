namespace Memtrace.Schemas.Model;

/// <summary>
/// Groups one entity's reads (a pid's /proc files, a cgroup directory's memory files) into sampler ticks.
/// A sidecar stamps each read on its own, so the reads of one tick are ~0.1–1 ms apart and never share a
/// stamp: {"ts_ns": 1795487279066104000, "path": "/proc/4242/status", …} then
/// {"ts_ns": 1795487279066391000, "path": "/proc/4242/stat", …}. A new tick begins when a field the current
/// tick already holds comes again, or after a gap between successive reads larger than half the median
/// sampling interval (the median gap between successive reads of the same field).
/// This kernel serves the capture importer (fields are file names) and the host analysis (fields are the
/// sample's non-null column groups), so that split files coalesce exactly as one file does.
/// </summary>
public static class ReadTicks
{
    /// <summary>
    /// For each read, in time order, the index of its tick (0, 1, …; non-decreasing).
    /// <paramref name="fields"/>[i] is a non-zero mask of the fields read i carries.
    /// </summary>
    public static int[] Assign(ReadOnlySpan<long> ts, ReadOnlySpan<ulong> fields)
    {
        if (ts.Length != fields.Length) throw new ArgumentException("ts and fields differ in length");
        for (var i = 1; i < ts.Length; i++)
        {
            if (ts[i] < ts[i - 1]) throw new ArgumentException($"reads are not in time order at {i}");
        }
        var maxGap = MedianFieldInterval(ts, fields) is var m && m > 0 ? m / 2 : long.MaxValue;
        var tick = new int[ts.Length];
        var current = 0UL;
        var n = -1;
        for (var i = 0; i < ts.Length; i++)
        {
            if (fields[i] == 0) throw new ArgumentException($"read {i} carries no field");
            if (n < 0 || (current & fields[i]) != 0 || ts[i] - ts[i - 1] > maxGap)
            {
                n++;
                current = 0;
            }
            current |= fields[i];
            tick[i] = n;
        }
        return tick;
    }

    /// <summary>The median gap between successive reads of the same field; 0 when no field was read twice.</summary>
    public static long MedianFieldInterval(ReadOnlySpan<long> ts, ReadOnlySpan<ulong> fields)
    {
        Span<long> last = stackalloc long[64];
        last.Fill(long.MinValue);
        var gaps = new List<long>();
        for (var i = 0; i < ts.Length; i++)
        {
            for (var f = fields[i]; f != 0; f &= f - 1)
            {
                var bit = System.Numerics.BitOperations.TrailingZeroCount(f);
                if (last[bit] != long.MinValue) gaps.Add(ts[i] - last[bit]);
                last[bit] = ts[i];
            }
        }
        if (gaps.Count == 0) return 0;
        gaps.Sort();
        return gaps[gaps.Count / 2];
    }

    /// <summary>The field bit of a name, one per distinct name in first-seen order; names past the 64th share the last bit.</summary>
    public sealed class FieldBits
    {
        private readonly Dictionary<string, int> _bits = new(StringComparer.Ordinal);

        public ulong Of(string name)
        {
            if (!_bits.TryGetValue(name, out var bit)) _bits[name] = bit = Math.Min(_bits.Count, 63);
            return 1UL << bit;
        }
    }
}
