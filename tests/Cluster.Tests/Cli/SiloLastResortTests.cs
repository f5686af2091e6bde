using System.Diagnostics;
using Gpt1Cluster.Data.Tests.Fixtures;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>gpt1-silo's last resort: a failure nobody expected (here a torn appsettings.json) is one line naming its trace file, exit code 1.</summary>
public sealed class SiloLastResortTests
{
    [Fact]
    public async Task An_unreadable_appsettings_is_one_line_with_the_trace_in_a_file()
    {
        using var dir = new TempDirectory();
        dir.Write("appsettings.json", "{ \"Logging\": ");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = dir.Path,
        };
        foreach (var arg in new[] { "exec", Path.Combine(AppContext.BaseDirectory, "gpt1-silo.dll"), "--devices", "cpu" }) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(1, process.ExitCode);
        Assert.Equal("", await stdout);
        string line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("gpt1-silo: InvalidDataException: Failed to load configuration from file", line);
        string trace = line[(line.IndexOf("(full trace: ", StringComparison.Ordinal) + "(full trace: ".Length)..^1];
        Assert.Contains("appsettings.json", File.ReadAllText(trace));
        File.Delete(trace);
    }
}
