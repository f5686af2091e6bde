using Gpt1Cluster.Contracts.Model;

namespace Gpt1Cluster.Model.Tests;

public sealed class ConfigTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("gpt1-config-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void Presets_take_the_vocabulary_size_of_the_data()
    {
        Assert.Equal(40478, GptConfig.Load("gpt1").VocabSize);
        Assert.Equal(2003, GptConfig.Load("tiny", dataVocabSize: 2003).VocabSize);
        var tiny = GptConfig.Load("TINY");
        Assert.Equal((2, 2, 128, 128), (tiny.Layers, tiny.Heads, tiny.Width, tiny.Positions));
    }

    [Fact]
    public void Config_json_uses_huggingface_field_names_and_round_trips()
    {
        string path = Path.Combine(dir, "config.json");
        GptConfig.Gpt1.Save(path);
        string text = File.ReadAllText(path);
        foreach (var field in new[] { "n_layer", "n_head", "n_embd", "n_positions", "vocab_size", "afn", "resid_pdrop", "embd_pdrop", "attn_pdrop", "layer_norm_epsilon", "initializer_range" })
            Assert.Contains($"\"{field}\"", text);
        Assert.Equal(GptConfig.Gpt1, GptConfig.Load(path));
    }

    [Fact]
    public void An_explicit_config_must_agree_with_the_data_vocabulary()
    {
        string path = Path.Combine(dir, "config.json");
        GptConfig.Tiny.Save(path);
        var e = Assert.Throws<ConfigException>(() => GptConfig.Load(path, dataVocabSize: 1000));
        Assert.StartsWith("vocab_size:", e.Message);
    }

    [Theory]
    [InlineData("""{"n_embd": 100, "n_head": 12}""", "n_head:")]
    [InlineData("""{"n_layer": 0}""", "n_layer:")]
    [InlineData("""{"afn": "relu"}""", "afn:")]
    [InlineData("""{"attn_pdrop": 1.5}""", "attn_pdrop:")]
    [InlineData("""{"vocab_size": -1}""", "vocab_size:")]
    [InlineData("""{"n_layer": "twelve"}""", "not a valid config.json")]
    public void Invalid_configs_fail_naming_the_field(string json, string expected)
    {
        string path = Path.Combine(dir, "bad.json");
        File.WriteAllText(path, json);
        var e = Assert.Throws<ConfigException>(() => GptConfig.Load(path));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_context_longer_than_the_position_table_fails_naming_ctx()
    {
        var e = Assert.Throws<ConfigException>(() => GptConfig.Tiny.RequireContext(512));
        Assert.StartsWith("ctx:", e.Message);
        Assert.Contains("n_positions = 128", e.Message);
    }

    [Fact]
    public void An_unknown_preset_or_missing_file_says_what_exists()
    {
        var e = Assert.Throws<ConfigException>(() => GptConfig.Load("gpt2"));
        Assert.Contains("gpt1, tiny", e.Message);
    }
}
