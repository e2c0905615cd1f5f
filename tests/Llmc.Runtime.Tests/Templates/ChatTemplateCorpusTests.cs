using Llmc.Runtime.Templates;

namespace Llmc.Runtime.Tests.Templates;

/// <summary>
/// Every case of the chat-template corpus (<see cref="ChatTemplateCorpus"/>) renders exactly as transformers rendered it,
/// or fails where it failed: with the template's own message for <c>raise_exception</c>, with some template error for
/// Python's TypeError and UndefinedError.
/// </summary>
public sealed class ChatTemplateCorpusTests
{
    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var (source, index) in ChatTemplateCorpus.Cases()) data.Add(source, index);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Renders_as_transformers_does(string source, int index)
    {
        var (text, specialTokens, cases) = ChatTemplateCorpus.Load(source);
        var c = cases[index];
        var template = ChatTemplate.Parse(text);
        var variables = ChatTemplateCorpus.Variables(c);
        if (c.TryGetProperty("rendered", out var rendered))
        {
            Assert.Equal(rendered.GetString(), template.Render(variables, specialTokens, ChatTemplateCorpus.Now));
            return;
        }
        var error = Assert.Throws<TemplateException>(() => template.Render(variables, specialTokens, ChatTemplateCorpus.Now));
        if (c.GetProperty("error_kind").GetString() == "raise_exception")
        {
            Assert.True(error.Raised, error.Message);
            Assert.Equal(c.GetProperty("error").GetString(), error.Message);
        }
    }
}
