using Gpt1Cluster.Silo.Workers;

namespace Gpt1Cluster.Cluster.Tests.Fixtures;

/// <summary>Data planes in this process opened as the ranks of one generation, with one key, as a coordinator's Join does.</summary>
internal static class OpenPlanes
{
    /// <summary>Opens plane r for <paramref name="sinks"/>[r] as rank r; returns each rank's credentials.</summary>
    public static PeerCredentials[] Open(long generation, DataPlane[] planes, IFrameSink[] sinks, byte[]? key = null)
    {
        key ??= PeerCredentials.NewKey();
        var endpoints = planes.Select(p => p.Endpoint).ToArray();
        var credentials = planes.Select((_, r) => new PeerCredentials(generation, r, endpoints, key)).ToArray();
        for (int r = 0; r < planes.Length; r++) planes[r].Open(sinks[r], credentials[r]);
        return credentials;
    }
}
