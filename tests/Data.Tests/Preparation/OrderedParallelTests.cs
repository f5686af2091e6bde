using Gpt1Cluster.Data.Preparation;

namespace Gpt1Cluster.Data.Tests.Preparation;

public sealed class OrderedParallelTests
{
    /// <summary>Uneven CPU work, so workers finish out of order without any sleeping.</summary>
    static long Busy(int item)
    {
        long x = item;
        for (var i = 0; i < (item % 7) * 20_000; i++) x = x * 6364136223846793005L + 1442695040888963407L;
        return x;
    }

    [Fact]
    public void Results_come_back_in_source_order_whatever_the_number_of_workers()
    {
        var expected = Enumerable.Range(0, 500).Select(i => (i, Busy(i))).ToList();

        foreach (var workers in new[] { 1, 3, 8 })
            Assert.Equal(expected, OrderedParallel.Map(Enumerable.Range(0, 500), i => (i, Busy(i)), workers, maxInFlight: 16));
    }

    [Fact]
    public void A_failing_item_surfaces_after_every_item_before_it()
    {
        var seen = new List<int>();

        var e = Assert.Throws<InvalidOperationException>(() =>
        {
            foreach (var x in OrderedParallel.Map(Enumerable.Range(0, 100), i => i == 40 ? throw new InvalidOperationException("item 40") : i, workers: 4, maxInFlight: 8))
                seen.Add(x);
        });

        Assert.Equal("item 40", e.Message);
        Assert.Equal(Enumerable.Range(0, 40), seen);
    }

    [Fact]
    public void A_failing_source_surfaces_after_every_item_it_produced()
    {
        static IEnumerable<int> Source()
        {
            for (var i = 0; i < 10; i++) yield return i;
            throw new IOException("disk gone");
        }
        var seen = new List<int>();

        var e = Assert.Throws<IOException>(() =>
        {
            foreach (var x in OrderedParallel.Map(Source(), i => i, workers: 2, maxInFlight: 4)) seen.Add(x);
        });

        Assert.Equal("disk gone", e.Message);
        Assert.Equal(Enumerable.Range(0, 10), seen);
    }

    [Fact]
    public void A_consumer_that_stops_early_stops_the_reader_within_the_in_flight_bound()
    {
        var produced = 0;
        IEnumerable<int> Source()
        {
            for (var i = 0; ; i++)
            {
                Interlocked.Increment(ref produced);
                yield return i;
            }
        }

        var firstFive = OrderedParallel.Map(Source(), i => i, workers: 2, maxInFlight: 4).Take(5).ToList();

        Assert.Equal([0, 1, 2, 3, 4], firstFive);
        Assert.InRange(Volatile.Read(ref produced), 5, 5 + 4 + 2);
    }
}
