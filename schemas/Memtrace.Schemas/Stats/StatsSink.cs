using Memtrace.Schemas.Model;
using Memtrace.Schemas.Tables;

namespace Memtrace.Schemas.Stats;

/// <summary>
/// Counters plus the import_log rows of one source (or one analyzer). Tier 2 of bad input is
/// <see cref="Count"/>; tier 3 is <see cref="Log"/>, which also counts.
/// </summary>
public sealed class StatsSink
{
    private const int MaxLogRowsPerKey = 1000;
    private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _logged = new(StringComparer.Ordinal);

    private readonly Lazy<string> _sourceId;

    public StatsSink(string sourceId) : this(new Lazy<string>(sourceId))
    {
    }

    /// <summary>A sink whose source id is still being computed (the import runner hashes a file beside its parse): a
    /// <see cref="Log"/> row waits for it; counting does not.</summary>
    public StatsSink(Func<string> pendingSourceId) : this(new Lazy<string>(pendingSourceId, LazyThreadSafetyMode.ExecutionAndPublication))
    {
    }

    private StatsSink(Lazy<string> sourceId)
    {
        _sourceId = sourceId;
        Log_ = new Table(ImportLog.Def);
    }

    public string SourceId => _sourceId.Value;
    public Table Log_ { get; }
    public IReadOnlyDictionary<string, long> Counts => _counts;

    public long this[StatDef def] => _counts.GetValueOrDefault(def.Key);

    public void Count(StatDef def, long n = 1)
    {
        if (n == 0) return;
        _counts[def.Key] = _counts.GetValueOrDefault(def.Key) + n;
    }

    /// <summary>Whether a <see cref="Log"/> of this counter would still write a row (below the cap): an excerpt that costs a
    /// query need not be fetched for a row the cap drops.</summary>
    public bool WillLog(StatDef def) => _logged.GetValueOrDefault(def.Key) < MaxLogRowsPerKey;

    /// <summary>Counts and records where it happened. Rows per counter are capped so a bad file cannot flood the log.</summary>
    public void Log(StatDef def, string location, ReadOnlySpan<char> excerpt, string message, long count = 1)
    {
        Count(def, count);
        var n = _logged.GetValueOrDefault(def.Key);
        if (n >= MaxLogRowsPerKey) return;
        _logged[def.Key] = n + 1;
        Log_[Col.SourceId].Append(SourceId);
        Log_[ImportLog.Seq].Append(Log_.RowCount);
        Log_[ImportLog.Location].Append(location);
        Log_[ImportLog.StatKey].Append(def.Key);
        Log_[ImportLog.Severity].Append(def.SeverityName);
        Log_[ImportLog.Excerpt].Append(Excerpt(excerpt));
        Log_[ImportLog.Message].Append(message);
        Log_.CommitRow();
    }

    public void Merge(IReadOnlyDictionary<string, long> counts)
    {
        foreach (var (k, v) in counts) _counts[k] = _counts.GetValueOrDefault(k) + v;
    }

    /// <summary>Printable excerpt: control characters escaped, at most 200 characters.</summary>
    public static string Excerpt(ReadOnlySpan<char> raw)
    {
        var sb = new System.Text.StringBuilder(Math.Min(raw.Length, 200));
        foreach (var ch in raw)
        {
            if (sb.Length >= 200) break;
            if (ch == '\\') sb.Append("\\\\");
            else if (ch < 0x20 || ch == 0x7f) sb.Append($"\\x{(int)ch:x2}");
            else sb.Append(ch);
        }
        return sb.ToString();
    }

    public static string Excerpt(ReadOnlySpan<byte> raw)
    {
        var n = Math.Min(raw.Length, 64);
        return Convert.ToHexString(raw[..n]).ToLowerInvariant();
    }
}
