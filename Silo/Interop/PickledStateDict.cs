using System.Collections;
using System.IO.Compression;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Gpt1Cluster.Silo.Interop;

/// <summary>
/// A PyTorch state dict as <c>torch.save</c> writes it since 1.6 (a zip of data.pkl and one file per
/// storage), read and written by TorchSharp.PyBridge. Every tensor written is a fresh contiguous copy:
/// PyBridge stores a tensor's own bytes but its storage offset, so a view into a larger storage (as
/// <see cref="Training.FlatParameters"/> makes every parameter) would load shifted in Python.
/// </summary>
public static class PickledStateDict
{
    public static void Write(string path, IEnumerable<(string Name, Tensor Tensor)> tensors)
    {
        var dict = new Hashtable();
        try
        {
            foreach (var (name, tensor) in tensors) dict[name] = tensor.detach().cpu().contiguous().clone();
            string deflated = path + ".deflated";
            using (var stream = new FileStream(deflated, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
                PyTorchPickler.PickleStateDict(stream, dict);
            StoreUncompressed(deflated, path);
            File.Delete(deflated);
        }
        finally
        {
            foreach (Tensor t in dict.Values) t.Dispose();
        }
    }

    /// <summary>
    /// PyBridge deflates every entry; torch.save stores them, and torch.load(mmap=True), which recent
    /// transformers use for zip checkpoints, maps storages straight from the file, so it needs them stored.
    /// </summary>
    private static void StoreUncompressed(string source, string target)
    {
        using var input = ZipFile.OpenRead(source);
        using var output = ZipFile.Open(target, ZipArchiveMode.Create);
        foreach (var entry in input.Entries)
        {
            using var from = entry.Open();
            using var to = output.CreateEntry(entry.FullName, CompressionLevel.NoCompression).Open();
            from.CopyTo(to);
        }
    }

    /// <summary>Every tensor as float32; throws InvalidDataException naming what is wrong.</summary>
    public static List<(string Name, Tensor Tensor)> Read(string path)
    {
        using (var probe = File.OpenRead(path))
        {
            Span<byte> magic = stackalloc byte[4];
            if (probe.Read(magic) != 4 || magic[0] != (byte)'P' || magic[1] != (byte)'K')
                throw new InvalidDataException(
                    $"{path} is not a zip-format PyTorch file (torch.save before 1.6 wrote another format, which is not read here); " +
                    "use the directory's model.safetensors, or re-save it in Python: torch.save(torch.load(p), p)");
        }
        Hashtable dict;
        using (var stream = File.OpenRead(path))
        {
            try
            {
                dict = PyTorchUnpickler.UnpickleStateDict(stream);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new InvalidDataException($"{path} could not be read as a PyTorch state dict ({e.GetType().Name}: {e.Message}); use the directory's model.safetensors if it has one");
            }
        }
        var result = new List<(string, Tensor)>();
        foreach (DictionaryEntry entry in dict)
        {
            if (entry.Value is not Tensor tensor)
                throw new InvalidDataException($"{path}: entry {entry.Key} is not a tensor; expected a plain state dict (name → tensor)");
            if (tensor.dtype == ScalarType.Float32) result.Add(((string)entry.Key, tensor));
            else if (tensor.is_floating_point())
            {
                result.Add(((string)entry.Key, tensor.to_type(ScalarType.Float32)));
                tensor.Dispose();
            }
            else result.Add(((string)entry.Key, tensor)); // e.g. an old attention-mask buffer; the mapping drops it
        }
        return result;
    }
}
