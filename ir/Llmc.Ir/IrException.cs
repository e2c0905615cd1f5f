namespace Llmc.Ir;

/// <summary>A malformed graph, text or type: the message says what and where.</summary>
public sealed class IrException(string message) : Exception(message);
