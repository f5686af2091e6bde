using Gpt1Cluster.Coordinator;
using Gpt1Cluster.Data.Tests.Fixtures;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>An exception nobody expected reaches the user as one line naming it and the file holding its whole trace, never as a stack trace.</summary>
public sealed class CliLastResortTests
{
    [Fact]
    public void An_unexpected_exception_is_one_line_with_the_trace_in_a_file_and_exit_code_1()
    {
        using var dir = new TempDirectory();
        var error = new StringWriter();
        Exception thrown;
        try
        {
            throw new NullReferenceException("Object reference not set to an instance of an object.\nsecond line");
        }
        catch (Exception e)
        {
            thrown = e;
        }
        Assert.Equal(1, Cli.Unexpected(thrown, error, dir.Path));
        string line = Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("gpt1: NullReferenceException: Object reference not set to an instance of an object. (full trace: ", line);
        string trace = Assert.Single(Directory.GetFiles(dir.Path, "gpt1-error-*.log"));
        Assert.Contains(trace, line);
        Assert.Contains(nameof(An_unexpected_exception_is_one_line_with_the_trace_in_a_file_and_exit_code_1), File.ReadAllText(trace)); // the stack trace is there
    }

    [Fact]
    public void A_cluster_that_does_not_answer_is_said_so()
    {
        using var dir = new TempDirectory();
        var error = new StringWriter();
        Cli.Unexpected(new SiloUnavailableException("The target silo became unavailable"), error, dir.Path);
        Assert.StartsWith("gpt1: the cluster did not answer: SiloUnavailableException: The target silo became unavailable", error.ToString());
    }
}
