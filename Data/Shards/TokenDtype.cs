namespace Gpt1Cluster.Data.Shards;

/// <summary>How token ids are stored in shard files: little-endian, the narrowest type that holds every id.</summary>
public enum TokenDtype
{
    /// <summary>2 bytes per token; enough while the vocabulary has at most 65,536 ids (GPT-1 has 40,478).</summary>
    UInt16,

    /// <summary>4 bytes per token, for larger vocabularies.</summary>
    UInt32,
}

public static class TokenDtypes
{
    /// <summary>uint16 while every id fits (vocab_size ≤ 65,536), uint32 beyond.</summary>
    public static TokenDtype For(int vocabSize) => vocabSize <= 1 << 16 ? TokenDtype.UInt16 : TokenDtype.UInt32;

    public static int BytesPerToken(this TokenDtype dtype) => dtype == TokenDtype.UInt16 ? 2 : 4;

    /// <summary>The name written in manifest.json (numpy's spelling, so <c>np.memmap(f, dtype=...)</c> reads a shard).</summary>
    public static string Name(this TokenDtype dtype) => dtype == TokenDtype.UInt16 ? "uint16" : "uint32";

    public static TokenDtype? Parse(string name) => name switch
    {
        "uint16" => TokenDtype.UInt16,
        "uint32" => TokenDtype.UInt32,
        _ => null,
    };
}
