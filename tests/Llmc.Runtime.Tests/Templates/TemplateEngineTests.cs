using Llmc.Runtime.Templates;

namespace Llmc.Runtime.Tests.Templates;

/// <summary>
/// The Jinja engine's parts the corpus touches only in passing: Python's printing of values, whitespace control,
/// loop controls, and errors that name the construct and its line instead of rendering a wrong prompt.
/// </summary>
public sealed class TemplateEngineTests
{
    private static string Render(string template) =>
        ChatTemplate.Parse(template).Render(new Dictionary<string, object?> { ["messages"] = new List<object?>() },
            new Dictionary<string, string?>(), new DateTime(2024, 7, 26));

    [Theory]
    [InlineData("{{ 90.0 }}", "90.0")]
    [InlineData("{{ 0.1 + 0.2 }}", "0.30000000000000004")]
    [InlineData("{{ 1e-5 }}", "1e-05")]
    [InlineData("{{ 1e16 }}", "1e+16")]
    [InlineData("{{ 123456789.5 }}", "123456789.5")]
    [InlineData("{{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 7 / 2 }}", "3 -4 2 3.5")]
    [InlineData("{{ none }} {{ true }} {{ [1, 'a', none] }}", "None True [1, 'a', None]")]
    [InlineData("{{ {'a': 1.5, 'b': [true]} | tojson }}", "{\"a\": 1.5, \"b\": [true]}")]
    [InlineData("{{ 'x\"«»' | tojson }}", "\"x\\\"«»\"")]
    [InlineData("{{ {'a': [1, 2]} | tojson(indent=2) }}", "{\n  \"a\": [\n    1,\n    2\n  ]\n}")]
    [InlineData("{{ '👋 hi'[1:] }}|{{ 'abc'[::-1] }}|{{ [1, 2, 3][-1] }}", " hi|cba|3")]
    [InlineData("{{ ' a b '.split() }} {{ 'a,b'.split(',') }}", "['a', 'b'] ['a', 'b']")]
    [InlineData("{{ 'ab' * 3 }} {{ [1] + [2] }} {{ 1 ~ 'x' ~ none }}", "ababab [1, 2] 1xNone")]
    public void Values_print_as_python_prints_them(string template, string expected) => Assert.Equal(expected, Render(template));

    [Fact]
    public void Trim_and_lstrip_blocks_remove_the_tag_lines()
    {
        const string template = "<\n  {% if true %}\n  x\n  {% endif %}\n>";
        Assert.Equal("<\n  x\n>", Render(template));
    }

    [Fact]
    public void Dash_markers_strip_whitespace_and_plus_keeps_it()
    {
        Assert.Equal("ab", Render("a  {{- '' -}}  \n b"));
        Assert.Equal("a\n  x", Render("a\n  {%+ if true %}x{% endif %}"));
    }

    [Fact]
    public void Loop_controls_and_the_loop_variable()
    {
        const string template = "{% for i in range(10) %}{% if i == 1 %}{% continue %}{% endif %}{% if i == 4 %}{% break %}{% endif %}"
            + "{{ i }}{{ loop.previtem if not loop.first }}{{ ',' if not loop.last }}{% endfor %}";
        // previtem is the iterable's previous item, whether or not its iteration continued early.
        Assert.Equal("0,21,32,", Render(template));
    }

    [Fact]
    public void A_set_inside_a_loop_does_not_leak_but_a_namespace_does()
    {
        Assert.Equal("0 3", Render("{% set n = 0 %}{% set ns = namespace(n=0) %}{% for i in [1, 2, 3] %}{% set n = i %}{% set ns.n = i %}{% endfor %}{{ n }} {{ ns.n }}"));
    }

    [Fact]
    public void Macros_take_defaults_and_keywords()
    {
        Assert.Equal("[a|-]", Render("{% macro m(x, y='-') %}[{{ x }}|{{ y }}]{% endmacro %}{{ m(y='-', x='a') }}"));
    }

    [Theory]
    [InlineData("a\n{% include 'x' %}", "line 2: unsupported template statement 'include'")]
    [InlineData("{{ x | wordwrap }}", "line 1: unsupported template filter 'wordwrap'")]
    [InlineData("\n\n{{ x is prime }}", "line 3: unsupported template test 'prime'")]
    [InlineData("{% if x %}", "the template ends before 'elif' or 'else' or 'endif'")]
    [InlineData("{{ 'a' ", "line 1: '{{' is never closed with '}}'")]
    [InlineData("{% for x in y recursive %}{% endfor %}", "line 1: recursive for loops are not supported")]
    [InlineData("{{ undefined_thing.attr }}", "line 1: 'undefined_thing' is undefined")]
    [InlineData("{{ [].append(1) }}", "line 1: access to the list method 'append' is unsafe: templates cannot change values")]
    public void Unsupported_or_broken_templates_fail_naming_the_construct_and_line(string template, string message)
    {
        var error = Assert.Throws<TemplateException>(() => Render(template));
        Assert.Equal(message, error.Message);
        Assert.False(error.Raised);
    }

    [Fact]
    public void Raise_exception_fails_with_the_templates_own_message()
    {
        var error = Assert.Throws<TemplateException>(() => Render("{{ raise_exception('Only user and assistant roles are supported!') }}"));
        Assert.True(error.Raised);
        Assert.Equal("Only user and assistant roles are supported!", error.Message);
    }

    [Fact]
    public void Tools_and_documents_are_defined_as_none_and_strftime_now_reads_the_clock()
    {
        Assert.Equal("True None|26 Jul 2024", Render("{{ tools is defined }} {{ documents }}|{{ strftime_now('%d %b %Y') }}"));
    }

    [Fact]
    public void Safe_text_escapes_plain_strings_added_to_it()
    {
        Assert.Equal("<b>&lt;i&gt;", Render("{{ '<b>' | safe + '<i>' }}"));
    }
}
