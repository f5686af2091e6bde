using System.Security.Cryptography;
using System.Text;

namespace Gpt1Cluster.Charts.Tests.Fixtures;

/// <summary>
/// render/*.go built in GOPATH mode against Debian's golang-github-masterminds-sprig-dev and
/// golang-k8s-sigs-yaml-dev, then run like `helm template` on charts/gpt1-cluster.
/// </summary>
public sealed class ChartRenderer
{
    private const string GoPath = "/usr/share/gocode";

    /// <summary>Why the renderer cannot be built here, or null when it can.</summary>
    public static string? Missing { get; } =
        Tool.Find("go") is null ? "go is not installed: apt-get install golang-go (.ci/run installs it)"
        : !Directory.Exists(Path.Combine(GoPath, "src/github.com/Masterminds/sprig")) ? "sprig sources are absent: apt-get install golang-github-masterminds-sprig-dev (.ci/run installs it)"
        : !Directory.Exists(Path.Combine(GoPath, "src/sigs.k8s.io/yaml")) ? "sigs.k8s.io/yaml sources are absent: apt-get install golang-k8s-sigs-yaml-dev (.ci/run installs it)"
        : null;

    private static readonly Lazy<ChartRenderer> shared = new(() => new ChartRenderer());

    public static ChartRenderer Shared => shared.Value;

    private readonly string binary;

    /// <summary>The built renderer, for runs against another chart folder.</summary>
    public string Binary => binary;

    private ChartRenderer()
    {
        // one binary per version of the sources, kept between runs: later runs skip the build
        string source = Path.Combine(Repo.TestsDir, "render");
        string hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Concat(
            Directory.GetFiles(source, "*.go").Order(StringComparer.Ordinal).Select(File.ReadAllText)))))[..16];
        string dir = Path.Combine(Path.GetTempPath(), "gpt1-chart-render", hash);
        binary = Path.Combine(dir, "render");
        if (File.Exists(binary)) return;
        Directory.CreateDirectory(dir);
        string building = $"{binary}.{Environment.ProcessId}";
        var built = Tool.Run("go", ["build", "-o", building, "."], workingDirectory: source, environment: new Dictionary<string, string>
        {
            ["GO111MODULE"] = "off",
            ["GOPATH"] = GoPath,
            ["GOFLAGS"] = "",
            // a warm cache builds in about a second, a cold one compiles sprig's dependencies
            ["GOCACHE"] = Path.Combine(Path.GetTempPath(), "gpt1-chart-gocache"),
        });
        if (built.ExitCode != 0) throw new InvalidOperationException($"go build of the renderer failed:\n{built.Output}");
        File.Move(building, binary, overwrite: true);
    }

    /// <summary>Runs the renderer; a non-zero exit is returned, not thrown, for the tests that expect one.</summary>
    public Tool.Result Run(params string[] args) => Tool.Run(binary, [.. args, Repo.Chart]);

    /// <summary>Renders with the values files (names in tests/Charts.Tests/values, later wins) and path=value overrides.</summary>
    public Rendered Render(IEnumerable<string> valuesFiles, params string[] sets)
    {
        var args = ValueArgs(valuesFiles, sets).ToArray();
        var yaml = Checked(Run(args));
        var json = Checked(Run(["-json", .. args]));
        return new Rendered(yaml, json);
    }

    public Rendered Render(string valuesFile) => Render([valuesFile]);

    public string Notes(string valuesFile) => Checked(Run(["-notes", .. ValueArgs([valuesFile], [])]));

    /// <summary>The values the templates see (chart defaults coalesced with the file), as JSON: what Helm checks against values.schema.json.</summary>
    public string ValuesJson(string valuesFile) => Checked(Run(["-values-json", .. ValueArgs([valuesFile], [])]));

    private static IEnumerable<string> ValueArgs(IEnumerable<string> files, IEnumerable<string> sets) =>
        files.SelectMany(f => new[] { "-f", Path.IsPathRooted(f) ? f : Repo.Values(f) })
            .Concat(sets.SelectMany(s => new[] { "--set", s }));

    private static string Checked(Tool.Result result) =>
        result.ExitCode == 0 ? result.Stdout : throw new InvalidOperationException($"render failed:\n{result.Output}");
}

/// <summary>A fact that renders the chart; skipped, saying what to install, where the Go renderer cannot be built.</summary>
public sealed class ChartFactAttribute : FactAttribute
{
    public ChartFactAttribute()
    {
        if (ChartRenderer.Missing is string why) Skip = why;
    }
}

/// <summary>A theory that renders the chart; skipped like <see cref="ChartFactAttribute"/>.</summary>
public sealed class ChartTheoryAttribute : TheoryAttribute
{
    public ChartTheoryAttribute()
    {
        if (ChartRenderer.Missing is string why) Skip = why;
    }
}
