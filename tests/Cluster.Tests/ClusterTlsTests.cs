using System.Security.Cryptography.X509Certificates;
using Gpt1Cluster.Cluster.Tests.Fixtures;
using Gpt1Cluster.Silo.Hosting;
using Microsoft.Extensions.Configuration;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>
/// The TLS files as `gpt1-silo` and `gpt1` read them: what is accepted, and the one-line error for
/// each way an operator gets them wrong. The certificate check peers run on each other is here too:
/// only a certificate the cluster's CA issued passes.
/// </summary>
public sealed class ClusterTlsTests(TestCertificates certs) : IClassFixture<TestCertificates>
{
    [Fact]
    public void No_tls_flags_mean_no_tls_and_the_environment_turns_it_on()
    {
        Assert.Null(Parse([]).Tls);
        var tls = Parse([], certs.Environment(certs.SiloCert, certs.SiloKey)).Tls;
        Assert.NotNull(tls);
        Assert.True(tls.Certificate.HasPrivateKey);
        Assert.Equal("CN=gpt1 silo", tls.Certificate.Subject);
    }

    [Fact]
    public void A_pfx_with_its_key_needs_no_key_flag()
    {
        var tls = ClusterTls.Load(certs.SiloPfx(), null, certs.CaCert);
        Assert.NotNull(tls);
        Assert.True(tls.Certificate.HasPrivateKey);
    }

    [Fact]
    public void Only_certificates_the_cluster_ca_issued_pass_the_peer_check()
    {
        var tls = ClusterTls.Load(certs.SiloCert, certs.SiloKey, certs.CaCert)!;
        using var client = X509CertificateLoader.LoadCertificateFromFile(certs.ClientCert);
        using var outsider = X509CertificateLoader.LoadCertificateFromFile(certs.OutsiderCert);
        using var outsiderCa = X509CertificateLoader.LoadCertificateFromFile(certs.OutsiderCaCert);
        Assert.Null(tls.Verify(client));
        Assert.NotNull(tls.Verify(outsider)); // a certificate from another CA
        Assert.NotNull(tls.Verify(outsiderCa)); // a self-signed certificate
    }

    [Fact]
    public void Every_way_to_get_the_files_wrong_is_one_line_naming_the_flag()
    {
        string missing = Path.Combine(certs.Directory, "missing.crt");
        Assert.StartsWith("TLS needs --tls-cert and --tls-ca together", Error(certs.SiloCert, certs.SiloKey, null));
        Assert.Contains("--tls-ca is missing", Error(certs.SiloCert, certs.SiloKey, null));
        Assert.Contains("--tls-cert is missing", Error(null, null, certs.CaCert));
        Assert.StartsWith($"--tls-cert {missing} does not exist; give this process's certificate", Error(missing, certs.SiloKey, certs.CaCert));
        Assert.StartsWith($"--tls-key {missing} does not exist", Error(certs.SiloCert, missing, certs.CaCert));
        Assert.StartsWith($"--tls-ca {missing} does not exist", Error(certs.SiloCert, certs.SiloKey, missing));
        Assert.StartsWith($"--tls-cert {certs.SiloCert} is PEM: give its private key with --tls-key", Error(certs.SiloCert, null, certs.CaCert));
        Assert.StartsWith($"--tls-key {certs.ClientKey} is not the private key of --tls-cert {certs.SiloCert}", Error(certs.SiloCert, certs.ClientKey, certs.CaCert));
        Assert.StartsWith($"--tls-cert {certs.SiloKey} holds no PEM certificate", Error(certs.SiloKey, certs.SiloKey, certs.CaCert));
        Assert.StartsWith($"--tls-ca {certs.SiloKey} holds no certificate", Error(certs.SiloCert, certs.SiloKey, certs.SiloKey));
        Assert.StartsWith($"--tls-cert {certs.OutsiderCert} (CN=gpt1 client) does not chain to --tls-ca {certs.CaCert}",
            Error(certs.OutsiderCert, certs.OutsiderKey, certs.CaCert));
        Assert.All(new[] { Error(certs.SiloCert, certs.ClientKey, certs.CaCert), Error(certs.OutsiderCert, certs.OutsiderKey, certs.CaCert) },
            m => Assert.DoesNotContain('\n', m));
    }

    [Fact]
    public void A_key_path_that_cannot_be_read_says_so_and_what_to_do()
    {
        // A directory (a Secret's mount point given for its file) cannot be opened even by root, unlike a chmod 000 file.
        string error = Error(certs.SiloCert, certs.Directory, certs.CaCert);
        Assert.StartsWith($"--tls-key {certs.Directory} cannot be read", error);
        Assert.EndsWith("make it readable by this process's user", error);
    }

    [Fact]
    public void Gpt1_silo_names_a_bad_tls_setting_as_its_other_flags()
    {
        var e = Assert.Throws<SiloOptionsException>(() => Parse(["--tls-cert", certs.SiloCert, "--tls-ca", certs.CaCert]));
        Assert.StartsWith($"--tls-cert {certs.SiloCert} is PEM: give its private key with --tls-key (or GPT1_TLS_KEY)", e.Message);
    }

    private static string Error(string? cert, string? key, string? ca) =>
        Assert.Throws<TlsSettingsException>(() => ClusterTls.Load(cert, key, ca)).Message;

    private static SiloHostOptions Parse(string[] args, Dictionary<string, string>? env = null) =>
        SiloHostOptions.Parse(args, name => env?.GetValueOrDefault(name), new ConfigurationBuilder().Build());
}
