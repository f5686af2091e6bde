using System.Text.Json;
using Gpt1Cluster.Data.Sampling;

namespace Gpt1Cluster.Data.Tests.Sampling;

public sealed class CursorResumeTests
{
    [Fact]
    public void Cursor_serializes_to_json_with_stable_property_names()
    {
        // Checkpoints written today must load tomorrow: pin the shape, not just the round trip.
        var cursor = new SamplerCursor(7, 123_456_789_012);
        string json = JsonSerializer.Serialize(cursor);
        Assert.Equal("""{"Epoch":7,"Position":123456789012}""", json);
        Assert.Equal(cursor, JsonSerializer.Deserialize<SamplerCursor>(json));
    }

    [Fact]
    public void Resuming_from_any_saved_cursor_reproduces_the_uninterrupted_stream() =>
        Property.ForAll(30, draw =>
        {
            var sampler = Samplers.Random(draw);
            long steps = sampler.StepsPerEpoch * 3; // crosses two epoch boundaries
            var uninterrupted = Samplers.Batches(sampler, SamplerCursor.Start, steps);

            int saveAt = draw.Int("saveAt", 0, (int)steps - 1);
            var cursor = SamplerCursor.Start;
            for (int s = 0; s < saveAt; s++)
                cursor = sampler.Advance(cursor);
            string checkpoint = JsonSerializer.Serialize(cursor);

            // A fresh process: a new sampler (empty cache) from the same configuration.
            var restarted = new SequenceSampler(sampler.TrainTokens, sampler.Context, sampler.BatchSize, sampler.Seed);
            var resumed = Samplers.Batches(restarted, JsonSerializer.Deserialize<SamplerCursor>(checkpoint)!, steps - saveAt);

            Assert.Equal(uninterrupted.Skip(saveAt), resumed);
        });

    [Fact]
    public void The_cursor_of_a_step_number_equals_advancing_that_many_steps() =>
        Property.ForAll(30, draw =>
        {
            // The data grain serves "step s" to workers with no shared cursor: s alone must say where.
            var sampler = Samplers.Random(draw);
            var cursor = SamplerCursor.Start;
            for (long step = 0; step < sampler.StepsPerEpoch * 3; step++)
            {
                Assert.Equal(cursor, sampler.CursorAt(step));
                cursor = sampler.Advance(cursor);
            }
        });

    [Fact]
    public void Changing_the_worker_count_at_any_step_boundary_still_covers_each_epoch_exactly_once() =>
        Property.ForAll(31, draw =>
        {
            var sampler = Samplers.Random(draw);
            int workers = draw.Int("N0", 1, 8);
            var cursor = new SamplerCursor(draw.Int("epoch", 0, 3), 0);
            int epoch = cursor.Epoch;
            var seen = new List<int>();
            for (long step = 0; step < sampler.StepsPerEpoch; step++)
            {
                if (draw.Int($"change@{step}", 0, 3) == 0)
                    workers = draw.Int($"N@{step}", 1, 8);
                for (int rank = 0; rank < workers; rank++)
                    seen.AddRange(sampler.GetWorkerSlice(cursor, rank, workers).ToArray());
                cursor = sampler.Advance(cursor);
            }

            Samplers.AssertEachOnce(seen, sampler.SequenceCount);
            Assert.Equal(new SamplerCursor(epoch + 1, 0), cursor);
        });
}
