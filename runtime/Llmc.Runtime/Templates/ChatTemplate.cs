using System.Text.Json;

namespace Llmc.Runtime.Templates;

/// <summary>
/// A model's Hugging Face chat template (Jinja), parsed once and rendered as transformers'
/// <c>apply_chat_template</c> renders it: the variables <c>messages</c>, <c>tools</c> and <c>documents</c> (null when
/// not given, so they are defined), <c>add_generation_prompt</c>, the special tokens, and any extra variables of the
/// request; <c>raise_exception</c> and <c>strftime_now</c> as functions.
/// </summary>
public sealed class ChatTemplate
{
    private readonly IReadOnlyList<Statement> _template;

    private ChatTemplate(IReadOnlyList<Statement> template) => _template = template;

    /// <exception cref="TemplateException">A syntax error or an unsupported construct, naming it and its line.</exception>
    public static ChatTemplate Parse(string source) => new(TemplateParser.Parse(source));

    /// <param name="request">
    /// A JSON object with <c>messages</c>, optional <c>tools</c> and <c>add_generation_prompt</c> (default true), and
    /// any other template variables (e.g. <c>enable_thinking</c>).
    /// </param>
    /// <param name="specialTokens">bos_token, eos_token, ... as the tokenizer config names them (null ones are left out).</param>
    /// <param name="now">The clock <c>strftime_now</c> reads.</param>
    public string Render(JsonElement request, IReadOnlyDictionary<string, string?> specialTokens, DateTime now)
    {
        if (request.ValueKind != JsonValueKind.Object) throw new TemplateException("the request must be a JSON object");
        var variables = (OrderedDictionary<string, object?>)TemplateJson.FromJson(request)!;
        if (!variables.ContainsKey("messages")) throw new TemplateException("the request has no 'messages'");
        return Render(variables, specialTokens, now);
    }

    public string Render(IReadOnlyDictionary<string, object?> variables, IReadOnlyDictionary<string, string?> specialTokens, DateTime now)
    {
        var scope = new TemplateScope(null);
        TemplateGlobals.AddTo(scope, now);
        foreach (var (name, token) in specialTokens)
            if (token is not null) scope.Set(name, token);
        scope.Set("tools", null);
        scope.Set("documents", null);
        scope.Set("add_generation_prompt", true);
        foreach (var (name, value) in variables) scope.Set(name, value);
        return new TemplateRenderer(scope).Render(_template);
    }
}
