using System.Diagnostics;

namespace Memtrace.Notebooks.Tests;

/// <summary>Runs a piece of the report's script under node and returns what it printed, a line per value.</summary>
internal static class NodeScript
{
    public static string[] Lines(string js)
    {
        var psi = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-e");
        psi.ArgumentList.Add(js);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("node did not start (make setup installs it)");
        var output = p.StandardOutput.ReadToEnd();
        var error = p.StandardError.ReadToEnd();
        if (!p.WaitForExit(TimeSpan.FromMinutes(1))) throw new TimeoutException("node did not finish");
        if (p.ExitCode != 0) throw new InvalidOperationException(error);
        return output.TrimEnd('\n').Split('\n');
    }

    /// <summary>The report's script, as the report embeds it.</summary>
    public static string ReportJs =>
        (string)typeof(Pipeline.Report.HtmlReport).Assembly.GetType("Memtrace.Pipeline.Report.ReportScript")!.GetField("Js")!.GetValue(null)!;
}
