using System.CommandLine;
using System.Globalization;

namespace Memtrace.Cli.Commands;

/// <summary>
/// Durations as Go and Prometheus users type them: "250ms", "30s", "5m", "1h", "1m30s", "1.5s", "500us"; a bare number
/// ("500") is in the option's historical unit, so every command line that worked before means the same.
/// </summary>
public static class DurationOption
{
    /// <summary>The units a duration may use.</summary>
    public static readonly IReadOnlyList<(string Suffix, long Ns)> Units =
    [
        ("ns", 1), ("us", 1_000), ("µs", 1_000), ("ms", 1_000_000), ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000),
    ];

    /// <summary>Parses <paramref name="text"/> to nanoseconds; a bare number is in <paramref name="bareUnitNs"/>.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, long bareUnitNs, out long ns, out string error)
    {
        ns = 0;
        error = "";
        text = text.Trim();
        if (text.IsEmpty) { error = "empty duration"; return false; }
        if (double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var bare))
            return Scale(bare, bareUnitNs, ref ns, ref error);
        double total = 0;
        while (!text.IsEmpty)
        {
            var digits = 0;
            while (digits < text.Length && (char.IsAsciiDigit(text[digits]) || text[digits] == '.')) digits++;
            if (digits == 0 || !double.TryParse(text[..digits], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
            {
                error = $"'{text}' does not start with a number";
                return false;
            }
            text = text[digits..];
            (string Suffix, long Ns) unit = default;
            foreach (var u in Units)
            {
                // "ms" before "m": the longer suffix that ends the text or precedes the next number wins.
                if (text.StartsWith(u.Suffix, StringComparison.Ordinal) && (text.Length == u.Suffix.Length || char.IsAsciiDigit(text[u.Suffix.Length]))
                    && u.Suffix.Length > (unit.Suffix?.Length ?? 0)) unit = u;
            }
            if (unit.Suffix is null && text.IsEmpty)
            {
                error = "missing unit after the last number";
                return false;
            }
            if (unit.Suffix is null)
            {
                error = $"unknown unit '{text}' (use {string.Join(", ", Units.Select(u => u.Suffix))})";
                return false;
            }
            total += value * unit.Ns;
            text = text[unit.Suffix.Length..];
        }
        return Scale(total, 1, ref ns, ref error);
    }

    private static bool Scale(double value, long unitNs, ref long ns, ref string error)
    {
        var v = value * unitNs;
        if (!(v > 0) || v > long.MaxValue / 2)
        {
            error = "must be a positive duration";
            return false;
        }
        ns = (long)Math.Round(v);
        return true;
    }

    /// <summary>An option holding nanoseconds; <paramref name="bareUnit"/> names the unit of a bare number in its help.</summary>
    public static Option<long?> Create(string name, string description, long bareUnitNs, string bareUnit, long? defaultNs = null)
    {
        var option = new Option<long?>(name)
        {
            Description = $"{description} A duration such as 250ms, 30s or 5m; a bare number is {bareUnit}.",
            CustomParser = result =>
            {
                var token = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
                if (TryParse(token, bareUnitNs, out var ns, out var error)) return ns;
                result.AddError($"{name} '{token}': {error}");
                return null;
            },
        };
        if (defaultNs is { } d) option.DefaultValueFactory = _ => d;
        return option;
    }
}
