namespace Gpt1Cluster.Coordinator.Commands;

/// <summary>
/// Prints a continuation token by token as it is sampled, after <paramref name="prefix"/> (the
/// prompt), which waits for the first token so that a failure to load leaves stdout empty. The
/// text equals the decoded whole, less its trailing space.
/// </summary>
public sealed class StreamedText(TextWriter output, string prefix)
{
    private bool started;

    public void Add(string piece)
    {
        if (!started)
        {
            output.Write(prefix);
            piece = piece.TrimStart();
            started = true;
        }
        output.Write(piece);
        output.Flush();
    }
}
