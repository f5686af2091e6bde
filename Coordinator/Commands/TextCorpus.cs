using Gpt1Cluster.Data.Corpus;

namespace Gpt1Cluster.Coordinator.Commands;

/// <summary>
/// A --corpus argument for the BPE commands, read with the same readers as gpt1 prepare
/// (.txt, .txt.gz, .jsonl, .parquet; a file, a folder or a glob).
/// </summary>
public static class TextCorpus
{
    /// <summary>The corpus files; fails now, before any work, naming the path, if there are none.</summary>
    public static IReadOnlyList<CorpusFile> Files(string path)
    {
        try
        {
            return CorpusPaths.Resolve([path]);
        }
        catch (CorpusException e)
        {
            throw new UserInputException(e.Message);
        }
    }

    /// <summary>Text pieces in corpus order; a document may come in several pieces, cut between words.</summary>
    public static IEnumerable<string> ReadDocuments(string path) => new CorpusReader(Files(path)).ReadPieces().Select(p => p.Text);
}
