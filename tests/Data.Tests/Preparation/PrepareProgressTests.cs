using Gpt1Cluster.Data.Preparation;

namespace Gpt1Cluster.Data.Tests.Preparation;

public sealed class PrepareProgressTests
{
    [Fact]
    public void The_progress_line_gives_megabytes_rate_and_an_eta_from_the_rate_so_far()
    {
        var line = PrepareProgress.Describe(bytes: 25_000_000, total: 100_000_000, TimeSpan.FromSeconds(10), documents: 1234, tokens: 5_600_000, phase: "tokenizing");

        Assert.Equal("tokenizing 25.0/100.0 MB (25%), 2.5 MB/s, ETA 0:30, 1,234 docs, 5.6M tokens", line);
    }

    [Fact]
    public void Long_etas_show_hours()
    {
        Assert.Equal("2:05:09", PrepareProgress.FormatDuration(TimeSpan.FromSeconds(2 * 3600 + 5 * 60 + 9)));
    }
}
