using Memtrace.Pipeline.Run;
using Memtrace.Schemas.IO;
using Memtrace.Schemas.Results;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Pipeline.Tests.Host;

/// <summary>The flags analyzer and the flag-kind catalogue name the same kinds: each side fails here without the other.</summary>
public sealed class FlagKindsTests
{
    [Fact]
    public void The_analyzer_raises_every_catalogued_kind_and_only_those()
    {
        var source = File.ReadAllText(Path.Combine(Repo.Root, "pipeline", "Memtrace.Pipeline", "RssGap", "HostFlagsAnalyzer.cs"));
        var fields = typeof(FlagKinds).GetFields().Where(f => f.FieldType == typeof(FlagKind)).ToList();
        foreach (var f in fields.Where(f => !f.Name.StartsWith("Negative", StringComparison.Ordinal)))
            Assert.True(source.Contains($"FlagKinds.{f.Name}", StringComparison.Ordinal), $"HostFlagsAnalyzer raises no {((FlagKind)f.GetValue(null)!).Name}");
        // negative_<layer>: the analyzer's loop over these layers, one catalogued kind each.
        foreach (var layer in new[] { "OtherAnon", "PageCacheActive", "Residual" })
        {
            Assert.Contains($"Layers.{layer}", source);
            Assert.Contains(fields, f => f.Name == "Negative" + layer);
        }
        Assert.DoesNotContain("\"warning\"", source);
        Assert.DoesNotContain("\"critical\"", source);
    }

    [Fact]
    public void The_demos_flags_are_catalogued_kinds_with_their_severity()
    {
        var outDir = Path.Combine(Repo.TempDir(), "demo");
        try
        {
            Assert.Equal(ExitCode.Success, RunPipeline.Run(Path.Combine(Repo.Root, "samples", "demo-archive"), outDir, new RunOptions { WhatIf = null }).Exit);
            using var fs = File.OpenRead(Path.Combine(outDir, "tables", "flags.arrow"));
            var flags = ArrowIo.Read(Flags.Def, fs);
            Assert.True(flags.RowCount > 0);
            for (var r = 0; r < flags.RowCount; r++)
            {
                var kind = FlagKinds.All.SingleOrDefault(k => k.Name == flags[Flags.Kind][r]);
                Assert.NotNull(kind);
                if (kind != FlagKinds.GomemlimitUnset) Assert.Equal(kind.Severity, flags[Flags.Severity][r]);
            }
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(outDir)!, recursive: true);
        }
    }
}
