using Gpt1Cluster.Data.Tokenization;

namespace Gpt1Cluster.Data.Tests.Tokenization;

/// <summary>Expected strings are what text_utils.py's text_standardize returns (Python 3).</summary>
public sealed class TextStandardizerTests
{
    [Theory]
    [InlineData("a—b–c―d", "a - b - c - d")]
    [InlineData("wait…", "wait...")]
    [InlineData("it´s", "it's")]
    [InlineData("(hi)!!", "( hi ) !!")]
    [InlineData("  one \t two  ", "one two")]
    [InlineData("line one  \n\n  line two", "line one \n line two")]
    public void Standardize_matches_the_original_text_utils(string text, string expected) =>
        Assert.Equal(expected, TextStandardizer.Standardize(text));
}
