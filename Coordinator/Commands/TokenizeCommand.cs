using System.CommandLine;
using System.Text;
using Gpt1Cluster.Data.Tokenization;

namespace Gpt1Cluster.Coordinator.Commands;

/// <summary><c>gpt1 tokenize --vocab DIR [--ids|--tokens] [TEXT]</c>: one output line per input line.</summary>
public static class TokenizeCommand
{
    public static Command Create()
    {
        var vocab = new Option<string>("--vocab")
        {
            Description = "Folder with the vocabulary: encoder_bpe_40000.json + vocab_40000.bpe, or vocab.json + merges.txt",
            Required = true,
        };
        var ids = new Option<bool>("--ids") { Description = "Print token ids, space-separated (the default)" };
        var tokens = new Option<bool>("--tokens") { Description = "Print token strings instead of ids" };
        var standardize = new Option<bool>("--text-standardize")
        {
            Description = "Apply the original GPT-1 text_standardize (dashes, ellipsis, acute accent) before tokenizing",
        };
        var text = new Argument<string?>("text")
        {
            Description = "Text to tokenize; standard input is read when it is absent",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var command = new Command("tokenize", "Encode text with a GPT-1 BPE vocabulary, one output line per input line")
        {
            vocab, ids, tokens, standardize, text,
        };
        command.SetAction(parse =>
        {
            if (parse.GetValue(ids) && parse.GetValue(tokens))
            {
                throw new UserInputException("Pass --ids or --tokens, not both.");
            }
            var tokenizer = Gpt1Tokenizer.Load(parse.GetValue(vocab)!, parse.GetValue(standardize));
            var lines = parse.GetValue(text) is { } argument ? argument.Split('\n') : ReadLines(Console.In);
            Run(tokenizer, lines, parse.GetValue(tokens));
            return 0;
        });
        return command;
    }

    private static void Run(Gpt1Tokenizer tokenizer, IEnumerable<string> lines, bool printTokens)
    {
        using var output = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { NewLine = "\n" };
        var ids = new List<int>();
        foreach (var line in lines)
        {
            ids.Clear();
            tokenizer.Encode(line, ids);
            for (var i = 0; i < ids.Count; i++)
            {
                if (i > 0)
                {
                    output.Write(' ');
                }
                if (printTokens)
                {
                    output.Write(tokenizer.IdToToken(ids[i]));
                }
                else
                {
                    output.Write(ids[i]);
                }
            }
            output.WriteLine();
        }
    }

    private static IEnumerable<string> ReadLines(TextReader reader)
    {
        while (reader.ReadLine() is { } line)
        {
            yield return line;
        }
    }
}
