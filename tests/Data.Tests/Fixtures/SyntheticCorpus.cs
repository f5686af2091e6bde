using System.Text;

namespace Gpt1Cluster.Data.Tests.Fixtures;

/// <summary>
/// Deterministic documents over a tiny alphabet: many repeated pairs, overlapping runs ("aaaa") and
/// equal counts, which is where BPE trainers disagree. A few rare characters and punctuation too.
/// </summary>
public static class SyntheticCorpus
{
    public static List<string> Documents(int count, int wordsPerDocument, int seed = 12345)
    {
        var random = new Random(seed);
        const string common = "aaabbcdeé";
        const string rare = "xz";
        var vocabulary = Enumerable.Range(0, 300).Select(_ =>
        {
            var word = new StringBuilder();
            var length = random.Next(1, 9);
            for (var i = 0; i < length; i++)
            {
                word.Append(random.Next(40) == 0 ? rare[random.Next(rare.Length)] : common[random.Next(common.Length)]);
            }
            return word.ToString();
        }).ToArray();

        var documents = new List<string>();
        for (var d = 0; d < count; d++)
        {
            var text = new StringBuilder();
            for (var w = 0; w < wordsPerDocument; w++)
            {
                // Roughly Zipfian: low indices far more often.
                var index = (int)(vocabulary.Length * Math.Pow(random.NextDouble(), 3));
                text.Append(vocabulary[index]).Append(random.Next(12) == 0 ? ", " : " ");
            }
            documents.Add(text.ToString());
        }
        return documents;
    }
}
