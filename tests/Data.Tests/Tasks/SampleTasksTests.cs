using System.Text.RegularExpressions;
using Gpt1Cluster.Data.Tasks;
using Gpt1Cluster.Data.Tests.Fixtures;

namespace Gpt1Cluster.Data.Tests.Tasks;

/// <summary>The sample tasks written once from samples/brown-fiction, shared by the tests that read them.</summary>
public sealed class SampleTaskFiles : IDisposable
{
    public const ulong Seed = 7;
    public const int MaxTrain = 400, MaxVal = 100;

    private readonly TempDirectory _dir = new();

    public SampleTaskFiles() =>
        Written = SampleTasks.Write(TaskFixtures.BrownFiction, Folder, Seed, MaxTrain, MaxVal);

    public IReadOnlyList<(string Name, TaskKind Kind, int Train, int Val)> Written { get; }

    public string Folder => Path.Combine(_dir.Path, "tasks");

    /// <summary>Writes the tasks again, into a fresh folder, and returns it.</summary>
    public string WriteAgain(ulong seed)
    {
        var folder = Path.Combine(_dir.Path, $"again-{seed}-{Guid.NewGuid():N}");
        SampleTasks.Write(TaskFixtures.BrownFiction, folder, seed, MaxTrain, MaxVal);
        return folder;
    }

    public IReadOnlyList<TaskRow> Read(string task, string split)
    {
        var (_, kind, _, _) = Written.Single(t => t.Name == task);
        return TaskFile.Read(Path.Combine(Folder, task, split + ".jsonl"), kind);
    }

    public void Dispose() => _dir.Dispose();
}

public sealed partial class SampleTasksTests(SampleTaskFiles files) : IClassFixture<SampleTaskFiles>
{
    [Fact]
    public void Three_tasks_are_written_with_the_counts_they_report()
    {
        Assert.Equal([("word-order", TaskKind.Classification), ("next-sentence", TaskKind.Entailment), ("next-of-4", TaskKind.MultipleChoice), ("word-order-choice", TaskKind.MultipleChoice)],
            files.Written.Select(t => (t.Name, t.Kind)));
        foreach (var (name, _, train, val) in files.Written)
        {
            Assert.Equal(train, files.Read(name, "train").Count);
            Assert.Equal(val, files.Read(name, "val").Count);
            Assert.Equal(SampleTaskFiles.MaxTrain, train);
            Assert.Equal(SampleTaskFiles.MaxVal, val);
        }
    }

    [Theory]
    [InlineData("word-order")]
    [InlineData("next-sentence")]
    public void Binary_tasks_are_balanced(string task)
    {
        foreach (var split in new[] { "train", "val" })
        {
            var rows = files.Read(task, split);
            Assert.Equal(rows.Count / 2, rows.Count(r => r.Label == "1"));
            Assert.Equal(rows.Count / 2, rows.Count(r => r.Label == "0"));
        }
    }

    [Fact]
    public void Next_of_4_has_four_choices_and_the_answer_in_every_place()
    {
        var rows = files.Read("next-of-4", "train");

        Assert.All(rows, r => Assert.Equal(5, r.Inputs.Length));
        Assert.Equal(["0", "1", "2", "3"], rows.Select(r => r.Label).Distinct().Order());
    }

    [Theory]
    [InlineData("word-order")]
    [InlineData("next-sentence")]
    [InlineData("next-of-4")]
    public void No_val_text_occurs_in_train(string task)
    {
        var train = files.Read(task, "train").SelectMany(r => r.Inputs).ToHashSet();

        var leaked = files.Read(task, "val").SelectMany(r => r.Inputs).Where(train.Contains).ToList();

        Assert.Empty(leaked);
    }

    [Fact]
    public void Word_order_choice_offers_the_rest_of_a_real_sentence_and_a_shuffle_of_it_with_the_answer_on_either_side()
    {
        var corpus = Corpus.Value;
        var rows = files.Read("word-order-choice", "train");
        foreach (var row in rows.Take(100))
        {
            int label = int.Parse(row.Label);
            Assert.Contains(row.Inputs[0] + " " + row.Inputs[1 + label], corpus, StringComparison.Ordinal);
            var written = row.Inputs[1 + label].Split(' ').Order(StringComparer.Ordinal);
            Assert.Equal(written, row.Inputs[2 - label].Split(' ').Order(StringComparer.Ordinal)); // the same words, another order
            Assert.NotEqual(row.Inputs[1], row.Inputs[2]);
        }
        Assert.InRange(rows.Count(r => r.Label == "0"), rows.Count / 2, rows.Count / 2 + 1);
    }

    [Fact]
    public void A_true_next_sentence_follows_its_premise_in_the_corpus_and_a_false_one_does_not()
    {
        var corpus = Corpus.Value;
        foreach (var row in files.Read("next-sentence", "train").Take(100))
        {
            var adjacent = corpus.Contains(row.Inputs[0] + " " + row.Inputs[1], StringComparison.Ordinal);
            Assert.True(adjacent == (row.Label == "1"), $"line {row.Line}: label {row.Label}, adjacent in the corpus: {adjacent}");
        }
    }

    [Fact]
    public void A_scrambled_sentence_has_the_same_words_in_another_order()
    {
        var rows = files.Read("word-order", "train");
        var corpus = Corpus.Value;

        Assert.All(rows.Where(r => r.Label == "1").Take(50), r => Assert.Contains(r.Inputs[0], corpus));
        Assert.All(rows.Where(r => r.Label == "0").Take(50), r => Assert.DoesNotContain(r.Inputs[0], corpus));
    }

    [Fact]
    public void The_same_seed_writes_the_same_bytes_and_another_seed_other_ones()
    {
        var again = files.WriteAgain(SampleTaskFiles.Seed);
        var other = files.WriteAgain(SampleTaskFiles.Seed + 1);

        foreach (var (name, _, _, _) in files.Written)
            foreach (var split in new[] { "train.jsonl", "val.jsonl" })
            {
                var first = File.ReadAllBytes(Path.Combine(files.Folder, name, split));
                Assert.Equal(first, File.ReadAllBytes(Path.Combine(again, name, split)));
                Assert.NotEqual(first, File.ReadAllBytes(Path.Combine(other, name, split)));
            }
        Assert.Empty(Directory.GetFiles(again, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void The_rows_encode_for_their_kind()
    {
        foreach (var (name, kind, _, _) in files.Written)
        {
            var train = files.Read(name, "train");
            var labels = LabelSet.From(train, kind, regression: false);
            var encoder = new TaskEncoder(TaskFixtures.Tiny, kind, 128);
            foreach (var row in files.Read(name, "val"))
                Assert.All(encoder.Encode(row, labels).Rows, r => Assert.InRange(r.Length, 3, 128));
        }
    }

    /// <summary>The corpus with all whitespace as single spaces, to find sentences and pairs in it.</summary>
    private static readonly Lazy<string> Corpus = new(() => Whitespace().Replace(
        string.Join(" ", Directory.GetFiles(TaskFixtures.BrownFiction, "*.txt").Order().Select(File.ReadAllText)), " "));

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
