using System.Diagnostics;

namespace Gpt1Cluster.Coordinator.Commands;

/// <summary>
/// Progress on stderr: one line rewritten in place on a terminal, or a plain line every few seconds
/// when stderr is a file or pipe (so logs stay readable).
/// </summary>
public sealed class ProgressReporter(string unit)
{
    private static readonly TimeSpan TerminalInterval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly bool _terminal = !Console.IsErrorRedirected;
    private TimeSpan? _lastPrinted;

    public TimeSpan Elapsed => _clock.Elapsed;

    public void Report(long done, long total)
    {
        var now = _clock.Elapsed;
        if (_lastPrinted is { } last && now - last < (_terminal ? TerminalInterval : LogInterval))
        {
            return;
        }
        _lastPrinted = now;
        Write(done, total, final: false);
    }

    public void Finish(long done, long total) => Write(done, total, final: true);

    private void Write(long done, long total, bool final)
    {
        var seconds = Math.Max(_clock.Elapsed.TotalSeconds, 1e-9);
        var line = $"{done:N0}/{total:N0} {unit} in {seconds:F1} s ({done / seconds:N0} {unit}/s)";
        if (_terminal)
        {
            Console.Error.Write($"\r{line}\u001b[K{(final ? "\n" : "")}");
        }
        else
        {
            Console.Error.WriteLine(line);
        }
    }
}
