using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Gpt1Cluster.Data.Tokenization;

/// <summary>Writes a vocabulary in HuggingFace's layout (vocab.json + merges.txt), which Gpt1Tokenizer,
/// HF's OpenAIGPTTokenizer and Microsoft.ML.Tokenizers' BpeTokenizer all read.</summary>
public static class VocabularyWriter
{
    /// <summary>
    /// Writes both files into <paramref name="directory"/> (created if needed). Each is written to a
    /// temporary name and renamed into place, so a crash never leaves a half-written file.
    /// </summary>
    public static VocabularyFiles Write(string directory, IReadOnlyList<string> tokensById, IReadOnlyList<(string Left, string Right)> merges)
    {
        Directory.CreateDirectory(directory);
        var files = new VocabularyFiles(
            Path.Combine(directory, VocabularyFiles.HuggingFaceVocabName),
            Path.Combine(directory, VocabularyFiles.HuggingFaceMergesName),
            IsOriginalLayout: false);
        var suffix = $".tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        var vocabTemp = files.VocabPath + suffix;
        var mergesTemp = files.MergesPath + suffix;
        try
        {
            WriteVocabulary(vocabTemp, tokensById);
            WriteMerges(mergesTemp, merges);
            File.Move(mergesTemp, files.MergesPath, overwrite: true);
            File.Move(vocabTemp, files.VocabPath, overwrite: true);
        }
        finally
        {
            File.Delete(vocabTemp);
            File.Delete(mergesTemp);
        }
        return files;
    }

    private static void WriteVocabulary(string path, IReadOnlyList<string> tokensById)
    {
        using var stream = File.Create(path);
        // Relaxed escaping keeps "<unk>" and accented letters readable; JSON readers see the same strings.
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        writer.WriteStartObject();
        for (var id = 0; id < tokensById.Count; id++)
        {
            writer.WriteNumber(tokensById[id], id);
        }
        writer.WriteEndObject();
    }

    private static void WriteMerges(string path, IReadOnlyList<(string Left, string Right)> merges)
    {
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        writer.NewLine = "\n";
        writer.WriteLine("#version: 0.2");
        foreach (var (left, right) in merges)
        {
            writer.Write(left);
            writer.Write(' ');
            writer.WriteLine(right);
        }
    }
}
