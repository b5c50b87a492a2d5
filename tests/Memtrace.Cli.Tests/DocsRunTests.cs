using System.Diagnostics;
using System.Text;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Cli.Tests;

/// <summary>
/// The commands users read run: every `memtrace …` line of the README's shell blocks and of every command's --help
/// examples is executed against real data. Only what a line cannot take on this machine is substituted, each in
/// <see cref="Substitute"/> with its reason: the archive and output folders become temporary ones, placeholder
/// inputs (snapshot.pickle, service.log, …) become the bundled real files of the same format, `python train.py`
/// becomes the GPU-less test driver under the hook, the Go service and the pid become a local server replaying a
/// real service's /debug/vars and a live process, collection windows shrink to 2 s and `gen` to a few thousand
/// events. Each line must exit 0, or 4 where it asks --fail-on for a verdict the data holds.
/// </summary>
[Collection("console")]
public sealed class DocsRunTests : IDisposable
{
    private readonly string _work = Repo.TempDir();
    private readonly ExpvarServer _go = new();
    private readonly Process _service = Process.Start(new ProcessStartInfo("sleep", "60"))!;

    public void Dispose()
    {
        _go.Dispose();
        if (!_service.HasExited) _service.Kill();
        _service.Dispose();
        Directory.Delete(_work, recursive: true);
    }

    private static (int Code, string Out, string Err) Run(params string[] args) => CorruptedInputs.Matrix.Invoke(args);

    private static readonly string[][] Commands =
    [
        [], ["import"], ["collect"], ["collect", "procfs"], ["collect", "go"], ["collect", "cuda"], ["run"], ["plan"], ["merge"], ["whatif"], ["report"], ["inspect"], ["demo"], ["gen"], ["schema-docs"],
    ];

    /// <summary>Each command's help examples, in the order the help lists them (a later line may use an earlier one's output).</summary>
    public static TheoryData<string> HelpExamples()
    {
        var data = new TheoryData<string>();
        foreach (var command in Commands) data.Add(string.Join(' ', command));
        return data;
    }

    private static List<string> ExamplesOf(string command)
    {
        var (_, help, _) = Run([.. command.Split(' ', StringSplitOptions.RemoveEmptyEntries), "--help"]);
        var lines = new List<string>();
        var inExample = false;
        foreach (var raw in help.Split('\n'))
        {
            var line = raw.Trim();
            if (line == "Example:") { inExample = true; continue; }
            if (inExample && line.StartsWith("memtrace ", StringComparison.Ordinal)) lines.Add(line);
            else if (inExample && line.Length == 0) inExample = false;
        }
        return lines;
    }

    [Theory]
    [MemberData(nameof(HelpExamples))]
    public void Every_help_example_runs(string command)
    {
        var examples = ExamplesOf(command);
        Assert.NotEmpty(examples);
        // trace/ holds the bundled OOM snapshot and results/ a run of it before the examples start.
        Prepare();
        foreach (var example in examples)
            foreach (var step in Steps(example)) Execute(step, example);
    }

    [Fact]
    public void Every_README_command_runs_in_order()
    {
        var readme = File.ReadAllLines(Path.Combine(Repo.Root, "README.md"));
        var steps = new List<string>();
        var inShell = false;
        foreach (var raw in readme)
        {
            var line = raw.Trim();
            if (line.StartsWith("```", StringComparison.Ordinal)) { inShell = line == "```sh"; continue; }
            if ((inShell || raw.StartsWith("  memtrace ", StringComparison.Ordinal)) && (line.StartsWith("out/bin/memtrace ", StringComparison.Ordinal) || line.StartsWith("memtrace ", StringComparison.Ordinal)))
                steps.Add(line.StartsWith("out/bin/", StringComparison.Ordinal) ? line["out/bin/".Length..] : line);
        }
        Assert.True(steps.Count >= 12, $"found {steps.Count} README commands");
        PrepareFleet();
        foreach (var s in steps)
            foreach (var step in Steps(s)) Execute(step, s);
    }

    private void Prepare()
    {
        foreach (var d in new[] { "trace", "results", "parts" }) if (Directory.Exists(P(d))) Directory.Delete(P(d), true);
        Assert.Equal(0, Run("import", "auto", Repo.Torch("bcrafton_oom_variant.pickle"), "--archive", P("trace")).Code);
        Assert.Equal(0, Run("run", P("trace"), "--out", P("results")).Code);
        PrepareFleet();
        // The help's shard and merge lines use an 8-shard plan of that night whose parts are all there.
        Assert.Equal(0, Run("plan", P("archives"), "--shards", "8", "--out", P("plan.json")).Code);
        for (var k = 0; k < 8; k++) Assert.Equal(0, Run("run", "--plan", P("plan.json"), "--shard", $"{k}", "--out", P($"parts/{k}")).Code);
    }

    /// <summary>A night's archives as the fleet lines name them: archives/host-a and host-b (real snapshots), night.txt listing them.</summary>
    private void PrepareFleet()
    {
        if (Directory.Exists(P("archives"))) return;
        Assert.Equal(0, Run("import", "auto", Repo.Torch("bcrafton_oom_variant.pickle"), "--archive", P("archives/host-a")).Code);
        Assert.Equal(0, Run("import", "auto", Repo.Torch("magma27_memory_snapshot.pickle"), "--archive", P("archives/host-b")).Code);
        File.WriteAllLines(P("night.txt"), ["# one archive a line, relative to this file", "archives/host-a", "archives/host-b"]);
    }

    private string P(string name) => Path.Combine(_work, name.TrimEnd('/').Replace("/tmp/", "tmp-"));

    /// <summary>The memtrace commands of a shell line: `a && b` and `a; b` run both, `a | jq …` runs a, comments and non-memtrace commands drop.</summary>
    private static IEnumerable<string> Steps(string line)
    {
        var hash = line.IndexOf("  #", StringComparison.Ordinal);
        if (hash >= 0) line = line[..hash];
        foreach (var part in line.Split(["&&", ";"], StringSplitOptions.TrimEntries))
        {
            var cmd = part.Split('|')[0].Trim().TrimEnd('&').Trim();
            if (cmd.StartsWith("memtrace ", StringComparison.Ordinal)) yield return cmd;
        }
    }

    private void Execute(string step, string source)
    {
        var args = Substitute(Tokens(step).Skip(1).ToList());
        var (code, output, err) = Run([.. args]);
        var wantsVerdict = args.Contains("--fail-on");
        Assert.True(code == 0 || (wantsVerdict && code == 4), $"`{source}` ran as `memtrace {string.Join(' ', args)}` and exited {code}: {err}{output}");
    }

    private static List<string> Tokens(string line)
    {
        var tokens = new List<string>();
        var sb = new StringBuilder();
        char? quote = null;
        foreach (var c in line)
        {
            if (quote is { } q) { if (c == q) quote = null; else sb.Append(c); }
            else if (c is '"' or '\'') quote = c;
            else if (c == ' ') { if (sb.Length > 0) { tokens.Add(sb.ToString()); sb.Clear(); } }
            else sb.Append(c);
        }
        if (sb.Length > 0) tokens.Add(sb.ToString());
        return tokens;
    }

    /// <summary>What a documented line names but this machine lacks, replaced by the real thing nearest to it.</summary>
    private List<string> Substitute(List<string> args)
    {
        var output = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var a = args[i];
            var next = i + 1 < args.Count ? args[i + 1] : null;
            switch (a)
            {
                // Placeholder inputs: the bundled real files of the same format.
                case "snapshot.pickle": output.Add(Repo.Torch("bcrafton_oom_variant.pickle")); break;
                case "run1.pickle": output.Add(Repo.Torch("magma27_memory_snapshot.pickle")); break;
                case "*.pickle": output.Add(Repo.Torch("magma27_memory_snapshot.pickle")); output.Add(Repo.Torch("bcrafton_memory_snapshot.pickle")); break;
                case "rmm_log.dev0.csv": output.Add(Repo.Data("rmm", "pool.dev1.csv")); break;
                case "service.log": output.Add(Repo.Data("go", "oomsvc", "capture", "gctrace.log")); break;
                case "dmesg.txt": output.Add(Repo.Data("go", "oomsvc", "capture", "dmesg.txt")); break;
                case "perf-script.txt.gz": output.Add(Repo.Data("go", "spinsvc", "capture", "perf-script.txt.gz")); break;
                case "capture/split/*.jsonl": output.AddRange(Directory.GetFiles(Repo.Data("go", "sidecar", "capture", "split"), "*.jsonl").Order(StringComparer.Ordinal)); break;
                // The live service: a process that exists, and a local server replaying a real Go service's /debug/vars.
                case "$(pgrep": output.Add(_service.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)); i += 2; break;
                case "4242": output.Add(_service.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)); break;
                case "http://127.0.0.1:6060/debug/vars": output.Add(_go.Vars.AbsoluteUri); break;
                // Collection windows: 2 s instead of half a minute.
                case "--duration": output.Add(a); output.Add("2s"); i++; break;
                // A GPU program: the GPU-less driver the hook's tests use, under the freshly built hook.
                case "--" when next is "python":
                    output.AddRange(["--hook", CudaHookBuild.Library, "--", CudaHookBuild.Fake("hookdriver"), "mix", "2", "3000", Path.Combine(_work, "truth.tsv")]);
                    i = args.Count;
                    break;
                // gen at test size: the same command with thousands of events instead of ten million.
                case "--events": output.AddRange([a, "20000"]); i++; break;
                case "--hours": output.AddRange([a, "1"]); i++; break;
                case "--workloads": output.AddRange([a, "2"]); i++; break;
                case "--devices": output.AddRange([a, "2"]); i++; break;
                // A night of a fleet: the archives and the parts prepared (PrepareFleet), whatever the line calls them.
                case "host-a/": output.Add(P("archives/host-a")); break;
                case "host-b/": output.Add(P("archives/host-b")); break;
                case "parts/*": output.AddRange(Directory.GetDirectories(P("parts")).Order(StringComparer.Ordinal)); break;
                case "/shared/night/plan.json": output.Add(P("shared-plan.json")); break;
                // Folders: temporary ones (schema-docs writes its copy there, not over the repository's).
                case "schemas/README.md": output.Add(Path.Combine(_work, "schemas.md")); break;
                default:
                    if (a.StartsWith("tests/data/", StringComparison.Ordinal)) output.Add(Path.Combine(Repo.Root, a));
                    // out/demo is a run's output folder in the docs: results/ is one.
                    else if (a == "out/demo") output.Add(P("results"));
                    else if (a is "trace/" or "results/" or "big/" or "big-out/" or "archives/" or "night.txt" or "plan.json" or "fleet/" or "cache/" or "night/" or "half-a/"
                        || a.StartsWith("/tmp/", StringComparison.Ordinal) || a.StartsWith("parts/", StringComparison.Ordinal) || a.StartsWith("fleet/", StringComparison.Ordinal)) output.Add(P(a));
                    else output.Add(a);
                    break;
            }
        }
        return output;
    }
}
