using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Gpt1Cluster.Charts.Tests.Fixtures;
using k8s.Models;

namespace Gpt1Cluster.Charts.Tests;

/// <summary>
/// Mutual TLS in the chart's two modes (a Secret the user brings, e.g. from cert-manager, or one the
/// chart generates) and the silos' storage root: the files reach GPT1_TLS_* where the silo reads
/// them, the generated certificate is one a silo would accept, and runs are confined to the volume.
/// </summary>
public sealed class TlsAndStorageRootTests
{
    private const string Mount = "/etc/gpt1/tls";

    [ChartTheory]
    [InlineData("tls-cert-manager.yaml", "gpt1-silo-tls")]
    [InlineData("tls-generated.yaml", "gpt1-gpt1-cluster-tls")]
    public void Silos_and_the_helm_test_pod_mount_the_secret_and_point_gpt1_tls_at_its_files(string values, string secret)
    {
        var rendered = ChartRenderer.Shared.Render(values);
        var test = rendered.Named<V1Pod>("-test-gateway");
        Assert.All(rendered.Silos, set => AssertMounted(set.Silo(), set.Volume("tls"), secret));
        AssertMounted(Assert.Single(test.Spec.Containers), Assert.Single(test.Spec.Volumes, v => v.Name == "tls"), secret);
    }

    [ChartFact]
    public void With_an_existing_secret_the_chart_makes_no_secret_of_its_own()
    {
        Assert.Empty(ChartRenderer.Shared.Render("tls-cert-manager.yaml").All<V1Secret>());
    }

    [ChartTheory]
    [InlineData("defaults.yaml")]
    [InlineData("monitoring.yaml")]
    public void Without_tls_nothing_tls_is_rendered(string values)
    {
        var rendered = ChartRenderer.Shared.Render(values);
        Assert.Empty(rendered.All<V1Secret>());
        Assert.All(rendered.Silos, set =>
        {
            Assert.DoesNotContain(set.Silo().Env, e => e.Name.StartsWith("GPT1_TLS_", StringComparison.Ordinal));
            Assert.DoesNotContain(set.Spec.Template.Spec.Volumes, v => v.Name == "tls");
        });
        Assert.Null(Assert.Single(rendered.Named<V1Pod>("-test-gateway").Spec.Containers).Env);
    }

    [ChartFact]
    public void The_generated_secret_is_made_once_at_install_and_holds_a_certificate_its_ca_issued_for_both_ends()
    {
        var secret = ChartRenderer.Shared.Render("tls-generated.yaml").Named<V1Secret>("-tls");
        Assert.Equal("kubernetes.io/tls", secret.Type);
        Assert.Equal("pre-install", secret.Metadata.Annotations["helm.sh/hook"]); // not re-made (a new CA) on upgrade
        Assert.Equal("before-hook-creation", secret.Metadata.Annotations["helm.sh/hook-delete-policy"]);
        string Pem(string key) => Encoding.ASCII.GetString(secret.Data[key]);

        // What the silo's ClusterTls does with the mounted files: the key is the certificate's, and the chain ends at ca.crt.
        using var cert = X509Certificate2.CreateFromPem(Pem("tls.crt"), Pem("tls.key"));
        using var ca = X509Certificate2.CreateFromPem(Pem("ca.crt"));
        Assert.True(cert.HasPrivateKey);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.True(chain.Build(cert), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
        // A silo both accepts and opens connections with it; Orleans refuses a certificate without the usage it needs.
        var usages = cert.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value).ToList();
        Assert.Contains("1.3.6.1.5.5.7.3.1", usages);
        Assert.Contains("1.3.6.1.5.5.7.3.2", usages);
        Assert.InRange((cert.NotAfter - DateTime.Now).TotalDays, 28, 31); // generated.validityDays: 30
        Assert.Contains("gpt1-gpt1-cluster-gateway.default.svc", cert.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames());
    }

    [ChartTheory]
    [MemberData(nameof(ValuesMatrix.Good), MemberType = typeof(ValuesMatrix))]
    public void The_storage_root_is_the_shared_volumes_mount(string values)
    {
        Assert.All(ChartRenderer.Shared.Render(values).Silos, set =>
        {
            var mount = Assert.Single(set.Silo().VolumeMounts, m => m.Name == "data");
            Assert.Equal(mount.MountPath, set.Silo().EnvValue("GPT1_STORAGE_ROOT"));
        });
    }

    [ChartFact]
    public void A_moved_mount_moves_the_storage_root_and_the_tls_files_with_their_mounts()
    {
        var set = ChartRenderer.Shared.Render(["tls-cert-manager.yaml"], "storage.mountPath=/mnt/gpt1", "tls.mountPath=/run/secrets/gpt1").Silos[0];
        Assert.Equal("/mnt/gpt1", set.Silo().EnvValue("GPT1_STORAGE_ROOT"));
        Assert.Equal("/run/secrets/gpt1/ca.crt", set.Silo().EnvValue("GPT1_TLS_CA"));
        Assert.Contains(set.Silo().VolumeMounts, m => m.Name == "tls" && m.MountPath == "/run/secrets/gpt1");
    }

    private static void AssertMounted(V1Container container, V1Volume volume, string secret)
    {
        Assert.Equal(secret, volume.Secret.SecretName);
        var mount = Assert.Single(container.VolumeMounts, m => m.Name == "tls");
        Assert.Equal((Mount, true), (mount.MountPath, mount.ReadOnlyProperty ?? false));
        Assert.Equal($"{Mount}/tls.crt", container.EnvValue("GPT1_TLS_CERT"));
        Assert.Equal($"{Mount}/tls.key", container.EnvValue("GPT1_TLS_KEY"));
        Assert.Equal($"{Mount}/ca.crt", container.EnvValue("GPT1_TLS_CA"));
    }
}
