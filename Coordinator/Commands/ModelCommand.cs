using System.CommandLine;
using System.Text.Json;
using Gpt1Cluster.Contracts.Model;
using Gpt1Cluster.Silo.Model;

namespace Gpt1Cluster.Coordinator.Commands;

/// <summary>`gpt1 model summary`: the layer table and parameter count of a config.</summary>
public static class ModelCommand
{
    public static Command Create()
    {
        var config = Options.Config();
        var json = Options.Json();
        var summary = new Command("summary", "Print the model's layers and parameter count") { config, json };
        summary.SetAction(parse => Summarize(GptConfig.Load(parse.GetValue(config)!), parse.GetValue(json)));
        return new Command("model", "Inspect the GPT-1 model") { summary };
    }

    private static int Summarize(GptConfig config, bool json)
    {
        using var model = new Gpt1Model(config);
        var layers = model.named_parameters()
            .Select(p => new { name = p.name, shape = p.parameter.shape, parameters = p.parameter.numel() })
            .ToList();
        long total = layers.Sum(l => l.parameters);
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new { config, parameters = total, layers }));
            return 0;
        }
        Console.WriteLine($"GPT-1: {config.Layers} post-LN blocks, d_model {config.Width}, {config.Heads} heads × {config.HeadWidth}, FFN {config.FfnWidth}, context {config.Positions}, vocab {config.VocabSize}");
        Console.WriteLine($"{"parameter",-32} {"shape",-16} {"count",12}");
        foreach (var l in layers)
            Console.WriteLine($"{l.name,-32} {"[" + string.Join(", ", l.shape) + "]",-16} {l.parameters,12:N0}");
        Console.WriteLine($"{"total (output tied to tokens_embed)",-49} {total,12:N0}");
        return 0;
    }
}
