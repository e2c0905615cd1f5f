namespace Llmc.Server;

/// <summary>Where the server listens, who it lets in, and how it shuts down.</summary>
public sealed record ServerOptions
{
    /// <summary>Where Kestrel listens, e.g. <c>http://127.0.0.1:8080</c> (port 0 picks a free one).</summary>
    public string Urls { get; init; } = "http://127.0.0.1:8080";

    /// <summary>The bearer token every /v1 request must carry; null for none.</summary>
    public string? ApiKey { get; init; }

    /// <summary>
    /// How long shutdown waits for running requests to finish after it stops accepting new ones; the requests still
    /// running then are cancelled (their sequences end and free their KV blocks).
    /// </summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
