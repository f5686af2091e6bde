using Gpt1Cluster.Charts.Tests.Fixtures;
using k8s.Models;

namespace Gpt1Cluster.Charts.Tests;

/// <summary>Every values file renders, and every object it renders loads strictly into KubernetesClient's models.</summary>
public sealed class RenderMatrixTests
{
    [ChartTheory]
    [MemberData(nameof(ValuesMatrix.Good), MemberType = typeof(ValuesMatrix))]
    public void Every_object_loads_strictly_into_its_model(string values)
    {
        var rendered = ChartRenderer.Shared.Render(values);

        Assert.NotEmpty(rendered.Objects);
        Assert.Equal(rendered.JsonObjects.Count, rendered.Objects.Count);
        Assert.All(rendered.Objects, o => Assert.False(o is k8s.KubernetesObject, $"no model for {o}: add it to the type map"));
        Assert.NotEmpty(rendered.Silos);
    }

    [ChartTheory]
    [MemberData(nameof(ValuesMatrix.Good), MemberType = typeof(ValuesMatrix))]
    public void Object_names_are_unique_per_kind_and_fit_a_dns_label(string values)
    {
        var rendered = ChartRenderer.Shared.Render(values);
        var named = rendered.Objects.Cast<k8s.IKubernetesObject<V1ObjectMeta>>().ToList();

        Assert.Equal(named.Count, named.Select(o => (o.Kind, o.Metadata.Name)).Distinct().Count());
        // a StatefulSet's pods get "-<ordinal>" and a controller-revision label: its name stays well under 63
        Assert.All(named, o => Assert.Matches("^[a-z0-9]([-a-z0-9]{0,50}[a-z0-9])?$", o.Metadata.Name));
    }

    [ChartFact]
    public void A_strict_load_rejects_a_field_no_model_has()
    {
        var rendered = ChartRenderer.Shared.Render("defaults.yaml");
        string broken = rendered.Yaml.Replace("podManagementPolicy: Parallel", "podManagementPolicy: Parallel\n  podManagmentPolicy: Parallel", StringComparison.Ordinal);

        Assert.NotEqual(rendered.Yaml, broken);
        var error = Assert.ThrowsAny<Exception>(() => new Rendered(broken, rendered.Json));
        Assert.Contains("podManagmentPolicy", error.Message, StringComparison.Ordinal);
    }
}
