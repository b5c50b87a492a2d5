namespace Memtrace.Pipeline.Collections;

/// <summary>
/// The last <see cref="Capacity"/> freed addresses, to tell a double free from a free of an unknown
/// address: a bounded quarantine, as AddressSanitizer keeps one. Recording is one store; only the
/// rare bad free pays, with a vectorised scan. No removal on reallocation is needed: the question is
/// asked only of an address that is not live, and if it was allocated again since its free, it was
/// freed again later too, so "freed recently" is still the right answer. (An unbounded set of every
/// freed address grew to half a million entries on a 2M-event trace, and its cache misses were half
/// the replay's time.) A double free further back than the window is reported as an unknown address.
/// </summary>
public sealed class RecentAddresses
{
    public const int Capacity = 16_384;

    private readonly long[] _ring = new long[Capacity];
    private int _next;
    private int _filled;

    public void Add(long address)
    {
        _ring[_next] = address;
        _next = (_next + 1) & (Capacity - 1);
        if (_filled < Capacity) _filled++;
    }

    public bool Contains(long address) => _ring.AsSpan(0, _filled).Contains(address);
}
