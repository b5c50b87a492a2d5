using System.Globalization;

namespace Memtrace.Pipeline.Run;

/// <summary>Byte sizes as people read and type them: the one formatter (report, notebooks, terminal) and the one parser (CLI options).</summary>
public static class ByteSize
{
    /// <summary>The units a size may carry: binary (KiB, MiB, GiB, TiB, and K/M/G/T as PyTorch and Kubernetes' Ki/Mi/Gi/Ti read them) and decimal (KB, MB, GB, TB).</summary>
    public static readonly IReadOnlyList<(string Suffix, long Bytes)> Units =
    [
        ("B", 1),
        ("KiB", 1L << 10), ("MiB", 1L << 20), ("GiB", 1L << 30), ("TiB", 1L << 40),
        ("Ki", 1L << 10), ("Mi", 1L << 20), ("Gi", 1L << 30), ("Ti", 1L << 40),
        ("K", 1L << 10), ("M", 1L << 20), ("G", 1L << 30), ("T", 1L << 40),
        ("KB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("TB", 1_000_000_000_000),
    ];

    /// <summary>How a size is shown, largest first: from how many bytes a unit is used, and with how many decimals. The report's script shows sizes with the same steps (<see cref="ScriptSteps"/>).</summary>
    public static readonly IReadOnlyList<(long From, string Unit, int Decimals)> DisplaySteps = [(1L << 30, "GiB", 2), (1L << 20, "MiB", 1), (1L << 10, "KiB", 1)];

    /// <summary>"1.50 GiB", "148.0 MiB", "12.0 KiB", "512 B".</summary>
    public static string Format(long bytes)
    {
        if (bytes < 0) return "−" + Format(bytes == long.MinValue ? long.MaxValue : -bytes);
        foreach (var (from, unit, decimals) in DisplaySteps)
            if (bytes >= from) return (bytes / (double)from).ToString("F" + decimals, CultureInfo.InvariantCulture) + " " + unit;
        return $"{bytes} B";
    }

    /// <summary><see cref="DisplaySteps"/> as a JavaScript array literal: [[from, 'unit', decimals], …].</summary>
    public static string ScriptSteps => "[" + string.Join(",", DisplaySteps.Select(s => $"[{s.From},'{s.Unit}',{s.Decimals}]")) + "]";

    /// <summary>Parses "256MiB", "24GiB", "1.5GB", "80G" or a bare number of bytes; the unit is case-sensitive (MB is not Mb).</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out long bytes, out string error)
    {
        bytes = 0;
        error = "";
        text = text.Trim();
        var digits = 0;
        while (digits < text.Length && (char.IsAsciiDigit(text[digits]) || text[digits] == '.')) digits++;
        if (digits == 0 || !double.TryParse(text[..digits], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
        {
            error = "not a size (use a number of bytes or one with a unit: 256MiB, 24GiB, 1.5GB)";
            return false;
        }
        var suffix = text[digits..].Trim();
        var scale = 1L;
        if (!suffix.IsEmpty)
        {
            var found = false;
            foreach (var (s, b) in Units)
            {
                if (!suffix.SequenceEqual(s)) continue;
                scale = b;
                found = true;
            }
            if (!found)
            {
                error = $"unknown unit '{suffix}' (use {string.Join(", ", Units.Select(u => u.Suffix))})";
                return false;
            }
        }
        var v = value * scale;
        if (!(v > 0) || v > long.MaxValue / 2)
        {
            error = "must be a positive size";
            return false;
        }
        bytes = (long)Math.Round(v);
        return true;
    }
}
