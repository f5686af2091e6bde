using Gpt1Cluster.Data.Tests.Fixtures;
using Gpt1Cluster.Data.Tokenization;

namespace Gpt1Cluster.Data.Tests.Tokenization;

public sealed class BpeTrainerTests
{
    private static readonly BpeTrainerOptions Small = new() { Merges = 400, MinCharacterCount = 3, MaxAlphabetSize = 1000, MinPairCount = 2 };

    [Fact]
    public void Learned_merges_match_a_brute_force_trainer_on_a_corpus_full_of_ties()
    {
        var counts = WordCounter.Count(SyntheticCorpus.Documents(40, 300));
        var expected = BruteForceBpeTrainer.Train(counts, Small.Merges, Small.MinCharacterCount, Small.MaxAlphabetSize, Small.MinPairCount);

        var actual = BpeTrainer.Train(counts, Small);

        Assert.True(expected.Count > 100, $"The corpus should allow many merges, got {expected.Count}.");
        Assert.Equal(expected, actual.Merges);
    }

    [EnglishTextFact]
    public void Learned_merges_match_a_brute_force_trainer_on_real_english()
    {
        var counts = WordCounter.Count(EnglishText.Sentences.Take(400));
        var expected = BruteForceBpeTrainer.Train(counts, 300, Small.MinCharacterCount, Small.MaxAlphabetSize, Small.MinPairCount);

        var actual = BpeTrainer.Train(counts, Small with { Merges = 300 });

        Assert.Equal(expected, actual.Merges);
    }

    [Fact]
    public void Word_counts_do_not_depend_on_threads_or_on_how_text_is_cut_into_documents()
    {
        var documents = SyntheticCorpus.Documents(30, 200);
        var oneThread = WordCounter.Count(documents, maxDegreeOfParallelism: 1);
        // One 2.6 MB document: cut into pieces internally, at whitespace.
        var oneDocument = WordCounter.Count([string.Join('\n', Enumerable.Repeat(string.Join('\n', documents), 20))]);

        Assert.Equal(oneThread.OrderBy(w => w.Key, StringComparer.Ordinal), WordCounter.Count(documents).OrderBy(w => w.Key, StringComparer.Ordinal));
        Assert.Equal(oneThread.ToDictionary(w => w.Key, w => w.Value * 20).OrderBy(w => w.Key, StringComparer.Ordinal), oneDocument.OrderBy(w => w.Key, StringComparer.Ordinal));
    }

    [Fact]
    public void The_vocabulary_is_laid_out_like_gpt1s()
    {
        var result = BpeTrainer.Train(SyntheticCorpus.Documents(20, 200), Small with { Merges = 50 });
        var alphabetSize = result.AlphabetSize;
        var tokens = result.Tokens;

        Assert.Equal("<unk>", tokens[0]);
        var alphabet = tokens.Skip(1).Take(alphabetSize).ToList();
        Assert.Equal(alphabet.Order(StringComparer.Ordinal), alphabet);
        Assert.Equal(alphabet.Select(c => c + "</w>"), tokens.Skip(1 + alphabetSize).Take(alphabetSize));
        Assert.Equal(result.Merges.Select(m => m.Left + m.Right).Distinct(), tokens.Skip(1 + 2 * alphabetSize).Take(tokens.Count - 5 - 2 * alphabetSize));
        Assert.Equal(["\n</w>", "_start_", "_delimiter_", "_classify_"], tokens.TakeLast(4));
    }

    [Fact]
    public void Characters_rarer_than_the_minimum_stay_out_of_the_alphabet_and_encode_as_unk()
    {
        using var dir = new TempDirectory();
        var documents = SyntheticCorpus.Documents(20, 200).Append("qq").ToList(); // 'q' twice: below MinCharacterCount 3
        var result = BpeTrainer.Train(documents, Small with { Merges = 50 });
        result.WriteTo(dir.Path);
        var tokenizer = Gpt1Tokenizer.Load(dir.Path);

        Assert.DoesNotContain("q", result.Tokens);
        Assert.Equal([0, 0], tokenizer.Encode("qq"));
    }

    [Fact]
    public void Training_stops_when_no_pair_is_frequent_enough()
    {
        var result = BpeTrainer.Train(["ab ab cd"], new BpeTrainerOptions { Merges = 10, MinCharacterCount = 1 });
        Assert.Equal([("a", "b</w>")], result.Merges);
    }

    [Fact]
    public void Overlapping_pairs_all_count()
    {
        // "aaa" holds (a, a) twice and (a, a</w>) once: (a, a) wins on count, not on its string.
        var result = BpeTrainer.Train(["aaaa bbbb"], new BpeTrainerOptions { Merges = 1, MinCharacterCount = 1 });
        Assert.Equal([("a", "a")], result.Merges);
    }

    [Fact]
    public void Written_vocabulary_encodes_the_same_with_our_tokenizer_and_ml_tokenizers()
    {
        using var dir = new TempDirectory();
        var documents = SyntheticCorpus.Documents(40, 300);
        var files = BpeTrainer.Train(documents, Small).WriteTo(dir.Path);

        var ours = Gpt1Tokenizer.Load(dir.Path);
        var theirs = MlTokenizersBpe.Create(files);

        foreach (var document in documents)
        {
            Assert.Equal(MlTokenizersBpe.EncodeWords(theirs, BasicPreTokenizer.Split(document)), ours.Encode(document));
        }
        Assert.Equal(ours.VocabSize - 4, ours.DocumentSeparatorId);
        Assert.Equal(Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order(), ["merges.txt", "vocab.json"]);
    }

    [Fact]
    public void Encoding_from_many_threads_gives_the_same_ids_as_one_thread()
    {
        using var dir = new TempDirectory();
        var documents = SyntheticCorpus.Documents(40, 300);
        BpeTrainer.Train(documents, Small).WriteTo(dir.Path);
        var expected = documents.Select(Gpt1Tokenizer.Load(dir.Path).Encode).ToList();

        var shared = Gpt1Tokenizer.Load(dir.Path); // cold cache, filled concurrently
        var actual = documents.AsParallel().AsOrdered().WithDegreeOfParallelism(4).Select(shared.Encode).ToList();

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Training_twice_gives_identical_files()
    {
        using var first = new TempDirectory();
        using var second = new TempDirectory();
        var documents = SyntheticCorpus.Documents(20, 200);
        BpeTrainer.Train(documents, Small).WriteTo(first.Path);
        BpeTrainer.Train(documents.AsEnumerable().Reverse(), Small with { MaxDegreeOfParallelism = 1 }).WriteTo(second.Path);

        Assert.Equal(Gpt1Tokenizer.Load(first.Path).Hash, Gpt1Tokenizer.Load(second.Path).Hash);
    }

    [Fact]
    public void Invalid_options_name_the_field()
    {
        var e = Assert.Throws<ArgumentException>(() => BpeTrainer.Train(["a"], new BpeTrainerOptions { MinPairCount = 0 }));
        Assert.Contains("MinPairCount", e.Message);
    }
}
