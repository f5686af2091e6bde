using k8s;
using k8s.Models;

namespace Gpt1Cluster.Charts.Tests.Models;

/// <summary>
/// monitoring.coreos.com/v1 ServiceMonitor, the fields this chart writes (KubernetesClient has no model for
/// prometheus-operator's CRDs; loaded strictly, any other field fails). Field names follow the CRD.
/// </summary>
public sealed class ServiceMonitor : IKubernetesObject<V1ObjectMeta>
{
    public const string Key = "monitoring.coreos.com/v1/ServiceMonitor";

    public string ApiVersion { get; set; } = "";
    public string Kind { get; set; } = "";
    public V1ObjectMeta Metadata { get; set; } = new();
    public ServiceMonitorSpec Spec { get; set; } = new();
}

public sealed class ServiceMonitorSpec
{
    public V1LabelSelector Selector { get; set; } = new();
    public NamespaceSelector? NamespaceSelector { get; set; }
    public List<ServiceMonitorEndpoint> Endpoints { get; set; } = [];
}

public sealed class NamespaceSelector
{
    public List<string>? MatchNames { get; set; }
    public bool? Any { get; set; }
}

public sealed class ServiceMonitorEndpoint
{
    public string? Port { get; set; }
    public string? Path { get; set; }
    public string? Interval { get; set; }
    public string? ScrapeTimeout { get; set; }
}
