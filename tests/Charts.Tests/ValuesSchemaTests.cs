using System.Text.Json;
using Gpt1Cluster.Charts.Tests.Fixtures;
using Json.Schema;

namespace Gpt1Cluster.Charts.Tests;

/// <summary>
/// values.schema.json against the values Helm would check it on (chart defaults coalesced with the file):
/// every good file passes, every bad one is refused naming the field.
/// </summary>
public sealed class ValuesSchemaTests
{
    private static readonly JsonSchema Schema = JsonSchema.FromFile(Path.Combine(Repo.Chart, "values.schema.json"));

    [ChartTheory]
    [MemberData(nameof(ValuesMatrix.Good), MemberType = typeof(ValuesMatrix))]
    public void Good_values_pass_the_schema(string values)
    {
        var result = Evaluate(values);

        Assert.True(result.IsValid, $"{values}: {Errors(result)}");
    }

    [ChartTheory]
    [MemberData(nameof(ValuesMatrix.Bad), MemberType = typeof(ValuesMatrix))]
    public void Bad_values_are_refused(string values)
    {
        var result = Evaluate(values);

        Assert.False(result.IsValid, $"{values} passed the schema");
    }

    [ChartFact]
    public void A_gpu_count_given_as_a_word_is_refused_at_its_path()
    {
        var result = Evaluate("bad/gpus-eight.yaml");

        Assert.Contains("/workerGroups/gpu/gpusPerPod", Errors(result), StringComparison.Ordinal);
    }

    [ChartFact]
    public void The_chart_defaults_declare_every_value_the_schema_requires()
    {
        // values.yaml alone (no -f): what `helm install` without values checks
        var result = Schema.Evaluate(JsonDocument.Parse(ChartRenderer.Shared.Run("-values-json").Stdout).RootElement, Options);

        Assert.True(result.IsValid, Errors(result));
    }

    private static readonly EvaluationOptions Options = new() { OutputFormat = OutputFormat.List };

    private static EvaluationResults Evaluate(string values) =>
        Schema.Evaluate(JsonDocument.Parse(ChartRenderer.Shared.ValuesJson(values)).RootElement, Options);

    private static string Errors(EvaluationResults result) =>
        string.Join("; ", (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")));
}
