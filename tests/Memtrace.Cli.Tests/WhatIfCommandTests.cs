using Memtrace.Pipeline.Run;
using Memtrace.Schemas.IO;
using Memtrace.Schemas.Results;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Cli.Tests;

/// <summary>memtrace whatif as a user runs it: the help's examples, the answers in the terminal, and the mistakes.</summary>
[Collection("console")]
public sealed class WhatIfCommandTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CorruptedInputs.Matrix.Invoke(args);

    private static string VariantArchive()
    {
        var archive = Path.Combine(Repo.TempDir(), "trace");
        Assert.Equal(0, Run("import", "auto", Repo.Torch("bcrafton_oom_variant.pickle"), "--archive", archive).Code);
        return archive;
    }

    [Fact]
    public void The_help_examples_run_and_answer_in_the_terminal()
    {
        var archive = VariantArchive();
        var (code, output, err) = Run("whatif", archive, "--alloc-conf", "expandable_segments:True,max_split_size_mb:128", "--device-memory", "24GiB");
        Assert.True(code == 0, output + err);
        Assert.Contains("2162/2162 allocation addresses, 32/32 segment events, 1/1 OOMs, 64/64 final segments: reproduced", output);
        Assert.Contains("capacity 24.00 GiB (--device-memory)", output);
        Assert.Contains("PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True,max_split_size_mb:128", output);

        var results = Path.Combine(Repo.TempDir(), "results");
        (code, output, err) = Run("whatif", archive, "--out", results);
        Assert.True(code == 0, output + err);
        Assert.Contains("capacity 3.04 GiB (reserved + driver free at the first OOM)", output);
        using var fs = File.OpenRead(Path.Combine(results, "tables", "whatif.arrow"));
        var table = ArrowIo.Read(WhatIf.Def, fs);
        Assert.Equal(12, table.RowCount);
        Assert.True(File.Exists(Path.Combine(results, "tables", "allocator_model_check.arrow")));
    }

    [Fact]
    public void Json_output_is_the_summary_section()
    {
        var (code, output, _) = Run("whatif", VariantArchive(), "--format", "json", "--no-min-capacity");
        Assert.Equal(0, code);
        var pool = System.Text.Json.Nodes.JsonNode.Parse(output)!["pools"]![0]!;
        Assert.True(pool["model_verified"]!.GetValue<bool>());
        Assert.Null(pool["configs"]![0]!["min_capacity_bytes"]);
    }

    [Theory]
    [InlineData("--alloc-conf", "max_split_size_mb:8", "whatif: --alloc-conf: max_split_size_mb 8 is too small")]
    [InlineData("--alloc-conf", "expandable:True", "whatif: --alloc-conf: unknown allocator option 'expandable'")]
    [InlineData("--device-memory", "24 gigs", "--device-memory '24 gigs': unknown unit 'gigs'")]
    public void A_bad_option_is_one_line_and_exit_1(string option, string value, string message)
    {
        var (code, _, err) = Run("whatif", VariantArchive(), option, value);
        Assert.Equal((int)ExitCode.Usage, code);
        Assert.Contains(message, err);
        Assert.DoesNotContain("   at ", err);
    }

    [Fact]
    public void An_archive_without_an_allocator_trace_is_refused_with_what_was_looked_for()
    {
        var archive = Path.Combine(Repo.TempDir(), "host");
        Assert.Equal(0, Run("import", "auto", Repo.Data("go", "oomsvc", "capture", "dmesg.txt"), "--archive", archive).Code);
        var (code, _, err) = Run("whatif", archive);
        Assert.Equal((int)ExitCode.InputRefused, code);
        Assert.Contains("no torch-caching pool with allocation events", err);
        Assert.Equal((int)ExitCode.InputRefused, Run("whatif", Path.Combine(Repo.TempDir(), "nothing-here")).Code);
    }

    [Fact]
    public void Run_replays_the_what_if_unless_told_not_to()
    {
        var archive = VariantArchive();
        var on = Path.Combine(Repo.TempDir(), "on");
        var off = Path.Combine(Repo.TempDir(), "off");
        Assert.Equal(0, Run("run", archive, "--out", on).Code);
        Assert.Equal(0, Run("run", archive, "--out", off, "--no-whatif").Code);
        long Rows(string dir)
        {
            using var fs = File.OpenRead(Path.Combine(dir, "tables", "whatif.arrow"));
            return ArrowIo.Read(WhatIf.Def, fs).RowCount;
        }
        Assert.Equal(12, Rows(on));
        Assert.Equal(0, Rows(off));
        var summary = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(on, "summary.json")))!;
        Assert.True(summary["whatif"]!["pools"]![0]!["model_verified"]!.GetValue<bool>());
        Assert.Contains("What would have avoided it", File.ReadAllText(Path.Combine(on, "report.html")));
        // Over the event limit the pool is skipped, and says so.
        var skipped = Path.Combine(Repo.TempDir(), "skipped");
        Assert.Equal(0, Run("run", archive, "--out", skipped, "--whatif-max-events", "100").Code);
        using var fs = File.OpenRead(Path.Combine(skipped, "tables", "whatif.arrow"));
        var t = ArrowIo.Read(WhatIf.Def, fs);
        Assert.StartsWith("skipped: 6519 events, over the limit of 100", Assert.Single(Enumerable.Range(0, t.RowCount).Select(i => t[WhatIf.Status][i])));
    }

    [Theory]
    [InlineData("256MiB", 256L << 20)]
    [InlineData("24GiB", 24L << 30)]
    [InlineData("1.5GB", 1_500_000_000L)]
    [InlineData("80G", 80L << 30)]
    [InlineData("4096", 4096L)]
    public void Sizes_take_units(string text, long bytes)
    {
        Assert.True(ByteSize.TryParse(text, out var parsed, out var error), error);
        Assert.Equal(bytes, parsed);
    }
}
