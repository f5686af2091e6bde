using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Gpt1Cluster.Data.Tests.Fixtures;

namespace Gpt1Cluster.Cluster.Tests.Fixtures;

/// <summary>
/// A cluster's PEM files in a temp dir, made as an operator would with openssl or cert-manager: a
/// CA, a silo certificate and a client certificate it signed, and an outsider CA with its own
/// client certificate (what an attacker could make). ECDSA P-256 keeps the generation quick.
/// </summary>
public sealed class TestCertificates : IDisposable
{
    private readonly TempDirectory dir = new();

    public TestCertificates()
    {
        using var ca = Authority("gpt1 test CA");
        using var outsider = Authority("not the cluster's CA");
        CaCert = Write("ca.crt", ca.ExportCertificatePem());
        (SiloCert, SiloKey) = Issue(ca, "silo", "gpt1 silo");
        (ClientCert, ClientKey) = Issue(ca, "client", "gpt1 client");
        OutsiderCaCert = Write("outsider-ca.crt", outsider.ExportCertificatePem());
        (OutsiderCert, OutsiderKey) = Issue(outsider, "outsider", "gpt1 client");
    }

    public string Directory => dir.Path;
    public string CaCert { get; }
    public string SiloCert { get; }
    public string SiloKey { get; }
    public string ClientCert { get; }
    public string ClientKey { get; }
    public string OutsiderCaCert { get; }
    public string OutsiderCert { get; }
    public string OutsiderKey { get; }

    /// <summary>The GPT1_TLS_* variables of a silo or client holding <paramref name="cert"/>.</summary>
    public Dictionary<string, string> Environment(string cert, string key, string? ca = null) => new()
    {
        ["GPT1_TLS_CERT"] = cert,
        ["GPT1_TLS_KEY"] = key,
        ["GPT1_TLS_CA"] = ca ?? CaCert,
    };

    /// <summary>A PKCS#12 file of the silo's certificate and key, without a password (the other accepted form).</summary>
    public string SiloPfx()
    {
        using var cert = X509Certificate2.CreateFromPemFile(SiloCert, SiloKey);
        return WriteBytes("silo.pfx", cert.Export(X509ContentType.Pkcs12));
    }

    private static X509Certificate2 Authority(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    /// <summary>A leaf for both ends of a TLS connection (a silo dials other silos too), as cert-manager and Helm's genSignedCert make them.</summary>
    private (string Cert, string Key) Issue(X509Certificate2 ca, string file, string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false)); // server and client authentication
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var cert = request.Create(ca, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(7), RandomNumberGenerator.GetBytes(16));
        return (Write($"{file}.crt", cert.ExportCertificatePem()), Write($"{file}.key", key.ExportPkcs8PrivateKeyPem()));
    }

    private string Write(string name, string text)
    {
        string path = Path.Combine(dir.Path, name);
        File.WriteAllText(path, text);
        return path;
    }

    private string WriteBytes(string name, byte[] bytes)
    {
        string path = Path.Combine(dir.Path, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public void Dispose() => dir.Dispose();
}
