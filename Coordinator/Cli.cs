using System.CommandLine;
using Gpt1Cluster.Contracts.Model;
using Gpt1Cluster.Silo.Hosting;

namespace Gpt1Cluster.Coordinator;

/// <summary>Runs the parsed command and turns expected failures into one clear line and exit code 2.</summary>
public static class Cli
{
    /// <summary>Exit code of a run stopped by bad input (a config, a path, a flag).</summary>
    public const int UserError = 2;

    public static Task<int> InvokeAsync(RootCommand root, string[] args) => InvokeAsync(root, args, Console.Error);

    /// <param name="error">Where this method's own one-line messages go (the commands print to the console)</param>
    public static async Task<int> InvokeAsync(RootCommand root, string[] args, TextWriter error)
    {
        var parsed = Parse(root, args);
        if (parsed.Errors.Count > 0 && parsed.Action is not System.CommandLine.Help.HelpAction)
        {
            error.WriteLine($"gpt1: {ParseErrors.Describe(parsed)}");
            return UserError;
        }
        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration
            {
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = TimeSpan.FromMinutes(10), // Ctrl+C: let a run write its checkpoint
            });
        }
        catch (Exception e) when (e is UserInputException or ConfigException or FileNotFoundException or DirectoryNotFoundException or InvalidDataException)
        {
            error.WriteLine($"gpt1: {e.Message}");
            return UserError;
        }
        catch (Commands.Pretrain.RunUnreachableException e)
        {
            error.WriteLine($"gpt1: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            error.WriteLine("gpt1: cancelled");
            return 130;
        }
        catch (Exception e)
        {
            return Unexpected(e, error, Path.GetTempPath());
        }
    }

    /// <summary>The command line as typed: a prompt that starts with '@' is text, not a response file to read.</summary>
    public static ParseResult Parse(RootCommand root, string[] args) =>
        root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });

    /// <summary>The last resort: one line naming the exception and the file holding its trace, exit code 1 (see <see cref="LastResort"/>).</summary>
    public static int Unexpected(Exception e, TextWriter error, string traceDir) => LastResort.Report("gpt1", e, error, traceDir);
}

/// <summary>Bad input from the user: the message says what was wrong and what to do.</summary>
public sealed class UserInputException(string message) : Exception(message);
