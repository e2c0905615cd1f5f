namespace Llmc.Runtime.Templates;

/// <summary>
/// An engine's chat template with the engine's special tokens: turns a conversation (and any extra template variables)
/// into the prompt's token ids, encoded as rendered (the template writes BOS itself where the model wants one).
/// </summary>
public sealed class ChatPrompt
{
    private readonly Engine _engine;
    private readonly ChatTemplate _template;
    private readonly Dictionary<string, string?> _specialTokens;

    /// <exception cref="LlmcException">The engine has no chat template.</exception>
    public ChatPrompt(Engine engine)
    {
        _engine = engine;
        var text = engine.Manifest.ChatTemplate
            ?? throw new LlmcException($"{engine.Path}: the engine has no chat template (build it with --chat-template FILE)");
        _template = ChatTemplate.Parse(text);
        _specialTokens = SpecialTokens.Of(engine.Tokenizer.Model);
    }

    /// <summary>The rendered prompt text (with <c>add_generation_prompt</c> true unless a variable says otherwise).</summary>
    public string Render(IEnumerable<(string Role, string Content)> messages, IEnumerable<(string Name, object? Value)> variables)
    {
        var conversation = messages.Select(m => (object?)TemplateJson.Dict([("role", m.Role), ("content", m.Content)])).ToList();
        if (conversation.Count == 0) throw new ArgumentException("a chat request needs at least one message");
        var all = new Dictionary<string, object?>(StringComparer.Ordinal) { ["messages"] = conversation, ["add_generation_prompt"] = true };
        foreach (var (name, value) in variables) all[name] = value;
        return _template.Render(all, _specialTokens, DateTime.Now);
    }

    public int[] Encode(IEnumerable<(string Role, string Content)> messages, IEnumerable<(string Name, object? Value)> variables) =>
        _engine.Encode(Render(messages, variables), addBos: false);
}
