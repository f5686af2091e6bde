using System.Diagnostics;

namespace Gpt1Cluster.Model.Tests.Fixtures;

/// <summary>Debian's python3 with python3-torch and python3-numpy, running the scripts in tests/reference.</summary>
public static class Python
{
    public const string Executable = "/usr/bin/python3";
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    /// <summary>Null when torch and numpy import; else why not, and how to get them.</summary>
    public static string? Missing { get; } = Probe();

    /// <summary>Runs tests/reference/<paramref name="script"/>; fails the test with its stderr unless it exits 0.</summary>
    public static string Run(string script, params string[] args)
    {
        var (code, stdout, stderr) = Start([Path.Combine(RepoPaths.Reference, script), .. args]);
        if (code != 0) throw new Xunit.Sdk.XunitException($"python3 {script} {string.Join(' ', args)} exited {code}:\n{stderr}{stdout}");
        return stdout;
    }

    private static string? Probe()
    {
        if (!File.Exists(Executable)) return $"{Executable} is absent: apt-get install python3-torch python3-numpy (.ci/run installs them)";
        var (code, _, stderr) = Start(["-c", "import torch, numpy"]);
        return code == 0 ? null : $"{Executable} cannot import torch and numpy ({stderr.Trim().Split('\n')[^1]}): apt-get install python3-torch python3-numpy (.ci/run installs them)";
    }

    private static (int Code, string Stdout, string Stderr) Start(string[] args)
    {
        var start = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["OMP_NUM_THREADS"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Limit))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"python3 {string.Join(' ', args)} did not end within {Limit}");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}

/// <summary>A fact that needs Debian's PyTorch; skipped, saying how to install it, without it.</summary>
public sealed class PythonFactAttribute : FactAttribute
{
    public PythonFactAttribute()
    {
        if (Python.Missing is { } why) Skip = why;
    }
}
