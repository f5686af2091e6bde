using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gpt1Cluster.Silo.Training;

/// <summary>One point of a run's loss curve: after update <see cref="Step"/>, <see cref="Tokens"/> trained so far.</summary>
public sealed record LossPoint(
    [property: JsonPropertyName("step")] long Step,
    [property: JsonPropertyName("tokens")] long Tokens,
    [property: JsonPropertyName("loss"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? Loss,
    [property: JsonPropertyName("val_loss"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? ValLoss);

/// <summary>
/// A run's loss history: history.jsonl beside its checkpoints, one JSON object per line, appended
/// by the coordinator after every update (train loss) and every validation (val loss). Each line
/// is one write, so a crash leaves at most a torn last line, which <see cref="Read"/> skips. A
/// recovery goes back to a checkpoint and redoes updates: the redone lines replace the old ones.
/// </summary>
public static class LossHistory
{
    public const string FileName = "history.jsonl";

    public static string PathIn(string checkpointDir) => Path.Combine(checkpointDir, FileName);

    public static void Append(string checkpointDir, LossPoint point)
    {
        Directory.CreateDirectory(checkpointDir);
        var line = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(point) + "\n");
        using var file = new FileStream(PathIn(checkpointDir), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        if (file.Length > 0)
        {
            file.Seek(-1, SeekOrigin.End);
            if (file.ReadByte() != '\n') file.WriteByte((byte)'\n'); // end a line torn by a crash, so it costs only itself
        }
        file.Seek(0, SeekOrigin.End);
        file.Write(line);
    }

    /// <summary>The curve in step order: a later line for the same step adds to it (a val loss measured at a stop); one for an earlier step starts a redo from there.</summary>
    public static IReadOnlyList<LossPoint> Read(string checkpointDir)
    {
        string path = PathIn(checkpointDir);
        var points = new SortedDictionary<long, LossPoint>();
        if (!File.Exists(path)) return [];
        long last = long.MinValue;
        foreach (var line in File.ReadLines(path))
        {
            LossPoint? point;
            try
            {
                point = JsonSerializer.Deserialize<LossPoint>(line);
            }
            catch (JsonException)
            {
                continue; // a line torn by a crash
            }
            if (point is null) continue;
            if (point.Step < last)
                foreach (var redone in points.Keys.Where(s => s >= point.Step).ToList()) points.Remove(redone);
            points[point.Step] = points.TryGetValue(point.Step, out var seen) && point.Step == last
                ? seen with { Loss = point.Loss ?? seen.Loss, ValLoss = point.ValLoss ?? seen.ValLoss, Tokens = point.Tokens }
                : point;
            last = point.Step;
        }
        return points.Values.ToList();
    }
}
