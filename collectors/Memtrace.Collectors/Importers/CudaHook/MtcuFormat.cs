using System.Buffers.Binary;
using System.Text;

namespace Memtrace.Collectors.Importers.CudaHook;

/// <summary>
/// Layouts of the memtrace CUDA hook log, version 1, mirroring collectors/cuda-hook/src/mtcu_format.h
/// (the C header is the definition; offsets here are those of its structs). Every record starts
/// { u16 type; u16 length; u32 check } and is 8-byte aligned.
/// </summary>
public static class MtcuFormat
{
    public const int HeaderSize = 64;
    public const int RecordHeaderSize = 8;
    public const int EventSize = 88;
    public const ushort Version = 1;
    public static ReadOnlySpan<byte> Magic => "MTCUHOOK"u8;

    /// <summary>mtcu_check: word-wise multiply-xor over the record with its check field read as zero.</summary>
    public static uint Check(ReadOnlySpan<byte> record)
    {
        var h = 0xcbf29ce484222325UL ^ (ulong)record.Length;
        for (var i = 0; i + 8 <= record.Length; i += 8)
        {
            var w = BinaryPrimitives.ReadUInt64LittleEndian(record[i..]);
            if (i == 0) w &= 0x0000_0000_FFFF_FFFFUL; // bytes 4..7 are the check itself
            h = (h ^ w) * 0x100000001b3UL;
            h ^= h >> 29;
        }
        return (uint)(h ^ (h >> 32));
    }

    public static bool TryParseHeader(ReadOnlySpan<byte> b, out MtcuHeader header, out string error)
    {
        header = default;
        if (b.Length < HeaderSize || !b.StartsWith(Magic)) { error = "does not start with the MTCUHOOK magic"; return false; }
        var version = BinaryPrimitives.ReadUInt16LittleEndian(b[8..]);
        var size = BinaryPrimitives.ReadUInt16LittleEndian(b[10..]);
        if (version != Version) { error = $"hook log version {version} is not supported (this importer reads {Version})"; return false; }
        if (size != HeaderSize) { error = $"header size {size} is not {HeaderSize}"; return false; }
        header = new MtcuHeader(
            Pid: BinaryPrimitives.ReadUInt32LittleEndian(b[12..]),
            Ppid: BinaryPrimitives.ReadUInt32LittleEndian(b[16..]),
            Forked: (BinaryPrimitives.ReadUInt32LittleEndian(b[20..]) & 1) != 0,
            RealtimeAnchorNs: BinaryPrimitives.ReadInt64LittleEndian(b[24..]),
            MonotonicAnchorNs: BinaryPrimitives.ReadInt64LittleEndian(b[32..]),
            StackDepth: BinaryPrimitives.ReadUInt32LittleEndian(b[40..]),
            MeminfoMs: BinaryPrimitives.ReadUInt32LittleEndian(b[44..]));
        error = "";
        return true;
    }

    /// <summary>Frames one record at the start of b: Ok, Incomplete (runs past b) or Bad (check or type wrong).</summary>
    public static FrameStatus TryFrame(ReadOnlySpan<byte> b, out MtcuRecordType type, out int length)
    {
        type = 0;
        length = 0;
        if (b.Length < RecordHeaderSize) return FrameStatus.Incomplete;
        type = (MtcuRecordType)BinaryPrimitives.ReadUInt16LittleEndian(b);
        length = BinaryPrimitives.ReadUInt16LittleEndian(b[2..]);
        if (type is < MtcuRecordType.Process or > MtcuRecordType.End || length < MinLength(type) || length % 8 != 0) return FrameStatus.Bad;
        if (length > b.Length) return FrameStatus.Incomplete;
        return Check(b[..length]) == BinaryPrimitives.ReadUInt32LittleEndian(b[4..]) ? FrameStatus.Ok : FrameStatus.Bad;
    }

    private static int MinLength(MtcuRecordType t) => t switch
    {
        MtcuRecordType.Event => EventSize,
        MtcuRecordType.MemInfo or MtcuRecordType.Drops => 40,
        MtcuRecordType.Module or MtcuRecordType.End => 24,
        _ => 16,
    };

    /// <summary>An EVENT record; frames are the return addresses after the fixed part, innermost first.</summary>
    public static bool TryParseEvent(ReadOnlySpan<byte> r, out MtcuEvent e)
    {
        e = default;
        var frames = BinaryPrimitives.ReadUInt16LittleEndian(r[34..]);
        if (r.Length != EventSize + 8 * frames) return false;
        e = new MtcuEvent(
            TsMonoNs: BinaryPrimitives.ReadInt64LittleEndian(r[8..]),
            ThreadSeq: BinaryPrimitives.ReadInt64LittleEndian(r[16..]),
            Tid: BinaryPrimitives.ReadUInt32LittleEndian(r[24..]),
            Device: BinaryPrimitives.ReadInt32LittleEndian(r[28..]),
            Op: (MtcuOp)BinaryPrimitives.ReadUInt16LittleEndian(r[32..]),
            Result: BinaryPrimitives.ReadInt32LittleEndian(r[36..]),
            Address: BinaryPrimitives.ReadUInt64LittleEndian(r[40..]),
            Size: BinaryPrimitives.ReadUInt64LittleEndian(r[48..]),
            Stream: BinaryPrimitives.ReadUInt64LittleEndian(r[56..]),
            Context: BinaryPrimitives.ReadUInt64LittleEndian(r[64..]),
            Handle: BinaryPrimitives.ReadUInt64LittleEndian(r[72..]),
            Aux: BinaryPrimitives.ReadUInt64LittleEndian(r[80..]),
            FrameCount: frames);
        return true;
    }

    public static ulong Frame(ReadOnlySpan<byte> eventRecord, int i) => BinaryPrimitives.ReadUInt64LittleEndian(eventRecord[(EventSize + 8 * i)..]);

    public static MtcuMemInfo ParseMemInfo(ReadOnlySpan<byte> r) => new(
        BinaryPrimitives.ReadInt64LittleEndian(r[8..]), BinaryPrimitives.ReadInt32LittleEndian(r[16..]),
        BinaryPrimitives.ReadInt64LittleEndian(r[24..]), BinaryPrimitives.ReadInt64LittleEndian(r[32..]));

    public static bool TryParseModule(ReadOnlySpan<byte> r, out MtcuModule m)
    {
        var len = BinaryPrimitives.ReadUInt16LittleEndian(r[20..]);
        m = default;
        if (24 + len > r.Length) return false;
        m = new MtcuModule(BinaryPrimitives.ReadUInt64LittleEndian(r[8..]), BinaryPrimitives.ReadUInt32LittleEndian(r[16..]), Encoding.UTF8.GetString(r.Slice(24, len)));
        return true;
    }

    public static bool TryParseProcess(ReadOnlySpan<byte> r, out string host, out string exe)
    {
        int hl = BinaryPrimitives.ReadUInt16LittleEndian(r[8..]), el = BinaryPrimitives.ReadUInt16LittleEndian(r[10..]);
        host = exe = "";
        if (16 + hl + el > r.Length) return false;
        host = Encoding.UTF8.GetString(r.Slice(16, hl));
        exe = Encoding.UTF8.GetString(r.Slice(16 + hl, el));
        return true;
    }

    public static MtcuDrops ParseDrops(ReadOnlySpan<byte> r) => new(
        BinaryPrimitives.ReadInt64LittleEndian(r[16..]), BinaryPrimitives.ReadInt64LittleEndian(r[24..]), BinaryPrimitives.ReadInt64LittleEndian(r[32..]));

    public static long ParseEndRecords(ReadOnlySpan<byte> r) => BinaryPrimitives.ReadInt64LittleEndian(r[16..]);
}

public enum FrameStatus { Ok, Incomplete, Bad }

public enum MtcuRecordType : ushort { Process = 1, Event = 2, MemInfo = 3, Module = 4, Drops = 5, End = 6 }

/// <summary>enum mtcu_op.</summary>
public enum MtcuOp : ushort
{
    cudaMalloc = 1, cudaFree, cudaMallocAsync, cudaFreeAsync, cudaMallocFromPoolAsync, cudaMallocManaged, cudaMallocPitch,
    cudaMallocHost, cudaFreeHost,
    cuMemAlloc = 20, cuMemFree, cuMemAllocAsync, cuMemFreeAsync, cuMemAllocManaged, cuMemAllocPitch, cuMemCreate, cuMemRelease,
    cuMemMap, cuMemUnmap, cuCtxCreate, cuCtxDestroy,
}

public readonly record struct MtcuHeader(uint Pid, uint Ppid, bool Forked, long RealtimeAnchorNs, long MonotonicAnchorNs, uint StackDepth, uint MeminfoMs);

public readonly record struct MtcuEvent(
    long TsMonoNs, long ThreadSeq, uint Tid, int Device, MtcuOp Op, int Result, ulong Address, ulong Size, ulong Stream,
    ulong Context, ulong Handle, ulong Aux, int FrameCount);

public readonly record struct MtcuMemInfo(long TsMonoNs, int Device, long Free, long Total);

public readonly record struct MtcuModule(ulong Base, uint Span, string Path);

public readonly record struct MtcuDrops(long EventsBufferFull, long EventsReentrant, long BytesWriteFailed);
