using Gpt1Cluster.Contracts.Data;
using Gpt1Cluster.Contracts.Model;
using Gpt1Cluster.Data.Sampling;
using Gpt1Cluster.Data.Shards;

namespace Gpt1Cluster.Silo.Grains;

/// <summary>
/// Serves each worker its slice of each step from the memory-mapped token shards (or a
/// fine-tuning run's encoded examples), built when asked: each worker asks for step s+1 while it
/// computes step s. Only the silo holding the prepared directory needs the data.
/// </summary>
[Orleans.Placement.PreferLocalPlacement] // next to the coordinator that opens it: the silo that can read the run's data
public sealed class DataGrain : Grain, IDataGrain, IDisposable
{
    private DataPlan? plan;
    private TokenShards? shards;
    private SequenceSampler? sampler;
    private TaskExamples? examples; // a fine-tuning run's
    private (long MaxTokens, ValidationSet Set)? validation; // the last budget asked for: a run asks with one

    public Task<DataInfo> Open(DataPlan plan)
    {
        if (this.plan is not null && this.plan != plan)
            throw new InvalidOperationException($"run '{this.GetPrimaryKeyString()}' already reads {this.plan.Directory} (ctx {this.plan.Context}, batch {this.plan.GlobalBatch}); start a new run id to read other data");
        if (this.plan is null && plan.Task is { } task)
        {
            examples = TaskExamples.Open(task, plan.Context);
            sampler = examples.Sampler(plan.GlobalBatch, plan.Seed);
            this.plan = plan;
        }
        if (examples is not null)
            return Task.FromResult(new DataInfo(examples.Tokenizer.VocabSize, examples.Tokenizer.Hash, 0, examples.TrainCount, sampler!.StepsPerEpoch)
                { Classes = examples.Labels.Regression ? [] : examples.Labels.Classes, Regression = examples.Labels.Regression, ValExamples = examples.ValCount });
        if (this.plan is null)
        {
            var opened = TokenShards.Open(plan.Directory);
            try
            {
                opened.Verify(); // a corrupt shard is named now, not blamed on the workers steps later
                if (SequenceSampler.TooFewTokens(opened.Train.Length, plan.Context) is { } why) throw new ConfigException($"{plan.Directory} holds {why}");
                sampler = new SequenceSampler(opened.Train.Length, plan.Context, plan.GlobalBatch, plan.Seed);
            }
            catch
            {
                opened.Dispose();
                throw;
            }
            shards = opened;
            this.plan = plan;
        }
        var m = shards!.Manifest;
        return Task.FromResult(new DataInfo(m.VocabSize, m.Tokenizer.Hash, m.TrainTokens, sampler!.SequenceCount, sampler.StepsPerEpoch)
            { ValTokens = shards.Val.Length });
    }

    public Task<TokenSlice> GetSlice(long step, int rank, int workers)
    {
        DelayDeactivation(TimeSpan.FromHours(2)); // a CPU step of the full model can outlast the idle-collection age
        if (sampler is null) throw new InvalidOperationException($"run '{this.GetPrimaryKeyString()}': call Open with the data plan before asking for batches");
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        if (workers < 1 || rank < 0 || rank >= workers)
            throw new ArgumentOutOfRangeException(nameof(rank), $"rank {rank} of {workers} workers");
        // Built on demand: the worker asks for step s + 1 while it computes step s, which hides the build
        // (a few ms); a second layer here that built ahead saved nothing measurable (docs/architecture.md).
        return Task.FromResult(Build(step, rank, workers));
    }

    private TokenSlice Build(long step, int rank, int workers)
    {
        var cursor = sampler!.CursorAt(step);
        var sequences = sampler.GetWorkerSlice(cursor, rank, workers).Span;
        if (examples is not null) return examples.Slice(step, cursor, sequences);
        var stream = shards!.Train;
        int bytesPerToken = stream.Dtype.BytesPerToken();
        int width = sampler.Context + 1;
        var bytes = new byte[sequences.Length * width * bytesPerToken];
        for (int i = 0; i < sequences.Length; i++)
        {
            var range = sampler.GetTokenRange(sequences[i]);
            var destination = bytes.AsSpan(i * width * bytesPerToken, width * bytesPerToken);
            for (int done = 0; done < width;)
            {
                var piece = stream.Contiguous(range.Start + done, width - done); // stops at a shard boundary
                piece.CopyTo(destination[(done * bytesPerToken)..]);
                done += piece.Length / bytesPerToken;
            }
        }
        if (TokenIds.FirstOutOfRange(bytes, bytesPerToken, (uint)shards.Manifest.VocabSize) is (int at, uint id))
            throw new InvalidDataException($"step {step + 1}: sequence {sequences[at / bytesPerToken / width]} of {plan!.Directory} holds token id {id}, outside the vocabulary of " +
                $"{shards.Manifest.VocabSize:N0} ids: its shards changed on disk after the run verified them; restore them (gpt1 prepare) and resume from the last checkpoint");
        return new TokenSlice(step, cursor.Epoch, cursor.Position, sequences.Length, width, bytesPerToken, bytes);
    }

    public Task<TokenSlice> GetValBatch(long maxTokens, int index)
    {
        if (plan is null) throw new InvalidOperationException($"run '{this.GetPrimaryKeyString()}': call Open with the data plan before asking for val batches");
        if (examples is not null) return Task.FromResult(examples.ValBatch(index));
        var set = validation is { } v && v.MaxTokens == maxTokens ? v.Set : null;
        if (set is null)
        {
            set = new ValidationSet(shards!.Val.Length, plan.Context, maxTokens);
            validation = (maxTokens, set);
        }
        var sequences = set.MicroBatchAt(index);
        var ranges = new TokenRange[sequences.Length];
        for (int i = 0; i < ranges.Length; i++) ranges[i] = set.GetTokenRange(sequences[i]);
        var stream = shards!.Val;
        return Task.FromResult(new TokenSlice(index, 0, 0, ranges.Length, set.Context + 1, stream.Dtype.BytesPerToken(), Copy(stream, ranges, set.Context + 1)));
    }

    /// <summary>The raw bytes of <paramref name="ranges"/> (each <paramref name="width"/> tokens), row after row.</summary>
    private static byte[] Copy(TokenStream stream, TokenRange[] ranges, int width)
    {
        int bytesPerToken = stream.Dtype.BytesPerToken();
        var bytes = new byte[ranges.Length * width * bytesPerToken];
        for (int i = 0; i < ranges.Length; i++)
        {
            var destination = bytes.AsSpan(i * width * bytesPerToken, width * bytesPerToken);
            for (int done = 0; done < width;)
            {
                var piece = stream.Contiguous(ranges[i].Start + done, width - done); // stops at a shard boundary
                piece.CopyTo(destination[(done * bytesPerToken)..]);
                done += piece.Length / bytesPerToken;
            }
        }
        return bytes;
    }

    public void Dispose() => shards?.Dispose();
}
