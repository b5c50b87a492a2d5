using System.IO.Compression;
using System.Text;
using CsCheck;

namespace Memtrace.Collectors.Tests.Fuzz;

/// <summary>One structured edit of an input; a case applies one to four of them to a real file.</summary>
public readonly record struct Mutation(int Kind, int A, int B, int C)
{
    public override string ToString() => $"{(MutationKind)Kind}({A},{B},{C})";
}

public enum MutationKind
{
    FlipBit, Truncate, DeleteRange, DuplicateRange, InsertBytes, ExtremeNumber, DropLine, SwapLines, RepeatLine,
}

/// <summary>
/// Structured mutations of real inputs (the way a fuzzer's dictionary and splice stages work): bit
/// flips, cuts, deleted and duplicated ranges, random bytes, numbers swapped for extremes (2^64−1,
/// −1, huge exponents), and line-level drops, swaps and repeats. Gzip inputs are mostly mutated inside
/// the stream and recompressed, so the decoder's checks do not reject every case at the door.
/// </summary>
public static class Mutator
{
    private static readonly string[] Extremes =
    [
        "18446744073709551615", "9223372036854775807", "-9223372036854775808", "-1", "0", "1e308", "-1e308", "NaN",
        "99999999999999999999999999999", "4294967296", "0x7fffffffffffffff", "",
    ];

    public static readonly Gen<Mutation[]> Gen =
        CsCheck.Gen.Select(CsCheck.Gen.Int[0, (int)MutationKind.RepeatLine], CsCheck.Gen.Int[0, int.MaxValue], CsCheck.Gen.Int[0, int.MaxValue], CsCheck.Gen.Int[0, int.MaxValue],
            (k, a, b, c) => new Mutation(k, a, b, c)).Array[1, 4];

    public static byte[] Apply(byte[] seed, Mutation[] mutations, bool gzip)
    {
        if (gzip && mutations[0].C % 5 != 0) return Gzip(Apply(Gunzip(seed), mutations, gzip: false));
        var data = seed.ToList();
        foreach (var m in mutations) Apply(data, m);
        return data.ToArray();
    }

    private static void Apply(List<byte> d, Mutation m)
    {
        if (d.Count == 0) { d.AddRange(Encoding.ASCII.GetBytes(Extremes[m.A % Extremes.Length])); return; }
        var at = m.A % d.Count;
        var len = Math.Min(d.Count - at, 1 + m.B % 64);
        switch ((MutationKind)m.Kind)
        {
            case MutationKind.FlipBit: d[at] ^= (byte)(1 << (m.B % 8)); break;
            case MutationKind.Truncate: d.RemoveRange(at, d.Count - at); break;
            case MutationKind.DeleteRange: d.RemoveRange(at, len); break;
            case MutationKind.DuplicateRange: d.InsertRange(at, d.GetRange(at, len)); break;
            case MutationKind.InsertBytes:
                var rng = new Random(m.C);
                var bytes = new byte[1 + m.B % 16];
                rng.NextBytes(bytes);
                d.InsertRange(at, bytes);
                break;
            case MutationKind.ExtremeNumber:
                // The digit run at or after the position becomes an extreme value.
                var start = d.FindIndex(at, b => b is >= (byte)'0' and <= (byte)'9');
                if (start < 0) break;
                var end = start;
                while (end < d.Count && d[end] is >= (byte)'0' and <= (byte)'9') end++;
                d.RemoveRange(start, end - start);
                d.InsertRange(start, Encoding.ASCII.GetBytes(Extremes[m.C % Extremes.Length]));
                break;
            default:
                LineEdit(d, m);
                break;
        }
    }

    private static void LineEdit(List<byte> d, Mutation m)
    {
        var lines = new List<(int Start, int Length)>();
        for (int i = 0, s = 0; i <= d.Count; i++)
        {
            if (i < d.Count && d[i] != (byte)'\n') continue;
            lines.Add((s, Math.Min(i + 1, d.Count) - s));
            s = i + 1;
        }
        if (lines.Count < 2) return;
        var a = lines[m.A % lines.Count];
        var b = lines[m.B % lines.Count];
        switch ((MutationKind)m.Kind)
        {
            case MutationKind.DropLine: d.RemoveRange(a.Start, a.Length); break;
            case MutationKind.RepeatLine: d.InsertRange(a.Start, d.GetRange(a.Start, a.Length)); break;
            case MutationKind.SwapLines when a.Start != b.Start:
                var (first, second) = a.Start < b.Start ? (a, b) : (b, a);
                var x = d.GetRange(first.Start, first.Length);
                var y = d.GetRange(second.Start, second.Length);
                d.RemoveRange(second.Start, second.Length);
                d.InsertRange(second.Start, x);
                d.RemoveRange(first.Start, first.Length);
                d.InsertRange(first.Start, y);
                break;
        }
    }

    public static byte[] Gunzip(byte[] gz)
    {
        using var z = new GZipStream(new MemoryStream(gz), CompressionMode.Decompress);
        using var o = new MemoryStream();
        z.CopyTo(o);
        return o.ToArray();
    }

    public static byte[] Gzip(byte[] raw)
    {
        using var o = new MemoryStream();
        using (var z = new GZipStream(o, CompressionLevel.Fastest, leaveOpen: true)) z.Write(raw);
        return o.ToArray();
    }
}
