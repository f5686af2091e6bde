using System.Security.Cryptography;
using System.Text.Json;

namespace Gpt1Cluster.Data.Tokenization;

/// <summary>
/// The two files of a GPT-1 style BPE vocabulary, in either layout: the original release's
/// (<c>encoder_bpe_40000.json</c> + <c>vocab_40000.bpe</c>) or HuggingFace's (<c>vocab.json</c> + <c>merges.txt</c>).
/// The merges file lists one "left right" pair per line, rank order, after a "#version" header.
/// </summary>
public sealed record VocabularyFiles(string VocabPath, string MergesPath, bool IsOriginalLayout)
{
    public const string OriginalVocabName = "encoder_bpe_40000.json";
    public const string OriginalMergesName = "vocab_40000.bpe";
    public const string HuggingFaceVocabName = "vocab.json";
    public const string HuggingFaceMergesName = "merges.txt";

    /// <summary>Finds the pair in <paramref name="directory"/>, preferring the original layout.</summary>
    public static VocabularyFiles Locate(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException(
                $"Vocabulary directory '{directory}' does not exist. Pass the folder holding {OriginalVocabName} + {OriginalMergesName} " +
                $"(GPT-1's release) or {HuggingFaceVocabName} + {HuggingFaceMergesName} (HuggingFace, or `gpt1 bpe train`).");
        }
        var candidates = new[]
        {
            new VocabularyFiles(Path.Combine(directory, OriginalVocabName), Path.Combine(directory, OriginalMergesName), true),
            new VocabularyFiles(Path.Combine(directory, HuggingFaceVocabName), Path.Combine(directory, HuggingFaceMergesName), false),
        };
        foreach (var files in candidates)
        {
            if (File.Exists(files.VocabPath) && File.Exists(files.MergesPath))
            {
                return files;
            }
        }
        throw new FileNotFoundException(
            $"No vocabulary in '{directory}': expected {OriginalVocabName} + {OriginalMergesName} (GPT-1's release) " +
            $"or {HuggingFaceVocabName} + {HuggingFaceMergesName} (HuggingFace, or the output of `gpt1 bpe train`).");
    }

    /// <summary>Token → id; ids must be exactly 0..n-1 so that the model's vocabulary size is n.</summary>
    public Dictionary<string, int> ReadVocabulary()
    {
        Dictionary<string, int>? vocabulary;
        try
        {
            using var stream = File.OpenRead(VocabPath);
            vocabulary = JsonSerializer.Deserialize<Dictionary<string, int>>(stream);
        }
        catch (JsonException e)
        {
            throw Malformed(VocabPath, $"it is not a JSON object of token → id ({e.Message})");
        }
        if (vocabulary is null || vocabulary.Count == 0)
        {
            throw Malformed(VocabPath, "it holds no tokens");
        }
        var seen = new bool[vocabulary.Count];
        foreach (var (token, id) in vocabulary)
        {
            if ((uint)id >= (uint)seen.Length || seen[id])
            {
                throw Malformed(VocabPath, $"ids must run 0..{vocabulary.Count - 1} without gaps or repeats, but '{token}' has id {id}");
            }
            seen[id] = true;
        }
        return vocabulary;
    }

    /// <summary>
    /// Merges in rank order. The original's first line is a version header and is always skipped (as
    /// text_utils.py does); in HuggingFace's layout a first line starting with "#version" is.
    /// </summary>
    public List<(string Left, string Right)> ReadMerges()
    {
        var merges = new List<(string, string)>();
        var lineNumber = 0;
        foreach (var rawLine in File.ReadLines(MergesPath))
        {
            lineNumber++;
            if (lineNumber == 1 && (IsOriginalLayout || rawLine.StartsWith("#version", StringComparison.Ordinal)))
            {
                continue;
            }
            var line = rawLine.TrimEnd('\r');
            if (line.Length == 0)
            {
                continue;
            }
            var space = line.IndexOf(' ');
            if (space <= 0 || space == line.Length - 1 || line.IndexOf(' ', space + 1) >= 0)
            {
                throw Malformed(MergesPath, $"line {lineNumber} should be two symbols separated by one space (like \"t h\") but is \"{line}\"");
            }
            merges.Add((line[..space], line[(space + 1)..]));
        }
        return merges;
    }

    /// <summary>Hex sha256 over the vocabulary file's bytes followed by the merges file's bytes.</summary>
    public string ComputeHash()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(File.ReadAllBytes(VocabPath));
        hash.AppendData(File.ReadAllBytes(MergesPath));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static InvalidDataException Malformed(string path, string problem) =>
        new($"Vocabulary file '{path}' is malformed: {problem}. Re-download it or re-create it with `gpt1 bpe train`.");
}
