using Gpt1Cluster.Build;
using TorchSharp;

namespace Gpt1Cluster.Model.Tests;

/// <summary>The build's GLIBCXX_3.4.32 fix (build/WeakenGlibcxxRequirement.cs).</summary>
public sealed class NativeLoaderTests
{
    private static string PackagedLibrary()
    {
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        return Path.Combine(packages, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
    }

    [Fact]
    public void TorchSharp_loads_and_computes_in_this_process()
    {
        using var x = torch.arange(4, dtype: torch.ScalarType.Float32);
        Assert.Equal(6f, x.sum().item<float>());
    }

    [Fact]
    public void Marking_the_requirement_weak_changes_only_that_entry_and_is_idempotent()
    {
        string lib = PackagedLibrary();
        Assert.True(File.Exists(lib), $"{lib} is missing: restore the solution first");
        byte[] original = File.ReadAllBytes(lib);
        var before = ElfVersionNeeds.Read(original);
        var target = Assert.Single(before, n => n.Version == ElfVersionNeeds.TorchSharpVersion);
        Assert.Equal("libstdc++.so.6", target.File);
        Assert.False(target.IsWeak);

        byte[] patched = (byte[])original.Clone();
        Assert.True(ElfVersionNeeds.MarkWeak(patched, ElfVersionNeeds.TorchSharpVersion));
        var after = ElfVersionNeeds.Read(patched);
        Assert.True(after.Single(n => n.Version == ElfVersionNeeds.TorchSharpVersion).IsWeak);
        Assert.Equal(before.Where(n => n.Version != target.Version).Select(n => (n.Version, n.Flags)),
            after.Where(n => n.Version != target.Version).Select(n => (n.Version, n.Flags)));
        Assert.Equal(2, original.Zip(patched).Count(p => p.First != p.Second) + 1); // one flags byte differs

        byte[] again = (byte[])patched.Clone();
        Assert.False(ElfVersionNeeds.MarkWeak(again, ElfVersionNeeds.TorchSharpVersion));
        Assert.Equal(patched, again);
    }

    [Fact]
    public void The_output_copy_is_patched_exactly_when_the_system_lacks_the_version()
    {
        string output = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(output), $"{output} is missing");
        string? system = ElfVersionNeeds.FindSystemLibstdcxx();
        Assert.NotNull(system);
        bool systemHasIt = ElfVersionNeeds.Defines(system!, ElfVersionNeeds.TorchSharpVersion);
        var need = ElfVersionNeeds.Read(File.ReadAllBytes(output)).Single(n => n.Version == ElfVersionNeeds.TorchSharpVersion);
        Assert.Equal(!systemHasIt, need.IsWeak);
    }

    [Fact]
    public void A_file_that_is_not_elf_is_refused()
    {
        Assert.Throws<InvalidDataException>(() => ElfVersionNeeds.Read(new byte[128]));
    }
}
