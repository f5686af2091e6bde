using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;

namespace Gpt1Cluster.Coordinator;

/// <summary>What the CLI knows about a numeric flag's valid values; the option sweep test reads it.</summary>
public interface IRangedOption
{
    string Name { get; }
    double Min { get; }
    double Max { get; }

    /// <summary>Min itself is not allowed (a learning rate above 0).</summary>
    bool MinExclusive { get; }
    bool WholeNumber { get; }
}

/// <summary>
/// A numeric flag that parses and range-checks its own value, so a bad value is a parse error
/// (one line, exit 2, before anything starts) in the user's terms: `--batch 0: must be a whole
/// number from 1 to 1,048,576`, never a .NET type name or a config field name.
/// </summary>
public sealed class RangedOption<T> : Option<T>, IRangedOption
{
    private static readonly Type Numeric = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);

    public double Min { get; }
    public double Max { get; }
    public bool MinExclusive { get; }
    public bool WholeNumber { get; } = Numeric != typeof(double) && Numeric != typeof(float);

    public RangedOption(string name, string description, double min, double max, bool minExclusive = false) : base(name)
    {
        if (min > max) throw new ArgumentException($"{name}: min {min} > max {max}");
        Description = description;
        (Min, Max, MinExclusive) = (min, Math.Min(max, TypeMax), minExclusive);
        CustomParser = Parse;
    }

    /// <summary>What a value must be, as the error says it: "a whole number from 1 to 1,048,576".</summary>
    public string Expected
    {
        get
        {
            string kind = WholeNumber ? "a whole number" : "a number";
            string min = Show(Min), max = Show(Max);
            if (WholeNumber && Max >= TypeMax) max = TypeMaxText;
            if (MinExclusive) return Max >= double.MaxValue ? $"{kind} above {min}" : $"{kind} above {min} and at most {max}";
            return $"{kind} from {min} to {max}";
        }
    }

    private T? Parse(ArgumentResult result)
    {
        string token = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        string flag = (result.Parent as OptionResult)?.IdentifierToken?.Value ?? Name;
        if (TryConvert(token, out var value)) return value;
        result.AddError($"{flag} {token}: must be {Expected}");
        return default;
    }

    private bool TryConvert(string token, out T? value)
    {
        value = default;
        if (WholeNumber)
        {
            if (!BigInteger.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var whole)) return false;
            if (!InRange((double)whole)) return false;
            try
            {
                value = (T)Convert.ChangeType((decimal)whole, Numeric, CultureInfo.InvariantCulture);
                return true;
            }
            catch (OverflowException)
            {
                return false; // the double comparison rounds at the type's edge
            }
        }
        if (!double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out double number) || !double.IsFinite(number) || !InRange(number))
            return false;
        value = (T)Convert.ChangeType(number, Numeric, CultureInfo.InvariantCulture);
        return true;
    }

    private bool InRange(double x) => (MinExclusive ? x > Min : x >= Min) && x <= Max;

    private static string TypeMaxText => (Numeric == typeof(int) ? int.MaxValue : Numeric == typeof(long) ? long.MaxValue : (object)ulong.MaxValue) switch
    {
        int i => i.ToString("N0", CultureInfo.InvariantCulture),
        long l => l.ToString("N0", CultureInfo.InvariantCulture),
        var u => ((ulong)u).ToString("N0", CultureInfo.InvariantCulture),
    };

    private static double TypeMax => Numeric == typeof(int) ? int.MaxValue : Numeric == typeof(long) ? long.MaxValue : Numeric == typeof(ulong) ? ulong.MaxValue : double.MaxValue;

    private static string Show(double x) => x == Math.Floor(x) && Math.Abs(x) < 1e15 ? x.ToString("N0", CultureInfo.InvariantCulture) : x.ToString("G", CultureInfo.InvariantCulture);
}
