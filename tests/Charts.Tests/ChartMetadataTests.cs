using System.Text.Json;
using Gpt1Cluster.Charts.Tests.Fixtures;
using Json.Schema;
using YamlDotNet.Serialization;

namespace Gpt1Cluster.Charts.Tests;

/// <summary>What `helm lint` checks first: Chart.yaml's required fields, and a schema that is itself valid.</summary>
public sealed class ChartMetadataTests
{
    [Fact]
    public void Chart_yaml_is_a_v2_application_named_after_its_folder_with_semver_versions()
    {
        var chart = new DeserializerBuilder().Build().Deserialize<Dictionary<string, object>>(File.ReadAllText(Path.Combine(Repo.Chart, "Chart.yaml")));

        Assert.Equal("v2", chart["apiVersion"]);
        Assert.Equal("gpt1-cluster", chart["name"]);
        Assert.Equal("application", chart["type"]);
        Assert.Matches("^[0-9]+\\.[0-9]+\\.[0-9]+(-[0-9A-Za-z.-]+)?$", (string)chart["version"]);
        Assert.False(string.IsNullOrWhiteSpace((string)chart["appVersion"]));
    }

    [Fact]
    public void The_values_schema_is_valid_draft_07()
    {
        using var schema = JsonDocument.Parse(File.ReadAllText(Path.Combine(Repo.Chart, "values.schema.json")));

        var result = MetaSchemas.Draft7.Evaluate(schema.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });

        Assert.Equal("http://json-schema.org/draft-07/schema#", schema.RootElement.GetProperty("$schema").GetString());
        Assert.True(result.IsValid, string.Join("; ", (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"))));
    }
}
