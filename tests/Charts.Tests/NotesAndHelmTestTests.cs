using Gpt1Cluster.Charts.Tests.Fixtures;
using k8s.Models;

namespace Gpt1Cluster.Charts.Tests;

/// <summary>What a user reads after install (NOTES.txt) and what `helm test` runs.</summary>
public sealed class NotesAndHelmTestTests
{
    [ChartFact]
    public void The_notes_print_the_exact_port_forward_and_pretrain_commands()
    {
        string notes = ChartRenderer.Shared.Notes("defaults.yaml");

        Assert.Contains("kubectl --namespace default port-forward svc/gpt1-gpt1-cluster-gateway 30000:30000", notes, StringComparison.Ordinal);
        Assert.Contains("gpt1 pretrain start --cluster localhost:30000 --cluster-id gpt1 --service-id gpt1", notes, StringComparison.Ordinal);
        Assert.Contains("--data /data/prepared --checkpoint-dir /data/checkpoints/run1 --run run1", notes, StringComparison.Ordinal);
        Assert.Contains("exec -it gpt1-gpt1-cluster-gpu-0 -- dotnet /app/gpt1.dll pretrain start", notes, StringComparison.Ordinal);
        Assert.Contains("--cluster gpt1-gpt1-cluster-gateway:30000", notes, StringComparison.Ordinal);
        Assert.DoesNotContain("<no value>", notes, StringComparison.Ordinal);
    }

    [ChartFact]
    public void With_tls_the_notes_say_where_a_client_gets_its_certificate()
    {
        Assert.Contains("a client needs a certificate from the CA in Secret gpt1-silo-tls", ChartRenderer.Shared.Notes("tls-cert-manager.yaml"), StringComparison.Ordinal);
        Assert.DoesNotContain("Mutual TLS", ChartRenderer.Shared.Notes("defaults.yaml"), StringComparison.Ordinal);
    }

    [ChartFact]
    public void The_notes_name_the_first_enabled_group_for_kubectl_exec()
    {
        string notes = ChartRenderer.Shared.Notes("cpu-only.yaml");

        Assert.Contains("exec -it gpt1-gpt1-cluster-cpu-0 --", notes, StringComparison.Ordinal);
        Assert.Contains("cpu (3 × cpu*2)", notes, StringComparison.Ordinal);
    }

    [ChartFact]
    public void The_helm_test_pod_asks_the_gateway_service_for_a_run_and_expects_the_clusters_answer()
    {
        var pod = ChartRenderer.Shared.Render("defaults.yaml").Named<V1Pod>("-test-gateway");
        var container = Assert.Single(pod.Spec.Containers);
        string script = string.Join(" ", container.Args);

        Assert.Equal("test", pod.Metadata.Annotations["helm.sh/hook"]);
        Assert.Equal("Never", pod.Spec.RestartPolicy);
        Assert.Contains("dotnet /app/gpt1.dll pretrain status --run helm-test-no-such-run", script, StringComparison.Ordinal);
        Assert.Contains("--cluster gpt1-gpt1-cluster-gateway:30000 --cluster-id gpt1", script, StringComparison.Ordinal);
        // the client's words for a run the cluster does not know (PretrainCommand's status); a refused connection says otherwise
        Assert.Contains("grep -q \"has no run\"", script, StringComparison.Ordinal);
    }

    [ChartFact]
    public void The_prepare_job_runs_gpt1_prepare_into_the_shared_volume_once_after_install()
    {
        var job = ChartRenderer.Shared.Render("cpu-only.yaml").Named<V1Job>("-prepare");
        var container = Assert.Single(job.Spec.Template.Spec.Containers);

        Assert.Equal("post-install", job.Metadata.Annotations["helm.sh/hook"]);
        Assert.Equal(["dotnet", "/app/gpt1.dll"], container.Command);
        Assert.Equal(["prepare", "--corpus", "/data/corpus", "--train-bpe", "--out", "/data/prepared", "--merges", "40000"], container.Args);
    }
}
