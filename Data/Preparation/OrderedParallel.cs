using System.Collections.Concurrent;

namespace Gpt1Cluster.Data.Preparation;

/// <summary>
/// A three-stage pipeline: one thread enumerates the source, <c>workers</c> threads apply the map,
/// and the caller receives results in source order. The order (and so the output) never depends on
/// the number of threads or their timing. At most <c>maxInFlight</c> items are read ahead of the
/// consumer, which bounds memory. A failure in any stage surfaces to the consumer at its place in
/// the sequence; a consumer that stops early stops the other stages.
/// </summary>
public static class OrderedParallel
{
    public static IEnumerable<TOut> Map<TIn, TOut>(IEnumerable<TIn> source, Func<TIn, TOut> map, int workers, int maxInFlight)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxInFlight, 1);

        using var stop = new CancellationTokenSource();
        // In source order: the consumer waits on each in turn. Bounded, so the reader waits for the writer.
        using var ordered = new BlockingCollection<Task<TOut>>(maxInFlight);
        using var work = new BlockingCollection<(TIn Item, TaskCompletionSource<TOut> Result)>();

        var reader = new Thread(() => Produce(source, ordered, work, stop.Token)) { IsBackground = true, Name = "pipeline reader" };
        var mappers = Enumerable.Range(0, workers)
            .Select(i => new Thread(() => Consume(work, map, stop.Token)) { IsBackground = true, Name = $"pipeline worker {i}" })
            .ToList();
        reader.Start();
        mappers.ForEach(t => t.Start());
        try
        {
            foreach (var result in ordered.GetConsumingEnumerable(stop.Token))
                yield return result.GetAwaiter().GetResult();
        }
        finally
        {
            stop.Cancel();
            reader.Join();
            mappers.ForEach(t => t.Join());
        }
    }

    static void Produce<TIn, TOut>(IEnumerable<TIn> source, BlockingCollection<Task<TOut>> ordered,
        BlockingCollection<(TIn, TaskCompletionSource<TOut>)> work, CancellationToken stop)
    {
        try
        {
            foreach (var item in source)
            {
                var result = new TaskCompletionSource<TOut>(TaskCreationOptions.RunContinuationsAsynchronously);
                ordered.Add(result.Task, stop);
                work.Add((item, result), stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The consumer stopped; nobody is waiting.
        }
        catch (Exception e)
        {
            // A reading error takes its place in the sequence, after everything read before it.
            try { ordered.Add(Task.FromException<TOut>(e), stop); }
            catch (OperationCanceledException) { }
        }
        finally
        {
            ordered.CompleteAdding();
            work.CompleteAdding();
        }
    }

    static void Consume<TIn, TOut>(BlockingCollection<(TIn Item, TaskCompletionSource<TOut> Result)> work, Func<TIn, TOut> map, CancellationToken stop)
    {
        try
        {
            foreach (var (item, result) in work.GetConsumingEnumerable(stop))
            {
                try { result.SetResult(map(item)); }
                catch (Exception e) { result.SetException(e); }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }
}
