using System.Text.RegularExpressions;
using Gpt1Cluster.Silo.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Gpt1Cluster.Silo.Interop;

/// <summary>
/// Gpt1Model's parameters under HuggingFace openai-gpt's state-dict names. The model's own
/// named_parameters already are HF OpenAIGPTModel's keys (tokens_embed.weight, positions_embed.weight,
/// h.N.attn.c_attn.weight …, Conv1D weights stored (in, out) as HF's Conv1D), so export is a copy.
/// Import also accepts what other writers put around them: the "transformer." prefix of
/// OpenAIGPTLMHeadModel.save_pretrained, its lm_head.weight (tied: it must equal tokens_embed.weight),
/// and the causal-mask buffers h.N.attn.bias / masked_bias that older HF versions saved.
/// </summary>
public static partial class OpenAiGptWeights
{
    public const string HeadModelPrefix = "transformer.";
    public const string LmHead = "lm_head.weight";
    public const string TokenEmbedding = "tokens_embed.weight";

    /// <summary>The model's parameters, HF names, named_parameters order; fresh contiguous copies (the caller disposes).</summary>
    public static List<(string Name, Tensor Tensor)> Export(Gpt1Model model)
    {
        using var noGrad = torch.no_grad();
        return model.named_parameters().Select(p => (p.name, p.parameter.detach().cpu().contiguous().clone())).ToList();
    }

    /// <summary>
    /// Copies a state dict into the model: every parameter exactly once with its shape, nothing left
    /// over. Throws InvalidDataException listing missing, unexpected or misshapen keys.
    /// </summary>
    public static void Load(Gpt1Model model, IEnumerable<(string Name, Tensor Tensor)> stateDict, string source)
    {
        var weights = new Dictionary<string, Tensor>();
        Tensor? lmHead = null;
        foreach (var (raw, tensor) in stateDict)
        {
            string name = raw.StartsWith(HeadModelPrefix, StringComparison.Ordinal) ? raw[HeadModelPrefix.Length..] : raw;
            if (name == LmHead) lmHead = tensor;
            else if (!MaskBuffer().IsMatch(name) && !weights.TryAdd(name, tensor))
                throw new InvalidDataException($"{source}: {name} appears twice (with and without the \"{HeadModelPrefix}\" prefix)");
        }
        var parameters = model.named_parameters().ToList();
        var expected = parameters.Select(p => p.name).ToHashSet();
        var missing = parameters.Where(p => !weights.ContainsKey(p.name)).Select(p => p.name).ToList();
        var unexpected = weights.Keys.Where(k => !expected.Contains(k)).ToList();
        var misshapen = parameters.Where(p => weights.TryGetValue(p.name, out var t) && !t.shape.SequenceEqual(p.parameter.shape))
            .Select(p => $"{p.name} is [{string.Join(", ", weights[p.name].shape)}], the config needs [{string.Join(", ", p.parameter.shape)}]").ToList();
        if (missing.Count + unexpected.Count + misshapen.Count > 0)
            throw new InvalidDataException($"{source} does not fit a GPT-1 of this config.json:" +
                (missing.Count > 0 ? $" missing {Few(missing)};" : "") +
                (unexpected.Count > 0 ? $" unexpected {Few(unexpected)};" : "") +
                (misshapen.Count > 0 ? $" {Few(misshapen)};" : "") +
                " check that the directory holds an openai-gpt model and its own config.json");
        using var noGrad = torch.no_grad();
        if (lmHead is not null && !(lmHead.shape.SequenceEqual(weights[TokenEmbedding].shape) && lmHead.allclose(weights[TokenEmbedding], rtol: 0, atol: 0)))
            throw new InvalidDataException($"{source}: {LmHead} differs from {TokenEmbedding}; GPT-1 ties its output projection to the token embedding, so an untied head cannot be imported");
        foreach (var (name, p) in parameters) p.copy_(weights[name]);
    }

    private static string Few(List<string> names) => string.Join(", ", names.Take(4)) + (names.Count > 4 ? $" and {names.Count - 4} more" : "");

    [GeneratedRegex(@"^h\.\d+\.attn\.(bias|masked_bias)$")]
    private static partial Regex MaskBuffer();
}
