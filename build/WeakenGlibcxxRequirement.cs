#nullable enable
// Marks libLibTorchSharp.so's GLIBCXX_3.4.32 version requirement weak when the system's libstdc++
// lacks that version. Compiled twice: as an MSBuild inline task (build/TorchRuntime.targets) and,
// with GPT1_NO_MSBUILD defined, into the tests that prove it.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text;

namespace Gpt1Cluster.Build;

/// <summary>One Vernaux entry of an ELF .gnu.version_r section: a symbol version a library needs.</summary>
public readonly struct ElfVersionNeed
{
    public ElfVersionNeed(string file, string version, ushort flags, int flagsOffset)
    {
        File = file; Version = version; Flags = flags; FlagsOffset = flagsOffset;
    }

    public string File { get; }
    public string Version { get; }
    public ushort Flags { get; }
    public int FlagsOffset { get; }
    public bool IsWeak => (Flags & ElfVersionNeeds.VerFlagWeak) != 0;
}

public static class ElfVersionNeeds
{
    public const string TorchSharpVersion = "GLIBCXX_3.4.32";
    public const ushort VerFlagWeak = 2;
    private const uint ShtGnuVerneed = 0x6FFFFFFE;

    /// <summary>Every version requirement of a 64-bit little-endian ELF image.</summary>
    public static List<ElfVersionNeed> Read(byte[] elf)
    {
        if (elf.Length < 64 || elf[0] != 0x7F || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException("only 64-bit little-endian ELF is supported");
        long shoff = BitConverter.ToInt64(elf, 0x28);
        int shentsize = BitConverter.ToUInt16(elf, 0x3A), shnum = BitConverter.ToUInt16(elf, 0x3C);
        var needs = new List<ElfVersionNeed>();
        for (int i = 0; i < shnum; i++)
        {
            int sh = checked((int)(shoff + i * shentsize));
            if (BitConverter.ToUInt32(elf, sh + 4) != ShtGnuVerneed) continue;
            int offset = checked((int)BitConverter.ToInt64(elf, sh + 0x18));
            int link = (int)BitConverter.ToUInt32(elf, sh + 0x28);
            int strtab = checked((int)BitConverter.ToInt64(elf, checked((int)(shoff + link * shentsize)) + 0x18));
            for (int pos = offset; ;)
            {
                int count = BitConverter.ToUInt16(elf, pos + 2);
                string file = CString(elf, strtab + (int)BitConverter.ToUInt32(elf, pos + 4));
                int aux = pos + (int)BitConverter.ToUInt32(elf, pos + 8);
                for (int a = 0; a < count; a++)
                {
                    ushort flags = BitConverter.ToUInt16(elf, aux + 4);
                    string name = CString(elf, strtab + (int)BitConverter.ToUInt32(elf, aux + 8));
                    needs.Add(new ElfVersionNeed(file, name, flags, aux + 4));
                    aux += (int)BitConverter.ToUInt32(elf, aux + 12);
                }
                uint next = BitConverter.ToUInt32(elf, pos + 12);
                if (next == 0) break;
                pos += (int)next;
            }
        }
        return needs;
    }

    /// <summary>Sets the weak flag on every requirement of <paramref name="version"/>; true if a byte changed.</summary>
    public static bool MarkWeak(byte[] elf, string version)
    {
        bool changed = false;
        foreach (var need in Read(elf))
        {
            if (need.Version != version || need.IsWeak) continue;
            ushort flags = (ushort)(need.Flags | VerFlagWeak);
            elf[need.FlagsOffset] = (byte)flags;
            elf[need.FlagsOffset + 1] = (byte)(flags >> 8);
            changed = true;
        }
        return changed;
    }

    /// <summary>The libstdc++.so.6 the dynamic loader would pick (ld.so.cache first, then the usual folders).</summary>
    public static string? FindSystemLibstdcxx()
    {
        try
        {
            var psi = new ProcessStartInfo("ldconfig", "-p") { RedirectStandardOutput = true, UseShellExecute = false };
            using var p = Process.Start(psi);
            if (p != null)
            {
                string output = p.StandardOutput.ReadToEnd();
                p.WaitForExit();
                foreach (var line in output.Split('\n'))
                {
                    int arrow = line.IndexOf("=> ", StringComparison.Ordinal);
                    if (line.TrimStart().StartsWith("libstdc++.so.6 ", StringComparison.Ordinal) && arrow > 0
                        && (!IsX64() || line.Contains("x86-64")))
                        return line.Substring(arrow + 3).Trim();
                }
            }
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception || e is InvalidOperationException)
        {
            // no ldconfig on PATH: fall through to the usual folders
        }
        foreach (var dir in new[] { "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib" })
        {
            string candidate = Path.Combine(dir, "libstdc++.so.6");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>Whether a shared library defines the given symbol version (its name appears as a C string).</summary>
    public static bool Defines(string library, string version)
    {
        byte[] needle = Encoding.ASCII.GetBytes(version + "\0");
        byte[] data = File.ReadAllBytes(library);
        return IndexOf(data, needle) >= 0;
    }

    private static bool IsX64() =>
        System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.X64;

    private static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i <= haystack.Length - needle.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && haystack[i + j] == needle[j]) j++;
            if (j == needle.Length && (i == 0 || haystack[i - 1] == 0)) return i;
        }
        return -1;
    }

    private static string CString(byte[] data, int start)
    {
        int end = Array.IndexOf(data, (byte)0, start);
        return Encoding.ASCII.GetString(data, start, end - start);
    }
}

#if !GPT1_NO_MSBUILD
public sealed class WeakenGlibcxxRequirement : Microsoft.Build.Utilities.Task
{
    [Microsoft.Build.Framework.Required]
    public Microsoft.Build.Framework.ITaskItem[] Libraries { get; set; } = Array.Empty<Microsoft.Build.Framework.ITaskItem>();

    public override bool Execute()
    {
        string? system = ElfVersionNeeds.FindSystemLibstdcxx();
        if (system != null && ElfVersionNeeds.Defines(system, ElfVersionNeeds.TorchSharpVersion))
            return true; // new enough: the library loads as shipped
        foreach (var item in Libraries)
        {
            string path = item.ItemSpec;
            byte[] elf = File.ReadAllBytes(path);
            if (!ElfVersionNeeds.MarkWeak(elf, ElfVersionNeeds.TorchSharpVersion)) continue;
            string temp = path + ".weaken.tmp";
            File.WriteAllBytes(temp, elf);
            File.Replace(temp, path, null); // rename: atomic on Unix
            Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High,
                $"Marked {ElfVersionNeeds.TorchSharpVersion} weak in {path} (system libstdc++ {system ?? "not found"} lacks it)");
        }
        return true;
    }
}
#endif
