namespace Gpt1Cluster.Data.Corpus;

/// <summary>How a corpus file holds its documents; chosen by the file name's extension.</summary>
public enum CorpusFormat
{
    /// <summary><c>.txt</c>: the whole file is one document (BooksCorpus: one book per file).</summary>
    Text,

    /// <summary><c>.txt.gz</c>: as <see cref="Text"/>, gzip-compressed.</summary>
    GzipText,

    /// <summary><c>.jsonl</c>: one JSON object per line; its string field <c>text</c> is one document.</summary>
    JsonLines,

    /// <summary><c>.jsonl.gz</c>: as <see cref="JsonLines"/>, gzip-compressed.</summary>
    GzipJsonLines,

    /// <summary><c>.parquet</c>: each row's string column <c>text</c> is one document.</summary>
    Parquet,
}

/// <summary>Maps file names to <see cref="CorpusFormat"/>.</summary>
public static class CorpusFormats
{
    /// <summary>For error messages: the extensions a corpus may use.</summary>
    public const string SupportedExtensions = ".txt, .txt.gz, .jsonl, .jsonl.gz, .parquet";

    /// <summary>The format of <paramref name="path"/>, or null when its extension is not a corpus format.</summary>
    public static CorpusFormat? Detect(string path)
    {
        // Longest suffixes first: ".txt.gz" must not be read as plain ".gz".
        var name = Path.GetFileName(path);
        if (name.EndsWith(".txt.gz", StringComparison.OrdinalIgnoreCase)) return CorpusFormat.GzipText;
        if (name.EndsWith(".jsonl.gz", StringComparison.OrdinalIgnoreCase)) return CorpusFormat.GzipJsonLines;
        if (name.EndsWith(".txt", StringComparison.OrdinalIgnoreCase)) return CorpusFormat.Text;
        if (name.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase)) return CorpusFormat.JsonLines;
        if (name.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase)) return CorpusFormat.Parquet;
        return null;
    }
}
