namespace Gpt1Cluster.Charts.Tests.Fixtures;

/// <summary>
/// validate/validate.mjs: npm kubernetes-models 5.1.0 and @kubernetes-models/prometheus-operator 6.0.0 check each
/// object against the OpenAPI schema of its kind (required fields, types, enums), which strict loading does not.
/// </summary>
public static class KubernetesModels
{
    public static string Folder => Path.Combine(Repo.TestsDir, "validate");

    public static string? Missing { get; } =
        Tool.Find("node") is null ? "node is not installed: apt-get install nodejs (node 20 or newer)"
        : !Directory.Exists(Path.Combine(Folder, "node_modules", "kubernetes-models")) ? $"kubernetes-models is not installed: run `npm ci` in {Folder} (.ci/run does)"
        : null;

    /// <summary>Validates a JSON array of objects; the output has one line per object.</summary>
    public static Tool.Result Validate(string objectsJson) =>
        Tool.Run("node", ["validate.mjs"], stdin: objectsJson, workingDirectory: Folder);
}

/// <summary>A theory that needs node with the validate folder's packages and the chart renderer; skipped, saying what to install, where absent.</summary>
public sealed class KubernetesModelsTheoryAttribute : TheoryAttribute
{
    public KubernetesModelsTheoryAttribute()
    {
        if ((KubernetesModels.Missing ?? ChartRenderer.Missing) is string why) Skip = why;
    }
}

/// <summary>A fact like <see cref="KubernetesModelsTheoryAttribute"/>.</summary>
public sealed class KubernetesModelsFactAttribute : FactAttribute
{
    public KubernetesModelsFactAttribute()
    {
        if ((KubernetesModels.Missing ?? ChartRenderer.Missing) is string why) Skip = why;
    }
}
