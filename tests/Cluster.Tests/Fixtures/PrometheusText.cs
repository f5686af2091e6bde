using System.Globalization;
using System.Text;

namespace Gpt1Cluster.Cluster.Tests.Fixtures;

/// <summary>One sample of a Prometheus text exposition: <c>name{label="value",…} 1.5</c>.</summary>
public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    public string Label(string name) => Labels.TryGetValue(name, out var value) ? value : "";
}

/// <summary>Reads the text format /metrics serves (the subset the OpenTelemetry exporter writes).</summary>
public static class PrometheusText
{
    public static IReadOnlyList<Sample> Parse(string text) =>
        text.Split('\n').Where(line => line.Length > 0 && line[0] != '#').Select(ParseLine).ToList();

    /// <summary>The metric names declared with a <c># TYPE name kind</c> line, and their kind.</summary>
    public static IReadOnlyDictionary<string, string> Types(string text) =>
        text.Split('\n').Where(l => l.StartsWith("# TYPE ", StringComparison.Ordinal))
            .Select(l => l.Split(' ')).ToDictionary(p => p[2], p => p[3]);

    private static Sample ParseLine(string line)
    {
        int brace = line.IndexOf('{');
        int space = line.LastIndexOf(' ');
        var labels = new Dictionary<string, string>();
        string name;
        if (brace < 0 || brace > space)
        {
            name = line[..line.IndexOf(' ')];
        }
        else
        {
            name = line[..brace];
            int i = brace + 1;
            while (line[i] != '}')
            {
                int eq = line.IndexOf('=', i);
                string key = line[i..eq];
                var value = new StringBuilder();
                for (i = eq + 2; line[i] != '"'; i++)
                    value.Append(line[i] == '\\' ? line[++i] switch { 'n' => '\n', var c => c } : line[i]);
                labels[key] = value.ToString();
                i++; // the closing quote
                if (line[i] == ',') i++;
            }
        }
        string number = line[(space + 1)..].Trim();
        double parsed = number switch
        {
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            "NaN" => double.NaN,
            _ => double.Parse(number, CultureInfo.InvariantCulture),
        };
        return new Sample(name, labels, parsed);
    }
}
