using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using Memtrace.Collectors.Importers;
using Memtrace.Collectors.Importers.CudaHook;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.Stats;
using Memtrace.Schemas.Tables;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Collectors.Tests;

/// <summary>The hook log reader on damaged files (the three tiers), its framing edge cases, and the ELF symbolizer.</summary>
public sealed class CudaHookFormatTests
{
    private static readonly Lazy<(byte[] Bytes, int Events)> Small = new(() =>
    {
        var dir = Repo.TempDir();
        var (code, output) = CudaHookRun.Run(CudaHookRun.Driver, dir, hooked: true, "mix", "2", "3000", Path.Combine(dir, "truth.tsv"));
        if (code != 0) throw new InvalidOperationException(output);
        var path = CudaHookRun.Logs(dir).Single();
        return (File.ReadAllBytes(path), CudaHookRun.Import(path).Result.Tables[0].RowCount);
    });

    private static byte[] Record(ushort type, int length, Action<byte[]>? fill = null)
    {
        var r = new byte[length];
        BinaryPrimitives.WriteUInt16LittleEndian(r, type);
        BinaryPrimitives.WriteUInt16LittleEndian(r.AsSpan(2), (ushort)length);
        fill?.Invoke(r);
        BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(4), MtcuFormat.Check(r));
        return r;
    }

    [Theory]
    [InlineData("ok", FrameStatus.Ok)]
    [InlineData("short", FrameStatus.Incomplete)]
    [InlineData("cut", FrameStatus.Incomplete)]
    [InlineData("bad-check", FrameStatus.Bad)]
    [InlineData("unknown-type", FrameStatus.Bad)]
    [InlineData("unaligned-length", FrameStatus.Bad)]
    [InlineData("event-too-short", FrameStatus.Bad)]
    public void Frames_records_by_type_length_and_check(string @case, FrameStatus expected)
    {
        var end = Record((ushort)MtcuRecordType.End, 24);
        byte[] input = @case switch
        {
            "ok" => end,
            "short" => end[..7],
            "cut" => end[..16],
            "bad-check" => Flip(end, 12),
            "unknown-type" => Record(9, 24),
            "unaligned-length" => Record((ushort)MtcuRecordType.End, 20),
            _ => Record((ushort)MtcuRecordType.Event, 80),
        };
        Assert.Equal(expected, MtcuFormat.TryFrame(input, out _, out _));
    }

    private static byte[] Flip(byte[] b, int at)
    {
        var c = (byte[])b.Clone();
        c[at] ^= 0x40;
        return c;
    }

    [Fact]
    public void Check_matches_the_hooks_own_on_every_record_of_a_real_log()
    {
        var bytes = Small.Value.Bytes;
        var records = 0;
        for (var off = MtcuFormat.HeaderSize; off < bytes.Length; records++)
        {
            Assert.Equal(FrameStatus.Ok, MtcuFormat.TryFrame(bytes.AsSpan(off), out _, out var len));
            off += len;
        }
        Assert.True(records > Small.Value.Events);
    }

    [Fact]
    public void Truncated_log_keeps_every_whole_record_and_counts_the_cut()
    {
        var (bytes, events) = Small.Value;
        var dir = Repo.TempDir();
        var path = Path.Combine(dir, "cut.mtcu");
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2 + 3)]);
        var (result, stats) = CudaHookRun.Import(path);
        Assert.Equal(1, stats[StatsCatalog.CudaHookTruncated] > 0 ? 1 : 0);
        Assert.Equal(1, stats[StatsCatalog.CudaHookNoEnd]);
        var kept = result.Tables[0].RowCount;
        Assert.InRange(kept, events / 3, events - 1);
        // Oracle: count whole EVENT records before the cut by walking the frames directly.
        var expected = 0;
        for (var off = MtcuFormat.HeaderSize; MtcuFormat.TryFrame(bytes.AsSpan(off, bytes.Length / 2 + 3 - off), out var type, out var len) == FrameStatus.Ok; off += len)
            if (type == MtcuRecordType.Event) expected++;
        Assert.Equal(expected, kept);
        Assert.Contains(Enumerable.Range(0, stats.Log_.RowCount), i => stats.Log_[ImportLog.StatKey][i] == StatsCatalog.CudaHookTruncated.Key);
    }

    [Fact]
    public void Corrupted_record_in_the_middle_is_skipped_and_the_rest_survives()
    {
        var (bytes, events) = Small.Value;
        var damaged = (byte[])bytes.Clone();
        // Find an EVENT record near the middle and scribble over its address field.
        var off = MtcuFormat.HeaderSize;
        while (true)
        {
            MtcuFormat.TryFrame(damaged.AsSpan(off), out var type, out var len);
            if (type == MtcuRecordType.Event && off > bytes.Length / 2) break;
            off += len;
        }
        damaged[off + 44] ^= 0xFF;
        var path = Path.Combine(Repo.TempDir(), "bad.mtcu");
        File.WriteAllBytes(path, damaged);
        var (result, stats) = CudaHookRun.Import(path);
        Assert.Equal(1, stats[StatsCatalog.CudaHookBadRecord]);
        Assert.Equal(0, stats[StatsCatalog.CudaHookTruncated]);
        Assert.Equal(events - 1, result.Tables[0].RowCount);
        var row = Enumerable.Range(0, stats.Log_.RowCount).Single(i => stats.Log_[ImportLog.StatKey][i] == StatsCatalog.CudaHookBadRecord.Key);
        Assert.Equal($"byte {off}", stats.Log_[ImportLog.Location][row]);
    }

    [Theory]
    [InlineData("magic", "does not look like cuda-hook input")]
    [InlineData("version", "hook log version 7 is not supported")]
    [InlineData("short", "shorter than the 64-byte hook log header")]
    public void Unreadable_headers_are_refused_with_a_reason_and_other_files_still_land(string @case, string reason)
    {
        var bytes = (byte[])Small.Value.Bytes.Clone();
        if (@case == "magic") bytes[0] = (byte)'X';
        if (@case == "version") bytes[8] = 7;
        if (@case == "short") bytes = bytes[..40];
        var dir = Repo.TempDir();
        var bad = Path.Combine(dir, "bad.mtcu");
        var good = Path.Combine(dir, "good.mtcu");
        File.WriteAllBytes(bad, bytes);
        File.WriteAllBytes(good, Small.Value.Bytes);
        var archive = TraceArchive.OpenOrCreate(Path.Combine(dir, "archive"));
        var runner = new ImportRunner(archive, new ImportOptions());
        var refused = runner.ImportOne(bad, "cuda-hook");
        Assert.Equal(ImportOutcome.Refused, refused.Outcome);
        Assert.Contains(reason, refused.Message);
        Assert.Equal(ImportOutcome.Imported, runner.ImportOne(good, "auto").Outcome);
        Assert.Equal(Small.Value.Events, archive.ReadTable(GpuAllocEvents.Def).RowCount);
    }

    [Fact]
    public void Elf_symbols_agree_with_nm_on_the_test_program()
    {
        var symbols = ElfSymbols.Load(CudaHookRun.Driver);
        var nm = Process.Start(new ProcessStartInfo("nm", ["--defined-only", CudaHookRun.Driver]) { RedirectStandardOutput = true })!;
        var lines = nm.StandardOutput.ReadToEnd().Split('\n');
        nm.WaitForExit();
        var functions = lines.Select(l => l.Split(' ')).Where(f => f.Length == 3 && f[1] is "T" or "t")
            .Select(f => (Address: ulong.Parse(f[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture), Name: f[2])).ToList();
        Assert.Contains(functions, f => f.Name == "work");
        foreach (var (address, name) in functions.Where(f => f.Name is "work" or "release_one" or "main" or "say"))
        {
            Assert.Equal(name, symbols.Lookup(address));
            Assert.Equal(name, symbols.Lookup(address + 3));
        }
        Assert.Same(ElfSymbols.Empty, ElfSymbols.Parse("not an elf file at all, but long enough to pass the size check......."u8));
        Assert.Equal(0, ElfSymbols.Load("/nonexistent/libcuda.so").Count);
    }
}
