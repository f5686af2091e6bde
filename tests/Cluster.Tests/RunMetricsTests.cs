using System.Diagnostics.Metrics;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Silo.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>A run's series as one silo's meter reports them: set by the coordinator's events, gone when the run ends, from zero where a coordinator moved.</summary>
public sealed class RunMetricsTests : IDisposable
{
    private readonly ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    private static StepReport Report(long step) => new(step, 0, 5.5, 1e-4, 0.9, 1024, 2, 0.1, 0.05, 0.01, 0.02, 0.02);

    [Fact]
    public void Validation_loss_is_reported_once_an_evaluation_sets_it()
    {
        var meter = new TrainingMetrics(services.GetRequiredService<IMeterFactory>());
        var run = meter.Run("r");
        run.Step(Report(1), stepsPerEpoch: 10);
        Assert.DoesNotContain("gpt1.val.loss", Observe(meter).Keys);
        run.Validated(4.25);
        Assert.Equal(4.25, Observe(meter)["gpt1.val.loss"]);
    }

    [Fact]
    public void A_run_that_ended_reports_nothing_and_a_resume_reports_it_again()
    {
        var meter = new TrainingMetrics(services.GetRequiredService<IMeterFactory>());
        var run = meter.Run("r");
        run.Step(Report(1), stepsPerEpoch: 4);
        Assert.Equal((5.5, 0.25, 1024.0), (Observe(meter)["gpt1.train.loss"], Observe(meter)["gpt1.train.epoch"], Observe(meter)["gpt1.train.tokens"]));
        run.Ended();
        Assert.Empty(Observe(meter));
        run.WorkersChanged(3);
        Assert.Equal(3, Observe(meter)["gpt1.workers.active"]);
    }

    [Fact]
    public void A_coordinator_that_moved_counts_from_zero_on_its_new_silo_and_the_old_one_reports_nothing()
    {
        var before = new TrainingMetrics(services.GetRequiredService<IMeterFactory>());
        var old = before.Run("r");
        old.Step(Report(1), 10);
        old.Step(Report(2), 10);
        old.Ended(); // its activation went away with the silo
        using var otherSilo = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var after = new TrainingMetrics(otherSilo.GetRequiredService<IMeterFactory>());
        var moved = after.Run("r");
        moved.CoordinatorMoved();
        moved.Step(Report(3), 10);
        Assert.Empty(Observe(before));
        var now = Observe(after);
        Assert.Equal((1.0, 1024.0, 1.0), (now["gpt1.train.steps"], now["gpt1.train.tokens"], now["gpt1.recoveries{reason=coordinator_moved}"]));
    }

    /// <summary>What one collection of <paramref name="meter"/>'s observable instruments reports: name (and reason, if any) → value.</summary>
    private static Dictionary<string, double> Observe(TrainingMetrics meter)
    {
        var seen = new Dictionary<string, double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == TrainingMetrics.MeterName && ReferenceEquals(instrument.Meter, meter.StepPhases.Meter)) l.EnableMeasurementEvents(instrument);
        };
        void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string? reason = null;
            foreach (var tag in tags) if (tag.Key == "reason") reason = (string?)tag.Value;
            if (reason is null || value > 0) seen[reason is null ? instrument.Name : $"{instrument.Name}{{reason={reason}}}"] = value;
        }
        listener.SetMeasurementEventCallback<double>((i, v, t, _) => Add(i, v, t));
        listener.SetMeasurementEventCallback<long>((i, v, t, _) => Add(i, v, t));
        listener.Start();
        listener.RecordObservableInstruments();
        return seen;
    }

    public void Dispose() => services.Dispose();
}
