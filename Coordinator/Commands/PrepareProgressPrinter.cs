using Gpt1Cluster.Data.Preparation;

namespace Gpt1Cluster.Coordinator.Commands;

/// <summary>
/// Shows a running prepare on stderr: one line redrawn in place on a terminal, or a plain line every
/// 10 s when stderr goes to a file or a log collector (which would keep every redraw).
/// </summary>
internal sealed class PrepareProgressPrinter : IDisposable
{
    readonly PrepareProgress _progress;
    readonly bool _terminal = !Console.IsErrorRedirected;
    readonly Timer _timer;
    readonly Lock _gate = new();
    int _drawn; // characters of the line on screen, to blank leftovers when it shrinks
    bool _stopped;

    public PrepareProgressPrinter(PrepareProgress progress)
    {
        _progress = progress;
        var period = _terminal ? TimeSpan.FromMilliseconds(500) : TimeSpan.FromSeconds(10);
        _timer = new Timer(_ => Draw(), null, period, period);
    }

    void Draw()
    {
        lock (_gate)
        {
            if (_stopped) return;
            var line = "gpt1 prepare: " + _progress.Describe();
            if (_terminal)
            {
                Console.Error.Write("\r" + line.PadRight(_drawn));
                _drawn = line.Length;
            }
            else
            {
                Console.Error.WriteLine(line);
            }
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        lock (_gate)
        {
            _stopped = true;
            if (_terminal && _drawn > 0) Console.Error.Write("\r" + new string(' ', _drawn) + "\r");
        }
    }
}
