using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Gpt1Cluster.Cluster.Tests.Fixtures;

/// <summary>A logger that keeps every line (level and formatted message), for tests that a rejection is said, and said once.</summary>
public sealed class LogLines : ILogger
{
    public ConcurrentQueue<(LogLevel Level, string Message)> Lines { get; } = new();

    /// <summary>Completes when a line at <paramref name="level"/> or above containing <paramref name="text"/> is logged.</summary>
    public async Task<string> Said(string text, LogLevel level, TimeSpan limit)
    {
        using var cancel = new CancellationTokenSource(limit);
        while (true)
        {
            if (Lines.FirstOrDefault(l => l.Level >= level && l.Message.Contains(text, StringComparison.Ordinal)) is { Message: not null } found) return found.Message;
            var next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Interlocked.Exchange(ref logged, next);
            if (Lines.Any(l => l.Level >= level && l.Message.Contains(text, StringComparison.Ordinal))) continue;
            try
            {
                await next.Task.WaitAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no {level} line containing \"{text}\" within {limit}; logged: {string.Join(" | ", Lines.Select(l => l.Message))}");
            }
        }
    }

    public int Count(string text, LogLevel level) => Lines.Count(l => l.Level >= level && l.Message.Contains(text, StringComparison.Ordinal));

    private TaskCompletionSource logged = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        Lines.Enqueue((logLevel, formatter(state, exception)));
        Volatile.Read(ref logged).TrySetResult();
    }
}
