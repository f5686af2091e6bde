using System.Diagnostics;

namespace Gpt1Cluster.Model.Tests.Fixtures;

/// <summary>The gpt1 client as a user runs it (gpt1.dll is copied beside the tests by the Coordinator reference).</summary>
public static class Gpt1Cli
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    public static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "gpt1.dll");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Path.GetTempPath(),
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Limit))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"gpt1 {string.Join(' ', args)} did not end within {Limit}:\n{stderr.Result}");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
