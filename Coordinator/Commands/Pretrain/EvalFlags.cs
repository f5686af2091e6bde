using Gpt1Cluster.Contracts.Data;
using Gpt1Cluster.Contracts.Training;

namespace Gpt1Cluster.Coordinator.Commands.Pretrain;

/// <summary>
/// `--eval-every` and `--eval-tokens` as given (their ranges checked by the parser), turned into
/// the request's fields once the data's val split is known. Data without a val split is an error only
/// when the user asked for validation; otherwise it is skipped with one warning.
/// </summary>
public sealed record EvalFlags(int? Every, long Tokens, bool Demo)
{
    /// <summary>The sample demo's default: its 1,200 updates then show six measurements.</summary>
    public const int DemoEvery = 200;

    /// <summary>The updates between validations for data whose val split holds <paramref name="valTokens"/> tokens.</summary>
    public int EveryFor(long valTokens, DataPlan plan, string dataDir)
    {
        int every = Every ?? (Demo ? DemoEvery : PretrainRequest.DefaultEvalEvery);
        if (every == 0) return 0;
        if (Tokens < plan.Context)
            throw new UserInputException($"--eval-tokens {Tokens} is less than one sequence of --ctx {plan.Context}; measure at least {plan.Context} tokens");
        if (valTokens >= plan.Context + 1L) return every;
        string why = $"{dataDir} has no val sequence of {plan.Context + 1} tokens (its val split holds {valTokens})";
        if (Every is not null)
            throw new UserInputException($"--eval-every: {why}; prepare the data with --val-fraction > 0 (gpt1 prepare … --val-fraction 0.005), or pass --eval-every 0");
        Console.Error.WriteLine($"warning: {why}: the validation loss is not measured; prepare with --val-fraction > 0 to measure it");
        return 0;
    }
}
