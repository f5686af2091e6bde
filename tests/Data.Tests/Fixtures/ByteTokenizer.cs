using System.Security.Cryptography;
using System.Text;
using Gpt1Cluster.Data.Tokenization;

namespace Gpt1Cluster.Data.Tests.Fixtures;

/// <summary>
/// A stand-in for the real BPE: one id per UTF-8 byte, so any text round-trips and tests can read
/// shards back as text. Ids are shifted to the top of a vocabulary of <paramref name="vocabSize"/>
/// (so a large vocabulary exercises uint32 shards); the last id separates documents.
/// </summary>
public sealed class ByteTokenizer(int vocabSize = 257) : ITokenizer
{
    readonly int _offset = vocabSize - 257;

    public int VocabSize => vocabSize;
    public int DocumentSeparatorId => vocabSize - 1;
    public string Hash => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"bytes:{vocabSize}")));

    public void Encode(string text, List<int> ids)
    {
        foreach (var b in Encoding.UTF8.GetBytes(text)) ids.Add(b + _offset);
    }

    public string Decode(IEnumerable<int> ids) =>
        Encoding.UTF8.GetString(ids.Where(id => id != DocumentSeparatorId).Select(id => (byte)(id - _offset)).ToArray());

    /// <summary>The ids of <paramref name="documents"/> as they appear in a split: each followed by the separator.</summary>
    public int[] Stream(IEnumerable<string> documents) => documents.SelectMany(d => { var ids = new List<int>(); Encode(d, ids); ids.Add(DocumentSeparatorId); return ids; }).ToArray();
}
