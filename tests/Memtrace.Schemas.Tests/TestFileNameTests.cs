using System.Globalization;
using System.Reflection;
using Xunit;

namespace Memtrace.Schemas.Tests;

/// <summary>A test file (…Tests.cs) is named after its one class, so a failing test's class leads to its file; small records may sit beside it.</summary>
public sealed class TestFileNameTests
{
    [Fact]
    public void Every_test_file_holds_one_top_level_class_named_as_the_file()
    {
        var declaration = new System.Text.RegularExpressions.Regex(@"^(?:public |internal )?(?:sealed |static |abstract )*(?:partial )?class ([A-Za-z0-9_]+)", System.Text.RegularExpressions.RegexOptions.Multiline);
        var root = Path.Combine(Memtrace.Tests.Repo.Root, "tests");
        var files = Directory.EnumerateFiles(root, "*Tests.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}")
                && !f.Contains($"{Path.DirectorySeparatorChar}node_modules{Path.DirectorySeparatorChar}"))
            .ToList();
        Assert.NotEmpty(files);
        var wrong = files.Select(f => (File: Path.GetRelativePath(root, f), Types: declaration.Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value).ToList()))
            .Where(x => x.Types.Count > 0 && (x.Types.Count != 1 || x.Types[0] != Path.GetFileNameWithoutExtension(x.File)))
            .Select(x => $"{x.File}: {string.Join(", ", x.Types)}").ToList();
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }
}
