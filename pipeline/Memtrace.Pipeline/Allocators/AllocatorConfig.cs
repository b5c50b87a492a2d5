using System.Globalization;

namespace Memtrace.Pipeline.Allocators;

/// <summary>
/// The PYTORCH_CUDA_ALLOC_CONF settings the caching allocator's decisions depend on, as
/// c10/core/AllocatorConfig.cpp parses them: <c>max_split_size_mb:128</c> (must be above 20, kLargeBuffer in
/// MiB), <c>roundup_power2_divisions:4</c> or the per-interval form <c>[256:1,512:2,&gt;:4]</c>,
/// <c>garbage_collection_threshold:0.6</c> (a fraction in (0, 1)) and <c>expandable_segments:True</c>.
/// A snapshot records them as its <c>allocator_settings</c> dict; memtrace stores that dict in
/// gpu_allocator_settings and rebuilds the same settings from it (<see cref="FromSettings"/>).
/// </summary>
public sealed record AllocatorConfig
{
    public const long MiB = 1 << 20;
    /// <summary>kRoundUpPowerOfTwoIntervals: one divisions value per power of two from 1 MiB to 32 GiB.</summary>
    public const int RoundupIntervals = 16;

    /// <summary>Blocks at least this large are never split (max_split_size); long.MaxValue when unset.</summary>
    public long MaxSplitSize { get; init; } = long.MaxValue;
    public bool ExpandableSegments { get; init; }
    public double GarbageCollectionThreshold { get; init; }
    /// <summary>torch.cuda.set_per_process_memory_fraction, which garbage collection needs (not an ALLOC_CONF key).</summary>
    public double? MemoryFraction { get; init; }
    /// <summary>Divisions per interval [2^(20+i), 2^(21+i)); 0 or 1 means plain 512-byte rounding.</summary>
    public IReadOnlyList<int> RoundupDivisions { get; init; } = new int[RoundupIntervals];

    public static readonly AllocatorConfig Default = new();

    public bool Equals(AllocatorConfig? other) => other is not null && MaxSplitSize == other.MaxSplitSize && ExpandableSegments == other.ExpandableSegments
        && GarbageCollectionThreshold.Equals(other.GarbageCollectionThreshold) && Nullable.Equals(MemoryFraction, other.MemoryFraction)
        && RoundupDivisions.SequenceEqual(other.RoundupDivisions);

    public override int GetHashCode() => HashCode.Combine(MaxSplitSize, ExpandableSegments, GarbageCollectionThreshold, MemoryFraction);

    /// <summary>roundup_power2_divisions(size): the interval of size's highest bit, counted from 1 MiB and clamped to the table.</summary>
    public int DivisionsFor(long size)
    {
        var index = System.Numerics.BitOperations.Log2((ulong)size) - 20;
        return RoundupDivisions[Math.Clamp(index, 0, RoundupIntervals - 1)];
    }

    /// <summary>Parses a PYTORCH_CUDA_ALLOC_CONF value; throws FormatException with the offending option on a bad one.</summary>
    public static AllocatorConfig Parse(string conf, AllocatorConfig? baseline = null)
    {
        var c = baseline ?? Default;
        foreach (var option in SplitOptions(conf))
        {
            var colon = option.IndexOf(':');
            if (colon <= 0) throw new FormatException($"'{option}' is not key:value");
            var key = option[..colon].Trim();
            var value = option[(colon + 1)..].Trim();
            c = key switch
            {
                "max_split_size_mb" => c with { MaxSplitSize = ParseMaxSplit(value) },
                "expandable_segments" => c with { ExpandableSegments = ParseBool(key, value) },
                "garbage_collection_threshold" => c with { GarbageCollectionThreshold = ParseThreshold(value) },
                "roundup_power2_divisions" => c with { RoundupDivisions = ParseDivisions(value) },
                // Settings that place nothing differently on one device (pinned memory, backend choice) are accepted and ignored.
                "pinned_num_register_threads" or "pinned_use_cuda_host_register" or "release_lock_on_cudamalloc" or "backend"
                    or "graph_capture_record_stream_reuse" or "pinned_use_background_threads" => c,
                _ => throw new FormatException($"unknown allocator option '{key}' (known: max_split_size_mb, expandable_segments, garbage_collection_threshold, roundup_power2_divisions)"),
            };
        }
        return c;
    }

    /// <summary>Options are comma-separated, but a bracketed divisions list holds commas of its own.</summary>
    private static IEnumerable<string> SplitOptions(string conf)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i <= conf.Length; i++)
        {
            if (i < conf.Length && conf[i] == '[') depth++;
            else if (i < conf.Length && conf[i] == ']') depth--;
            else if (i == conf.Length || (conf[i] == ',' && depth == 0))
            {
                var part = conf[start..i].Trim();
                if (part.Length > 0) yield return part;
                start = i + 1;
            }
        }
    }

    private static long ParseMaxSplit(string value)
    {
        if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var mb)) throw new FormatException($"max_split_size_mb '{value}' is not a whole number of MiB");
        if (mb <= 20) throw new FormatException($"max_split_size_mb {mb} is too small: PyTorch requires more than 20 (kLargeBuffer)");
        return mb > long.MaxValue / MiB ? long.MaxValue : mb * MiB;
    }

    private static bool ParseBool(string key, string value) => value switch
    {
        "True" or "true" => true,
        "False" or "false" => false,
        _ => throw new FormatException($"{key} '{value}' is not True or False"),
    };

    private static double ParseThreshold(string value)
    {
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var t) || t <= 0 || t >= 1)
            throw new FormatException($"garbage_collection_threshold '{value}' must lie strictly between 0 and 1");
        return t;
    }

    /// <summary>"4" sets every interval; "[256:1,512:2,&gt;:4]" sets the interval of each size in MiB (the first entry also the smaller ones), "&gt;" the rest.</summary>
    private static int[] ParseDivisions(string value)
    {
        var d = new int[RoundupIntervals];
        if (!value.StartsWith('['))
        {
            var v = ParseDivision(value);
            Array.Fill(d, v);
            return d;
        }
        if (!value.EndsWith(']')) throw new FormatException($"roundup_power2_divisions '{value}' lacks its closing ']'");
        var last = -1;
        foreach (var entry in value[1..^1].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = entry.Split(':');
            if (parts.Length != 2) throw new FormatException($"roundup_power2_divisions entry '{entry}' is not size:divisions");
            var v = ParseDivision(parts[1]);
            if (parts[0] == ">")
            {
                for (var i = last + 1; i < RoundupIntervals; i++) d[i] = v;
                continue;
            }
            if (!long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var mb) || mb <= 0 || (mb & (mb - 1)) != 0)
                throw new FormatException($"roundup_power2_divisions size '{parts[0]}' must be a power of two in MiB");
            var index = Math.Min(System.Numerics.BitOperations.Log2((ulong)mb), RoundupIntervals - 1);
            // As upstream fills the table: the first entry also covers every smaller interval; later ones set their own.
            for (var i = last < 0 ? 0 : index; i <= index; i++) d[i] = v;
            last = index;
        }
        return d;
    }

    private static int ParseDivision(string s)
    {
        if (!int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) || (v != 0 && (v & (v - 1)) != 0))
            throw new FormatException($"roundup_power2_divisions '{s}' must be 0 or a power of two");
        return v;
    }

    /// <summary>
    /// From a snapshot's allocator_settings as stored in gpu_allocator_settings: 'max_split_size' (bytes, -1 or the
    /// size_t maximum when unset), 'expandable_segments', 'garbage_collection_threshold' and
    /// 'roundup_power2_divisions' (interval MiB → divisions, e.g. '1:0,2:0,…').
    /// </summary>
    public static AllocatorConfig FromSettings(IReadOnlyDictionary<string, string> s)
    {
        var c = Default;
        if (s.TryGetValue("max_split_size", out var ms) && long.TryParse(ms, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var m) && m > 0)
            c = c with { MaxSplitSize = m };
        if (s.TryGetValue("expandable_segments", out var es)) c = c with { ExpandableSegments = es is "True" or "true" };
        if (s.TryGetValue("garbage_collection_threshold", out var gc) && double.TryParse(gc, NumberStyles.Float, CultureInfo.InvariantCulture, out var g) && g > 0 && g < 1)
            c = c with { GarbageCollectionThreshold = g };
        if (s.TryGetValue("roundup_power2_divisions", out var rd))
        {
            var d = new int[RoundupIntervals];
            foreach (var entry in rd.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var kv = entry.Split(':');
                if (kv.Length == 2 && long.TryParse(kv[0], NumberStyles.None, CultureInfo.InvariantCulture, out var mb) && mb > 0
                    && int.TryParse(kv[1], NumberStyles.None, CultureInfo.InvariantCulture, out var v))
                    d[Math.Min(System.Numerics.BitOperations.Log2((ulong)mb), RoundupIntervals - 1)] = v;
            }
            c = c with { RoundupDivisions = d };
        }
        return c;
    }

    /// <summary>The PYTORCH_CUDA_ALLOC_CONF line that selects this configuration (empty for PyTorch's defaults).</summary>
    public string ToConf()
    {
        var parts = new List<string>();
        if (ExpandableSegments) parts.Add("expandable_segments:True");
        if (MaxSplitSize != long.MaxValue) parts.Add($"max_split_size_mb:{MaxSplitSize / MiB}");
        if (RoundupDivisions.Any(d => d > 1))
        {
            parts.Add(RoundupDivisions.Distinct().Count() == 1
                ? $"roundup_power2_divisions:{RoundupDivisions[0]}"
                : "roundup_power2_divisions:[" + string.Join(",", RoundupDivisions.Select((d, i) => $"{1L << i}:{d}")) + "]");
        }
        if (GarbageCollectionThreshold > 0) parts.Add(string.Create(CultureInfo.InvariantCulture, $"garbage_collection_threshold:{GarbageCollectionThreshold}"));
        return string.Join(",", parts);
    }
}
