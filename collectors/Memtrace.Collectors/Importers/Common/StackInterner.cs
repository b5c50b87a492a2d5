using System.Security.Cryptography;
using System.Text;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Stats;
using Memtrace.Schemas.Tables;

namespace Memtrace.Collectors.Importers.Common;

/// <summary>
/// Deduplicates call stacks into the stacks table. The id is a content hash, so the same stack
/// gets the same id in every source and joins across sources work.
/// </summary>
public sealed class StackInterner(string sourceId, StatsSink? stats = null)
{
    private readonly Dictionary<string, long> _ids = new(StringComparer.Ordinal);
    private readonly Table _table = new(Stacks.Def);

    public Table Table => _table;

    public long? Intern(IReadOnlyList<string> frames)
    {
        if (frames.Count == 0) return null;
        if (frames.Count > ImportLimits.MaxStackFrames)
        {
            // Frames run innermost first (the allocation site), so those are the ones worth keeping.
            stats?.Log(StatsCatalog.LimitStackFrames, "stack", frames[0], $"{frames.Count} frames; the innermost {ImportLimits.MaxStackFrames} were kept");
            frames = frames.Take(ImportLimits.MaxStackFrames).ToArray();
        }
        var key = string.Join('\n', frames);
        if (_ids.TryGetValue(key, out var id)) return id;
        id = IdOf(key);
        _ids[key] = id;
        _table[Col.SourceId].Append(sourceId);
        _table[Stacks.StackId].Append(id);
        _table[Stacks.Frames].Append(frames.ToArray());
        _table.CommitRow();
        return id;
    }

    public static long IdOf(string joinedFrames)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(joinedFrames), hash);
        return BitConverter.ToInt64(hash[..8]);
    }
}
