using Gpt1Cluster.Charts.Tests.Fixtures;
using k8s.Models;

namespace Gpt1Cluster.Charts.Tests;

/// <summary>The silo pods, in the style of helm-unittest: what each worker group renders to.</summary>
public sealed class SiloStatefulSetTests
{
    [ChartTheory]
    [InlineData("defaults.yaml", "gpu", 2, 8)]
    [InlineData("gpu-pool-8.yaml", "gpu", 4, 8)]
    [InlineData("two-groups.yaml", "gpu", 2, 8)]
    [InlineData("two-groups.yaml", "gpu4", 3, 4)]
    public void Gpu_requests_equal_limits_equal_gpusPerPod_and_the_devices_match(string values, string group, int replicas, int gpus)
    {
        var set = Assert.Single(ChartRenderer.Shared.Render(values).Silos, s => s.Group() == group);
        var silo = set.Silo();

        Assert.Equal(replicas, set.Spec.Replicas);
        Assert.Equal(gpus, PodSpecs.Gpus(silo.Resources.Limits));
        Assert.Equal(gpus, PodSpecs.Gpus(silo.Resources.Requests));
        Assert.Equal($"cuda*{gpus}", silo.EnvValue("GPT1_DEVICES"));
    }

    [ChartFact]
    public void A_cpu_group_asks_for_no_gpu_and_runs_cpu_workers()
    {
        var set = Assert.Single(ChartRenderer.Shared.Render("cpu-only.yaml").Silos);
        var silo = set.Silo();

        Assert.Equal("cpu", set.Group());
        Assert.Null(PodSpecs.Gpus(silo.Resources.Limits));
        Assert.Null(PodSpecs.Gpus(silo.Resources.Requests));
        Assert.Equal("cpu*2", silo.EnvValue("GPT1_DEVICES"));
        Assert.Equal("4", silo.EnvValue("GPT1_THREADS"));
        Assert.Null(set.Spec.Template.Spec.Tolerations);
        Assert.EndsWith(":cpu", silo.Image, StringComparison.Ordinal);
    }

    [ChartFact]
    public void Gpu_pods_tolerate_the_gpu_taint_and_spread_one_per_node_by_default()
    {
        var pod = Assert.Single(ChartRenderer.Shared.Render("defaults.yaml").Silos).Spec.Template.Spec;

        var toleration = Assert.Single(pod.Tolerations);
        Assert.Equal(("nvidia.com/gpu", "Exists", "NoSchedule"), (toleration.Key, toleration.OperatorProperty, toleration.Effect));
        var term = Assert.Single(pod.Affinity.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution);
        Assert.Equal("kubernetes.io/hostname", term.TopologyKey);
        Assert.Equal("silo", term.LabelSelector.MatchLabels["app.kubernetes.io/component"]);
    }

    [ChartFact]
    public void The_group_settings_reach_its_pods()
    {
        var gpu4 = Assert.Single(ChartRenderer.Shared.Render("two-groups.yaml").Silos, s => s.Group() == "gpu4").Spec.Template.Spec;

        Assert.Equal("l4x4", gpu4.NodeSelector["pool"]);
        Assert.Contains(gpu4.Tolerations, t => t.Key == "spot");
        Assert.Equal("3Gi", gpu4.Volumes.Single(v => v.Name == "dshm").EmptyDir.SizeLimit.ToString());
    }

    [ChartTheory]
    [MemberData(nameof(ValuesMatrix.Good), MemberType = typeof(ValuesMatrix))]
    public void Dev_shm_is_a_memory_emptyDir_with_a_size_limit(string values)
    {
        Assert.All(ChartRenderer.Shared.Render(values).Silos, set =>
        {
            var dshm = set.Volume("dshm").EmptyDir;
            Assert.Equal("Memory", dshm.Medium);
            Assert.NotNull(dshm.SizeLimit);
            Assert.Contains(set.Silo().VolumeMounts, m => m.Name == "dshm" && m.MountPath == "/dev/shm");
        });
    }

    [ChartTheory]
    [MemberData(nameof(ValuesMatrix.Good), MemberType = typeof(ValuesMatrix))]
    public void Silos_name_and_advertise_themselves_from_the_pod_and_join_through_redis(string values)
    {
        Assert.All(ChartRenderer.Shared.Render(values).Silos, set =>
        {
            var silo = set.Silo();
            Assert.Equal("metadata.name", silo.Env("GPT1_SILO_NAME").ValueFrom.FieldRef.FieldPath);
            Assert.Equal("status.podIP", silo.Env("GPT1_ADVERTISE").ValueFrom.FieldRef.FieldPath);
            Assert.Equal("redis", silo.EnvValue("GPT1_MEMBERSHIP"));
            Assert.Equal("40000-40031", silo.EnvValue("GPT1_DATA_PLANE_PORTS"));
            Assert.Equal("9464", silo.EnvValue("GPT1_METRICS_PORT"));
            Assert.Equal(("/healthz", "metrics"), (silo.LivenessProbe.HttpGet.Path, silo.LivenessProbe.HttpGet.Port.Value));
            Assert.Equal(("/ready", "metrics"), (silo.ReadinessProbe.HttpGet.Path, silo.ReadinessProbe.HttpGet.Port.Value));
            Assert.Equal(["silo:11111", "gateway:30000", "metrics:9464"], silo.Ports.Select(p => $"{p.Name}:{p.ContainerPort}"));
        });
    }

    [ChartFact]
    public void The_in_chart_redis_is_named_without_a_password()
    {
        var silo = Assert.Single(ChartRenderer.Shared.Render("defaults.yaml").Silos).Silo();

        Assert.Equal("gpt1-gpt1-cluster-redis:6379", silo.EnvValue("GPT1_REDIS"));
        Assert.DoesNotContain(silo.Env, e => e.Name == "REDIS_PASSWORD");
    }

    [ChartFact]
    public void External_redis_composes_the_connection_string_from_the_secret_defined_before_it()
    {
        var rendered = ChartRenderer.Shared.Render("external-redis.yaml");
        var silo = Assert.Single(rendered.Silos).Silo();
        var names = silo.Env.Select(e => e.Name).ToList();

        var password = silo.Env("REDIS_PASSWORD").ValueFrom.SecretKeyRef;
        Assert.Equal(("gpt1-redis", "redis-password"), (password.Name, password.Key));
        Assert.Equal("redis.infra.svc.cluster.local:6380,password=$(REDIS_PASSWORD)", silo.EnvValue("GPT1_REDIS"));
        // Kubernetes expands $(VAR) only from variables defined earlier in the list
        Assert.True(names.IndexOf("REDIS_PASSWORD") < names.IndexOf("GPT1_REDIS"));
        Assert.DoesNotContain(rendered.All<V1StatefulSet>(), s => s.Metadata.Name.EndsWith("-redis", StringComparison.Ordinal));
    }

    [ChartFact]
    public void The_in_chart_redis_takes_the_password_from_the_same_secret_as_the_silos()
    {
        var rendered = ChartRenderer.Shared.Render(["defaults.yaml"], "redis.auth.existingSecret=gpt1-redis");
        var redis = Assert.Single(rendered.Named<V1StatefulSet>("-redis").Spec.Template.Spec.Containers);
        var silo = Assert.Single(rendered.Silos).Silo();

        Assert.Equal(["--appendonly", "yes", "--requirepass", "$(REDIS_PASSWORD)"], redis.Args);
        Assert.Equal("gpt1-redis", redis.Env("REDIS_PASSWORD").ValueFrom.SecretKeyRef.Name);
        Assert.Equal("gpt1-redis", silo.Env("REDIS_PASSWORD").ValueFrom.SecretKeyRef.Name);
        Assert.Equal("gpt1-gpt1-cluster-redis:6379,password=$(REDIS_PASSWORD)", silo.EnvValue("GPT1_REDIS"));
    }

    [ChartTheory]
    [MemberData(nameof(ValuesMatrix.Good), MemberType = typeof(ValuesMatrix))]
    public void Pods_carry_the_standard_labels_and_every_pod_mounts_the_shared_volume_at_one_path(string values)
    {
        var rendered = ChartRenderer.Shared.Render(values);
        var pods = rendered.Silos.Select(s => s.Spec.Template.Spec)
            .Concat(rendered.All<V1Job>().Select(j => j.Spec.Template.Spec));

        Assert.All(rendered.Silos, set =>
        {
            var labels = set.Spec.Template.Metadata.Labels;
            foreach (string key in new[] { "app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/component", "helm.sh/chart" })
                Assert.True(labels.ContainsKey(key), $"{set.Metadata.Name} pods lack {key}");
            Assert.All(set.Spec.Selector.MatchLabels, l => Assert.Equal(l.Value, labels[l.Key]));
        });
        Assert.All(pods, pod =>
        {
            var claim = pod.Volumes.Single(v => v.Name == "data").PersistentVolumeClaim.ClaimName;
            Assert.Equal(rendered.Silos[0].Volume("data").PersistentVolumeClaim.ClaimName, claim);
            Assert.Contains(pod.Containers[0].VolumeMounts, m => m.Name == "data" && m.MountPath == "/data");
        });
    }
}
