using Memtrace.Schemas.Model;
using Memtrace.Schemas.Tables;
using Memtrace.Tests;
using Xunit;
using static Memtrace.Cli.Tests.CorruptedInputs.Matrix;
using static Memtrace.Cli.Tests.CorruptedInputs.Mutations;

namespace Memtrace.Cli.Tests.CorruptedInputs;

/// <summary>
/// Tier 2 of the corrupted-input matrix: a bad record inside a good file is counted under its named counter,
/// the rest of the file lands, and the other inputs of the run are untouched. GPU cases run the whole
/// pipeline over the real torch snapshot plus an edited RMM log, and compare counters with the unedited run.
/// </summary>
[Collection("console")]
public sealed class Tier2_BadRecordCounted
{
    private static readonly Lazy<(string Out, string TorchId)> Baseline = new(() =>
    {
        var (archive, torchId, _) = TwoSources();
        var (code, err, outDir) = Run(archive, "--tolerate-errors");
        Assert.True(code == 0, string.Join('\n', err));
        return (outDir, torchId);
    });

    public static TheoryData<string, string, long> GpuCases() => new()
    {
        { "free with no allocation", "replay_free_unknown_address", 1 },
        { "double free", "replay_double_free", 1 },
        { "size 2^64-1", "rmm_bad_row", 1 },
        { "negative size", "rmm_bad_row", 1 },
        { "out-of-order events", "clock_backwards", 1 },
    };

    public static string Edited(string name) => name switch
    {
        "free with no allocation" => Rmm(l => [.. l, RmmRow("00:00:02.800000", "free", "0x7f3a70000000", "4096")]),
        "double free" => Rmm(l => [.. l, RmmRow("00:00:02.800000", "free", "0x7f3a40000000", "33554432")]),
        "size 2^64-1" => Rmm(l => SetSize(l, RmmAllocLine, Max64)),
        "negative size" => Rmm(l => SetSize(l, RmmAllocLine, "-33554432")),
        // The frees at 00:00:01.500000 and 00:00:01.800000 written in the opposite order.
        "out-of-order events" => Rmm(l => { (l[9], l[10]) = (l[10], l[9]); return l; }),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(GpuCases))]
    public void Gpu_event_case_is_counted_and_the_other_source_is_untouched(string name, string counter, long added)
    {
        var (archive, torchId, _) = TwoSources(Edited(name));
        var (_, _, outDir) = Run(archive, "--tolerate-errors");
        Assert.Equal(Counter(Baseline.Value.Out, counter) + added, Counter(outDir, counter));
        Assert.Equal(Baseline.Value.TorchId, torchId);
        var mine = Result(outDir, "fragmentation_timeline");
        var before = Result(Baseline.Value.Out, "fragmentation_timeline");
        Assert.Equal(Rows(before).Count(r => before[PoolKeyColumns.SourceId][r] == torchId), Rows(mine).Count(r => mine[PoolKeyColumns.SourceId][r] == torchId));
    }

    [Fact]
    public void Out_of_order_events_replay_in_time_order_to_the_same_result()
    {
        // Counted (above) and then harmless: the replay orders by time, so every result row equals the ordered run's.
        // The edited file has another sha256, so another source id, and seq numbers file order: compare every other cell.
        var (archive, _, _) = TwoSources(Edited("out-of-order events"));
        var (_, _, outDir) = Run(archive, "--tolerate-errors");
        foreach (var table in new[] { "fragmentation_timeline", "oom_diagnoses", "fragmentation_blame", "free_block_histogram", "heatmap" })
            Assert.Equal(RowsWithoutSource(Result(Baseline.Value.Out, table)), RowsWithoutSource(Result(outDir, table)));
    }

    [Fact]
    public void Clock_that_goes_backwards()
    {
        var (archive, source) = ImportAlone(CaptureWithClockStepBack());
        Assert.Equal(1, Count(source, "clock_backwards"));
        var (_, original) = ImportAlone(Repo.Data("go", "oomsvc", "capture", "procfs.jsonl"));
        Assert.Equal(0, Count(original, "clock_backwards"));
        // The stepped-back read becomes a sample at its own (earlier) time; no sample is lost.
        Assert.True(source.Rows[ProcSamples.Def.Name] >= original.Rows[ProcSamples.Def.Name]);
    }

    [Fact]
    public void Negative_size_in_a_text_format()
    {
        // gctrace line 2 "… 7->7->7 MB …" with its heap size negative.
        var (archive, source) = ImportAlone(Gctrace(2, l => l.Replace(" 7->7->7 MB", " -7->7->7 MB", StringComparison.Ordinal)));
        Assert.Equal(1, Count(source, "gctrace_bad_line"));
        Assert.Equal(File.ReadAllLines(Repo.Data("go", "gctrace.log")).Count(l => l.StartsWith("gc ", StringComparison.Ordinal)) - 1, Read(archive, GoGcEvents.Def.Name).RowCount);
    }

    [Fact]
    public void Line_past_the_length_bound_is_skipped_without_being_held()
    {
        var (archive, source) = ImportAlone(Gctrace(3, l => l + new string('x', 17 << 20)));
        Assert.Equal(1, Count(source, "limit_line_length"));
        Assert.Equal(File.ReadAllLines(Repo.Data("go", "gctrace.log")).Count(l => l.StartsWith("gc ", StringComparison.Ordinal)) - 1, Read(archive, GoGcEvents.Def.Name).RowCount);
    }

    [Fact]
    public void Million_frame_stack_keeps_its_innermost_frames()
    {
        var (archive, source) = ImportAlone(MemleakMillionFrames());
        Assert.Equal(1, Count(source, "limit_stack_frames"));
        var stacks = Read(archive, Stacks.Def.Name);
        var deepest = Rows(stacks).Select(r => stacks[Stacks.Frames][r]!).MaxBy(f => f.Count)!;
        Assert.Equal(4096, deepest.Count);
        Assert.StartsWith("main+0x6d", deepest[0]);
        Assert.StartsWith("recurse+0xffe", deepest[^1]);
    }

    private static List<string> RowsWithoutSource(Memtrace.Schemas.Model.Table t)
    {
        var columns = t.Columns.Where(c => c.Def.Name is not ("source_id" or "seq")).ToList();
        return Rows(t).Select(r => string.Join('|', columns.Select(c => c.IsNull(r) ? "null" : c switch
        {
            Memtrace.Schemas.Model.Int64Column i => i[r].ToString(System.Globalization.CultureInfo.InvariantCulture),
            Memtrace.Schemas.Model.Float64Column f => f[r].ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            Memtrace.Schemas.Model.BoolColumn b => b[r].ToString(),
            Memtrace.Schemas.Model.StringColumn s => s[r],
            Memtrace.Schemas.Model.StringListColumn l => string.Join(';', l[r]!),
            _ => c.GetType().Name,
        }))).Order(StringComparer.Ordinal).ToList();
    }
}
