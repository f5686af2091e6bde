using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Orleans.Connections.Security;

namespace Gpt1Cluster.Silo.Hosting;

/// <summary>
/// Mutual TLS for Orleans traffic (silo to silo, client to gateway): this process's certificate
/// and the CA every peer's certificate must chain to. Membership in the cluster means holding a
/// certificate that CA issued; names in the certificates are not checked (pods come and go under
/// addresses nobody knows in advance). The same flags on `gpt1-silo` and on the `gpt1` client.
/// </summary>
public sealed class ClusterTls
{
    public const string CertFlag = "--tls-cert", KeyFlag = "--tls-key", CaFlag = "--tls-ca";
    public const string CertEnvironment = "GPT1_TLS_CERT", KeyEnvironment = "GPT1_TLS_KEY", CaEnvironment = "GPT1_TLS_CA";

    private ClusterTls(X509Certificate2 certificate, X509Certificate2Collection authorities, string caPath)
    {
        Certificate = certificate;
        Authorities = authorities;
        CaPath = caPath;
    }

    /// <summary>This process's certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The trust anchors: every certificate in the --tls-ca file.</summary>
    public X509Certificate2Collection Authorities { get; }

    public string CaPath { get; }

    /// <summary>Where refused peer certificates are logged; set once the host is built (the TLS options are made before its services).</summary>
    public ILogger? Log { get; set; }

    /// <summary>
    /// Reads the three files, or returns null when none is given (TLS off). Half a configuration,
    /// an unreadable file, a key that is not the certificate's, or a certificate the CA did not
    /// issue fails with <see cref="TlsSettingsException"/> naming the flag and what to give.
    /// </summary>
    /// <param name="cert">a PEM certificate (with <paramref name="key"/>) or a PKCS#12 (.pfx/.p12) holding its key, without a password</param>
    public static ClusterTls? Load(string? cert, string? key, string? ca)
    {
        if (cert is null && key is null && ca is null) return null;
        if (cert is null || ca is null)
            throw new TlsSettingsException($"TLS needs {CertFlag} and {CaFlag} together ({KeyFlag} too unless the certificate is a .pfx); " +
                $"{(cert is null ? CertFlag : CaFlag)} is missing: give it, or drop the other {(cert is null ? "TLS flags" : "TLS flag(s)")} to run without TLS");
        var certificate = LoadCertificate(cert, key);
        var authorities = LoadAuthorities(ca);
        var tls = new ClusterTls(certificate, authorities, ca);
        if (tls.Verify(certificate) is { } why)
            throw new TlsSettingsException($"{CertFlag} {cert} ({certificate.Subject}) does not chain to {CaFlag} {ca}: {why}; " +
                "peers would refuse it: give a certificate issued by that CA, or the CA that issued it");
        return tls;
    }

    /// <summary>Why <paramref name="certificate"/> does not chain to one of <see cref="Authorities"/>; null when it does.</summary>
    public string? Verify(X509Certificate2 certificate, X509Chain? presented = null)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust; // the system's roots do not count
        chain.ChainPolicy.CustomTrustStore.AddRange(Authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck; // a cluster CA publishes no CRL; rotate the CA instead
        if (presented is not null)
            foreach (var element in presented.ChainElements) // intermediates the peer sent along
                if (!element.Certificate.Equals(certificate)) chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        if (chain.Build(certificate)) return null;
        var problems = chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct();
        return string.Join("; ", problems) is { Length: > 0 } text ? text : "the chain does not end at a certificate of the CA file";
    }

    /// <summary>Orleans' TLS options: this certificate, a certificate required of every peer (silo or client), checked by <see cref="Verify"/>.</summary>
    public void Configure(TlsOptions options)
    {
        options.LocalCertificate = Certificate;
        options.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
        options.ClientCertificateMode = RemoteCertificateMode.RequireCertificate; // gateways too: the default would let clients in without one
        options.CheckCertificateRevocation = false;
        options.RemoteCertificateValidation = (certificate, chain, _) =>
        {
            // The platform's verdict (policy errors) is set aside: it trusts the system roots and
            // checks host names. What counts is the chain to the cluster's CA, built here.
            if (Verify(certificate, chain) is not { } why) return true;
            Log?.LogWarning("TLS: refused a peer certificate ({Subject}, issued by {Issuer}) that does not chain to {Ca}: {Why}",
                certificate.Subject, certificate.Issuer, CaPath, why);
            return false;
        };
    }

    private static X509Certificate2 LoadCertificate(string cert, string? key)
    {
        RequireReadable(CertFlag, cert, "this process's certificate (PEM with --tls-key, or a .pfx)");
        bool pkcs12 = cert.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase) || cert.EndsWith(".p12", StringComparison.OrdinalIgnoreCase);
        if (pkcs12)
        {
            if (key is not null)
                throw new TlsSettingsException($"{KeyFlag} {key}: {CertFlag} {cert} is a PKCS#12 file, which carries its own key; drop {KeyFlag} or give a PEM certificate");
            try
            {
                var loaded = X509CertificateLoader.LoadPkcs12FromFile(cert, password: null);
                return loaded.HasPrivateKey ? loaded
                    : throw new TlsSettingsException($"{CertFlag} {cert} holds no private key; export the certificate with its key");
            }
            catch (CryptographicException e)
            {
                throw new TlsSettingsException($"{CertFlag} {cert} is not a readable PKCS#12 file without a password ({e.Message.TrimEnd('.')}); " +
                    "export it without a password, or give PEM files");
            }
        }
        if (key is null)
            throw new TlsSettingsException($"{CertFlag} {cert} is PEM: give its private key with {KeyFlag} (or {KeyEnvironment})");
        RequireReadable(KeyFlag, key, "the PEM private key of the certificate");
        try
        {
            using var _ = X509CertificateLoader.LoadCertificateFromFile(cert); // the certificate alone first: tells a bad certificate from a bad key
        }
        catch (CryptographicException e)
        {
            throw new TlsSettingsException($"{CertFlag} {cert} holds no PEM certificate ({e.Message.TrimEnd('.')}); give the file with -----BEGIN CERTIFICATE-----");
        }
        try
        {
            return X509Certificate2.CreateFromPemFile(cert, key);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException) // ArgumentException: a well-formed key of another certificate
        {
            throw new TlsSettingsException($"{KeyFlag} {key} is not the private key of {CertFlag} {cert} ({e.Message.TrimEnd('.')}); " +
                "give the PEM key the certificate was issued for");
        }
    }

    private static X509Certificate2Collection LoadAuthorities(string ca)
    {
        RequireReadable(CaFlag, ca, "the PEM certificate of the CA that issued every silo's and client's certificate");
        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPemFile(ca);
        }
        catch (CryptographicException e)
        {
            throw new TlsSettingsException($"{CaFlag} {ca} is not a PEM certificate file ({e.Message.TrimEnd('.')}); give the CA's certificate (ca.crt)");
        }
        return authorities.Count > 0 ? authorities
            : throw new TlsSettingsException($"{CaFlag} {ca} holds no certificate; give the CA's PEM certificate (ca.crt), not its key");
    }

    private static void RequireReadable(string flag, string path, string what)
    {
        try
        {
            using var _ = File.OpenRead(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new TlsSettingsException($"{flag} {path} does not exist; give {what}");
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new TlsSettingsException($"{flag} {path} cannot be read ({e.Message.TrimEnd('.')}); make it readable by this process's user");
        }
    }
}

/// <summary>A TLS flag or GPT1_TLS_* variable is wrong; the message names it and what to give.</summary>
public sealed class TlsSettingsException(string message) : Exception(message);
