using Gpt1Cluster.Contracts.Model;
using Gpt1Cluster.Silo.Model;
using TorchSharp;

namespace Gpt1Cluster.Model.Tests;

public sealed class InitialLossTests
{
    [Fact]
    public void The_full_model_starts_near_ln_vocab_plus_the_init_variance()
    {
        // Logits are h·e with unit-variance h (post-LN) and e ~ N(0, 0.02²): std 0.02·√768 ≈ 0.554,
        // so the expected loss is ln 40478 + 0.554²/2 ≈ 10.609 + 0.153 ≈ 10.76.
        torch.manual_seed(0);
        using var model = new Gpt1Model(GptConfig.Gpt1);
        model.eval();
        using var noGrad = torch.no_grad();
        using var ids = torch.randint(0, 40478, [1, 513]);
        using var logits = model.forward(ids.narrow(1, 0, 512));
        using var loss = torch.nn.functional.cross_entropy(logits.view(-1, 40478), ids.narrow(1, 1, 512).reshape(-1));
        Assert.InRange(loss.item<float>(), 10.71, 10.81);
    }
}
