namespace Llmc.Server;

/// <summary>A request the server refuses: its HTTP status and OpenAI's error fields (message, type, param, code).</summary>
public sealed class RequestException(int status, string message, string? param = null, string type = "invalid_request_error", string? code = null)
    : Exception(message)
{
    public int Status { get; } = status;

    public string Type { get; } = type;

    public string? Param { get; } = param;

    public string? Code { get; } = code;

    /// <summary>Seconds the client should wait before retrying (the Retry-After header), for a request refused for load.</summary>
    public int? RetryAfterSeconds { get; init; }

    public static RequestException BadParameter(string param, string message) => new(400, message, param);
}
