namespace Memtrace.Pipeline.Collections;

/// <summary>
/// Items in the order of a long key each carries (a block's or a segment's start): one primitive key sort, and none
/// when they are in order already, where LINQ's OrderBy sorted indices through a comparison delegate (a visible share
/// of the fragmentation stage on magma27 ×100's ~50,000 blocks and 21,600 segments). Items with equal keys may come in
/// any order: callers order distinct keys, or keys whose ties do not matter.
/// </summary>
internal static class KeyOrder
{
    public static T[] Sorted<T>(T[] items, Func<T, long> key)
    {
        for (var i = 1; i < items.Length; i++)
        {
            if (key(items[i]) >= key(items[i - 1])) continue;
            var keys = new long[items.Length];
            for (var k = 0; k < items.Length; k++) keys[k] = key(items[k]);
            Array.Sort(keys, items);
            break;
        }
        return items;
    }
}
