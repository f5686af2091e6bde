using Gpt1Cluster.Charts.Tests.Fixtures;

namespace Gpt1Cluster.Charts.Tests;

/// <summary>Every rendered object against its kind's OpenAPI schema (kubernetes-models): required fields, types, enums.</summary>
public sealed class RequiredFieldsTests
{
    [KubernetesModelsTheory]
    [MemberData(nameof(ValuesMatrix.Good), MemberType = typeof(ValuesMatrix))]
    public void Every_object_satisfies_its_openapi_schema(string values)
    {
        var rendered = ChartRenderer.Shared.Render(values);

        var result = KubernetesModels.Validate(rendered.Json);

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Equal(rendered.Objects.Count, result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.StartsWith("ok ", StringComparison.Ordinal)));
    }

    [KubernetesModelsFact]
    public void The_custom_resources_are_checked_too()
    {
        var rendered = ChartRenderer.Shared.Render("monitoring.yaml");

        var result = KubernetesModels.Validate(rendered.Json);

        Assert.Contains("ok monitoring.coreos.com/v1/ServiceMonitor", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("ok monitoring.coreos.com/v1/PrometheusRule", result.Stdout, StringComparison.Ordinal);
    }

    [KubernetesModelsFact]
    public void An_object_missing_a_required_field_or_with_a_wrong_type_is_refused()
    {
        const string Broken = """
            [{"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "a"}, "spec": {"selector": {}, "serviceName": "a"}},
             {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "b"}, "spec": {"ports": [{"port": "gateway"}]}},
             {"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor", "metadata": {"name": "c"}, "spec": {"endpoints": []}}]
            """;

        var result = KubernetesModels.Validate(Broken);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("INVALID apps/v1/StatefulSet a: data/spec must have required property template", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("INVALID v1/Service b: data/spec/ports/0/port must be integer", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("INVALID monitoring.coreos.com/v1/ServiceMonitor c", result.Stdout, StringComparison.Ordinal);
    }
}
