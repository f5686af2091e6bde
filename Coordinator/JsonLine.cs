using System.Text.Json;

namespace Gpt1Cluster.Coordinator;

/// <summary>The one shape of every command's --json: one line per object, snake_case keys.</summary>
public static class JsonLine
{
    private static readonly JsonSerializerOptions Format = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = false,
    };

    public static string Of<T>(T value) => JsonSerializer.Serialize(value, Format);
}
