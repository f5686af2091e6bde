using Orleans.Runtime;

namespace Gpt1Cluster.Silo.Hosting;

/// <summary>
/// The last resort of both executables: an exception nobody expected never reaches the user as a
/// stack trace. One line says what it was; the whole trace goes to a file whose path the line
/// gives. Exit code 1: a runtime failure, not bad input.
/// </summary>
public static class LastResort
{
    public static int Report(string program, Exception e, TextWriter error, string traceDir)
    {
        string trace = Path.Combine(traceDir, $"{program}-error-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}.log");
        try
        {
            File.WriteAllText(trace, e.ToString());
        }
        catch (Exception writing) when (writing is IOException or UnauthorizedAccessException)
        {
            trace = $"not written: {writing.Message}";
        }
        string first = e.Message.Split('\n', 2)[0].Trim();
        string cluster = e is OrleansException or TimeoutException ? "the cluster did not answer: " : "";
        error.WriteLine($"{program}: {cluster}{e.GetType().Name}: {first} (full trace: {trace})");
        return 1;
    }
}
