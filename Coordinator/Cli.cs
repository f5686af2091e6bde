using System.CommandLine;
using Gpt1Cluster.Contracts.Model;

namespace Gpt1Cluster.Coordinator;

/// <summary>Runs the parsed command and turns expected failures into one clear line and exit code 2.</summary>
public static class Cli
{
    /// <summary>Exit code of a run stopped by bad input (a config, a path, a flag).</summary>
    public const int UserError = 2;

    public static async Task<int> InvokeAsync(RootCommand root, string[] args)
    {
        var parsed = root.Parse(args);
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
            Console.Error.WriteLine($"gpt1: {e.Message}");
            return UserError;
        }
        catch (Commands.Pretrain.RunUnreachableException e)
        {
            Console.Error.WriteLine($"gpt1: {e.Message}");
            return 1;
        }
    }

}

/// <summary>Bad input from the user: the message says what was wrong and what to do.</summary>
public sealed class UserInputException(string message) : Exception(message);
