using System.Security.Cryptography;
using Gpt1Cluster.Contracts.Data;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Silo.Model;
using Gpt1Cluster.Silo.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Gpt1Cluster.Silo.Workers;

/// <summary>
/// One worker's model replica, flat gradient and optimizer shard. Every method runs on the
/// worker's <see cref="TensorThread"/>; the grain moves bytes between replicas.
/// </summary>
public sealed class Replica : IDisposable
{
    private static readonly Lock InitLock = new(); // torch's default generator is per process

    private readonly WorkerAssignment assignment;
    private readonly Gpt1Model model;      // the language model (a fine-tuning run's transformer)
    private readonly TaskModel? task;      // a fine-tuning run's whole model: the transformer and its head
    private readonly TrainingStep step;
    private readonly AdamWShard adam;

    public Replica(WorkerAssignment assignment, string device)
    {
        this.assignment = assignment;
        Device = new Device(device);
        lock (InitLock)
        {
            torch.manual_seed((long)(assignment.Start.InitSeed & long.MaxValue));
            if (assignment.FineTune is { } spec) // on the CPU, so every device starts from the same numbers
            {
                task = new TaskModel(assignment.Model, spec);
                model = task.Transformer;
                try
                {
                    // Inside the lock too: loading builds a model, whose init draws from the generator another replica may be seeding.
                    if (assignment.Start.CheckpointPath is null && spec.Pretrained is string pretrained)
                        TaskTransfer.From(pretrained, task, spec.TransferLayers);
                }
                catch
                {
                    task.Dispose();
                    throw;
                }
            }
            else model = new Gpt1Model(assignment.Model);
        }
        try
        {
            nn.Module<Tensor, Tensor> trained = task is not null ? task : model;
            if (Device.type != DeviceType.CPU) trained.to(Device);
            step = new TrainingStep(trained);
            Shards = ShardRange.Split(step.Flat.Count, assignment.Peers.Length);
            Own = Shards[assignment.Rank];
            adam = new AdamWShard(step.Flat, Own.Start, Own.End, assignment.Optimizer);
            if (assignment.Start.CheckpointPath is string path)
                RunCheckpoint.LoadInto(path, step.Flat, adam);
            Exchange = new ExchangeBuffers(step.Flat.Values, step.Flat.Gradients, Own, assignment.CommDtype);
        }
        catch
        {
            Dispose(); // a replica that cannot load must not hold its device memory until the next join
            throw;
        }
    }

    public Device Device { get; }
    public ShardRange[] Shards { get; }
    public ShardRange Own { get; }
    public FlatParameters Flat => step.Flat;
    public long OptimizerStep => adam.Step;

    /// <summary>
    /// Forward + backward of this worker's slice, ready for the reduce-scatter; gradients are
    /// ∂(Σ losses / <paramref name="globalCount"/>): the step's tokens in pretraining, its examples
    /// in fine-tuning. Returns Σ losses (fine-tuning: Σ (L2 + λ·L1) and its two parts).
    /// </summary>
    public (double LossSum, TaskLossSums? Task) ComputeGradients(TokenSlice slice, long globalCount, long stepIndex)
    {
        double lossSum = 0;
        TaskLossSums? parts = null;
        if (slice.Sequences == 0)
            step.Flat.ZeroGradients(); // a short last step of an epoch can leave a rank without sequences
        else
        {
            // Dropout masks are a function of (seed, step, rank), so a resumed run draws the same ones.
            torch.manual_seed((long)(Mix(assignment.Start.InitSeed, (ulong)stepIndex, (ulong)assignment.Rank) & long.MaxValue));
            if (task is not null)
            {
                step.Flat.ZeroGradients();
                parts = TaskObjective.ForwardBackward(task, slice, Device, task.Spec.LmCoef, globalCount);
                lossSum = parts.Task + task.Spec.LmCoef * parts.Lm;
                NativeAllocator.AfterStep();
            }
            else
            {
                using var ids = torch.tensor(slice.ToInt64(), [slice.Sequences, slice.Width], dtype: ScalarType.Int64, device: Device);
                lossSum = step.ForwardBackward(ids, globalCount);
            }
        }
        Exchange.BeforeReduce();
        return (lossSum, parts);
    }

    /// <summary>The host memory the collective sends from and receives into (fixed for the replica's life).</summary>
    public ExchangeBuffers Exchange { get; }

    /// <summary>After the reduce-scatter: the summed shard back on the device; returns |g_shard|² of the sum.</summary>
    public double ReduceFinished()
    {
        Exchange.AfterReduce();
        return step.SquaredGradientNorm(Own.Start, Own.End);
    }

    /// <summary>AdamW on the owned shard with the coordinator's learning rate and clip factor.</summary>
    public void Update(double learningRate, double clipFactor)
    {
        using var values = step.Flat.Values.narrow(0, Own.Start, Own.Length);
        using var gradients = step.Flat.Gradients.narrow(0, Own.Start, Own.Length);
        adam.Apply(values, gradients, learningRate, clipFactor);
        Exchange.BeforeGather();
    }

    /// <summary>
    /// Σ token losses of one val micro-batch, in eval mode and without gradients. It draws no random
    /// numbers, and every step reseeds dropout anyway, so it leaves training exactly as it was.
    /// </summary>
    public double ValidationLossSum(TokenSlice slice) => ValidationLoss.Sum(model, slice, Device);

    /// <summary>A fine-tuning run's val micro-batch: Σ task losses and the head's outputs, in eval mode and without gradients.</summary>
    public (double TaskLossSum, float[] Scores) TaskValidation(TokenSlice slice) =>
        TaskObjective.Evaluate(task ?? throw new InvalidOperationException("not a fine-tuning run: it has no task head"), slice, Device);

    public CheckpointFile[] Save(string folder) =>
        RunCheckpoint.SaveShard(folder, model, step.Flat, adam, includeParameters: assignment.Rank == 0);

    public ParameterDigest Digest()
    {
        using var noGrad = torch.no_grad();
        using var cpu = step.Flat.Values.cpu();
        using var norm = torch.linalg.vector_norm(cpu);
        var sha = SHA256.HashData(cpu.bytes);
        return new ParameterDigest(step.Flat.Count, norm.item<float>(), Convert.ToHexStringLower(sha));
    }

    private static ulong Mix(ulong seed, ulong step, ulong rank)
    {
        ulong z = seed ^ (step * 0x9E3779B97F4A7C15UL) ^ (rank * 0xC2B2AE3D27D4EB4FUL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Frees the tensors; the data plane must be quiesced first (its sockets use this memory).</summary>
    public void Dispose()
    {
        Exchange?.Dispose();
        adam?.Dispose();
        step?.Dispose();
        if (task is not null) task.Dispose();
        else model.Dispose();
    }
}
