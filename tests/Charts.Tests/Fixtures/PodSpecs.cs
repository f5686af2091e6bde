using k8s.Models;

namespace Gpt1Cluster.Charts.Tests.Fixtures;

/// <summary>Small lookups into a silo StatefulSet's pod, for assertions that read like the chart.</summary>
public static class PodSpecs
{
    public static V1Container Silo(this V1StatefulSet set) => Assert.Single(set.Spec.Template.Spec.Containers, c => c.Name == "silo");

    public static string Group(this V1StatefulSet set) => set.Metadata.Labels["gpt1-cluster/worker-group"];

    public static V1EnvVar Env(this V1Container container, string name) => Assert.Single(container.Env, e => e.Name == name);

    public static string? EnvValue(this V1Container container, string name) => container.Env(name).Value;

    public static V1Volume Volume(this V1StatefulSet set, string name) => Assert.Single(set.Spec.Template.Spec.Volumes, v => v.Name == name);

    /// <summary>The GPU count of a resource list, null where it names none.</summary>
    public static int? Gpus(IDictionary<string, ResourceQuantity>? resources) =>
        resources is not null && resources.TryGetValue("nvidia.com/gpu", out var q) ? (int)q.ToDecimal() : null;
}
