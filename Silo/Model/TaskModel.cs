using Gpt1Cluster.Contracts.Model;
using Gpt1Cluster.Contracts.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Gpt1Cluster.Silo.Model;

/// <summary>
/// GPT-1 with the paper's task head (§3.2): the transformer (its vocabulary grown by the start,
/// delimiter and extract tokens) and a linear layer on the extract token's last hidden state,
/// after dropout. Parameters are the transformer's first, then the head's, so a fine-tuned
/// checkpoint's flat parameters begin with a plain GPT-1 of the grown vocabulary.
/// </summary>
public sealed class TaskModel : nn.Module<Tensor, Tensor>
{
    private readonly Gpt1Model transformer;
    private readonly Dropout clf_drop;
    private readonly Linear head;

    public TaskModel(GptConfig config, FineTuneSpec spec) : base(nameof(TaskModel))
    {
        Spec = spec;
        transformer = new Gpt1Model(config);
        clf_drop = nn.Dropout(spec.ClassifierDropout);
        head = nn.Linear(config.Width, spec.Outputs);
        RegisterComponents();
        using var noGrad = torch.no_grad();
        nn.init.normal_(head.weight!, 0, config.InitializerRange); // as the original code: N(0, 0.02), bias 0
        nn.init.zeros_(head.bias!);
    }

    public FineTuneSpec Spec { get; }
    public Gpt1Model Transformer => transformer;
    public GptConfig Config => transformer.Config;

    /// <summary>The language model's logits (B, T, V): the auxiliary loss and generation read these.</summary>
    public override Tensor forward(Tensor ids) => transformer.forward(ids);

    /// <summary>The LM logits of every position but the last, (R, T − 1, V), from the hidden states (R, T, C).</summary>
    public Tensor LanguageLogits(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var x = hidden.narrow(1, 0, hidden.shape[1] - 1);
        return transformer.OutputLogits(x).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The head's outputs per example from the hidden states (R, T, C) of its rows: the extract
    /// token's state (at each row's last position), the two orders added for similarity, dropout,
    /// the linear layer. Classification and entailment: (B, classes); similarity likewise (or (B)
    /// for regression); multiple choice: (B, K), one score per candidate.
    /// </summary>
    public Tensor Scores(Tensor hidden, Tensor lastPositions, int rowsPerExample)
    {
        using var scope = NewDisposeScope();
        long rows = hidden.shape[0];
        var rowIndex = torch.arange(rows, dtype: ScalarType.Int64, device: hidden.device);
        var extract = hidden.index([rowIndex, lastPositions]);                           // (R, C)
        long examples = rows / rowsPerExample;
        Tensor scores;
        if (Spec.Task == FineTuneSpec.MultipleChoice)
            scores = head.forward(clf_drop.forward(extract)).view(examples, rowsPerExample); // (B, K)
        else
        {
            var z = rowsPerExample == 1 ? extract : extract.view(examples, rowsPerExample, -1).sum(1); // similarity: both orders added
            scores = head.forward(clf_drop.forward(z));                                       // (B, outputs)
            if (Spec.Regression) scores = scores.view(examples);
        }
        return scores.MoveToOuterDisposeScope();
    }

    public Tensor Hidden(Tensor ids) => transformer.Hidden(ids);
}
