using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Gpt1Cluster.Silo.Hosting;

/// <summary>A host inside the `gpt1` command line logs to stderr: its stdout is for results (--json stays parseable).</summary>
public static class StandardErrorLogging
{
    public static ILoggingBuilder ToStandardError(this ILoggingBuilder logging)
    {
        logging.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        return logging;
    }
}
