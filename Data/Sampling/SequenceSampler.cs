namespace Gpt1Cluster.Data.Sampling;

/// <summary>
/// Turns the train split's token stream into global batches and per-worker slices.
/// <para>
/// Sequence i covers tokens [i·ctx, i·ctx + ctx + 1): inputs and their shifted targets at
/// stride ctx, as GPT-1 trained on contiguous 512-token runs. There are
/// S = (trainTokens − 1) / ctx of them; the up to ctx − 1 tokens past the last one go unused.
/// </para>
/// <para>
/// Epoch e visits all S sequences in <see cref="EpochPermutation"/>(seed, e); a step takes the
/// next globalBatch of them. The last step of an epoch takes only what is left (S mod
/// globalBatch, when non-zero), so every sequence is seen exactly once per epoch and nothing is
/// dropped or carried over: StepsPerEpoch = ceil(S / globalBatch).
/// </para>
/// Thread-safe: the two most recent epochs' permutations are cached (4 bytes per sequence each,
/// ~40 MB for BooksCorpus) so workers straddling an epoch boundary do not recompute them.
/// </summary>
public sealed class SequenceSampler
{
    private readonly object _cacheLock = new();
    private (int Epoch, Lazy<int[]> Order)? _newest, _previous;

    public SequenceSampler(long trainTokens, int ctx, int globalBatch, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ctx, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(globalBatch, 1);
        if (trainTokens < (long)ctx + 1)
            throw new ArgumentOutOfRangeException(nameof(trainTokens), trainTokens,
                $"One sequence of ctx {ctx} needs at least {(long)ctx + 1} train tokens (inputs plus one shifted target); " +
                $"got {trainTokens}. Prepare more data or lower ctx.");

        long sequences = (trainTokens - 1) / ctx;
        if (sequences > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(trainTokens), trainTokens,
                $"{trainTokens} tokens at ctx {ctx} make {sequences} sequences; an epoch's permutation holds at most " +
                $"{Array.MaxLength}. Raise ctx or train on a smaller split.");

        TrainTokens = trainTokens;
        Context = ctx;
        BatchSize = globalBatch;
        Seed = seed;
        SequenceCount = (int)sequences;
        StepsPerEpoch = (SequenceCount + (long)globalBatch - 1) / globalBatch;
    }

    /// <summary>
    /// A sampler over <paramref name="count"/> items (fine-tuning examples) instead of token runs: the
    /// sequence ids it hands out are item indices 0..count-1, each visited once per epoch, with the same
    /// batches, worker slices and cursors as pre-training. It is the token sampler with ctx 1 over
    /// count + 1 "tokens", whose (count + 1 − 1) / 1 sequences are exactly the items.
    /// </summary>
    public static SequenceSampler OverItems(int count, int globalBatch, ulong seed)
    {
        if (count < 1)
            throw new ArgumentOutOfRangeException(nameof(count), count, "A task needs at least one training example; the train file has none.");
        return new SequenceSampler(count + 1L, 1, globalBatch, seed);
    }

    /// <summary>Why <paramref name="trainTokens"/> cannot make one sequence of <paramref name="ctx"/>, in the user's terms ("N train tokens; …"); null when they can.</summary>
    public static string? TooFewTokens(long trainTokens, int ctx) => trainTokens >= ctx + 1L ? null
        : $"{trainTokens:N0} train tokens; one sequence of --ctx {ctx} needs {ctx + 1:N0} (its inputs plus the shifted target): prepare more text, or pass a smaller --ctx";

    public long TrainTokens { get; }
    public int Context { get; }

    /// <summary>Sequences per step (the last step of an epoch may take fewer).</summary>
    public int BatchSize { get; }

    public ulong Seed { get; }

    /// <summary>S: the sequences one epoch visits.</summary>
    public int SequenceCount { get; }

    /// <summary>ceil(S / BatchSize).</summary>
    public long StepsPerEpoch { get; }

    /// <summary>Where sequence <paramref name="sequence"/>'s ctx + 1 tokens lie in the train split.</summary>
    public TokenRange GetTokenRange(int sequence)
    {
        if (sequence < 0 || sequence >= SequenceCount)
            throw new ArgumentOutOfRangeException(nameof(sequence), sequence,
                $"sequence must be in [0, {SequenceCount}).");
        return new TokenRange((long)sequence * Context, Context + 1);
    }

    /// <summary>
    /// The order in which epoch <paramref name="epoch"/> visits sequences (cached; do not mutate).
    /// A BooksCorpus-sized shuffle takes seconds, so a caller may warm epoch e + 1 on a
    /// background thread while epoch e is being served: other epochs' callers do not wait for it.
    /// </summary>
    public ReadOnlyMemory<int> GetPermutation(int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        Lazy<int[]> order;
        lock (_cacheLock)
        {
            if (_newest is { } newest && newest.Epoch == epoch)
                order = newest.Order;
            else if (_previous is { } previous && previous.Epoch == epoch)
                order = previous.Order;
            else
            {
                // Lazy: concurrent callers of one epoch share a single build, outside the lock.
                order = new Lazy<int[]>(() => EpochPermutation.Create(SequenceCount, Seed, epoch));
                _previous = _newest;
                _newest = (epoch, order);
            }
        }
        return order.Value;
    }

    /// <summary>The sequence ids of the step that starts at <paramref name="cursor"/>.</summary>
    public ReadOnlyMemory<int> GetGlobalBatch(SamplerCursor cursor)
    {
        Validate(cursor);
        int position = (int)cursor.Position;
        return GetPermutation(cursor.Epoch).Slice(position, BatchLength(position));
    }

    /// <summary>
    /// Rank <paramref name="rank"/>'s contiguous run of the global batch when
    /// <paramref name="workers"/> share it (see <see cref="BatchSplit"/>).
    /// </summary>
    public ReadOnlyMemory<int> GetWorkerSlice(SamplerCursor cursor, int rank, int workers)
    {
        var batch = GetGlobalBatch(cursor);
        var (offset, length) = BatchSplit.SliceOf(batch.Length, rank, workers);
        return batch.Slice(offset, length);
    }

    /// <summary>The cursor after the step at <paramref name="cursor"/>; the epoch's last step rolls into the next epoch.</summary>
    /// <summary>
    /// Where global step <paramref name="step"/> (counted from 0) starts: with a fixed batch size
    /// every full epoch takes StepsPerEpoch steps, so the cursor is a function of the step alone.
    /// </summary>
    public SamplerCursor CursorAt(long step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        return new SamplerCursor(checked((int)(step / StepsPerEpoch)), step % StepsPerEpoch * BatchSize);
    }

    public SamplerCursor Advance(SamplerCursor cursor)
    {
        Validate(cursor);
        long next = cursor.Position + BatchLength((int)cursor.Position);
        return next == SequenceCount ? new SamplerCursor(checked(cursor.Epoch + 1), 0) : cursor with { Position = next };
    }

    private int BatchLength(int position) => Math.Min(BatchSize, SequenceCount - position);

    private void Validate(SamplerCursor cursor)
    {
        ArgumentNullException.ThrowIfNull(cursor);
        if (cursor.Epoch < 0 || cursor.Position < 0 || cursor.Position >= SequenceCount)
            throw new ArgumentOutOfRangeException(nameof(cursor), cursor,
                $"cursor needs Epoch ≥ 0 and Position in [0, {SequenceCount}); was it saved by a run with other data or ctx?");
    }
}
