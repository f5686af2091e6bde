namespace Gpt1Cluster.Data.Preparation;

/// <summary>A prepare that cannot start or finish as asked; the message says what was wrong and what to do.</summary>
public sealed class PrepareException(string message) : Exception(message);
