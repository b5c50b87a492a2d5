using System.Text.Json;
using Memtrace.Collectors.Importers;
using Memtrace.Pipeline.Fragmentation;
using Memtrace.Pipeline.Host;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Tables;
using Memtrace.Tests;

namespace Memtrace.Pipeline.Tests.Host;

/// <summary>
/// One of the committed real captures (tests/data/go/&lt;name&gt;/capture), imported into a fresh archive
/// and run through the host analysis once. The program's own phase log is the ground truth.
/// </summary>
public abstract class GoCapture
{
    protected GoCapture(string name, params (string File, string Format)[] files)
    {
        Dir = Repo.Data("go", name, "capture");
        Pid = long.Parse(File.ReadAllText(Path.Combine(Dir, "pid")).Trim());
        Archive = TraceArchive.OpenOrCreate(Repo.TempDir());
        var runner = new ImportRunner(Archive, new ImportOptions { Pid = Pid });
        foreach (var (file, format) in files)
        {
            var report = runner.ImportOne(Path.Combine(Dir, file), format);
            if (report.Outcome != ImportOutcome.Imported) throw new InvalidOperationException(report.Message);
        }
        Phases = File.ReadAllLines(Path.Combine(Dir, "phases.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement)
            .ToDictionary(e => e.GetProperty("phase").GetString()!, e => e.GetProperty("ts_ns").GetInt64());
        Output = Analyze(new HostOptions());
    }

    public string Dir { get; }
    public long Pid { get; }
    public TraceArchive Archive { get; }
    public IReadOnlyDictionary<string, long> Phases { get; }
    public HostOutput Output { get; }

    public HostOutput Analyze(HostOptions options)
    {
        return HostAnalysis.Run(def => Archive.ReadTable(def), FragmentationOutput.Empty(), options);
    }

    public Table Result(string name) => Output.Tables.Single(t => t.Def.Name == name);
}
