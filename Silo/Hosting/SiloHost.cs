using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;

namespace Gpt1Cluster.Silo.Hosting;

/// <summary>Turns <see cref="SiloHostOptions"/> into an Orleans silo: clustering, endpoints, name, TLS, storage root and the training grains.</summary>
public static class SiloHost
{
    public static ISiloBuilder UseGpt1SiloOptions(this ISiloBuilder silo, SiloHostOptions options)
    {
        if (options.Membership == MembershipKind.Localhost)
        {
            // Loopback endpoints; every silo but the primary names the primary's silo endpoint.
            silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort, options.Primary, options.ServiceId, options.ClusterId);
        }
        else
        {
            silo.UseRedisClustering(options.Redis!);
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = options.ClusterId;
                o.ServiceId = options.ServiceId;
            });
            silo.Configure<EndpointOptions>(o =>
            {
                o.SiloPort = options.SiloPort;
                o.GatewayPort = options.GatewayPort;
            });
        }
        if (options.Advertise is not null)
            silo.Configure<EndpointOptions>(o => o.AdvertisedIPAddress = options.Advertise);
        silo.Configure<SiloOptions>(o => o.SiloName = options.SiloName);
        if (options.Tls is { } tls) silo.UseTls(tls.Certificate, tls.Configure); // every silo and gateway connection, both ways
        return silo.AddGpt1Training(options.Devices, options.Membership == MembershipKind.Redis ? options.Redis : null, options.DataPlanePorts, options.StorageRoot);
    }
}
