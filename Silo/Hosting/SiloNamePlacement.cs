using Orleans.Placement;
using Orleans.Runtime.Placement;

namespace Gpt1Cluster.Silo.Hosting;

/// <summary>
/// Places a grain on the silo its key names: the key is "siloName" or "siloName/…". Workers own
/// a device of one machine, so they must live exactly there; if that silo is not an active member
/// the activation fails with an error naming it.
/// </summary>
[Serializable, GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class SiloNamePlacement : PlacementStrategy
{
    public static SiloNamePlacement Instance { get; } = new();

    /// <summary>The silo name a key designates.</summary>
    public static string SiloOf(string key)
    {
        int slash = key.IndexOf('/');
        return slash < 0 ? key : key[..slash];
    }
}

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class SiloNamePlacementAttribute : PlacementAttribute
{
    public SiloNamePlacementAttribute() : base(SiloNamePlacement.Instance) { }
}

public sealed class SiloNamePlacementDirector(IClusterMembershipService membership) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        string key = target.GrainIdentity.Key.ToString();
        string name = SiloNamePlacement.SiloOf(key);
        var compatible = context.GetCompatibleSilos(target).ToHashSet();
        var member = membership.CurrentSnapshot.Members.Values
            .FirstOrDefault(m => m.Status == SiloStatus.Active && m.Name == name && compatible.Contains(m.SiloAddress));
        return member is not null
            ? Task.FromResult(member.SiloAddress)
            : throw new InvalidOperationException($"'{key}' lives on silo '{name}', which is not an active member of the cluster (or does not host this grain type)");
    }
}
