using Gpt1Cluster.Contracts.Data;
using Gpt1Cluster.Silo.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Gpt1Cluster.Silo.Training;

/// <summary>Σ over a slice's examples of the task loss (L2) and of the auxiliary LM loss (L1), and the real tokens they read.</summary>
public sealed record TaskLossSums(double Task, double Lm, long Tokens, int Examples);

/// <summary>
/// The fine-tuning objective of the paper (§3.2): L3 = L2 + λ·L1, as the original code computes
/// it. L2: cross-entropy of the head's scores (squared error for regression). L1: each row's mean
/// next-token loss over its real tokens (padding masked out), averaged over an example's rows.
/// Both are means over examples; dividing the sums by the global batch's example count makes the
/// workers' gradients add up to the whole batch's, as in pretraining.
/// </summary>
public static class TaskObjective
{
    /// <summary>Forward and backward of one slice into the model's (flat) gradients; returns the sums.</summary>
    public static TaskLossSums ForwardBackward(TaskModel model, TokenSlice slice, Device device, double lmCoef, long globalExamples)
    {
        model.train();
        using var scope = torch.NewDisposeScope();
        var (taskLosses, lmLosses, tokens) = Losses(model, slice, device, out _);
        var taskSum = taskLosses.sum();
        var lmSum = lmLosses.sum();
        var total = lmCoef != 0 ? taskSum + lmCoef * lmSum : taskSum;
        (total / globalExamples).backward();
        return new TaskLossSums(taskSum.item<float>(), lmSum.item<float>(), tokens, slice.Task!.Examples);
    }

    /// <summary>In eval mode, without gradients: Σ task losses of the slice and the head's outputs (examples × outputs, row-major).</summary>
    public static (double TaskLossSum, float[] Scores) Evaluate(TaskModel model, TokenSlice slice, Device device)
    {
        bool training = model.training;
        model.eval();
        try
        {
            using var noGrad = torch.no_grad();
            using var scope = torch.NewDisposeScope();
            var (taskLosses, _, _) = Losses(model, slice, device, out var scores, withLm: false);
            double sum = 0;
            foreach (float loss in taskLosses.cpu().data<float>()) sum += loss; // fp64, in example order
            return (sum, scores.cpu().contiguous().data<float>().ToArray());
        }
        finally
        {
            model.train(training);
        }
    }

    /// <summary>Per-example task losses (B), per-example LM losses (B), real tokens, and the scores. Tensors live in the caller's dispose scope.</summary>
    private static (Tensor Task, Tensor Lm, long Tokens) Losses(TaskModel model, TokenSlice slice, Device device, out Tensor scores, bool withLm = true)
    {
        var rows = slice.Task ?? throw new ArgumentException("a task slice carries its rows' lengths and targets");
        int k = rows.RowsPerExample;
        var ids = torch.tensor(slice.ToInt64(), [slice.Sequences, slice.Width], dtype: ScalarType.Int64, device: device);
        var lengths = torch.tensor(rows.Lengths.Select(l => (long)l).ToArray(), dtype: ScalarType.Int64, device: device); // (R)
        var hidden = model.Hidden(ids);                                                          // (R, T, C)
        scores = model.Scores(hidden, lengths - 1, k);
        var targets = torch.tensor(rows.Targets, dtype: ScalarType.Float32, device: device);     // (B)
        var task = model.Spec.Regression
            ? (scores - targets).square()
            : nn.functional.cross_entropy(scores, targets.to(ScalarType.Int64), reduction: nn.Reduction.None);
        long realTokens = rows.Lengths.Sum(l => (long)l);
        if (!withLm || slice.Width < 2) return (task, torch.zeros_like(task), realTokens);
        long t = slice.Width - 1;
        var logits = model.LanguageLogits(hidden);                                               // (R, T-1, V)
        var next = ids.narrow(1, 1, t);                                                          // (R, T-1)
        var perToken = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]), next.reshape(-1), reduction: nn.Reduction.None).view(-1, t);
        var positions = torch.arange(t, dtype: ScalarType.Int64, device: device).unsqueeze(0);  // (1, T-1)
        var mask = (positions < (lengths - 1).unsqueeze(1)).to(ScalarType.Float32);              // target t+1 is real
        var perRow = (perToken * mask).sum(1) / (lengths - 1).to(ScalarType.Float32);            // (R)
        var lm = perRow.view(-1, k).mean([1]);                                                   // (B)
        return (task, lm, realTokens);
    }
}
