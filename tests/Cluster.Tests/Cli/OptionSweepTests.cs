using System.CommandLine;
using System.Globalization;
using Gpt1Cluster.Coordinator;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>
/// Every numeric flag of every `gpt1` command, swept with 0, negative, absurd and unparsable
/// values through the real entry point: each bad value is one line naming the flag as typed and
/// what it must be, exit code 2, before the command runs; each boundary value parses.
/// </summary>
public sealed class OptionSweepTests
{
    private static readonly Type[] NumericTypes = [typeof(int), typeof(long), typeof(ulong), typeof(uint), typeof(double), typeof(float), typeof(short)];

    public static IEnumerable<(string[] Path, Command Command)> Leaves(Command command, string[] path)
    {
        if (command.Action is not null) yield return (path, command);
        foreach (var sub in command.Subcommands)
            foreach (var leaf in Leaves(sub, [.. path, sub.Name]))
                yield return leaf;
    }

    private static IEnumerable<(string[] Path, Command Command, Option Option)> NumericOptions() =>
        Leaves(CommandTree.Create(), []).SelectMany(leaf => leaf.Command.Options
            .Where(o => NumericTypes.Contains(Nullable.GetUnderlyingType(o.ValueType) ?? o.ValueType))
            .Select(o => (leaf.Path, leaf.Command, o)));

    [Fact]
    public void Every_numeric_flag_declares_its_range()
    {
        var all = NumericOptions().ToList();
        Assert.True(all.Count >= 40, $"only {all.Count} numeric flags found: the walk of the command tree is broken");
        var unranged = all.Where(x => x.Option is not IRangedOption).Select(x => $"{string.Join(' ', x.Path)} {x.Option.Name}").ToList();
        Assert.True(unranged.Count == 0, "numeric flags without a range check: " + string.Join(", ", unranged));
    }

    /// <summary>Values outside the range (below the minimum, above the maximum, past the type, not a number).</summary>
    private static IEnumerable<string> Bad(IRangedOption r)
    {
        yield return "abc";
        yield return "99999999999999999999999999";
        yield return "-99999999999999999999999999";
        if (r.Min >= 0) yield return "-1";
        if (r.Min > 0 || r.MinExclusive) yield return "0";
        if (r.Max < 1e15) yield return Format(r.WholeNumber ? r.Max + 1 : r.Max * 1.5 + 1);
        if (r.WholeNumber) yield return "1.5";
    }

    private static IEnumerable<string> Good(IRangedOption r)
    {
        if (!r.MinExclusive) yield return Format(r.Min);
        else if (!r.WholeNumber) yield return Format(Math.Min(r.Max, r.Min + 1e-6));
        if (r.Max < 1e15) yield return Format(r.Max);
    }

    /// <summary>ParseResult.GetValue&lt;T&gt;(Option&lt;T&gt;) for an option whose T is known only at run time.</summary>
    private static object? ValueOf(ParseResult parsed, Option option) =>
        typeof(ParseResult).GetMethods()
            .Single(m => m.Name == nameof(ParseResult.GetValue) && m.IsGenericMethodDefinition && m.GetParameters()[0].ParameterType.IsGenericType
                && m.GetParameters()[0].ParameterType.GetGenericTypeDefinition() == typeof(Option<>))
            .MakeGenericMethod(option.ValueType).Invoke(parsed, [option]);

    private static string Format(double x) => x.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>The command's other required flags, given something so the swept flag's error is the one reported.</summary>
    private static string[] Required(Command command, Option except) =>
        command.Options.Where(o => o.Required && o != except).SelectMany(o => new[] { o.Name, "x" }).ToArray();

    [Fact]
    public async Task Bad_values_are_one_line_naming_the_flag_and_exit_2()
    {
        var failures = new List<string>();
        int cases = 0;
        foreach (var (path, command, option) in NumericOptions())
        {
            var range = (IRangedOption)option;
            foreach (var value in Bad(range))
            {
                cases++;
                string[] args = [.. path, .. Required(command, option), option.Name, value];
                if (Cli.Parse(CommandTree.Create(), args).Errors.Count == 0)
                {
                    failures.Add($"gpt1 {string.Join(' ', args)} parses"); // never run the command itself
                    continue;
                }
                var error = new StringWriter();
                int code = await Cli.InvokeAsync(CommandTree.Create(), args, error);
                var lines = error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
                string expected = $"gpt1: {option.Name} {value}: must be ";
                if (code != 2 || lines.Length != 1 || !lines[0].StartsWith(expected, StringComparison.Ordinal) || !lines[0].Contains($"`gpt1 {string.Join(' ', path)} --help`"))
                    failures.Add($"gpt1 {string.Join(' ', args)} → exit {code}: {error}");
            }
        }
        Assert.True(cases > 150, $"only {cases} cases");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void Boundary_values_parse()
    {
        var failures = new List<string>();
        foreach (var (path, command, option) in NumericOptions())
            foreach (var value in Good((IRangedOption)option))
            {
                string[] args = [.. path, .. Required(command, option), option.Name, value];
                var parsed = Cli.Parse(CommandTree.Create(), args);
                var errors = parsed.Errors.Where(e => e.Message.Contains(option.Name, StringComparison.Ordinal)).ToList();
                if (errors.Count > 0) failures.Add($"{string.Join(' ', args)}: {errors[0].Message}");
                else if (ValueOf(parsed, parsed.CommandResult.Command.Options.Single(o => o.Name == option.Name)) is var got && Convert.ToDouble(got, CultureInfo.InvariantCulture) != double.Parse(value, CultureInfo.InvariantCulture))
                    failures.Add($"{string.Join(' ', args)} parsed as {got}");
            }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
