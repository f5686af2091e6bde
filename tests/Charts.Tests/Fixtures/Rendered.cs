using System.Text.Json.Nodes;
using Gpt1Cluster.Charts.Tests.Models;
using k8s;
using k8s.Models;

namespace Gpt1Cluster.Charts.Tests.Fixtures;

/// <summary>One rendering of the chart: the YAML as `helm template` prints it, the same objects as JSON, and as typed models.</summary>
public sealed class Rendered
{
    private static readonly Dictionary<string, Type> CustomResources = new()
    {
        [ServiceMonitor.Key] = typeof(ServiceMonitor),
        [PrometheusRule.Key] = typeof(PrometheusRule),
    };

    public Rendered(string yaml, string json)
    {
        Yaml = yaml;
        Json = json;
        // strict: a field the model does not know, or a value of the wrong type, throws
        Objects = KubernetesYaml.LoadAllFromString(yaml, CustomResources, strict: true);
    }

    public string Yaml { get; }

    /// <summary>A JSON array of every object, for the npm validator and the raw-field assertions.</summary>
    public string Json { get; }

    public IReadOnlyList<object> Objects { get; }

    public JsonArray JsonObjects => JsonNode.Parse(Json)!.AsArray();

    public IEnumerable<T> All<T>() => Objects.OfType<T>();

    /// <summary>The one object of type T whose name ends with <paramref name="suffix"/> (names are "&lt;release&gt;-gpt1-cluster-…").</summary>
    public T Named<T>(string suffix) where T : IKubernetesObject<V1ObjectMeta> =>
        Assert.Single(All<T>(), o => o.Metadata.Name.EndsWith(suffix, StringComparison.Ordinal));

    public IReadOnlyList<V1StatefulSet> Silos =>
        [.. All<V1StatefulSet>().Where(s => s.Metadata.Labels["app.kubernetes.io/component"] == "silo")];
}
