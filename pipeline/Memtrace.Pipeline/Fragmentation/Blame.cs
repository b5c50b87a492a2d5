namespace Memtrace.Pipeline.Fragmentation;

/// <summary>
/// Attributes fragmented bytes (free blocks smaller than the reference request) to the stacks of
/// the live blocks that border them. A fragment between two live blocks counts half to each side,
/// because either neighbour's lifetime pins it.
/// </summary>
public static class Blame
{
    public static IEnumerable<BlameRow> Rank(AddressSpace space, long referenceRequest, string instant, long ts, int top)
    {
        var bytes = new Dictionary<long, long>();
        var fragments = new Dictionary<long, long>();
        var allocations = new Dictionary<long, HashSet<long>>();
        void Credit(long stack, long amount, long liveAddr)
        {
            bytes[stack] = bytes.GetValueOrDefault(stack) + amount;
            fragments[stack] = fragments.GetValueOrDefault(stack) + 1;
            if (!allocations.TryGetValue(stack, out var set)) allocations[stack] = set = new HashSet<long>();
            set.Add(liveAddr);
        }
        foreach (var (s, e, _) in space.Free.Blocks())
        {
            var size = e - s;
            if (size >= referenceRequest) continue;
            var hasLeft = space.TryLiveEndingAt(s, out var leftAddr, out var left);
            var hasRight = space.TryLiveAt(e, out var right);
            if (hasLeft && hasRight)
            {
                Credit(left.StackId ?? 0, size / 2, leftAddr);
                Credit(right.StackId ?? 0, size - size / 2, e);
            }
            else if (hasLeft) Credit(left.StackId ?? 0, size, leftAddr);
            else if (hasRight) Credit(right.StackId ?? 0, size, e);
        }
        var rank = 0;
        foreach (var (stack, b) in bytes.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key).Take(top))
        {
            yield return new BlameRow(instant, ts, referenceRequest, ++rank, stack == 0 ? null : stack, b, fragments[stack], allocations[stack].Count);
        }
    }
}
