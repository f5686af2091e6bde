namespace Gpt1Cluster.Contracts.Training;

/// <summary>
/// A worker lost the connection to a peer of its step while sending to it (the peer died, or the
/// network between them failed). It names the peer: the coordinator takes it as evidence about
/// the peer, never against the worker that saw it.
/// </summary>
[GenerateSerializer]
public sealed class PeerLostException : Exception
{
    public PeerLostException(int rank, string endpoint, string message, Exception? inner = null) : base(message, inner)
    {
        Rank = rank;
        Endpoint = endpoint;
    }

    /// <summary>The peer's rank in the generation that failed.</summary>
    [Id(0)] public int Rank { get; init; }

    /// <summary>The peer's data-plane endpoint (host:port).</summary>
    [Id(1)] public string Endpoint { get; init; }
}

/// <summary>A worker the coordinator leaves out of re-forms for a while, and why.</summary>
[GenerateSerializer, Immutable]
public sealed record WorkerAbsence(
    [property: Id(0)] string Worker,
    [property: Id(1)] string Reason,
    [property: Id(2)] DateTime UntilUtc);

/// <summary>
/// The last recovery: which step failed and why, what the coordinator decided from the evidence,
/// and how long it took from the failure being noticed to the worker set re-formed and to the first
/// step completed after it (null while that has not happened yet).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record RecoveryReport(
    [property: Id(0)] long FailedStep,
    [property: Id(1)] string Cause,
    [property: Id(2)] string Decision,
    [property: Id(3)] DateTime NoticedAtUtc,
    [property: Id(4)] long ResumedFromStep,
    [property: Id(5)] int Workers,
    [property: Id(6)] double? ReformedAfterSeconds,
    [property: Id(7)] double? FirstStepAfterSeconds);
