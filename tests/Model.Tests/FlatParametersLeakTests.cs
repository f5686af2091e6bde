using Gpt1Cluster.Contracts.Model;
using Gpt1Cluster.Silo.Model;
using Gpt1Cluster.Silo.Training;
using TorchSharp;

namespace Gpt1Cluster.Model.Tests;

/// <summary>
/// A model and its training step, once disposed, leave no TorchSharp handle alive: a leaked view
/// of a flat buffer keeps the whole buffer (466 MB for GPT-1, device memory on CUDA) until the
/// finalizer runs, and every Join builds a new replica.
/// </summary>
public sealed class FlatParametersLeakTests
{
    private static readonly GptConfig Micro = new()
    {
        VocabSize = 40, Positions = 8, Width = 16, Layers = 2, Heads = 2,
        EmbeddingDropout = 0, ResidualDropout = 0, AttentionDropout = 0,
    };

    [Fact]
    public void Creating_and_disposing_a_model_and_its_training_step_leaves_no_live_tensor()
    {
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        using (var model = new Gpt1Model(Micro))
        using (new TrainingStep(model))
        {
        }
        Assert.Equal(0, DisposeScopeManager.Statistics.ThreadTotalLiveCount - before);
    }
}
