using Memtrace.Tests;
using Xunit;

namespace Memtrace.Cli.Tests;

/// <summary>The answer reaches the terminal: run prints its findings first, summary.json carries them, the report opens with them.</summary>
[Collection("console")]
public sealed class FindingsTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CorruptedInputs.Matrix.Invoke(args);

    [Fact]
    public void Run_on_the_OOM_snapshot_prints_the_verdict_and_the_blamed_stack_first()
    {
        var archive = Path.Combine(Repo.TempDir(), "trace");
        Assert.Equal(0, Run("import", "auto", Repo.Torch("bcrafton_oom_variant.pickle"), "--archive", archive).Code);
        var outDir = Path.Combine(Repo.TempDir(), "results");
        var (code, output, _) = Run("run", archive, "--out", outDir, "--fail-on", "fragmentation-oom");
        Assert.Equal(4, code);
        var first5 = output.Split('\n').Take(5).ToArray();
        // The numbers are the fixture's (tests/data/torch-snapshots/make_oom_variant.py): 14,963,200 requested,
        // 179,811,328 free in split segments, 12,866,048 the largest free block.
        Assert.Contains(first5, l => l.Contains("GPU OOM") && l.Contains("fragmentation") && l.Contains("asked 14.3 MiB") && l.Contains("171.5 MiB was free") && l.Contains("largest free block was 12.3 MiB"));
        Assert.Contains(first5, l => l.Contains("the stack isolating the most fragmented memory is step at") && l.Contains("optimizer.py:74"));
        Assert.Contains(first5, l => l.Contains("→ no setting in the what-if set avoids it; the recorded settings needed 3.04 GiB of device memory, 8.0 MiB more than there was"));

        var summary = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")))!;
        var findings = summary["findings"]!.AsArray();
        Assert.Equal("critical", findings[0]!["severity"]!.GetValue<string>());
        // The OOM is the trace's last event (seq 6518 of source se53e5dcf370742a0): its row is named by that, in any run or merge.
        Assert.Equal("#oom-se53e5dcf370742a0-6518", findings[0]!["evidence"]!.GetValue<string>());
        var html = File.ReadAllText(Path.Combine(outDir, "report.html"));
        var at = html.IndexOf("<section id=\"findings\">", StringComparison.Ordinal);
        Assert.True(at > 0 && at < html.IndexOf("id=\"gpu-verdict\"", StringComparison.Ordinal), "the report opens with the findings");
        Assert.Contains("<a href=\"#oom-se53e5dcf370742a0-6518\">GPU OOM on cuda:0 torch-caching", html);
    }

    [Fact]
    public void Every_finding_of_the_demo_links_to_an_element_of_the_report()
    {
        var outDir = Path.Combine(Repo.TempDir(), "demo");
        Assert.Equal(0, Run("demo", "--out", outDir, "--archive", Path.Combine(Repo.Root, "samples", "demo-archive")).Code);
        var summary = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")))!;
        var html = File.ReadAllText(Path.Combine(outDir, "report.html"));
        var findings = summary["findings"]!.AsArray();
        Assert.True(findings.Count >= 5);
        foreach (var f in findings)
        {
            var evidence = f!["evidence"]!.GetValue<string>();
            Assert.Contains($"id=\"{evidence[1..]}\"", html);
        }
        // The flag's finding points at its own row, not at the section.
        Assert.Contains(findings, f => f!["evidence"]!.GetValue<string>().StartsWith("#flag-9263-working_set_over_90pct-", StringComparison.Ordinal));
    }

    [Fact]
    public void A_run_with_nothing_wrong_says_so()
    {
        var archive = Path.Combine(Repo.TempDir(), "trace");
        Assert.Equal(0, Run("import", "auto", Repo.Torch("magma27_memory_snapshot.pickle"), "--archive", archive).Code);
        var (code, output, _) = Run("run", archive, "--out", Path.Combine(Repo.TempDir(), "results"));
        Assert.Equal(0, code);
        // magma27 has no OOM; its only finding is the stack that fragments it most (a warning).
        Assert.StartsWith("warning: cuda:0 torch-caching", output);
        Assert.DoesNotContain("critical:", output);
    }
}
