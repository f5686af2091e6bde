using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace Gpt1Cluster.Silo.Interop;

/// <summary>
/// The safetensors format (huggingface/safetensors): an 8-byte little-endian header length, a JSON
/// header {name: {dtype, shape, data_offsets: [begin, end)}} relative to the end of the header, then
/// the raw little-endian tensors. Written here rather than by PyBridge because HF's
/// <c>from_pretrained</c> refuses a file whose header lacks <c>"__metadata__": {"format": "pt"}</c>.
/// </summary>
public static class SafetensorsFile
{
    public static void Write(string path, IEnumerable<(string Name, Tensor Tensor)> tensors)
    {
        var list = tensors.ToList();
        var header = new JsonObject { ["__metadata__"] = new JsonObject { ["format"] = "pt" } };
        long offset = 0;
        foreach (var (name, tensor) in list)
        {
            if (tensor.dtype != ScalarType.Float32) throw new ArgumentException($"{name}: only float32 is written (got {tensor.dtype})");
            long bytes = tensor.numel() * 4;
            header[name] = new JsonObject
            {
                ["dtype"] = "F32",
                ["shape"] = new JsonArray(tensor.shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            offset += bytes;
        }
        // The reference writer pads the header with spaces to a multiple of 8 so every tensor is aligned.
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8;
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
        stream.Write(length);
        stream.Write(json);
        for (int i = json.Length; i < padded; i++) stream.WriteByte((byte)' ');
        foreach (var (_, tensor) in list)
        {
            using var cpu = tensor.detach().cpu().contiguous();
            stream.Write(cpu.bytes);
        }
    }

    /// <summary>Every tensor, in file order, as float32 (F16, BF16 and F64 are converted); throws InvalidDataException naming what is wrong.</summary>
    public static List<(string Name, Tensor Tensor)> Read(string path)
    {
        using var stream = File.OpenRead(path);
        Span<byte> length = stackalloc byte[8];
        if (stream.Read(length) != 8) throw Bad(path, "shorter than its 8-byte header length");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(length);
        if (headerLength > 100_000_000 || (long)headerLength > stream.Length - 8) throw Bad(path, $"header length {headerLength} does not fit the file");
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        JsonObject header;
        try
        {
            header = JsonNode.Parse(headerBytes)?.AsObject() ?? throw Bad(path, "the header is empty");
        }
        catch (JsonException e)
        {
            throw Bad(path, $"the header is not JSON ({e.Message})");
        }
        long dataStart = 8 + (long)headerLength;
        var result = new List<(string, Tensor, long)>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__") continue;
            string dtype = (string?)node?["dtype"] ?? throw Bad(path, $"{name} has no dtype");
            long[] shape = node!["shape"]!.AsArray().Select(d => (long)d!).ToArray();
            long[] range = node["data_offsets"]!.AsArray().Select(d => (long)d!).ToArray();
            var (scalar, size) = dtype switch
            {
                "F32" => (ScalarType.Float32, 4),
                "F16" => (ScalarType.Float16, 2),
                "BF16" => (ScalarType.BFloat16, 2),
                "F64" => (ScalarType.Float64, 8),
                _ => throw Bad(path, $"{name} is {dtype}; only floating-point weights are read"),
            };
            long count = shape.Aggregate(1L, (a, b) => a * b);
            if (range.Length != 2 || range[1] - range[0] != count * size || dataStart + range[1] > stream.Length)
                throw Bad(path, $"{name}: data_offsets [{string.Join(", ", range)}] do not hold {count} {dtype} values inside the file");
            var bytes = new byte[count * size];
            stream.Position = dataStart + range[0];
            stream.ReadExactly(bytes);
            var raw = torch.empty(shape, dtype: scalar);
            raw.bytes = bytes;
            var tensor = scalar == ScalarType.Float32 ? raw : raw.to_type(ScalarType.Float32);
            if (!ReferenceEquals(tensor, raw)) raw.Dispose();
            result.Add((name, tensor, range[0]));
        }
        return result.OrderBy(t => t.Item3).Select(t => (t.Item1, t.Item2)).ToList();
    }

    private static InvalidDataException Bad(string path, string problem) =>
        new($"{path} is not a readable safetensors file: {problem}. Re-export it, or use the directory's pytorch_model.bin");
}
