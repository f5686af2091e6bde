using System.Diagnostics.Metrics;
using Gpt1Cluster.Contracts.Training;
using Gpt1Cluster.Silo.Grains;
using Gpt1Cluster.Silo.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>A run's series as one silo's meter reports them: set by the coordinator's events, gone when the run ends, never lowered, never reported twice.</summary>
public sealed class RunMetricsTests : IDisposable
{
    private const long TokensPerStep = 1024;
    private readonly ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    private static StepReport Report(long step) => new(step, 0, 5.5, 1e-4, 0.9, TokensPerStep, 2, 0.1, 0.05, 0.01, 0.02, 0.02);

    [Fact]
    public void Validation_loss_is_reported_once_an_evaluation_sets_it()
    {
        var meter = new TrainingMetrics(services.GetRequiredService<IMeterFactory>());
        var run = meter.Run("r");
        run.Step(Report(1), TokensPerStep, stepsPerEpoch: 10);
        Assert.DoesNotContain("gpt1.val.loss", Observe(meter).Keys);
        run.Validated(4.25, []);
        Assert.Equal(4.25, Observe(meter)["gpt1.val.loss"]);
    }

    [Fact]
    public void A_fine_tuning_run_reports_both_losses_and_each_val_metric_by_name()
    {
        var meter = new TrainingMetrics(services.GetRequiredService<IMeterFactory>());
        var run = meter.Run("r");
        run.Step(Report(1), TokensPerStep, stepsPerEpoch: 10);
        Assert.DoesNotContain("gpt1.finetune.task_loss", Observe(meter).Keys); // pretraining reports no task loss
        run.Step(Report(2) with { TaskLoss = 0.69, LmLoss = 4.5 }, 2 * TokensPerStep, stepsPerEpoch: 10);
        run.Validated(0.6, [new("accuracy", 0.75), new("f1", 0.7)]);
        var now = Observe(meter);
        Assert.Equal((0.69, 4.5), (now["gpt1.finetune.task_loss"], now["gpt1.finetune.lm_loss"]));
        Assert.Equal((0.75, 0.7), (now["gpt1.finetune.val_metric{metric=accuracy}"], now["gpt1.finetune.val_metric{metric=f1}"]));
    }

    [Fact]
    public void A_run_that_ended_reports_nothing_and_a_resume_reports_it_again()
    {
        var meter = new TrainingMetrics(services.GetRequiredService<IMeterFactory>());
        var run = meter.Run("r");
        run.Step(Report(1), TokensPerStep, stepsPerEpoch: 4);
        var now = Observe(meter);
        Assert.Equal((5.5, 0.25, 1024.0), (now["gpt1.train.loss"], now["gpt1.train.epoch"], now["gpt1.train.tokens"]));
        run.Ended();
        Assert.Empty(Observe(meter));
        meter.Run("r").Formed(3, 1, TokensPerStep); // a resume: the same series on this silo, its counts going on
        Assert.Equal((3.0, 1.0), (Observe(meter)["gpt1.workers.active"], Observe(meter)["gpt1.train.steps"]));
    }

    [Fact]
    public void Steps_and_tokens_hold_while_a_recovery_redoes_updates_since_the_checkpoint()
    {
        var meter = new TrainingMetrics(services.GetRequiredService<IMeterFactory>());
        var run = meter.Run("r");
        for (long s = 1; s <= 7; s++) run.Step(Report(s), s * TokensPerStep, 100);
        var timedOut = new StepTimeoutException(1, "step 8 was not computed within the step timeout");
        run.Recovered(new StepFailedException($"worker w/1 (rank 1) failed: {timedOut.Message}", [], timedOut));
        run.Formed(2, 5, 5 * TokensPerStep); // back to the checkpoint at step 5
        run.Step(Report(6), 6 * TokensPerStep, 100);
        var now = Observe(meter);
        Assert.Equal((7.0, 7.0 * TokensPerStep, 1.0), (now["gpt1.train.steps"], now["gpt1.train.tokens"], now["gpt1.recoveries{reason=step_timeout}"]));
        run.Step(Report(8), 8 * TokensPerStep, 100);
        Assert.Equal(8, Observe(meter)["gpt1.train.steps"]);
    }

    [Fact]
    public void A_coordinator_that_moved_reports_from_its_new_silo_and_the_old_one_reports_nothing()
    {
        var before = new TrainingMetrics(services.GetRequiredService<IMeterFactory>());
        var old = before.Run("r");
        old.Step(Report(1), TokensPerStep, 10);
        old.Step(Report(2), 2 * TokensPerStep, 10);
        old.Ended(); // its activation went away with the silo
        using var otherSilo = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var after = new TrainingMetrics(otherSilo.GetRequiredService<IMeterFactory>());
        var moved = after.Run("r");
        moved.Formed(2, 1, TokensPerStep); // resumed from the checkpoint at step 1
        moved.CoordinatorMoved();
        moved.Step(Report(2), 2 * TokensPerStep, 10);
        Assert.Empty(Observe(before));
        var now = Observe(after);
        Assert.Equal((2.0, 2.0 * TokensPerStep, 1.0), (now["gpt1.train.steps"], now["gpt1.train.tokens"], now["gpt1.recoveries{reason=coordinator_moved}"]));
    }

    /// <summary>What one collection of <paramref name="meter"/>'s observable instruments reports: name (and reason, if any) → value.</summary>
    private static Dictionary<string, double> Observe(TrainingMetrics meter)
    {
        var seen = new Dictionary<string, double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, meter.StepPhases.Meter)) l.EnableMeasurementEvents(instrument);
        };
        void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string? reason = null, metric = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "reason") reason = (string?)tag.Value;
                if (tag.Key == "metric") metric = (string?)tag.Value;
            }
            if (metric is not null) seen[$"{instrument.Name}{{metric={metric}}}"] = value;
            else if (reason is null || value > 0) seen[reason is null ? instrument.Name : $"{instrument.Name}{{reason={reason}}}"] = value;
        }
        listener.SetMeasurementEventCallback<double>((i, v, t, _) => Add(i, v, t));
        listener.SetMeasurementEventCallback<long>((i, v, t, _) => Add(i, v, t));
        listener.Start();
        listener.RecordObservableInstruments();
        return seen;
    }

    public void Dispose() => services.Dispose();
}
