using System.Buffers.Binary;
using Gpt1Cluster.Contracts.Data;
using Gpt1Cluster.Contracts.Model;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Data.Sampling;
using Gpt1Cluster.Data.Tasks;
using Gpt1Cluster.Data.Tokenization;

namespace Gpt1Cluster.Silo.Grains;

/// <summary>
/// A fine-tuning run's examples, read and encoded once when the data grain opens them (task files
/// are small next to a pretraining corpus): the train examples a step's slices take by index, the
/// val examples in micro-batches of <see cref="ValidationSet.MicroBatch"/>. A slice's rows are
/// padded to its longest row; the padding is masked out of both losses.
/// </summary>
public sealed class TaskExamples
{
    private readonly EncodedExample[] train;
    private readonly EncodedExample[] val;

    private TaskExamples(EncodedExample[] train, EncodedExample[] val, LabelSet labels, Gpt1Tokenizer tokenizer, int rowsPerExample)
    {
        (this.train, this.val, Labels, Tokenizer, RowsPerExample) = (train, val, labels, tokenizer, rowsPerExample);
    }

    public LabelSet Labels { get; }
    public Gpt1Tokenizer Tokenizer { get; }
    public int RowsPerExample { get; }
    public int TrainCount => train.Length;
    public int ValCount => val.Length;
    public int ValMicroBatches => MicroBatches(val.Length);

    /// <summary>Micro-batches of <see cref="ValidationSet.MicroBatch"/> examples that cover <paramref name="examples"/>.</summary>
    public static int MicroBatches(int examples) => (examples + ValidationSet.MicroBatch - 1) / ValidationSet.MicroBatch;

    /// <summary>The task's kind from its name on the command line and in a request.</summary>
    public static TaskKind Kind(string task) => task switch
    {
        "classification" => TaskKind.Classification,
        "entailment" => TaskKind.Entailment,
        "similarity" => TaskKind.Similarity,
        FineTuneSpec.MultipleChoice => TaskKind.MultipleChoice,
        _ => throw new ConfigException($"task: \"{task}\" is not a task kind; use one of {string.Join(", ", FineTuneSpec.Tasks)}"),
    };

    /// <summary>Reads both files, takes the classes from the train file, and encodes every example for a model of <paramref name="maxLength"/> positions.</summary>
    public static TaskExamples Open(TaskData data, int maxLength)
    {
        try
        {
            return Read(data, maxLength);
        }
        catch (ArgumentException e) // a --columns mapping or a flag that does not fit the task: the user's to fix
        {
            throw new ConfigException(e.Message);
        }
    }

    private static TaskExamples Read(TaskData data, int maxLength)
    {
        foreach (var (flag, file) in new[] { ("--train", data.TrainFile), ("--val", data.ValFile) })
            if (!File.Exists(file)) throw new FileNotFoundException($"{flag} {file} does not exist where the run reads it (the silo of its coordinator)", file);
        var kind = Kind(data.Task);
        var tokenizer = Gpt1Tokenizer.Load(data.TokenizerDir).WithSpecialTokens();
        var trainRows = TaskFile.Read(data.TrainFile, kind, data.Columns);
        var valRows = TaskFile.Read(data.ValFile, kind, data.Columns);
        if (trainRows.Count == 0) throw new InvalidDataException($"{data.TrainFile} holds no examples");
        if (valRows.Count == 0) throw new InvalidDataException($"{data.ValFile} holds no examples");
        bool regression = data.Regression || TaskFile.Layout(data.TrainFile) == "STS-B";
        var labels = LabelSet.From(trainRows, kind, regression);
        var encoder = new TaskEncoder(tokenizer, kind, maxLength);
        var train = trainRows.Select(r => encoder.Encode(r, labels)).ToArray();
        var val = valRows.Select(r => encoder.Encode(r, labels)).ToArray();
        int k = train[0].Rows.Length;
        if (val[0].Rows.Length != k)
            throw new InvalidDataException($"{data.ValFile}: its examples have {val[0].Rows.Length} candidates, the train file's {k}");
        return new TaskExamples(train, val, labels, tokenizer, k);
    }

    /// <summary>The sampler over train examples: the same epochs, batches and worker slices as over pretraining sequences.</summary>
    public SequenceSampler Sampler(int globalBatch, ulong seed) => Sampler(train.Length, globalBatch, seed);

    /// <summary>Epochs over <paramref name="examples"/> examples (sequence i is example i).</summary>
    public static SequenceSampler Sampler(int examples, int globalBatch, ulong seed) => SequenceSampler.OverItems(examples, globalBatch, seed);

    public TokenSlice Slice(long step, SamplerCursor cursor, ReadOnlySpan<int> examples) => Batch(train, examples, RowsPerExample, step, cursor.Epoch, cursor.Position);

    /// <summary>Val micro-batch <paramref name="index"/>: examples [8·index, 8·index + 8).</summary>
    public TokenSlice ValBatch(int index) => MicroBatch(val, index, RowsPerExample);

    /// <summary>Micro-batch <paramref name="index"/> of <paramref name="from"/>: the cluster's validation and `gpt1 eval --val` cut the same ones.</summary>
    public static TokenSlice MicroBatch(EncodedExample[] from, int index, int k)
    {
        int count = MicroBatches(from.Length);
        if (index < 0 || index >= count) throw new ArgumentOutOfRangeException(nameof(index), $"val micro-batch {index} of {count}");
        int start = index * ValidationSet.MicroBatch;
        var owned = Enumerable.Range(start, Math.Min(ValidationSet.MicroBatch, from.Length - start)).ToArray();
        return Batch(from, owned, k, index, 0, 0);
    }

    /// <summary>
    /// Examples <paramref name="examples"/> of <paramref name="from"/> as one slice: their
    /// <paramref name="k"/> rows each, padded to the longest row (id 0, masked out of both losses).
    /// </summary>
    public static TokenSlice Batch(EncodedExample[] from, ReadOnlySpan<int> examples, int k, long step, int epoch, long position)
    {
        int width = 0;
        foreach (int e in examples) foreach (var row in from[e].Rows) width = Math.Max(width, row.Length);
        var bytes = new byte[examples.Length * k * width * 4];
        var lengths = new int[examples.Length * k];
        var targets = new float[examples.Length];
        for (int i = 0; i < examples.Length; i++)
        {
            var example = from[examples[i]];
            targets[i] = example.Target;
            for (int j = 0; j < k; j++)
            {
                var row = example.Rows[j];
                int r = i * k + j;
                lengths[r] = row.Length;
                for (int t = 0; t < row.Length; t++) BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan((r * width + t) * 4), row[t]);
            }
        }
        return new TokenSlice(step, epoch, position, examples.Length * k, width, 4, bytes) { Task = new TaskRows(k, lengths, targets) };
    }
}
