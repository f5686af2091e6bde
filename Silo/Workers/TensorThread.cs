using System.Collections.Concurrent;

namespace Gpt1Cluster.Silo.Workers;

/// <summary>
/// One dedicated thread for all of a replica's tensor work. TorchSharp's dispose scopes and grad
/// mode are thread-local and Orleans continuations hop threads, so a grain hands each piece of
/// work here and awaits the result outside any scope.
/// </summary>
public sealed class TensorThread : IDisposable
{
    private readonly BlockingCollection<Action> work = new();
    private readonly Thread thread;

    public TensorThread(string name)
    {
        thread = new Thread(Loop) { IsBackground = true, Name = name };
        thread.Start();
    }

    public Task<T> Run<T>(Func<T> body)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        work.Add(() =>
        {
            try
            {
                done.SetResult(body());
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        });
        return done.Task;
    }

    public Task Run(Action body) => Run(() =>
    {
        body();
        return true;
    });

    private void Loop()
    {
        foreach (var item in work.GetConsumingEnumerable()) item();
    }

    /// <summary>Lets queued work finish, then ends the thread.</summary>
    public void Dispose()
    {
        work.CompleteAdding();
        if (Thread.CurrentThread != thread) thread.Join();
        work.Dispose();
    }
}
