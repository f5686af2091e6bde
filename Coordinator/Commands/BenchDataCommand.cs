using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Gpt1Cluster.Contracts.Data;
using Gpt1Cluster.Silo.Hosting;

namespace Gpt1Cluster.Coordinator.Commands;

/// <summary>
/// `gpt1 bench data`: tokens/s the DataGrain serves to N consumers in one embedded silo, each
/// pulling its slice of consecutive steps as a worker would (with nothing to compute in between).
/// </summary>
public static class BenchDataCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "A prepared directory (gpt1 prepare)", Required = true };
        var consumers = Options.Positive("--consumers", "Workers pulling slices concurrently", 8);
        var batch = Options.Positive("--batch", "Global sequences per step", 64);
        var ctx = Options.Positive("--ctx", "Tokens per sequence", 512);
        var steps = Options.Positive("--steps", "Steps to serve (after 5 warm-up steps)", 2000);
        var json = Options.Json();
        var command = new Command("data", "Measure how fast the data grain serves token batches") { data, consumers, batch, ctx, steps, json };
        command.SetAction((parse, cancel) => Run(parse.GetValue(data)!, parse.GetValue(consumers), parse.GetValue(batch),
            parse.GetValue(ctx), parse.GetValue(steps), parse.GetValue(json), cancel));
        return command;
    }

    private static async Task<int> Run(string data, int consumers, int batch, int ctx, int steps, bool json, CancellationToken cancel)
    {
        if (!Directory.Exists(data)) throw new UserInputException($"--data {data} does not exist; run gpt1 prepare first");
        await using var silo = await EmbeddedSilo.StartAsync(cancel: cancel);
        var grain = silo.Grains.GetGrain<IDataGrain>("bench-data");
        var info = await grain.Open(new DataPlan(Path.GetFullPath(data), ctx, batch, 0));

        async Task<long> Consume(int rank, long from, long count)
        {
            long tokens = 0;
            for (long s = from; s < from + count; s++) tokens += (await grain.GetSlice(s, rank, consumers)).TokenCount;
            return tokens;
        }

        await Task.WhenAll(Enumerable.Range(0, consumers).Select(r => Consume(r, 0, 5)));
        var clock = Stopwatch.StartNew();
        var served = await Task.WhenAll(Enumerable.Range(0, consumers).Select(r => Consume(r, 5, steps)));
        double seconds = clock.Elapsed.TotalSeconds;
        long tokens = served.Sum();
        var report = new
        {
            bench = "data-grain",
            consumers, batch, ctx, steps,
            train_tokens = info.TrainTokens,
            tokens_served = tokens,
            seconds = Math.Round(seconds, 3),
            tokens_per_second = Math.Round(tokens / seconds),
            steps_per_second = Math.Round(steps / seconds, 1),
        };
        Console.WriteLine(json ? JsonLine.Of(report)
            : $"{report.tokens_per_second:N0} tokens/s to {consumers} consumers ({report.steps_per_second} steps/s of {batch}×{ctx + 1} tokens)");
        return 0;
    }
}
