using System.Numerics;
using System.Runtime.CompilerServices;

namespace Memtrace.Pipeline.Collections;

/// <summary>
/// ⌊x / d⌋ for a divisor fixed in advance, exact for every non-negative long x, without a divide
/// instruction: S(R) takes one per reference size per block change, and a 64-bit divide costs ~40 cycles.
/// Granlund and Montgomery's round-up method (Hacker's Delight §10-8, as libdivide's "add" case): with
/// ℓ = ⌈log2 d⌉ and the 65-bit multiplier 2^64 + m, m = ⌊2^64·(2^ℓ − d) / d⌋ + 1, the quotient is
/// (t + ((x − t) >> 1)) >> (ℓ − 1) where t is the high half of m·x. For d = 2^ℓ, m = 1 and t = 0, so the
/// same two shifts give x >> ℓ. One multiply, two shifts and an add, no branch: cheaper than a product
/// with the double 1/d and a remainder fix-up (two conversions and a multiply on the path, ~20 cycles).
/// </summary>
public readonly struct ExactDivisor
{
    private readonly ulong _multiplier;
    private readonly int _shift;
    private readonly bool _one;

    public ExactDivisor(long divisor)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(divisor);
        var d = (ulong)divisor;
        _one = d == 1;
        var log = 64 - BitOperations.LeadingZeroCount(d - 1); // ⌈log2 d⌉, 0 for d = 1
        _shift = Math.Max(0, log - 1);
        _multiplier = _one ? 0 : (ulong)(((UInt128)((1UL << log) - d) << 64) / d) + 1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Divide(long x)
    {
        if (_one) return x; // the one divisor the shifts cannot express (ℓ − 1 = −1); predicted always the same way
        var n = (ulong)x;
        var t = Math.BigMul(_multiplier, n, out _);
        return (long)((t + ((n - t) >> 1)) >> _shift);
    }
}
