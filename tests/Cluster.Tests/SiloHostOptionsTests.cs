using System.Net;
using Gpt1Cluster.Silo.Hosting;
using Microsoft.Extensions.Configuration;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>gpt1-silo's flags, GPT1_* variables and appsettings.json, and the errors it gives for bad ones.</summary>
public sealed class SiloHostOptionsTests
{
    private static SiloHostOptions Parse(string[] args, Dictionary<string, string>? env = null, Dictionary<string, string?>? settings = null) =>
        SiloHostOptions.Parse(args, name => env?.GetValueOrDefault(name),
            new ConfigurationBuilder().AddInMemoryCollection(settings ?? []).Build());

    [Fact]
    public void With_no_flags_a_silo_is_a_localhost_primary_with_one_cpu_worker_named_for_host_and_port()
    {
        var options = Parse([]);
        Assert.Equal(("gpt1", "gpt1", 11111, 30000), (options.ClusterId, options.ServiceId, options.SiloPort, options.GatewayPort));
        Assert.Equal(MembershipKind.Localhost, options.Membership);
        Assert.Null(options.Primary);
        Assert.Equal(["cpu"], options.Devices.Devices);
        Assert.Equal($"{Dns.GetHostName()}-11111", options.SiloName);
        Assert.Equal(9464, options.MetricsPort);
        Assert.Null(options.DataPlanePorts.First);
    }

    [Fact]
    public void Metrics_port_and_data_plane_range_come_from_flags_environment_or_appsettings()
    {
        var options = Parse(["--metrics-port", "0"], new() { ["GPT1_DATA_PLANE_PORTS"] = "40000-40031" });
        Assert.Equal(0, options.MetricsPort);
        Assert.Equal((40000, 40031), (options.DataPlanePorts.First, options.DataPlanePorts.Last));
        Assert.Equal(2, options.DataPlanePorts.Listeners); // one cpu worker and the bench grain
        var fromJson = Parse([], settings: new() { ["Silo:MetricsPort"] = "9100", ["Silo:DataPlanePorts"] = "41000" });
        Assert.Equal(9100, fromJson.MetricsPort);
        Assert.Equal("41000", fromJson.DataPlanePorts.ToString());
    }

    [Fact]
    public void Flags_override_environment_which_overrides_appsettings()
    {
        var env = new Dictionary<string, string> { ["GPT1_CLUSTER_ID"] = "from-env", ["GPT1_DEVICES"] = "cuda*2", ["GPT1_SILO_PORT"] = "12000" };
        var settings = new Dictionary<string, string?> { ["Silo:ClusterId"] = "from-json", ["Silo:ServiceId"] = "svc-json", ["Silo:Threads"] = "3" };
        var options = Parse(["--cluster-id=from-flag", "--primary", "127.0.0.1:11111"], env, settings);
        Assert.Equal("from-flag", options.ClusterId);
        Assert.Equal("svc-json", options.ServiceId);
        Assert.Equal(["cuda:0", "cuda:1"], options.Devices.Devices);
        Assert.Equal(3, options.Devices.Threads);
        Assert.Equal(12000, options.SiloPort);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 11111), options.Primary);
    }

    [Fact]
    public void Redis_membership_takes_a_connection_string_and_shows_no_password()
    {
        var options = Parse(["--membership", "redis", "--redis", "redis:6379,password=secret", "--advertise", "10.0.0.7", "--devices", "none"]);
        Assert.Equal(MembershipKind.Redis, options.Membership);
        Assert.Equal(IPAddress.Parse("10.0.0.7"), options.Advertise);
        Assert.Empty(options.Devices.Devices);
        Assert.Equal("redis redis:6379", options.DescribeMembership());
    }

    [Fact]
    public void The_storage_root_defaults_to_the_working_directory_and_comes_from_a_flag_or_the_environment()
    {
        Assert.Equal(StorageRootOf(Directory.GetCurrentDirectory()), Parse([]).StorageRoot.Root);
        string temp = Path.GetTempPath().TrimEnd('/');
        Assert.Equal(StorageRootOf(temp), Parse([], new() { ["GPT1_STORAGE_ROOT"] = temp }).StorageRoot.Root);
        Assert.Equal("/", Parse(["--storage-root", "/"]).StorageRoot.Root);
        var e = Assert.Throws<SiloOptionsException>(() => Parse(["--storage-root", "/no/such/dir"]));
        Assert.StartsWith("--storage-root /no/such/dir is not a directory; create it", e.Message);
    }

    private static string StorageRootOf(string path) => Gpt1Cluster.Silo.Grains.StorageRoot.Resolve(path);

    [Theory]
    [InlineData("--unknown", "unknown argument '--unknown'")]
    [InlineData("--silo-port x", "--silo-port: 'x' is not a port")]
    [InlineData("--silo-port 5 --gateway-port 5", "--silo-port and --gateway-port are both 5")]
    [InlineData("--membership zk", "--membership: 'zk' is not a membership")]
    [InlineData("--membership redis", "--membership redis needs --redis")]
    [InlineData("--redis localhost:6379", "--redis is for --membership redis")]
    [InlineData("--membership redis --redis r:1 --primary 127.0.0.1:1", "--primary is for --membership localhost")]
    [InlineData("--primary 127.0.0.1", "--primary: '127.0.0.1' is not host:port")]
    [InlineData("--advertise somewhere", "--advertise: 'somewhere' is not an IP address")]
    [InlineData("--devices tpu", "--devices: 'tpu' is not a device")]
    [InlineData("--threads -1", "--threads: '-1' is not a thread count")]
    [InlineData("--devices cpu --threads", "--threads needs a value")]
    [InlineData("--threads many", "--threads: 'many' is not a thread count")]
    [InlineData("--silo-name a/b", "--silo-name: 'a/b' contains '/'")]
    [InlineData("--devices cpu --devices cpu", "--devices is given twice")]
    [InlineData("--metrics-port 70000", "--metrics-port: '70000' is not a port")]
    [InlineData("--metrics-port 11111", "--metrics-port 11111 is also the --silo-port")]
    [InlineData("--data-plane-ports 40010-40000", "--data-plane-ports: '40010-40000' is not a port range")]
    [InlineData("--data-plane-ports many", "--data-plane-ports: 'many' is not a port range")]
    [InlineData("--data-plane-ports 29000-31000", "--data-plane-ports 29000-31000 contains the --gateway-port 30000")]
    [InlineData("--devices cuda*8 --data-plane-ports 40000-40003", "--data-plane-ports 40000-40003 has 4 port(s) but this silo hosts 8 worker(s)")]
    public void A_bad_flag_is_named_in_the_error(string args, string message)
    {
        var e = Assert.Throws<SiloOptionsException>(() => Parse(args.Split(' ')));
        Assert.StartsWith(message, e.Message);
    }
}
