using System.Text.Json;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Notebooks.Tests;

/// <summary>
/// notebooks/*.ipynb are generated from their twins; they must be current, valid nbformat 4 with the
/// .NET Interactive C# kernel, and hold the twin's cells. Regenerate with `make notebooks`.
/// </summary>
public sealed class NotebookFileTests
{
    private static readonly string Dir = Path.Combine(Repo.Root, "notebooks");

    private static string[] NameList() => Directory.GetFiles(Dir, "*.cs").Select(p => Path.GetFileNameWithoutExtension(p)!).Order(StringComparer.Ordinal).ToArray();

    public static TheoryData<string> Names() => new(NameList());

    [Fact]
    public void The_four_notebooks_exist()
    {
        Assert.Equal(["01-gpu-fragmentation", "02-rss-gap", "03-capacity-planning", "04-archive-query"], NameList());
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Ipynb_is_generated_from_its_twin(string name)
    {
        var path = Path.Combine(Dir, name + ".ipynb");
        var generated = NotebookTwin.ToIpynb(name, File.ReadAllText(Path.Combine(Dir, name + ".cs")));
        if (Environment.GetEnvironmentVariable("MEMTRACE_UPDATE_NOTEBOOKS") == "1") File.WriteAllText(path, generated);
        Assert.True(File.Exists(path), $"{path} is missing: run make notebooks");
        Assert.True(File.ReadAllText(path) == generated, $"{path} is stale: run make notebooks");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Ipynb_is_nbformat_4_with_the_csharp_kernel_and_the_twins_cells(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, name + ".ipynb")));
        var root = doc.RootElement;
        Assert.Equal(4, root.GetProperty("nbformat").GetInt32());
        Assert.True(root.GetProperty("nbformat_minor").GetInt32() >= 4);
        var kernel = root.GetProperty("metadata").GetProperty("kernelspec");
        Assert.Equal(".net-csharp", kernel.GetProperty("name").GetString());
        Assert.Equal("C#", kernel.GetProperty("language").GetString());
        var cells = root.GetProperty("cells").EnumerateArray().ToList();
        Assert.Equal(cells.Count, cells.Select(c => c.GetProperty("id").GetString()).Distinct().Count());
        foreach (var c in cells.Where(c => c.GetProperty("cell_type").GetString() == "code"))
            Assert.Equal(0, c.GetProperty("outputs").GetArrayLength());

        // The twin's cells, read here with a plain line scan rather than NotebookTwin.Parse.
        var twin = File.ReadAllLines(Path.Combine(Dir, name + ".cs"));
        var expected = new List<(string Kind, string Source)>();
        for (var i = 0; i < twin.Length; i++)
        {
            if (!twin[i].StartsWith("// %%", StringComparison.Ordinal)) continue;
            var kind = twin[i].Contains("[markdown]", StringComparison.Ordinal) ? "markdown" : "code";
            var body = twin.Skip(i + 1).TakeWhile(l => !l.StartsWith("// %%", StringComparison.Ordinal))
                .Select(l => kind == "markdown" ? l.Length >= 3 ? l[3..] : "" : l).ToList();
            while (body.Count > 0 && body[^1].Trim().Length == 0) body.RemoveAt(body.Count - 1);
            expected.Add((kind, string.Join("\n", body)));
        }
        var notSetup = cells.Where(c => !(c.GetProperty("metadata").TryGetProperty("tags", out var t) && t.EnumerateArray().Any(x => x.GetString() == "setup")));
        var actual = notSetup.Select(c => (c.GetProperty("cell_type").GetString()!, string.Concat(c.GetProperty("source").EnumerateArray().Select(s => s.GetString())))).ToList();
        Assert.True(expected.Count >= 8, $"{name} has only {expected.Count} cells");
        Assert.Equal(expected, actual);
        var setup = Assert.Single(cells, c => c.GetProperty("metadata").TryGetProperty("tags", out _));
        var setupCode = string.Concat(setup.GetProperty("source").EnumerateArray().Select(s => s.GetString()));
        Assert.Contains("#r \"../pipeline/Memtrace.Notebooks/bin/Release/net10.0/Memtrace.Notebooks.dll\"", setupCode);
        Assert.Contains("void Show(", setupCode);
    }
}
