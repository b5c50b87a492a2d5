using Memtrace.Schemas.Model;
using Memtrace.Schemas.Results;
using Memtrace.Schemas.Tables;
using Xunit;
using static Memtrace.Cli.Tests.CorruptedInputs.Matrix;
using static Memtrace.Cli.Tests.CorruptedInputs.Mutations;

namespace Memtrace.Cli.Tests.CorruptedInputs;

/// <summary>
/// Tier 3 of the corrupted-input matrix: where a bad record has context, a row says where it was and what
/// the input said: import_log (location, excerpt, counter) for import-time problems, anomalies (event seq,
/// time, address) for what the replay could not apply.
/// </summary>
[Collection("console")]
public sealed class Tier3_ImportLogRowWithLocation
{
    private static int OneLogRow(Table log, string statKey, string location)
    {
        var rows = Rows(log).Where(r => log[ImportLog.StatKey][r] == statKey).ToList();
        var row = Assert.Single(rows);
        Assert.Equal(location, log[ImportLog.Location][row]);
        Assert.False(string.IsNullOrEmpty(log[ImportLog.Message][row]));
        return row;
    }

    [Fact]
    public void Size_past_64_bits_names_its_line_and_quotes_it()
    {
        var (archive, _) = ImportAlone(Rmm(l => SetSize(l, RmmAllocLine, Max64)), "rmm-csv");
        var log = Read(archive, ImportLog.Def.Name);
        var row = Rows(log).Single(r => log[ImportLog.Excerpt][r]!.Contains(Max64, StringComparison.Ordinal));
        Assert.Equal("rmm_bad_row", log[ImportLog.StatKey][row]);
        Assert.Equal($"line {RmmAllocLine}", log[ImportLog.Location][row]);
    }

    [Fact]
    public void Negative_size_in_gctrace_names_its_line_and_quotes_it()
    {
        var (archive, _) = ImportAlone(Gctrace(2, l => l.Replace(" 7->7->7 MB", " -7->7->7 MB", StringComparison.Ordinal)));
        var log = Read(archive, ImportLog.Def.Name);
        Assert.Contains("-7->7->7 MB", log[ImportLog.Excerpt][OneLogRow(log, "gctrace_bad_line", "line 2")]);
    }

    [Fact]
    public void Clock_step_back_names_the_file_read_and_both_times()
    {
        var (archive, _) = ImportAlone(CaptureWithClockStepBack());
        var log = Read(archive, ImportLog.Def.Name);
        var row = Assert.Single(Rows(log), r => log[ImportLog.StatKey][r] == "clock_backwards");
        Assert.Matches(@"^/proc/\d+/status$", log[ImportLog.Location][row]);
        Assert.Matches(@"^ts_ns=\d+ after \d+$", log[ImportLog.Excerpt][row]);
    }

    [Fact]
    public void Out_of_order_gpu_events_name_the_row()
    {
        var (archive, _) = ImportAlone(Tier2_BadRecordCounted.Edited("out-of-order events"), "rmm-csv");
        var log = Read(archive, ImportLog.Def.Name);
        var row = Assert.Single(Rows(log), r => log[ImportLog.StatKey][r] == "clock_backwards");
        Assert.StartsWith("gpu_alloc_events row ", log[ImportLog.Location][row]);
        Assert.Contains("ts_ns=1795219201500000000 after 1795219201800000000", log[ImportLog.Excerpt][row]);
    }

    [Fact]
    public void Overlong_line_names_its_line_and_keeps_a_200_character_excerpt()
    {
        var (archive, _) = ImportAlone(Gctrace(3, l => l + new string('x', 17 << 20)));
        var log = Read(archive, ImportLog.Def.Name);
        var excerpt = log[ImportLog.Excerpt][OneLogRow(log, "limit_line_length", "line 3")]!;
        Assert.Equal(200, excerpt.Length);
        Assert.StartsWith("gc 3 @", excerpt);
    }

    [Fact]
    public void Million_frame_stack_is_logged_with_its_innermost_frame()
    {
        var (archive, _) = ImportAlone(MemleakMillionFrames());
        var log = Read(archive, ImportLog.Def.Name);
        var row = OneLogRow(log, "limit_stack_frames", "stack");
        Assert.StartsWith("main+0x6d", log[ImportLog.Excerpt][row]);
        Assert.StartsWith("1000002 frames", log[ImportLog.Message][row]);
    }

    [Theory]
    [InlineData("double free", "replay_double_free", 0x7f3a40000000L)]
    [InlineData("free with no allocation", "replay_free_unknown_address", 0x7f3a70000000L)]
    public void Replay_anomaly_names_the_event_its_time_and_address(string name, string kind, long address)
    {
        var (archive, _, rmmId) = TwoSources(Tier2_BadRecordCounted.Edited(name));
        var (_, _, outDir) = Run(archive, "--tolerate-errors");
        var anomalies = Result(outDir, Anomalies.Def.Name);
        var row = Assert.Single(Rows(anomalies), r => anomalies[Anomalies.Kind][r] == kind && anomalies[PoolKeyColumns.SourceId][r] == rmmId);
        Assert.Equal(address, anomalies[Anomalies.Address][row]);
        // The appended row is the file's last event, at 00:00:02.800000 on the day after --date (the log crossed midnight).
        Assert.Equal(new DateTimeOffset(2026, 11, 21, 0, 0, 2, 800, TimeSpan.Zero).ToUnixTimeMilliseconds() * 1_000_000, anomalies[Anomalies.TsNs][row]);
        var events = TwoSourcesEventCount(archive, rmmId);
        Assert.Equal(events - 1, anomalies[Anomalies.Seq][row]);
    }

    private static long TwoSourcesEventCount(string archive, string sourceId) =>
        Memtrace.Schemas.Archive.TraceArchive.Open(archive).Manifest.Sources.Single(s => s.SourceId == sourceId).Rows[GpuAllocEvents.Def.Name];
}
