using Gpt1Cluster.Charts.Tests.Fixtures;
using Gpt1Cluster.Charts.Tests.Models;
using k8s.Models;

namespace Gpt1Cluster.Charts.Tests;

/// <summary>Services, the ServiceMonitor that scrapes them, the PDB, NetworkPolicy and shared volume.</summary>
public sealed class ServicesAndPoliciesTests
{
    [ChartFact]
    public void The_gateway_service_is_cluster_ip_and_the_silo_service_headless_over_the_same_pods()
    {
        var rendered = ChartRenderer.Shared.Render("two-groups.yaml");
        var gateway = rendered.Named<V1Service>("-gateway");
        var silos = rendered.Named<V1Service>("-silos");

        Assert.Equal("ClusterIP", gateway.Spec.Type);
        Assert.Equal("gateway", Assert.Single(gateway.Spec.Ports).TargetPort.Value);
        Assert.Equal("None", silos.Spec.ClusterIP);
        Assert.Equal(gateway.Spec.Selector, silos.Spec.Selector);
        // both groups' pods are behind both services
        Assert.All(rendered.Silos, set =>
        {
            Assert.All(gateway.Spec.Selector, l => Assert.Equal(l.Value, set.Spec.Template.Metadata.Labels[l.Key]));
            Assert.Equal(silos.Metadata.Name, set.Spec.ServiceName);
        });
    }

    [ChartFact]
    public void The_service_monitor_selects_only_the_silo_service_by_its_metrics_port_name()
    {
        var rendered = ChartRenderer.Shared.Render("monitoring.yaml");
        var monitor = rendered.Named<ServiceMonitor>("-silos");
        var services = rendered.All<V1Service>().ToList();

        Assert.Equal("monitoring.coreos.com/v1", monitor.ApiVersion);
        Assert.Equal("kube-prometheus-stack", monitor.Metadata.Labels["release"]);
        var selected = Assert.Single(services, s => monitor.Spec.Selector.MatchLabels.All(l => s.Metadata.Labels.TryGetValue(l.Key, out var v) && v == l.Value));
        Assert.EndsWith("-silos", selected.Metadata.Name, StringComparison.Ordinal);
        var endpoint = Assert.Single(monitor.Spec.Endpoints);
        var port = Assert.Single(selected.Spec.Ports, p => p.Name == endpoint.Port);
        Assert.Equal(9464, port.Port);
        Assert.Equal("/metrics", endpoint.Path);
        Assert.Equal("10s", endpoint.Interval);
    }

    [ChartFact]
    public void Monitoring_objects_are_off_by_default()
    {
        var rendered = ChartRenderer.Shared.Render("defaults.yaml");

        Assert.Empty(rendered.All<ServiceMonitor>());
        Assert.Empty(rendered.All<PrometheusRule>());
        Assert.Empty(rendered.All<V1NetworkPolicy>());
    }

    [ChartFact]
    public void The_disruption_budget_is_policy_v1_over_every_silo()
    {
        var rendered = ChartRenderer.Shared.Render("two-groups.yaml");
        var pdb = Assert.Single(rendered.All<V1PodDisruptionBudget>());

        Assert.Equal("policy/v1", pdb.ApiVersion);
        Assert.Equal(1, pdb.Spec.MaxUnavailable.Value is string s ? int.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : 0);
        Assert.Equal(2, rendered.Silos.Count);
        Assert.All(rendered.Silos, set => Assert.All(pdb.Spec.Selector.MatchLabels, l => Assert.Equal(l.Value, set.Spec.Template.Metadata.Labels[l.Key])));
    }

    [ChartFact]
    public void The_network_policy_opens_silo_and_data_plane_ports_to_silos_and_gateway_and_metrics_to_the_given_peers()
    {
        var rendered = ChartRenderer.Shared.Render("monitoring.yaml");
        var silos = rendered.Named<V1NetworkPolicy>("-silos");
        string Ports(V1NetworkPolicyIngressRule rule) =>
            string.Join(",", rule.Ports.Select(p => p.EndPort is int end ? $"{p.Port.Value}-{end}" : $"{p.Port.Value}"));

        Assert.Equal(["Ingress"], silos.Spec.PolicyTypes);
        var fromSilos = Assert.Single(silos.Spec.Ingress, r => Ports(r) == "11111,40000-40031");
        Assert.Equal("silo", Assert.Single(fromSilos.FromProperty).PodSelector.MatchLabels["app.kubernetes.io/component"]);
        var gateway = Assert.Single(silos.Spec.Ingress, r => Ports(r) == "30000");
        Assert.Equal("ml-clients", gateway.FromProperty[0].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"]);
        // NOTES.txt's `kubectl exec` client in a silo and the helm test pod still reach the gateway
        var own = Assert.Single(gateway.FromProperty[1].PodSelector.MatchExpressions);
        Assert.Equal(["silo", "test"], own.Values);
        var testPod = rendered.Named<V1Pod>("-test-gateway");
        Assert.Contains(testPod.Metadata.Labels["app.kubernetes.io/component"], own.Values);
        var metrics = Assert.Single(silos.Spec.Ingress, r => Ports(r) == "9464");
        Assert.Equal("monitoring", Assert.Single(metrics.FromProperty).NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"]);
        var redis = rendered.Named<V1NetworkPolicy>("-redis");
        Assert.Equal("6379", Assert.Single(Assert.Single(redis.Spec.Ingress).Ports).Port.Value);
    }

    [ChartTheory]
    [InlineData("defaults.yaml", true)]
    [InlineData("cpu-only.yaml", false)]
    public void The_shared_volume_is_read_write_many_or_the_users_claim(string values, bool created)
    {
        var rendered = ChartRenderer.Shared.Render(values);
        var claims = rendered.All<V1PersistentVolumeClaim>().ToList();
        string claimName = rendered.Silos[0].Volume("data").PersistentVolumeClaim.ClaimName;

        if (created)
        {
            var claim = Assert.Single(claims);
            Assert.Equal(claim.Metadata.Name, claimName);
            Assert.Equal(["ReadWriteMany"], claim.Spec.AccessModes);
            Assert.Equal("keep", claim.Metadata.Annotations["helm.sh/resource-policy"]);
        }
        else
        {
            Assert.Empty(claims);
            Assert.Equal("shared-nfs", claimName);
        }
    }

    [ChartFact]
    public void No_rbac_objects_and_no_api_token_as_the_silos_never_call_the_api_server()
    {
        var rendered = ChartRenderer.Shared.Render("monitoring.yaml");

        Assert.DoesNotContain(rendered.Objects, o => o is V1Role or V1RoleBinding or V1ServiceAccount or V1ClusterRole);
        Assert.All(rendered.Silos, s => Assert.False(s.Spec.Template.Spec.AutomountServiceAccountToken));
    }
}
