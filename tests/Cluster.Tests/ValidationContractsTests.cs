using Gpt1Cluster.Contracts.Data;
using Gpt1Cluster.Contracts.Training;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>
/// The validation fields cross process boundaries through Orleans' serializer (the embedded tests
/// pass immutable records by reference, so they never encode them): each survives a round trip.
/// </summary>
public sealed class ValidationContractsTests
{
    private static readonly Serializer Codec = new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>();

    private static T RoundTrip<T>(T value) => Codec.Deserialize<T>(Codec.SerializeToArray(value))!;

    [Fact]
    public void Validation_fields_survive_orleans_serialization()
    {
        var report = new StepReport(4, 0, 5.5, 1e-3, 0.7, 128, 2, 0.1, 0.05, 0.01, 0.02, 0.02) { ValLoss = 6.25 };
        Assert.Equal(6.25, RoundTrip(report).ValLoss);
        var status = RoundTrip(new RunStatus { RunId = "r", ValLoss = 6.5, ValStep = 4 });
        Assert.Equal((6.5, 4L), (status.ValLoss!.Value, status.ValStep!.Value));
        var request = RoundTrip(new PretrainRequest { RunId = "r", Model = new(), Data = new DataPlan("d", 16, 8, 0), EvalEvery = 7, EvalTokens = 99 });
        Assert.Equal((7, 99L), (request.EvalEvery, request.EvalTokens));
        Assert.Equal(1234, RoundTrip(new DataInfo(10, "h", 100, 6, 1) { ValTokens = 1234 }).ValTokens);
        var part = RoundTrip(new EvalResult([1, 3], [2.5, 3.5], [16, 16], 0.5));
        Assert.Equal([1, 3], part.MicroBatches);
        Assert.Equal([2.5, 3.5], part.LossSums);
    }
}
