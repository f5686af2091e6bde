using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;

namespace Gpt1Cluster.Silo.Interop;

/// <summary>
/// NumPy's .npy format (numpy.lib.format), as np.save writes it: the magic "\x93NUMPY", a version,
/// a header length (2 bytes in version 1, 4 in 2 and 3), a Python-literal header
/// {'descr': '&lt;f4', 'fortran_order': False, 'shape': (n,), } and the raw array. Only the float32
/// arrays GPT-1's release holds are read.
/// </summary>
public static partial class NpyFile
{
    /// <summary>The values in C order and the shape; throws InvalidDataException naming what is wrong.</summary>
    public static (float[] Values, long[] Shape) ReadFloat32(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10 || bytes[0] != 0x93 || Encoding.ASCII.GetString(bytes, 1, 5) != "NUMPY")
            throw Bad(path, "it does not start with the .npy magic \\x93NUMPY");
        int major = bytes[6];
        (int headerLength, int headerStart) = major switch
        {
            1 => (BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8)), 10),
            2 or 3 => ((int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)), 12),
            _ => throw Bad(path, $"format version {major} is unknown"),
        };
        if (headerStart + headerLength > bytes.Length) throw Bad(path, "the header runs past the end of the file");
        string header = Encoding.Latin1.GetString(bytes, headerStart, headerLength);
        string descr = Field(path, header, Descr());
        if (descr != "<f4") throw Bad(path, $"its dtype is '{descr}'; only little-endian float32 ('<f4'), as GPT-1's release, is read");
        if (Field(path, header, Fortran()) != "False") throw Bad(path, "it is in Fortran order; save it in C order");
        long[] shape = Field(path, header, ShapeField()).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(long.Parse).ToArray();
        long count = shape.Aggregate(1L, (a, b) => a * b);
        int dataStart = headerStart + headerLength;
        if (bytes.Length - dataStart != count * 4)
            throw Bad(path, $"the shape ({string.Join(", ", shape)}) needs {count * 4} bytes of data, the file has {bytes.Length - dataStart}");
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("reading '<f4' .npy data as floats needs a little-endian machine");
        var values = new float[count];
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes.AsSpan(dataStart)).CopyTo(values);
        return (values, shape);
    }

    private static string Field(string path, string header, Regex pattern) =>
        pattern.Match(header) is { Success: true } m ? m.Groups[1].Value : throw Bad(path, $"its header has no {pattern} ({header.Trim()})");

    private static InvalidDataException Bad(string path, string problem) => new($"{path} is not a readable .npy file: {problem}");

    [GeneratedRegex(@"'descr':\s*'([^']*)'")]
    private static partial Regex Descr();

    [GeneratedRegex(@"'fortran_order':\s*(True|False)")]
    private static partial Regex Fortran();

    [GeneratedRegex(@"'shape':\s*\(([^)]*)\)")]
    private static partial Regex ShapeField();
}
