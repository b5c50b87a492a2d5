using Memtrace.Collectors.Importers;
using Memtrace.Pipeline.Run;
using Memtrace.Schemas.Archive;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Pipeline.Tests;

public sealed class ReportSecurityTests
{
    [Fact]
    public void A_hostile_stack_frame_cannot_inject_markup()
    {
        const string payload = "</script><img src=x onerror=alert(1)>";
        // One 2 MiB segment: live 1 MiB block whose allocation stack is the payload, a 256-byte hole, then another live block.
        var p = new PickleBuilder().Proto(4).Op('}').Op('(').Str("segments").Op(']').Op('(')
            .Op('}').Op('(').Str("device").Int(0).Str("address").Int(1 << 20).Str("total_size").Int(2 << 20).Str("segment_type").Str("small")
            .Str("blocks").Op(']').Op('(')
                .Op('}').Op('(').Str("address").Int(1 << 20).Str("size").Int(1 << 20).Str("state").Str("active_allocated")
                    .Str("frames").Op(']').Op('}').Op('(').Str("name").Str(payload).Str("filename").Str("evil.py").Str("line").Int(1).Op('u').Op('a').Op('u')
                .Op('}').Op('(').Str("address").Int((2 << 20)).Str("size").Int(256).Str("state").Str("inactive").Op('u')
                .Op('}').Op('(').Str("address").Int((2 << 20) + 256).Str("size").Int((1 << 20) - 256).Str("state").Str("active_allocated").Op('u')
            .Op('e').Op('u').Op('e').Str("device_traces").Op(']').Op('u').Op('.').Build();
        var dir = Repo.TempDir();
        var path = Path.Combine(dir, "evil.pickle");
        File.WriteAllBytes(path, p);
        var archive = Path.Combine(dir, "a");
        Assert.Equal(ImportOutcome.Imported, new ImportRunner(TraceArchive.OpenOrCreate(archive), new ImportOptions()).ImportOne(path, "auto").Outcome);
        var outDir = Path.Combine(dir, "out");
        Assert.Equal(ExitCode.Success, RunPipeline.Run(archive, outDir, new RunOptions()).Exit);
        var html = File.ReadAllText(Path.Combine(outDir, "report.html"));
        Assert.Contains("&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; at evil.py:1", html);
        Assert.DoesNotContain("<img", html);
        Assert.Equal(1, html.Split("</script>").Length - 2); // exactly the two script elements we wrote close
    }

}
