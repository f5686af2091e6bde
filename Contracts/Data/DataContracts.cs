using Orleans.Concurrency;

namespace Gpt1Cluster.Contracts.Data;

/// <summary>What a run reads: a prepared directory (gpt1 prepare) cut into ctx+1-token sequences.</summary>
[GenerateSerializer, Immutable]
public sealed record DataPlan(
    [property: Id(0)] string Directory,
    [property: Id(1)] int Context,
    [property: Id(2)] int GlobalBatch,
    [property: Id(3)] ulong Seed)
{
    /// <summary>A fine-tuning run's task files (then Directory is unused and Context is the model's n_positions); null: token shards.</summary>
    [Id(4)] public Training.TaskData? Task { get; init; }
}

/// <summary>The data as the grain opened it; a run checks vocab and hash against its model.</summary>
[GenerateSerializer, Immutable]
public sealed record DataInfo(
    [property: Id(0)] int VocabSize,
    [property: Id(1)] string TokenizerHash,
    [property: Id(2)] long TrainTokens,
    [property: Id(3)] int Sequences,
    [property: Id(4)] long StepsPerEpoch)
{
    /// <summary>Tokens in the val split (0: none was held out); validation loss is measured on it.</summary>
    [Id(5)] public long ValTokens { get; init; }

    /// <summary>A task's classes in head order (from the train file; empty for regression and multiple choice), and whether it is a regression.</summary>
    [Id(6)] public string[] Classes { get; init; } = [];
    [Id(7)] public bool Regression { get; init; }

    /// <summary>A task's val examples (then <see cref="Sequences"/> counts train examples).</summary>
    [Id(8)] public int ValExamples { get; init; }
}

/// <summary>
/// One worker's share of one step: <see cref="Sequences"/> rows of <see cref="Width"/> (= ctx + 1)
/// token ids, as the shards store them (little-endian, <see cref="BytesPerToken"/> each). Raw
/// bytes because Orleans block-copies byte[] but encodes int[] element by element.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record TokenSlice(
    [property: Id(0)] long Step,
    [property: Id(1)] int Epoch,
    [property: Id(2)] long Position,
    [property: Id(3)] int Sequences,
    [property: Id(4)] int Width,
    [property: Id(5)] int BytesPerToken,
    [property: Id(6)] byte[] Tokens)
{
    public long TokenCount => (long)Sequences * Width;

    /// <summary>A fine-tuning slice: rows of examples padded to <see cref="Width"/> (the whole row is input), with lengths and targets; null in pretraining.</summary>
    [Id(7)] public Training.TaskRows? Task { get; init; }

    /// <summary>The ids widened to long, row-major (B, ctx+1): what an embedding lookup takes.</summary>
    public long[] ToInt64()
    {
        var ids = new long[TokenCount];
        for (int i = 0; i < ids.Length; i++)
            ids[i] = BytesPerToken == 2
                ? System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(Tokens.AsSpan(2 * i))
                : System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(Tokens.AsSpan(4 * i));
        return ids;
    }
}

/// <summary>
/// Streams a run's token batches to its workers (one grain per run id, on the silo that holds the
/// prepared data). Every call names the global step, so a worker that restarts or a change in the
/// number of workers needs no shared cursor: the step alone says which sequences come next.
/// </summary>
public interface IDataGrain : IGrainWithStringKey
{
    /// <summary>Opens (or re-opens, if the plan is the same) the prepared data for this run.</summary>
    [ResponseTimeout("00:10:00")] // a fine-tuning run reads and tokenizes its task files here
    Task<DataInfo> Open(DataPlan plan);

    /// <summary>Worker <paramref name="rank"/> of <paramref name="workers"/>'s slice of global step <paramref name="step"/> (from 0).</summary>
    [AlwaysInterleave]
    Task<TokenSlice> GetSlice(long step, int rank, int workers);

    /// <summary>
    /// Micro-batch <paramref name="index"/> of the validation set that covers at most
    /// <paramref name="maxTokens"/> val tokens at the plan's ctx (Step holds the index, Epoch and Position 0).
    /// </summary>
    [AlwaysInterleave]
    Task<TokenSlice> GetValBatch(long maxTokens, int index);
}
