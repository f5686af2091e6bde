using System.CommandLine;
using Gpt1Cluster.Silo.Hosting;

namespace Gpt1Cluster.Coordinator.Commands.Pretrain;

/// <summary>
/// `--tls-cert`, `--tls-key`, `--tls-ca` (or GPT1_TLS_*, as on `gpt1-silo`) on the commands that
/// reach a cluster's gateways: a cluster started with TLS refuses a client without a certificate
/// its CA issued. The embedded silo lives in this process and takes none.
/// </summary>
public static class TlsFlags
{
    public static readonly Option<string?> Cert = new(ClusterTls.CertFlag)
        { Description = $"With --cluster on a TLS cluster: this client's PEM certificate (with --tls-key) or .pfx (env {ClusterTls.CertEnvironment})" };
    public static readonly Option<string?> Key = new(ClusterTls.KeyFlag)
        { Description = $"The PEM private key of --tls-cert (env {ClusterTls.KeyEnvironment})" };
    public static readonly Option<string?> Ca = new(ClusterTls.CaFlag)
        { Description = $"The CA certificate the silos' certificates must chain to (env {ClusterTls.CaEnvironment})" };

    public static IEnumerable<Option> All => [Cert, Key, Ca];

    /// <summary>The TLS material for a --cluster connection, from the flags or else the environment; null: plaintext.</summary>
    public static ClusterTls? ForCluster(ParseResult parse, Func<string, string?> environment)
    {
        string? Value(Option<string?> flag, string variable) =>
            parse.GetValue(flag) ?? (environment(variable) is { Length: > 0 } v ? v.Trim() : null);
        try
        {
            return ClusterTls.Load(Value(Cert, ClusterTls.CertEnvironment), Value(Key, ClusterTls.KeyEnvironment), Value(Ca, ClusterTls.CaEnvironment));
        }
        catch (TlsSettingsException e)
        {
            throw new UserInputException(e.Message);
        }
    }

    /// <summary>TLS flags given with --embedded are a mistake worth saying (the environment's are a deployment's and simply do not apply).</summary>
    public static void RefuseWithEmbedded(ParseResult parse)
    {
        if (All.Any(o => parse.GetResult(o) is not null))
            throw new UserInputException("--tls-cert, --tls-key and --tls-ca are for --cluster: the --embedded silo runs inside this process, with no network peers to authenticate");
    }
}
