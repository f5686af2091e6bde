namespace Gpt1Cluster.Data.Tasks;

/// <summary>
/// One side (train or val) of a plain-text corpus cut into sentences for the sample tasks. Files, not
/// sentences, are split between the sides, so val text comes from texts training never saw; a val sentence
/// that also occurs in a train file (a stock phrase) is left out of val for the same reason.
/// </summary>
/// <param name="Sentences">Usable sentences (5..40 words), each text once, with the index of its file.</param>
/// <param name="Pairs">Each usable sentence followed in its file by another usable one.</param>
internal sealed record SampleCorpus(IReadOnlyList<(int File, string Text)> Sentences, IReadOnlyList<(int File, string First, string Next)> Pairs)
{
    public const int MinWords = 5, MaxWords = 40;

    /// <summary>The *.txt files of <paramref name="corpusDir"/> split into train and val sides.</summary>
    public static (SampleCorpus Train, SampleCorpus Val) Load(string corpusDir, ulong seed, double valFraction)
    {
        var files = Directory.GetFiles(corpusDir, "*.txt").Order(StringComparer.Ordinal).ToList();
        if (files.Count < 4)
            throw new InvalidDataException(
                $"{corpusDir} has {files.Count} .txt file(s); sample tasks need at least 4 (two each for train and val, since wrong answers come from another file). Point it at a folder of plain-text files such as samples/brown-fiction.");
        new SampleRandom(seed, "files").Shuffle(files);
        var valCount = Math.Clamp((int)Math.Round(valFraction * files.Count), 2, files.Count - 2);

        var text = files.Select(f => SentenceSplitter.Split(File.ReadAllText(f))).ToList();
        var trainFiles = Enumerable.Range(valCount, files.Count - valCount).ToList();
        var trainSentences = trainFiles.SelectMany(f => text[f]).ToHashSet(StringComparer.Ordinal);
        var train = Side(corpusDir, text, trainFiles, _ => true);
        var val = Side(corpusDir, text, [.. Enumerable.Range(0, valCount)], s => !trainSentences.Contains(s));
        return (train, val);
    }

    /// <summary>A usable sentence from a file other than <paramref name="file"/>, not in <paramref name="taken"/>.</summary>
    public string FromAnotherFile(int file, SampleRandom random, ICollection<string> taken)
    {
        for (var attempt = 0; attempt < 100_000; attempt++)
        {
            var (other, text) = random.Pick(Sentences);
            if (other != file && !taken.Contains(text)) return text;
        }
        throw new InvalidDataException("The corpus has too few sentences outside one file to draw wrong answers from; use a larger corpus with more files.");
    }

    private static SampleCorpus Side(string corpusDir, List<List<string>> text, List<int> files, Func<string, bool> allowed)
    {
        var sentences = new List<(int, string)>();
        var pairs = new List<(int, string, string)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var all = text[file];
            for (var i = 0; i < all.Count; i++)
            {
                if (!Usable(all[i], allowed)) continue;
                if (seen.Add(all[i])) sentences.Add((file, all[i]));
                if (i + 1 < all.Count && Usable(all[i + 1], allowed)) pairs.Add((file, all[i], all[i + 1]));
            }
        }
        if (sentences.Select(s => s.Item1).Distinct().Count() < 2 || sentences.Count < 8)
            throw new InvalidDataException(
                $"{corpusDir}: too few sentences of {MinWords}..{MaxWords} words for sample tasks ({sentences.Count} on one side); use a larger corpus of plain-text paragraphs.");
        return new SampleCorpus(sentences, pairs);
    }

    private static bool Usable(string sentence, Func<string, bool> allowed) =>
        SentenceSplitter.WordCount(sentence) is >= MinWords and <= MaxWords && allowed(sentence);
}
