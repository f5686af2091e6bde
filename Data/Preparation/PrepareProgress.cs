using System.Diagnostics;
using System.Globalization;
using Gpt1Cluster.Data.Corpus;

namespace Gpt1Cluster.Data.Preparation;

/// <summary>Live counters of a running prepare, safe to read from another thread (a progress printer).</summary>
public sealed class PrepareProgress
{
    readonly Stopwatch _clock = new();
    CorpusReader? _reader;
    long _documents;
    long _tokens;
    long _totalBytes;

    /// <summary>What the prepare is doing now: "counting documents", "tokenizing", "done".</summary>
    public string Phase { get; private set; } = "starting";

    public long TotalBytes => Interlocked.Read(ref _totalBytes);
    public long BytesRead => Volatile.Read(ref _reader)?.BytesRead ?? 0;
    public long Documents => Interlocked.Read(ref _documents);
    public long Tokens => Interlocked.Read(ref _tokens);

    /// <summary>Time spent tokenizing (the MB/s clock).</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    internal void Counting(long totalBytes)
    {
        Interlocked.Exchange(ref _totalBytes, totalBytes);
        Phase = "counting documents";
    }

    internal void Tokenizing(CorpusReader reader)
    {
        Volatile.Write(ref _reader, reader);
        Phase = "tokenizing";
        _clock.Restart();
    }

    internal void Wrote(long tokens, bool endedDocument)
    {
        Interlocked.Add(ref _tokens, tokens);
        if (endedDocument) Interlocked.Increment(ref _documents);
    }

    internal void Done()
    {
        _clock.Stop();
        Phase = "done";
    }

    /// <summary>One line for a terminal or a log: <c>tokenizing 12.3/45.6 MB (27%), 3.4 MB/s, ETA 0:09, 1,234 docs, 5.6M tokens</c>.</summary>
    public string Describe() => Describe(BytesRead, TotalBytes, Elapsed, Documents, Tokens, Phase);

    internal static string Describe(long bytes, long total, TimeSpan elapsed, long documents, long tokens, string phase)
    {
        if (phase != "tokenizing") return phase == "counting documents" ? Invariant($"counting documents in {total / 1e6:F1} MB") : phase;
        var rate = elapsed.TotalSeconds > 0 ? bytes / 1e6 / elapsed.TotalSeconds : 0;
        var percent = total > 0 ? 100.0 * bytes / total : 100;
        var eta = rate > 0 ? FormatDuration(TimeSpan.FromSeconds((total - bytes) / 1e6 / rate)) : "?";
        return Invariant($"tokenizing {bytes / 1e6:F1}/{total / 1e6:F1} MB ({percent:F0}%), {rate:F1} MB/s, ETA {eta}, {documents:N0} docs, {tokens / 1e6:F1}M tokens");
    }

    static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    internal static string FormatDuration(TimeSpan t) =>
        t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t.Minutes:D2}:{t.Seconds:D2}" : $"{t.Minutes}:{t.Seconds:D2}";
}
