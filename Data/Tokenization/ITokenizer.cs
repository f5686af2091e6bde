namespace Gpt1Cluster.Data.Tokenization;

/// <summary>Text to token ids and back. The data pipeline depends on this, not on a vocabulary format.</summary>
public interface ITokenizer
{
    /// <summary>Number of ids (the model's vocab_size must equal this).</summary>
    int VocabSize { get; }

    /// <summary>The id placed between documents in token shards (GPT-1's <c>\n&lt;/w&gt;</c>).</summary>
    int DocumentSeparatorId { get; }

    /// <summary>Hex sha256 over the vocabulary files; manifests and checkpoints record it.</summary>
    string Hash { get; }

    /// <summary>Appends the ids of <paramref name="text"/> to <paramref name="ids"/>.</summary>
    void Encode(string text, List<int> ids);

    string Decode(IEnumerable<int> ids);
}
