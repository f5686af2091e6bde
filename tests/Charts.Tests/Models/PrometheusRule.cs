using k8s;
using k8s.Models;

namespace Gpt1Cluster.Charts.Tests.Models;

/// <summary>monitoring.coreos.com/v1 PrometheusRule: the spec is a Prometheus rules file (groups of alerting or recording rules).</summary>
public sealed class PrometheusRule : IKubernetesObject<V1ObjectMeta>
{
    public const string Key = "monitoring.coreos.com/v1/PrometheusRule";

    public string ApiVersion { get; set; } = "";
    public string Kind { get; set; } = "";
    public V1ObjectMeta Metadata { get; set; } = new();
    public PrometheusRuleSpec Spec { get; set; } = new();
}

public sealed class PrometheusRuleSpec
{
    public List<RuleGroup> Groups { get; set; } = [];
}

public sealed class RuleGroup
{
    public string Name { get; set; } = "";
    public string? Interval { get; set; }
    public List<Rule> Rules { get; set; } = [];
}

public sealed class Rule
{
    public string? Alert { get; set; }
    public string? Record { get; set; }
    public string Expr { get; set; } = "";
    public string? For { get; set; }
    public Dictionary<string, string>? Labels { get; set; }
    public Dictionary<string, string>? Annotations { get; set; }
}
