using System.Text.Json;
using System.Text.Json.Nodes;
using Gpt1Cluster.Contracts.Model;
using Gpt1Cluster.Contracts.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Gpt1Cluster.Model.Tests.Fixtures;

/// <summary>
/// A golden written by tests/reference/make_goldens.py (PyTorch): manifest.json + tensors.bin,
/// raw little-endian tensors at the offsets the manifest gives. Format in tests/reference/README.md.
/// </summary>
public sealed class GoldenFile
{
    private readonly JsonNode manifest;
    private readonly byte[] data;

    public GoldenFile(string name)
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "golden", name);
        manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "manifest.json")))!;
        data = File.ReadAllBytes(Path.Combine(dir, "tensors.bin"));
        Config = JsonSerializer.Deserialize<GptConfig>(manifest["config"]!.ToJsonString())!;
        var o = manifest["optimizer"]!;
        Optimizer = new OptimizerConfig
        {
            LearningRate = (double)o["lr"]!, WarmupSteps = (long)o["warmup_steps"]!,
            Beta1 = (double)o["beta1"]!, Beta2 = (double)o["beta2"]!, Epsilon = (double)o["eps"]!,
            WeightDecay = (double)o["weight_decay"]!, GradClip = (double)o["grad_clip"]!,
        };
        TotalSteps = (long)o["total_steps"]!;
        Steps = (int)manifest["steps"]!;
    }

    public GptConfig Config { get; }
    public OptimizerConfig Optimizer { get; }
    public long TotalSteps { get; }
    public int Steps { get; }

    public double Scalar(string name) => (double)manifest["scalars"]![name]!;

    public double[] Scalars(string name) => manifest["scalars"]![name]!.AsArray().Select(v => (double)v!).ToArray();

    public Tensor Tensor(string name)
    {
        var entry = manifest["tensors"]!.AsArray().Single(t => (string)t!["name"]! == name)!;
        long[] shape = entry["shape"]!.AsArray().Select(d => (long)d!).ToArray();
        int offset = (int)entry["offset"]!;
        long count = shape.Aggregate(1L, (a, b) => a * b);
        return (string)entry["dtype"]! switch
        {
            "float32" => torch.tensor(MemoryMarshalCopy<float>(offset, count), shape),
            "int64" => torch.tensor(MemoryMarshalCopy<long>(offset, count), shape),
            var other => throw new InvalidDataException($"golden tensor {name}: unknown dtype {other}"),
        };
    }

    private T[] MemoryMarshalCopy<T>(int offset, long count) where T : unmanaged
    {
        var values = new T[count];
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(data.AsSpan(offset)).Slice(0, (int)count).CopyTo(values);
        return values;
    }
}
