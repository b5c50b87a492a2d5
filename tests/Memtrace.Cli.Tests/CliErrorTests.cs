using System.CommandLine;
using Memtrace.Pipeline.Run;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Cli.Tests;

/// <summary>Common mistakes get one line in words and the documented exit code; a bug gets one line and a crash log.</summary>
[Collection("console")]
public sealed class CliErrorTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CorruptedInputs.Matrix.Invoke(args);

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Fact]
    public void A_value_of_the_wrong_type_is_named_in_words()
    {
        var (code, _, err) = Run("run", Repo.TempDir(), "--out", Repo.TempDir(), "--max-instants", "abc");
        Assert.Equal((int)ExitCode.Usage, code);
        Assert.Equal("memtrace run: Cannot parse argument 'abc' for option '--max-instants' as a whole number. (see memtrace run --help)", Assert.Single(Lines(err)));
        Assert.DoesNotContain("System.", err);
    }

    [Theory]
    [InlineData("fragmentation")]
    [InlineData("OOM")]
    public void A_fail_on_typo_lists_the_verdicts(string typo)
    {
        // A CI gate that never fires is worse than a failed command: the typo is a usage error (exit 1, as every other).
        var (code, _, err) = Run("run", Repo.TempDir(), "--out", Repo.TempDir(), "--fail-on", typo);
        Assert.Equal((int)ExitCode.Usage, code);
        Assert.Equal($"memtrace run: --fail-on '{typo}': not a verdict (use fragmentation-oom, capacity-oom, any-oom, host-oom, spin) (see memtrace run --help)", Assert.Single(Lines(err)));
    }

    [Fact]
    public void An_option_with_a_fixed_set_of_values_names_them()
    {
        var (code, _, err) = Run("inspect", Repo.TempDir(), "--format", "xml");
        Assert.Equal((int)ExitCode.Usage, code);
        Assert.Equal("memtrace inspect: Argument 'xml' not recognized. Must be one of: 'text' 'json' (see memtrace inspect --help)", Assert.Single(Lines(err)));
    }

    [Fact]
    public void An_out_that_is_a_file_is_refused_before_any_work()
    {
        var file = Path.Combine(Repo.TempDir(), "README.md");
        File.WriteAllText(file, "x");
        var (code, _, err) = Run("run", Path.Combine(Repo.Root, "samples", "demo-archive"), "--out", file);
        Assert.Equal((int)ExitCode.Usage, code);
        Assert.Equal($"memtrace run: --out {file} is a file; give a directory (it is created if missing)", Assert.Single(Lines(err)));
    }

    [Fact]
    public void A_missing_archive_says_so()
    {
        var missing = Path.Combine(Repo.TempDir(), "no-such-archive");
        var (code, output, err) = Run("run", missing, "--out", Path.Combine(Repo.TempDir(), "o"));
        Assert.Equal((int)ExitCode.InputRefused, code);
        Assert.Contains("no such directory", Assert.Single(Lines(err)));
        Assert.Equal("", output);
    }

    [Fact]
    public void Report_refuses_an_archive_and_writes_nothing_into_it()
    {
        var archive = Path.Combine(Repo.TempDir(), "trace");
        Assert.Equal(0, Run("import", "auto", Repo.Torch("magma27_memory_snapshot.pickle"), "--archive", archive).Code);
        var (code, _, err) = Run("report", archive);
        Assert.Equal((int)ExitCode.InputRefused, code);
        Assert.Contains("a trace archive, not a run output", Assert.Single(Lines(err)));
        Assert.False(File.Exists(Path.Combine(archive, "report.html")));
        Assert.Equal((int)ExitCode.InputRefused, Run("report", Path.Combine(Repo.TempDir(), "nothing")).Code);
    }

    [Fact]
    public void A_refused_import_leaves_no_new_archive_and_a_directory_says_what_auto_looked_for()
    {
        var dir = Repo.TempDir();
        var pickles = Path.Combine(dir, "pickles");
        Directory.CreateDirectory(pickles);
        File.Copy(Repo.Torch("magma27_memory_snapshot.pickle"), Path.Combine(pickles, "a.pickle"));
        var archive = Path.Combine(dir, "new-archive");
        var (code, _, err) = Run("import", "auto", pickles, "--archive", archive);
        Assert.Equal((int)ExitCode.InputRefused, code);
        Assert.Contains("`auto` takes a directory only as a cgroupfs capture", err);
        Assert.Contains("name them (e.g. DIR/*)", err);
        Assert.False(Directory.Exists(archive), "a refused import left an empty archive behind");
    }

    [Fact]
    public void An_exception_is_a_bug_one_line_and_a_crash_log()
    {
        var root = new RootCommand("test");
        var boom = new Command("boom");
        boom.SetAction((Func<ParseResult, int>)(_ => throw new InvalidOperationException("kaput")));
        root.Subcommands.Add(boom);
        var err = new StringWriter();
        var previous = Console.Error;
        Console.SetError(err);
        int code;
        try
        {
            code = Program.Invoke(root, ["boom"]);
        }
        finally
        {
            Console.SetError(previous);
        }
        Assert.Equal((int)ExitCode.Internal, code);
        var line = Assert.Single(Lines(err.ToString()));
        Assert.Contains("internal error", line);
        Assert.EndsWith("InvalidOperationException: kaput", line);
        var log = line[(line.IndexOf("with ", StringComparison.Ordinal) + 5)..line.IndexOf("):", StringComparison.Ordinal)];
        Assert.Contains("kaput", File.ReadAllText(log));
        Assert.Contains("   at ", File.ReadAllText(log)); // the stack trace goes to the log, not the terminal
    }

    /// <summary>--version prints the entry assembly's informational version (in process that is the test host's, so the CLI assembly is read).</summary>
    [Fact]
    public void One_version_everywhere()
    {
        var cli = typeof(Program).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .Cast<System.Reflection.AssemblyInformationalVersionAttribute>().Single().InformationalVersion;
        Assert.Equal(RunPipeline.Version, cli);
    }
}
