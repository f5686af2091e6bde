using System.Text;

namespace Gpt1Cluster.Coordinator.Commands;

/// <summary>
/// The documents of a plain-text corpus: one .txt file or every .txt file under a folder (sorted, so runs
/// repeat). Large files come in pieces of whole lines, which changes nothing for tokenization or BPE
/// counting (a newline always ends a word) and keeps memory flat. The one place to swap in other readers.
/// </summary>
public static class TextCorpus
{
    private const int PieceChars = 4 << 20;

    public static IEnumerable<string> ReadDocuments(string path) => Files(path).SelectMany(ReadPieces);

    /// <summary>The files <see cref="ReadDocuments"/> will read; fails now, before any work, if there are none.</summary>
    public static IReadOnlyList<string> Files(string path)
    {
        if (File.Exists(path))
        {
            return [path];
        }
        if (!Directory.Exists(path))
        {
            throw new UserInputException($"Corpus '{path}' does not exist. Pass a .txt file or a folder of .txt files to --corpus.");
        }
        var files = Directory.GetFiles(path, "*.txt", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0)
        {
            throw new UserInputException($"No .txt files under '{path}'. Pass a .txt file or a folder of .txt files to --corpus.");
        }
        return files;
    }

    private static IEnumerable<string> ReadPieces(string file)
    {
        var piece = new StringBuilder();
        foreach (var line in File.ReadLines(file))
        {
            piece.Append(line).Append('\n');
            if (piece.Length >= PieceChars)
            {
                yield return piece.ToString();
                piece.Clear();
            }
        }
        if (piece.Length > 0)
        {
            yield return piece.ToString();
        }
    }
}
