namespace Gpt1Cluster.Data.Tokenization;

/// <summary>The fixed strings of GPT-1's vocabulary (openai/finetune-transformer-lm, HF OpenAIGPTTokenizer).</summary>
public static class SpecialTokens
{
    /// <summary>Id 0 in GPT-1's vocabulary; every symbol the vocabulary lacks encodes to it.</summary>
    public const string Unknown = "<unk>";

    /// <summary>Appended to a word's last character, so "cat" at the end of a word differs from "cat" inside one.</summary>
    public const string EndOfWord = "</w>";

    /// <summary>A newline as its own word: id 40477 in the original vocabulary, used between documents.</summary>
    public const string DocumentSeparator = "\n</w>";

    public const string Start = "_start_";
    public const string Delimiter = "_delimiter_";
    public const string Classify = "_classify_";

    /// <summary>The tokens fine-tuning appends to the vocabulary, in the original's order (train.py).</summary>
    public static IReadOnlyList<string> FineTuning { get; } = [Start, Delimiter, Classify];
}
