using Gpt1Cluster.Coordinator;

namespace Gpt1Cluster.Cluster.Tests;

/// <summary>Every kind of parser error is one line in the user's terms with a pointer to --help and exit code 2, never the help text.</summary>
public sealed class ParseErrorTests
{
    [Theory]
    [InlineData("pretrain start --embedded --bach 8", "gpt1: unknown option '--bach'; did you mean --batch? (see `gpt1 pretrain start --help`)")]
    [InlineData("pretrian start", "gpt1: unknown argument 'pretrian'; did you mean pretrain? (see `gpt1 --help`)")]
    [InlineData("pretrain", "gpt1: choose a command: start, status, stop, resume (see `gpt1 pretrain --help`)")]
    [InlineData("", "gpt1: choose a command: pretrain, finetune, generate, eval, export, import, zeroshot, train, model, tokenize, bpe, prepare, bench (see `gpt1 --help`)")]
    [InlineData("finetune", "gpt1: choose a command: start, status, stop, resume, sample-tasks (see `gpt1 finetune --help`)")]
    [InlineData("eval --checkpoint c --val v --task x", "gpt1: --task x: Argument 'x' not recognized. Must be one of: 'classification', 'entailment', 'similarity', 'multiple-choice' (see `gpt1 eval --help`)")]
    [InlineData("generate --prompt hi", "gpt1: --checkpoint is required (see `gpt1 generate --help`)")]
    [InlineData("pretrain start --embedded --batch", "gpt1: --batch needs a value (see `gpt1 pretrain start --help`)")]
    [InlineData("pretrain start --embedded --comm-dtype fp8", "gpt1: --comm-dtype fp8: must be one of fp32, bf16 (see `gpt1 pretrain start --help`)")]
    [InlineData("pretrain start --embedded --seed 18446744073709551616",
        "gpt1: --seed 18446744073709551616: must be a whole number from 0 to 18,446,744,073,709,551,615 (see `gpt1 pretrain start --help`)")]
    public async Task A_parser_error_is_one_line_and_exit_2(string line, string expected)
    {
        var error = new StringWriter();
        int code = await Cli.InvokeAsync(CommandTree.Create(), line.Split(' ', StringSplitOptions.RemoveEmptyEntries), error);
        Assert.Equal(2, code);
        Assert.Equal(expected, Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Fact]
    public void A_prompt_may_start_with_an_at_sign()
    {
        var parsed = Cli.Parse(CommandTree.Create(), ["generate", "--checkpoint", "c", "--prompt", "@home she said"]);
        Assert.Empty(parsed.Errors);
        Assert.Equal("@home she said", parsed.GetValue<string>("--prompt"));
    }
}
