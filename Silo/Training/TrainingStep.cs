using TorchSharp;
using static TorchSharp.torch;

namespace Gpt1Cluster.Silo.Training;

/// <summary>What one update did: mean token loss, pre-clip gradient norm, the learning rate used, and where the time went.</summary>
public sealed record StepResult(long Step, double Loss, double GradNorm, double LearningRate, long Tokens, StepTimings Timings);

/// <summary>Seconds spent in forward + backward, the gradient norm, and the optimizer update.</summary>
public sealed record StepTimings(double Compute, double Norm, double Update);

/// <summary>
/// Next-token training of any model that maps ids (B, T) to logits (B, T, V). It knows nothing of
/// GPT-1. The phases are public so a distributed step can put an all-reduce between them:
/// <see cref="ForwardBackward"/> → reduce gradients → <see cref="SquaredGradientNorm"/> per shard →
/// clip factor → <see cref="AdamWShard.Apply"/> per shard.
/// </summary>
public sealed class TrainingStep : IDisposable
{
    private readonly nn.Module<Tensor, Tensor> model;

    public TrainingStep(nn.Module<Tensor, Tensor> model)
    {
        this.model = model;
        Flat = FlatParameters.Attach(model);
    }

    public FlatParameters Flat { get; }

    /// <summary>
    /// Zeroes the gradients, then accumulates ∂(Σ token losses / <paramref name="globalTokens"/>)
    /// into <see cref="FlatParameters.Gradients"/>. <paramref name="sequences"/> is (B, T+1): inputs
    /// are [:, :-1], targets [:, 1:]. Dividing by the global token count (not this batch's) makes
    /// gradients of workers' slices sum to the gradient of the whole batch. Returns Σ token losses.
    /// </summary>
    public double ForwardBackward(Tensor sequences, long globalTokens)
    {
        Flat.ZeroGradients();
        model.train();
        double loss;
        using (var scope = torch.NewDisposeScope())
        {
            long t = sequences.shape[1] - 1;
            var inputs = sequences.narrow(1, 0, t);                   // (B, T)
            var targets = sequences.narrow(1, 1, t);                  // (B, T)
            var logits = model.forward(inputs);                       // (B, T, V)
            var lossSum = nn.functional.cross_entropy(
                logits.view(-1, logits.shape[^1]), targets.reshape(-1), reduction: nn.Reduction.Sum);
            (lossSum / globalTokens).backward();
            loss = lossSum.item<float>();
        }
        NativeAllocator.AfterStep(); // the activations are freed: the moment to hand pages back
        return loss;
    }

    /// <summary>|g|² over [start, end) of the flat gradient (a reduction: no gradient-sized temporary).</summary>
    public double SquaredGradientNorm(long start, long end)
    {
        using var noGrad = torch.no_grad();
        using var slice = Flat.Gradients.narrow(0, start, end - start);
        using var norm = torch.linalg.vector_norm(slice);
        double n = norm.item<float>();
        return n * n;
    }

    /// <summary>The whole update in one process: the reference every distributed step must equal.</summary>
    public StepResult Run(Tensor sequences, AdamWShard optimizer, LearningRateSchedule schedule, double maxGradNorm)
    {
        long tokens = sequences.shape[0] * (sequences.shape[1] - 1);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        double lossSum = ForwardBackward(sequences, tokens);
        double compute = clock.Elapsed.TotalSeconds;
        double squared = SquaredGradientNorm(0, Flat.Count);
        double norm = clock.Elapsed.TotalSeconds - compute;
        long step = optimizer.Step + 1;
        double lr = schedule.At(step);
        using (var values = Flat.Values.narrow(0, optimizer.Start, optimizer.End - optimizer.Start))
        using (var gradients = Flat.Gradients.narrow(0, optimizer.Start, optimizer.End - optimizer.Start))
            optimizer.Apply(values, gradients, lr, GradientClip.Factor(squared, maxGradNorm));
        var timings = new StepTimings(compute, norm, clock.Elapsed.TotalSeconds - compute - norm);
        return new StepResult(step, lossSum / tokens, Math.Sqrt(squared), lr, tokens, timings);
    }

    public void Dispose() => Flat.Dispose();
}
