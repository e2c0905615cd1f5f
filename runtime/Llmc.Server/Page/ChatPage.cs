namespace Llmc.Server;

/// <summary>
/// The chat page served at <c>/</c>: one static HTML file with its script inline (no build step), embedded in this
/// assembly. It lists the models, keeps the conversation, and streams each reply from <c>/v1/chat/completions</c>.
/// </summary>
public static class ChatPage
{
    public static string Html { get; } = Load();

    private static string Load()
    {
        using var stream = typeof(ChatPage).Assembly.GetManifestResourceStream("Llmc.Server.Page.chat.html")
            ?? throw new InvalidOperationException("the chat page is not embedded in Llmc.Server");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
