using System.Text.Json;
using CsCheck;
using Memtrace.Collectors.Importers;
using Memtrace.Schemas.IO;
using Memtrace.Schemas.Stats;
using Memtrace.Tests;

namespace Memtrace.Collectors.Tests.Fuzz;

/// <summary>A fuzz target: one importer and the real files its cases are mutated from.</summary>
public sealed record FuzzTarget(string Name, IImporter Importer, string Extension, bool Gzip, IReadOnlyList<byte[]> Seeds);

public sealed record FuzzOutcome(string Target, long Executions, long Refused, long Imported, long BadRecords, long MaxAllocatedBytes, double MaxAllocatedPerInputByte, double Seconds);

/// <summary>
/// Runs one importer on CsCheck-generated mutations of real inputs. A case passes when the importer
/// either refuses the file (ImportRefusedException with a one-line reason) or returns tables that write
/// to Parquet; it fails on any other exception, on running past <see cref="Hang"/>, or on allocating more
/// than <see cref="AllocationBound"/>. CsCheck shrinks a failing case to its smallest mutation list.
/// </summary>
public static class ImporterFuzz
{
    public static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);

    /// <summary>Generous, but finite: a parser that allocates per declared length instead of per byte read trips it.</summary>
    public static long AllocationBound(int inputBytes) => (256L << 20) + 400L * inputBytes;

    public static FuzzOutcome Run(FuzzTarget target, int seconds, string? seed = null)
    {
        long executions = 0, refused = 0, imported = 0, badRecords = 0, maxAlloc = 0;
        double maxRatio = 0;
        var dir = Repo.TempDir();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var gen = CsCheck.Gen.Select(CsCheck.Gen.Int[0, target.Seeds.Count - 1], Mutator.Gen);
        gen.Sample(c =>
        {
            var (seedIndex, mutations) = c;
            var input = Mutator.Apply(target.Seeds[seedIndex], mutations, target.Gzip);
            var path = Path.Combine(dir, $"case-{Environment.CurrentManagedThreadId}{target.Extension}");
            File.WriteAllBytes(path, input);
            var (outcome, allocated, bad) = ImportOnce(target.Importer, path);
            Interlocked.Increment(ref executions);
            if (outcome == "refused") Interlocked.Increment(ref refused); else Interlocked.Increment(ref imported);
            Interlocked.Add(ref badRecords, bad);
            if (allocated > Interlocked.Read(ref maxAlloc)) Interlocked.Exchange(ref maxAlloc, allocated);
            lock (target) maxRatio = Math.Max(maxRatio, allocated / (double)Math.Max(1, input.Length));
            if (allocated > AllocationBound(input.Length))
                throw new InvalidOperationException($"{target.Name}: allocated {allocated:N0} bytes for a {input.Length:N0}-byte input");
        }, seed: seed, iter: -1, time: seconds, threads: 1, print: c => $"seed file {c.Item1}, mutations [{string.Join(", ", c.Item2)}]");
        Directory.Delete(dir, recursive: true);
        return new FuzzOutcome(target.Name, executions, refused, imported, badRecords, maxAlloc, maxRatio, clock.Elapsed.TotalSeconds);
    }

    /// <summary>One import on its own thread, so a hang is detected rather than inherited.</summary>
    public static (string Outcome, long Allocated, long BadRecords) ImportOnce(IImporter importer, string path)
    {
        Exception? error = null;
        string outcome = "imported";
        long allocated = 0, bad = 0;
        var worker = new Thread(() =>
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                var stats = new StatsSink("sfuzz");
                var result = importer.Import(new ImportContext { Path = path, SourceId = "sfuzz", Stats = stats });
                foreach (var t in result.Tables.Append(stats.Log_))
                {
                    using var ms = new MemoryStream();
                    ParquetIo.Write(t, ms); // what the archive does next: every table the importer returns must be writable
                }
                bad = stats.Counts.Where(kv => StatsCatalog.Find(kv.Key)?.Severity != Severity.Info).Sum(kv => kv.Value);
            }
            catch (ImportRefusedException e)
            {
                outcome = "refused";
                if (string.IsNullOrWhiteSpace(e.Message) || e.Message.Contains('\n')) error = new InvalidOperationException($"refusal reason is not one line: '{e.Message}'");
            }
            catch (Exception e)
            {
                error = e;
            }
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }, 16 << 20);
        worker.Start();
        if (!worker.Join(Hang)) throw new TimeoutException($"{importer.Format}: import of {path} ran past {Hang.TotalSeconds} s (hang)");
        if (error is not null) throw new InvalidOperationException($"{importer.Format} crashed: {error.GetType().Name}: {error.Message}", error);
        return (outcome, allocated, bad);
    }

    public static void WriteResults(string path, IEnumerable<FuzzOutcome> outcomes) =>
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(outcomes, new JsonSerializerOptions { WriteIndented = true }) + "\n");
}
