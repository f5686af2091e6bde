using System.CommandLine;
using System.CommandLine.Parsing;

namespace Gpt1Cluster.Coordinator;

/// <summary>
/// A parse error as one line in the user's terms: which flag or word was wrong and what it must
/// be, with a pointer to the command's --help, instead of System.CommandLine's help dump and
/// .NET type names (`Cannot parse argument '-1' … 'System.UInt64'`).
/// </summary>
public static class ParseErrors
{
    public static string Describe(ParseResult parsed)
    {
        var error = parsed.Errors[0];
        string where = CommandPath(parsed.CommandResult);
        return $"{Message(error, parsed)} (see `{where} --help`)";
    }

    private static string Message(ParseError error, ParseResult parsed)
    {
        var command = parsed.CommandResult.Command;
        var unmatched = parsed.UnmatchedTokens;
        if (unmatched.Count > 0) return Unknown(unmatched[0], command); // a typo explains the errors that follow from it
        if (OptionOf(error.SymbolResult) is { } option)
        {
            string flag = option.IdentifierToken?.Value ?? option.Option.Name;
            if (option.Tokens.Count == 0 && option.Option.Required && option.IdentifierToken is null) return $"{flag} is required";
            if (option.Tokens.Count == 0) return $"{flag} needs a value";
            if (option.Option is IRangedOption) return error.Message; // already in the user's terms
            var type = Nullable.GetUnderlyingType(option.Option.ValueType) ?? option.Option.ValueType;
            string token = option.Tokens.Count > 0 ? option.Tokens[^1].Value : "";
            if (type.IsEnum)
                return $"{flag} {token}: must be one of {string.Join(", ", Enum.GetNames(type).Select(n => n.ToLowerInvariant()))}";
            return $"{flag} {token}: {OneLine(error.Message)}";
        }
        if (command.Subcommands.Count > 0 && command.Action is null)
            return $"choose a command: {string.Join(", ", command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))}";
        return error.Message;
    }

    /// <summary>A message the parser spreads over lines (the allowed values of a flag, one per line) on one line.</summary>
    private static string OneLine(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 1 ? lines[0] : $"{lines[0]} {string.Join(", ", lines.Skip(1))}";
    }

    private static OptionResult? OptionOf(SymbolResult? result) => result switch
    {
        OptionResult option => option,
        ArgumentResult { Parent: OptionResult option } => option,
        _ => null,
    };

    /// <summary>An unknown word, with the nearest option or command when one is a likely typo.</summary>
    private static string Unknown(string token, Command command)
    {
        var names = command.Options.SelectMany(o => o.Aliases.Prepend(o.Name))
            .Concat(command.Subcommands.Select(c => c.Name))
            .Concat(ParentOptions(command));
        var nearest = names.Select(n => (Name: n, Distance: Distance(token, n))).MinBy(x => x.Distance);
        string kind = token.StartsWith('-') ? "option" : "argument";
        return nearest.Name is not null && nearest.Distance <= Math.Max(2, token.Length / 4)
            ? $"unknown {kind} '{token}'; did you mean {nearest.Name}?"
            : $"unknown {kind} '{token}'";
    }

    private static IEnumerable<string> ParentOptions(Command command) =>
        command.Parents.OfType<Command>().SelectMany(p => p.Options.Where(o => o.Recursive)).Select(o => o.Name);

    private static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is CommandResult c; r = c.Parent)
            names.Add(c.Parent is null ? "gpt1" : c.Command.Name);
        names.Reverse();
        return string.Join(' ', names);
    }

    /// <summary>Levenshtein distance: the edits that turn <paramref name="a"/> into <paramref name="b"/>.</summary>
    private static int Distance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.Length];
    }
}
