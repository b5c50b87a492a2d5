using System.Globalization;
using System.Text.RegularExpressions;
using Memtrace.Collectors.Importers.Common;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Stats;
using Memtrace.Schemas.Tables;

namespace Memtrace.Collectors.Importers.Memleak;

/// <summary>
/// bcc's memleak (tools/memleak.py) report, printed every interval:
/// "[11:16:33] Top 2 stacks with outstanding allocations:"
/// "	80 bytes in 5 allocations from stack"
/// "		main+0x6d [allocs]"          (newer versions may prefix the frame with its address)
/// Each stack becomes a heap_profile_samples row (profile "memleak", inuse_space = bytes outstanding,
/// inuse_objects = allocations) at the report's time of day, placed on UTC by <see cref="TimeOfDayClock"/>.
/// </summary>
public sealed partial class MemleakImporter : IImporter
{
    public string Format => "memleak";
    public int Version => 1;
    public string Description => "bcc memleak outstanding-allocation reports";

    [GeneratedRegex(@"^\[(\d{2}):(\d{2}):(\d{2})\] Top \d+ stacks with outstanding allocations:\s*$")]
    private static partial Regex Report();

    [GeneratedRegex(@"^\s+(\d+) bytes in (\d+) allocations from stack\s*$")]
    private static partial Regex Stack();

    [GeneratedRegex(@"^\t\t(?:0x[0-9a-fA-F]+\s+)?(.+?)\s*$")]
    private static partial Regex Frame();

    public bool Sniff(ReadOnlySpan<byte> head, string path)
    {
        var text = TextHead.Decode(head);
        return text.Contains("stacks with outstanding allocations:", StringComparison.Ordinal) || text.Contains(" allocations from stack", StringComparison.Ordinal);
    }

    private sealed record Entry(int Report, long Bytes, long Allocations, List<string> Frames);

    /// <summary>A matched digit run as a long, or null past 64 bits (the fuzzer's 2^64−1 in a count).</summary>
    private static long? Long(Match m, int group) =>
        long.TryParse(m.Groups[group].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;

    public ImportResult Import(ImportContext ctx)
    {
        var times = new List<long>();
        var entries = new List<Entry>();
        long lineNo = 0;
        var droppingFrames = false;
        using var stream = TextHead.OpenMaybeGzip(ctx.Path);
        using var reader = new StreamReader(stream);
        foreach (var raw in BoundedLines.Read(reader, ctx.Stats))
        {
            lineNo++;
            var line = raw.TrimEnd('\r');
            if (Report().Match(line) is { Success: true } r)
            {
                droppingFrames = false;
                if (Long(r, 1) is { } h && Long(r, 2) is { } m && Long(r, 3) is { } sec && h < 24 && m < 60 && sec < 61)
                    times.Add(((h * 60 + m) * 60 + sec) * 1_000_000);
                else ctx.Stats.Log(StatsCatalog.MemleakBadLine, $"line {lineNo}", line, "a report time that is not a time of day");
                continue;
            }
            if (Stack().Match(line) is { Success: true } s)
            {
                // A bad header drops its frames with it: they must not fall to the entry before it.
                if (Long(s, 1) is { } bytes && Long(s, 2) is { } count) { entries.Add(new Entry(times.Count - 1, bytes, count, [])); droppingFrames = false; }
                else
                {
                    droppingFrames = true;
                    ctx.Stats.Log(StatsCatalog.MemleakBadLine, $"line {lineNo}", line, "a byte or allocation count beyond 64 bits");
                }
                continue;
            }
            if (line.StartsWith("\t\t", StringComparison.Ordinal) && Frame().Match(line) is { Success: true } f)
            {
                if (droppingFrames) continue;
                if (entries.Count == 0) ctx.Stats.Log(StatsCatalog.MemleakBadLine, $"line {lineNo}", line, "a stack frame before any 'N bytes in M allocations from stack' line");
                else entries[^1].Frames.Add(f.Groups[1].Value);
                continue;
            }
            if (line.Contains("allocations from stack", StringComparison.Ordinal) || line.Contains("outstanding allocations", StringComparison.Ordinal))
                ctx.Stats.Log(StatsCatalog.MemleakBadLine, $"line {lineNo}", line, "a report or stack header that does not parse");
        }
        if (TextHead.InflateError(stream) is { } cut) ctx.Stats.Log(StatsCatalog.MemleakBadLine, $"line {lineNo + 1}", "", cut);
        if (entries.Count == 0) throw new ImportRefusedException("no 'N bytes in M allocations from stack' entry");

        var clock = new TimeOfDayClock(times, ctx.Options.Date, ctx.Path);
        var utc = times.Select(t => clock.Next(t, out _)).ToArray();
        var stacks = new StackInterner(ctx.SourceId, ctx.Stats);
        var t = new Table(HeapProfileSamples.Def, entries.Count);
        foreach (var e in entries)
        {
            t[Col.SourceId].Append(ctx.SourceId);
            t[HeapProfileSamples.TsNs].Append(e.Report >= 0 ? utc[e.Report] : new DateTimeOffset(File.GetLastWriteTimeUtc(ctx.Path)).ToUnixTimeMilliseconds() * 1_000_000);
            t[HeapProfileSamples.Host].Append(ctx.Options.Host); t[HeapProfileSamples.Pid].Append(ctx.Options.Pid ?? 0);
            t[HeapProfileSamples.StackId].Append(stacks.Intern(e.Frames)); t[HeapProfileSamples.Profile].Append("memleak");
            t[HeapProfileSamples.AllocObjects].Append(null); t[HeapProfileSamples.AllocSpace].Append(null);
            t[HeapProfileSamples.InuseObjects].Append(e.Allocations); t[HeapProfileSamples.InuseSpace].Append(e.Bytes);
            t[HeapProfileSamples.Values].Append([$"outstanding_allocations/count={e.Allocations}", $"outstanding_space/bytes={e.Bytes}"]);
            t.CommitRow();
        }
        return new ImportResult { Tables = [t, stacks.Table], ClockDomain = "local-time", ClockAligned = times.Count > 0, Notes = clock.Notes() };
    }
}
