using System.Text.RegularExpressions;
using Gpt1Cluster.Charts.Tests.Fixtures;

namespace Gpt1Cluster.Charts.Tests;

/// <summary>values.yaml documents every value with a helm-docs `# --` comment, as Garnet's chart does.</summary>
public sealed partial class ValuesDocumentationTests
{
    private sealed record Key(int Line, int Indent, string Name, bool Documented, bool Section);

    [Fact]
    public void Every_value_has_a_helm_docs_comment()
    {
        var keys = Keys(File.ReadAllLines(Path.Combine(Repo.Chart, "values.yaml")));

        // a documented map (resources, tolerations, labels) documents its contents, unless those carry their own `# --`
        bool Covered(int index)
        {
            for (int a = index - 1, indent = keys[index].Indent; a >= 0; a--)
            {
                if (keys[a].Indent >= indent) continue;
                indent = keys[a].Indent;
                bool ownDocs = keys.Skip(a + 1).TakeWhile(k => k.Indent > keys[a].Indent).Any(k => k.Documented);
                if (keys[a].Documented && !ownDocs) return true;
            }
            return false;
        }

        var undocumented = keys.Where((k, i) => !k.Documented && !k.Section && !Covered(i)).Select(k => $"line {k.Line}: {k.Name}");
        Assert.Empty(undocumented);
        Assert.True(keys.Count(k => k.Documented) > 50, "the parse found too few documented values to be reading values.yaml");
    }

    private static List<Key> Keys(string[] lines)
    {
        var keys = new List<Key>();
        bool documented = false;
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            string trimmed = line.TrimStart();
            if (trimmed.StartsWith("# --", StringComparison.Ordinal)) documented = true;
            if (trimmed.Length == 0 || trimmed.StartsWith('#')) continue;
            var key = KeyLine().Match(line);
            if (key.Success)
            {
                bool hasChildren = i + 1 < lines.Length && Indent(NextContent(lines, i + 1)) > key.Groups[1].Length;
                // a section: a bare map header whose keys document themselves
                bool section = key.Groups[3].Value.Length == 0 && hasChildren;
                keys.Add(new Key(i + 1, key.Groups[1].Length, key.Groups[2].Value, documented, section && !documented));
            }
            documented = false;
        }
        return keys;
    }

    private static string NextContent(string[] lines, int from) =>
        lines.Skip(from).FirstOrDefault(l => l.Trim().Length > 0 && !l.TrimStart().StartsWith('#')) ?? "";

    private static int Indent(string line) => line.Length - line.TrimStart().Length;

    [GeneratedRegex("^( *)([A-Za-z0-9_.\\/\"-]+):\\s*(.*)$")]
    private static partial Regex KeyLine();
}
