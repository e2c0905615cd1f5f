using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace Llmc.Runtime.AI;

/// <summary>llmc engines as <see cref="IChatClient"/>s, in process and registered in dependency injection.</summary>
public static class EngineChatClientExtensions
{
    /// <summary>This engine as a chat client through its chat template (see <see cref="EngineChatClient"/>).</summary>
    public static IChatClient AsChatClient(this Engine engine) => new EngineChatClient(engine);

    /// <summary>
    /// Registers the engine at <paramref name="enginePath"/> (loaded once, on first use, disposed with the container) and
    /// an <see cref="IChatClient"/> over it; the returned builder adds middleware (logging, caching, telemetry).
    /// </summary>
    public static ChatClientBuilder AddLlmcChatClient(this IServiceCollection services, string enginePath, EngineOptions? options = null)
    {
        services.AddSingleton(_ => Engine.Load(enginePath, options ?? new EngineOptions()));
        return services.AddChatClient(provider => provider.GetRequiredService<Engine>().AsChatClient());
    }
}
