using System.Globalization;
using Google.Protobuf;
using Memtrace.Collectors.Importers.Common;
using Memtrace.Collectors.Importers.GoExpvar;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Stats;
using Memtrace.Schemas.Tables;

namespace Memtrace.Collectors.Importers.Pprof;

/// <summary>
/// pprof profiles into heap_profile_samples + stacks: the protobuf (gzipped as Go serves it, or raw),
/// any profile type, values named by the profile's own sample_type; and Go's heap?debug=1 text,
/// whose "# runtime.MemStats" trailer also becomes a go_runtime_samples row. The protobuf carries
/// time_nanos; the text has no time, so it is dated by the file's mtime and flagged as not aligned.
/// </summary>
public sealed class PprofImporter : IImporter
{
    /// <summary>No profile memtrace reads is this large; past it the input is refused rather than held in memory.</summary>
    public const long MaxInflatedBytes = ImportLimits.MaxPprofInflatedBytes;

    public string Format => "pprof";
    public int Version => 1;
    public string Description => "pprof profile (protobuf, .pb.gz or raw) or Go heap?debug=1 text";

    public bool Sniff(ReadOnlySpan<byte> head, string path)
    {
        var bytes = TextHead.Inflate(head);
        if (HeapDebugText.LooksLike(System.Text.Encoding.UTF8.GetString(bytes, 0, Math.Min(bytes.Length, 64)))) return true;
        return PprofProfile.LooksLike(bytes);
    }

    public ImportResult Import(ImportContext ctx)
    {
        byte[] bytes;
        using (var s = TextHead.OpenMaybeGzip(ctx.Path))
        {
            var ms = new MemoryStream();
            var buffer = new byte[1 << 16];
            int n;
            while ((n = s.Read(buffer)) > 0)
            {
                ms.Write(buffer, 0, n);
                if (ms.Length > MaxInflatedBytes) throw new ImportRefusedException($"inflates past {MaxInflatedBytes >> 20} MiB; not a profile (gzip bomb?)", StatsCatalog.LimitInflatedBytes);
            }
            if (TextHead.InflateError(s) is { } cut) throw new ImportRefusedException(cut);
            bytes = ms.ToArray();
        }
        var head = System.Text.Encoding.UTF8.GetString(bytes, 0, Math.Min(bytes.Length, 64));
        return HeapDebugText.LooksLike(head) ? ImportText(ctx, System.Text.Encoding.UTF8.GetString(bytes)) : ImportProto(ctx, bytes);
    }

    private static ImportResult ImportProto(ImportContext ctx, byte[] bytes)
    {
        PprofProfile p;
        try
        {
            p = PprofProfile.Parse(bytes);
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or InvalidDataException)
        {
            throw new ImportRefusedException($"not a pprof profile: {e.Message}");
        }
        if (p.SampleTypes.Count == 0) throw new ImportRefusedException("pprof profile without sample_type");
        var types = p.SampleTypes.Select(v => (Type: p.Str(v.Type), Unit: p.Str(v.Unit))).ToList();
        var kind = types.Any(t => t.Type == "inuse_space") ? "heap" : types[0].Type;
        var stacks = new StackInterner(ctx.SourceId, ctx.Stats);
        var t = new Table(HeapProfileSamples.Def);
        for (var i = 0; i < p.Samples.Count; i++)
        {
            var s = p.Samples[i];
            if (s.Values.Length != types.Count)
            {
                ctx.Stats.Log(StatsCatalog.PprofBadRecord, $"sample[{i}]", string.Join(",", s.Values), $"{s.Values.Length} values for {types.Count} sample types");
                continue;
            }
            long? V(string name) => types.FindIndex(x => x.Type == name) is var k && k >= 0 ? s.Values[k] : null;
            Row(t, ctx, p.TimeNanos, stacks.Intern(p.Frames(s)), kind, V("alloc_objects"), V("alloc_space"), V("inuse_objects"), V("inuse_space"),
                types.Select((x, k) => $"{x.Type}/{x.Unit}={s.Values[k].ToString(CultureInfo.InvariantCulture)}").ToArray());
        }
        return new ImportResult { Tables = [t, stacks.Table], ClockDomain = "realtime", ClockAligned = p.TimeNanos > 0 };
    }

    private static ImportResult ImportText(ImportContext ctx, string text)
    {
        var ts = new DateTimeOffset(File.GetLastWriteTimeUtc(ctx.Path)).ToUnixTimeMilliseconds() * 1_000_000;
        var stacks = new StackInterner(ctx.SourceId, ctx.Stats);
        var t = new Table(HeapProfileSamples.Def);
        var go = new Table(GoRuntimeSamples.Def);
        AppendDebugText(ctx, text, ts, t, stacks, go, "line ");
        return new ImportResult { Tables = [t, stacks.Table, go], ClockDomain = "file-mtime", ClockAligned = false };
    }

    /// <summary>One heap?debug=1 document at a known time: its records into heap, its MemStats trailer into go (also used by capture-jsonl).</summary>
    internal static void AppendDebugText(ImportContext ctx, string text, long ts, Table heap, StackInterner stacks, Table go, string location)
    {
        var lines = text.Split('\n');
        if (HeapDebugText.Rate(lines[0].TrimEnd('\r')) is not { } rate)
        {
            ctx.Stats.Log(StatsCatalog.PprofBadRecord, location + "1", lines[0], "heap profile header does not parse");
            return;
        }
        var (records, memstats) = HeapDebugText.Parse(lines, (line, excerpt, message) => ctx.Stats.Log(StatsCatalog.PprofBadRecord, $"{location}{line}", excerpt, message));
        foreach (var r in records)
        {
            var (io, ib) = HeapDebugText.Scale(r.InuseObjects, r.InuseBytes, rate);
            var (ao, ab) = HeapDebugText.Scale(r.AllocObjects, r.AllocBytes, rate);
            Row(heap, ctx, ts, stacks.Intern(r.Frames.Count > 0 ? r.Frames : r.Addresses), "heap", ao, ab, io, ib,
                [$"alloc_objects/count={ao}", $"alloc_space/bytes={ab}", $"inuse_objects/count={io}", $"inuse_space/bytes={ib}"]);
        }
        if (memstats.Count > 0) MemStatsRow(go, ctx, memstats, ts);
    }

    private static void Row(Table t, ImportContext ctx, long ts, long? stack, string kind, long? ao, long? ab, long? io, long? ib, string[] values)
    {
        t[Col.SourceId].Append(ctx.SourceId); t[HeapProfileSamples.TsNs].Append(ts); t[HeapProfileSamples.Host].Append(ctx.Options.Host); t[HeapProfileSamples.Pid].Append(ctx.Options.Pid ?? 0);
        t[HeapProfileSamples.StackId].Append(stack); t[HeapProfileSamples.Profile].Append(kind);
        t[HeapProfileSamples.AllocObjects].Append(ao); t[HeapProfileSamples.AllocSpace].Append(ab); t[HeapProfileSamples.InuseObjects].Append(io); t[HeapProfileSamples.InuseSpace].Append(ib);
        t[HeapProfileSamples.Values].Append(values);
        t.CommitRow();
    }

    private static void MemStatsRow(Table t, ImportContext ctx, Dictionary<string, string> m, long ts)
    {
        t[Col.SourceId].Append(ctx.SourceId); t[GoRuntimeSamples.TsNs].Append(ts); t[GoRuntimeSamples.Host].Append(ctx.Options.Host); t[GoRuntimeSamples.Pid].Append(ctx.Options.Pid ?? 0);
        foreach (var (column, field) in GoRuntimeSamples.MemStatsIntegers)
            t[column].Append(m.TryGetValue(field, out var v) && ulong.TryParse(v, CultureInfo.InvariantCulture, out var u) && u <= long.MaxValue ? (long)u : null);
        t[GoRuntimeSamples.GcCpuFraction].Append(m.TryGetValue("GCCPUFraction", out var f) && double.TryParse(f, CultureInfo.InvariantCulture, out var d) ? d : null);
        t.CommitRow();
    }
}
