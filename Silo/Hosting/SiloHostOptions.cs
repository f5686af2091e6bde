using System.Net;
using Gpt1Cluster.Silo.Grains;
using Gpt1Cluster.Silo.Workers;
using Microsoft.Extensions.Configuration;

namespace Gpt1Cluster.Silo.Hosting;

public enum MembershipKind
{
    /// <summary>Silos on one host find each other through a primary silo (Orleans development clustering).</summary>
    Localhost,

    /// <summary>The membership table lives in Redis: silos on any number of hosts.</summary>
    Redis,
}

/// <summary>
/// What `gpt1-silo` is told, from (lowest to highest precedence) defaults, appsettings.json
/// (section "Silo", keys as the properties here), GPT1_* environment variables and flags.
/// Validated once: a bad value throws <see cref="SiloOptionsException"/> naming the flag.
/// </summary>
public sealed record SiloHostOptions
{
    public string ClusterId { get; init; } = "gpt1";
    public string ServiceId { get; init; } = "gpt1";

    /// <summary>Unique in the cluster; workers are keyed "siloName/index". Default "&lt;hostname&gt;-&lt;siloPort&gt;".</summary>
    public required string SiloName { get; init; }

    public int SiloPort { get; init; } = 11111;
    public int GatewayPort { get; init; } = 30000;

    /// <summary>The address other silos and clients reach this one at (localhost mode: loopback; redis mode: Orleans picks a local address).</summary>
    public IPAddress? Advertise { get; init; }

    public MembershipKind Membership { get; init; } = MembershipKind.Localhost;

    /// <summary>Localhost mode: the primary silo's endpoint; null means this silo is the primary.</summary>
    public IPEndPoint? Primary { get; init; }

    /// <summary>Redis mode: a StackExchange.Redis connection string ("host:6379,password=…").</summary>
    public string? Redis { get; init; }

    public required WorkerDevices Devices { get; init; }

    /// <summary>Port of /metrics, /healthz and /ready (all interfaces); 0 = no HTTP endpoint.</summary>
    public int MetricsPort { get; init; } = Hosting.MetricsEndpoint.DefaultPort;

    /// <summary>Where the workers' data planes listen: a fixed range for firewalls, or any free port.</summary>
    public DataPlanePorts DataPlanePorts { get; init; } = DataPlanePorts.Any;

    /// <summary>Mutual TLS for silo-to-silo and client-to-gateway traffic; null: plaintext (docs/security.md).</summary>
    public ClusterTls? Tls { get; init; }

    /// <summary>The only directory runs may read data from and write checkpoints into (default: the working directory).</summary>
    public StorageRoot StorageRoot { get; init; } = StorageRoot.Unconfined;

    /// <summary>One flag: its name, the environment variable and appsettings key that set it too, and what it takes.</summary>
    public sealed record Flag(string Name, string Environment, string Key, string Help);

    public static IReadOnlyList<Flag> Flags { get; } =
    [
        new("--cluster-id", "GPT1_CLUSTER_ID", "ClusterId", "the cluster's id (default gpt1); silos and clients must agree"),
        new("--service-id", "GPT1_SERVICE_ID", "ServiceId", "the service's id (default gpt1)"),
        new("--silo-name", "GPT1_SILO_NAME", "SiloName", "unique silo name (default <hostname>-<silo-port>)"),
        new("--silo-port", "GPT1_SILO_PORT", "SiloPort", "silo-to-silo port (default 11111)"),
        new("--gateway-port", "GPT1_GATEWAY_PORT", "GatewayPort", "client gateway port (default 30000)"),
        new("--advertise", "GPT1_ADVERTISE", "Advertise", "IP address to advertise (default: loopback in localhost mode, a local address in redis mode)"),
        new("--membership", "GPT1_MEMBERSHIP", "Membership", "localhost (one host, default) or redis"),
        new("--primary", "GPT1_PRIMARY", "Primary", "localhost mode: the primary silo's host:silo-port; omit on the primary itself"),
        new("--redis", "GPT1_REDIS", "Redis", "redis mode: the Redis connection string (e.g. redis:6379)"),
        new("--devices", "GPT1_DEVICES", "Devices", "the workers this silo hosts: cpu, cpu*2, cuda*8, cuda:0,cuda:1 or none (default cpu)"),
        new("--threads", "GPT1_THREADS", "Threads", "torch threads for this process's CPU workers (default 0: all cores)"),
        new("--metrics-port", "GPT1_METRICS_PORT", "MetricsPort", "HTTP port of /metrics (Prometheus), /healthz and /ready (default 9464; 0: none)"),
        new("--data-plane-ports", "GPT1_DATA_PLANE_PORTS", "DataPlanePorts", "the workers' all-reduce ports, A-B (default: any free port); one per worker, one more for bench allreduce"),
        new(ClusterTls.CertFlag, ClusterTls.CertEnvironment, "TlsCert", "mutual TLS: this silo's PEM certificate (with --tls-key) or .pfx; with --tls-ca (default: no TLS)"),
        new(ClusterTls.KeyFlag, ClusterTls.KeyEnvironment, "TlsKey", "mutual TLS: the PEM private key of --tls-cert"),
        new(ClusterTls.CaFlag, ClusterTls.CaEnvironment, "TlsCa", "mutual TLS: the CA certificate every silo's and client's certificate must chain to"),
        new(StorageRoot.Flag, StorageRoot.Environment, "StorageRoot", "runs read data and write checkpoints only under this directory (default: the working directory)"),
    ];

    public static string Usage =>
        "usage: gpt1-silo [flags]   (each flag may also come from its environment variable or appsettings.json \"Silo\" section)\n" +
        string.Join("\n", Flags.Select(f => $"  {f.Name,-18} {f.Environment,-21} {f.Help}"));

    /// <summary>Reads the options; <paramref name="environment"/> and <paramref name="settings"/> are injectable for tests.</summary>
    public static SiloHostOptions Parse(IReadOnlyList<string> args, Func<string, string?> environment, IConfiguration? settings = null)
    {
        var given = ParseFlags(args);
        string? Value(string name)
        {
            var flag = Flags.Single(f => f.Name == name);
            return given.GetValueOrDefault(name) ?? NonEmpty(environment(flag.Environment)) ?? NonEmpty(settings?[$"Silo:{flag.Key}"]);
        }

        int siloPort = Port("--silo-port", Value("--silo-port"), 11111);
        int gatewayPort = Port("--gateway-port", Value("--gateway-port"), 30000);
        if (siloPort == gatewayPort) throw new SiloOptionsException($"--silo-port and --gateway-port are both {siloPort}; give them different ports");
        var membership = Value("--membership") switch
        {
            null or "localhost" => MembershipKind.Localhost,
            "redis" => MembershipKind.Redis,
            var other => throw new SiloOptionsException($"--membership: '{other}' is not a membership; use localhost or redis"),
        };
        string? redis = Value("--redis");
        string? primary = Value("--primary");
        if (membership == MembershipKind.Redis && redis is null)
            throw new SiloOptionsException("--membership redis needs --redis <connection string> (e.g. --redis localhost:6379)");
        if (membership == MembershipKind.Localhost && redis is not null)
            throw new SiloOptionsException("--redis is for --membership redis; add --membership redis or drop --redis");
        if (membership == MembershipKind.Redis && primary is not null)
            throw new SiloOptionsException("--primary is for --membership localhost; redis silos find each other through Redis");
        int threads = Value("--threads") is string t
            ? int.TryParse(t, out int n) && n >= 0 ? n : throw new SiloOptionsException($"--threads: '{t}' is not a thread count (0 = all cores)")
            : 0;
        WorkerDevices devices;
        try
        {
            devices = WorkerDevices.Parse(Value("--devices") ?? "cpu", threads);
        }
        catch (FormatException e)
        {
            throw new SiloOptionsException($"--{e.Message}");
        }
        int metricsPort = Value("--metrics-port") is string m
            ? int.TryParse(m, out int mp) && mp is >= 0 and <= 65535 ? mp : throw new SiloOptionsException($"--metrics-port: '{m}' is not a port (1-65535, or 0 for none)")
            : Hosting.MetricsEndpoint.DefaultPort;
        if (metricsPort == siloPort || metricsPort == gatewayPort)
            throw new SiloOptionsException($"--metrics-port {metricsPort} is also the {(metricsPort == siloPort ? "--silo-port" : "--gateway-port")}; give it another port");
        var dataPlane = DataPlaneRange(Value("--data-plane-ports"), devices, [(siloPort, "--silo-port"), (gatewayPort, "--gateway-port"), (metricsPort, "--metrics-port")]);
        ClusterTls? tls;
        try
        {
            tls = ClusterTls.Load(Value(ClusterTls.CertFlag), Value(ClusterTls.KeyFlag), Value(ClusterTls.CaFlag));
        }
        catch (TlsSettingsException e)
        {
            throw new SiloOptionsException(e.Message);
        }
        StorageRoot storage;
        try
        {
            storage = StorageRoot.At(Value(StorageRoot.Flag) ?? Directory.GetCurrentDirectory());
        }
        catch (Exception e) when (e is DirectoryNotFoundException or IOException or ArgumentException)
        {
            throw new SiloOptionsException(e.Message);
        }
        string name = Value("--silo-name") ?? $"{Dns.GetHostName()}-{siloPort}";
        if (name.Contains('/')) throw new SiloOptionsException($"--silo-name: '{name}' contains '/', which separates the silo name from the worker index in worker keys");
        return new SiloHostOptions
        {
            ClusterId = Value("--cluster-id") ?? "gpt1",
            ServiceId = Value("--service-id") ?? "gpt1",
            SiloName = name,
            SiloPort = siloPort,
            GatewayPort = gatewayPort,
            Advertise = Value("--advertise") is string a
                ? IPAddress.TryParse(a, out var ip) ? ip : throw new SiloOptionsException($"--advertise: '{a}' is not an IP address")
                : null,
            Membership = membership,
            Primary = primary is null ? null : Endpoint("--primary", primary),
            Redis = redis,
            Devices = devices,
            MetricsPort = metricsPort,
            DataPlanePorts = dataPlane,
            Tls = tls,
            StorageRoot = storage,
        };
    }

    /// <summary>The data-plane range: wide enough for every listener of this silo, clear of its other ports.</summary>
    private static DataPlanePorts DataPlaneRange(string? text, WorkerDevices devices, (int Port, string Flag)[] others)
    {
        if (text is null) return DataPlanePorts.Any;
        int listeners = devices.Devices.Count + 1;
        DataPlanePorts range;
        try
        {
            range = DataPlanePorts.Parse(text, listeners);
        }
        catch (FormatException e)
        {
            throw new SiloOptionsException($"--data-plane-ports: {e.Message}");
        }
        foreach (var (port, flag) in others)
            if (port >= range.First && port <= range.Last)
                throw new SiloOptionsException($"--data-plane-ports {range} contains the {flag} {port}; choose a range clear of the silo's other ports");
        int size = range.Last!.Value - range.First!.Value + 1;
        if (size < devices.Devices.Count)
            throw new SiloOptionsException($"--data-plane-ports {range} has {size} port(s) but this silo hosts {devices.Devices.Count} worker(s) ({devices}), one port each (one more for `gpt1 bench allreduce`)");
        return range;
    }

    /// <summary>How this silo finds the others, for the start line (no Redis password).</summary>
    public string DescribeMembership() => Membership switch
    {
        MembershipKind.Redis => $"redis {Redis!.Split(',')[0]}",
        _ => Primary is null ? "localhost (this silo is the primary)" : $"localhost (primary {Primary})",
    };

    private static Dictionary<string, string> ParseFlags(IReadOnlyList<string> args)
    {
        var given = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            int eq = arg.IndexOf('=');
            string name = eq > 0 ? arg[..eq] : arg;
            if (!Flags.Any(f => f.Name == name))
                throw new SiloOptionsException($"unknown argument '{arg}' (gpt1-silo --help lists the flags)");
            string? value = eq > 0 ? arg[(eq + 1)..] : i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : null;
            if (string.IsNullOrWhiteSpace(value)) throw new SiloOptionsException($"{name} needs a value");
            if (!given.TryAdd(name, value)) throw new SiloOptionsException($"{name} is given twice");
        }
        return given;
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static int Port(string flag, string? text, int fallback) =>
        text is null ? fallback
        : int.TryParse(text, out int port) && port is > 0 and <= 65535 ? port
        : throw new SiloOptionsException($"{flag}: '{text}' is not a port (1-65535)");

    private static IPEndPoint Endpoint(string flag, string text)
    {
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text[(colon + 1)..], out int port) || port is <= 0 or > 65535)
            throw new SiloOptionsException($"{flag}: '{text}' is not host:port (e.g. 127.0.0.1:11111)");
        string host = text[..colon];
        if (IPAddress.TryParse(host, out var ip)) return new IPEndPoint(ip, port);
        try
        {
            var address = Dns.GetHostAddresses(host).FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
                ?? throw new SiloOptionsException($"{flag}: host '{host}' has no IPv4 address");
            return new IPEndPoint(address, port);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            throw new SiloOptionsException($"{flag}: cannot resolve host '{host}' ({e.Message})");
        }
    }
}

/// <summary>A flag, environment variable or setting of gpt1-silo is wrong; the message says which and what to give.</summary>
public sealed class SiloOptionsException(string message) : Exception(message);
