using Memtrace.Schemas.Model;
using Memtrace.Schemas.Stats;

namespace Memtrace.Collectors.Importers;

/// <summary>What an importer is given for one file.</summary>
public sealed class ImportContext
{
    private Lazy<string>? _sourceId;

    public required string Path { get; init; }

    /// <summary>The source's id, from the file's SHA-256. The runner may still be hashing the file as the import starts
    /// (<see cref="PendingSourceId"/>): reading it then waits for the hash, so an importer reads it after its parse.</summary>
    public string SourceId
    {
        get => (_sourceId ?? throw new InvalidOperationException("the import has no source id")).Value;
        init => _sourceId = new Lazy<string>(value);
    }

    /// <summary>The source id still being computed (the runner hashes a large file beside its parse).</summary>
    public Func<string> PendingSourceId { init => _sourceId = new Lazy<string>(value, LazyThreadSafetyMode.ExecutionAndPublication); }

    public required StatsSink Stats { get; init; }
    public ImportOptions Options { get; init; } = new();
    /// <summary>Reports progress as a fraction in [0, 1].</summary>
    public Action<double>? Progress { get; init; }
}

/// <summary>Per-run options that some formats need (RMM has no date, torch has no pid).</summary>
public sealed record ImportOptions
{
    public string Host { get; init; } = "";
    public long? Pid { get; init; }
    public DateOnly? Date { get; init; }
    public long? Device { get; init; }
}

/// <summary>What an importer produced for one file.</summary>
public sealed class ImportResult
{
    public required IReadOnlyList<Table> Tables { get; init; }
    public required string ClockDomain { get; init; }
    public bool ClockAligned { get; init; } = true;
    public SortedDictionary<string, string> Notes { get; init; } = new(StringComparer.Ordinal);
}

/// <summary>Tier 1 of bad input: the whole file is refused with a one-line reason.</summary>
public sealed class ImportRefusedException(string reason, StatDef? limit = null) : Exception(reason)
{
    /// <summary>The resource-limit counter the refusal hit, when a bound (not a format error) refused the file.</summary>
    public StatDef? Limit { get; } = limit;
}

public interface IImporter
{
    /// <summary>CLI format name, e.g. torch-snapshot.</summary>
    string Format { get; }

    /// <summary>Bumped whenever the importer's output changes; recorded in the manifest.</summary>
    int Version { get; }

    string Description { get; }

    /// <summary>Recognises the format from the first bytes of the file, never from its name alone.</summary>
    bool Sniff(ReadOnlySpan<byte> head, string path);

    /// <summary>Whether a directory (a captured tree) is a valid input, as well as a file.</summary>
    bool AcceptsDirectory => false;

    ImportResult Import(ImportContext ctx);
}
