using Gpt1Cluster.Data.Tokenization;

namespace Gpt1Cluster.Data.Tests.Tokenization;

/// <summary>Expected words are what HF's BasicTokenizer (Python 3.11) returns for the same input.</summary>
public sealed class BasicPreTokenizerTests
{
    [Theory]
    [InlineData("Hello, World!", new[] { "hello", ",", "world", "!" })]
    [InlineData("don't stop", new[] { "don", "'", "t", "stop" })]
    [InlineData("a+b=$5^2", new[] { "a", "+", "b", "=", "$", "5", "^", "2" })] // ASCII symbols count as punctuation
    [InlineData("  spaced\t\tout\r\n", new[] { "spaced", "out" })]
    [InlineData("", new string[0])]
    public void Ascii_text_is_lowercased_and_split_on_whitespace_and_punctuation(string text, string[] expected) =>
        Assert.Equal(expected, BasicPreTokenizer.Split(text));

    [Theory]
    [InlineData("naïve café", new[] { "naive", "cafe" })]
    [InlineData("e\u0301te\u0301", new[] { "ete" })] // decomposed accents
    [InlineData("İstanbul", new[] { "istanbul" })]  // Python lowercases U+0130 to "i" + U+0307
    [InlineData("Ａ１", new[] { "ａ１" })]           // fullwidth forms are not compatibility-folded
    [InlineData("ǅ", new[] { "ǆ" })]               // titlecase letters lowercase too
    public void Accents_are_stripped_after_lowercasing(string text, string[] expected) =>
        Assert.Equal(expected, BasicPreTokenizer.Split(text));

    [Fact]
    public void Capital_sigma_at_the_end_of_a_word_becomes_final_sigma_as_in_python() =>
        Assert.Equal(["οδος", "σας", "."], BasicPreTokenizer.Split("ΟΔΟΣ ΣΑΣ."));

    [Fact]
    public void Control_characters_are_dropped_without_splitting_the_word() =>
        Assert.Equal(["ab", "cd"], BasicPreTokenizer.Split("a\u000cb c\u0000\u200bd\uFFFD"));

    [Fact]
    public void Line_and_paragraph_separators_and_no_break_spaces_split_words() =>
        Assert.Equal(["a", "b", "c", "d"], BasicPreTokenizer.Split("a\u2028b\u2029c\u00a0d"));

    [Fact]
    public void Each_cjk_ideograph_is_its_own_word() =>
        Assert.Equal(["x", "中", "文", "y"], BasicPreTokenizer.Split("x中文y"));

    [Fact]
    public void Cjk_compatibility_ideographs_are_mapped_to_their_unified_form() =>
        Assert.Equal(["x", "\u8C48", "y"], BasicPreTokenizer.Split("x\uF900y"));

    [Fact]
    public void A_lone_surrogate_is_dropped_like_python_drops_category_cs() =>
        Assert.Equal(["ab"], BasicPreTokenizer.Split("\uD800ab"));

    [Fact]
    public void Characters_outside_the_basic_plane_stay_whole() =>
        Assert.Equal(["a😀b"], BasicPreTokenizer.Split("A😀B"));

    [Fact]
    public void Precomposed_and_decomposed_text_give_the_same_words() =>
        Assert.Equal(BasicPreTokenizer.Split("Ångström über"), BasicPreTokenizer.Split("A\u030angstro\u0308m u\u0308ber"));
}
