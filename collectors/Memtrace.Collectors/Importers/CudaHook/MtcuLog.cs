using Memtrace.Schemas.Stats;

namespace Memtrace.Collectors.Importers.CudaHook;

/// <summary>
/// One hook log read into memory: events (with their frames in one flat array), meminfo samples,
/// loaded modules, the hook's own drop counters. Reading streams the file through a 1 MiB window;
/// a record that fails its check is skipped by scanning forward in 8-byte steps to the next valid
/// record, and a record cut by the end of the file is counted as truncation.
/// </summary>
public sealed class MtcuLog
{
    public required MtcuHeader Header { get; init; }
    public List<(MtcuEvent Event, int FrameStart)> Events { get; } = [];
    public List<ulong> Frames { get; } = [];
    public List<MtcuMemInfo> MemInfo { get; } = [];
    public List<MtcuModule> Modules { get; } = [];
    public MtcuDrops Drops { get; set; }
    public long? EndRecords { get; set; }
    public long RecordsRead { get; set; }
    public string Host { get; set; } = "";
    public string Exe { get; set; } = "";

    private const int Window = 1 << 20;
    private const int MaxRecord = 1 << 16;

    public static MtcuLog Read(Stream stream, StatsSink stats, Action<double>? progress = null)
    {
        var head = new byte[MtcuFormat.HeaderSize];
        if (stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) < head.Length)
            throw new ImportRefusedException("shorter than the 64-byte hook log header");
        if (!MtcuFormat.TryParseHeader(head, out var header, out var error)) throw new ImportRefusedException(error);
        var log = new MtcuLog { Header = header };
        var buf = new byte[Window + MaxRecord];
        int pos = 0, filled = 0;
        long fileOffset = MtcuFormat.HeaderSize, length = stream.CanSeek ? stream.Length : 0, badSince = -1;
        var eof = false;
        while (true)
        {
            if (!eof && filled - pos < MaxRecord)
            {
                Buffer.BlockCopy(buf, pos, buf, 0, filled - pos);
                filled -= pos;
                pos = 0;
                var n = stream.ReadAtLeast(buf.AsSpan(filled), buf.Length - filled, throwOnEndOfStream: false);
                filled += n;
                eof = filled < buf.Length;
                if (length > 0) progress?.Invoke(Math.Min(1.0, (double)fileOffset / length));
            }
            var span = buf.AsSpan(pos, filled - pos);
            if (span.IsEmpty) break;
            var status = MtcuFormat.TryFrame(span, out var type, out var len);
            if (status == FrameStatus.Ok)
            {
                if (badSince >= 0)
                {
                    stats.Log(StatsCatalog.CudaHookBadRecord, $"byte {badSince}", $"{fileOffset - badSince} bytes skipped", "record check failed; resumed at the next valid record");
                    badSince = -1;
                }
                log.Take(type, span[..len], stats, fileOffset);
                pos += len;
                fileOffset += len;
                continue;
            }
            if (status == FrameStatus.Incomplete && eof && badSince < 0 && ResyncFails(span))
            {
                stats.Log(StatsCatalog.CudaHookTruncated, $"byte {fileOffset}", $"{span.Length} bytes", $"the file ends inside a record of type {(int)type} ({len} bytes)", span.Length);
                break;
            }
            if (badSince < 0) badSince = fileOffset;
            var step = Math.Min(8, span.Length);
            pos += step;
            fileOffset += step;
        }
        if (badSince >= 0)
            stats.Log(StatsCatalog.CudaHookTruncated, $"byte {badSince}", $"{fileOffset - badSince} bytes", "no valid record after this point", fileOffset - badSince);
        return log;
    }

    /// <summary>True when no valid record starts anywhere after the cut: it is a torn tail, not corruption.</summary>
    private static bool ResyncFails(ReadOnlySpan<byte> tail)
    {
        for (var i = 8; i + MtcuFormat.RecordHeaderSize <= tail.Length; i += 8)
        {
            if (MtcuFormat.TryFrame(tail[i..], out _, out _) == FrameStatus.Ok) return false;
        }
        return true;
    }

    private void Take(MtcuRecordType type, ReadOnlySpan<byte> r, StatsSink stats, long offset)
    {
        RecordsRead++;
        switch (type)
        {
            case MtcuRecordType.Event when MtcuFormat.TryParseEvent(r, out var e):
                Events.Add((e, Frames.Count));
                for (var i = 0; i < e.FrameCount; i++) Frames.Add(MtcuFormat.Frame(r, i));
                break;
            case MtcuRecordType.MemInfo:
                MemInfo.Add(MtcuFormat.ParseMemInfo(r));
                break;
            case MtcuRecordType.Module when MtcuFormat.TryParseModule(r, out var m):
                Modules.Add(m);
                break;
            case MtcuRecordType.Process when MtcuFormat.TryParseProcess(r, out var host, out var exe):
                Host = host;
                Exe = exe;
                break;
            case MtcuRecordType.Drops:
                Drops = MtcuFormat.ParseDrops(r);
                break;
            case MtcuRecordType.End:
                EndRecords = MtcuFormat.ParseEndRecords(r);
                break;
            default:
                stats.Log(StatsCatalog.CudaHookBadRecord, $"byte {offset}", StatsSink.Excerpt(r[..Math.Min(r.Length, 32)]), $"record of type {(int)type} has an inconsistent length {r.Length}");
                break;
        }
    }
}
