namespace Llmc.Runtime.Templates;

// The syntax tree of a parsed template: statements hold the line they start on, for error messages.

public abstract record Statement(int Line);

public sealed record TextStatement(string Text, int Line) : Statement(Line);

public sealed record PrintStatement(Expression Value, int Line) : Statement(Line);

public sealed record IfStatement(IReadOnlyList<(Expression Condition, IReadOnlyList<Statement> Body)> Branches, IReadOnlyList<Statement> Else, int Line) : Statement(Line);

public sealed record ForStatement(IReadOnlyList<string> Targets, Expression Items, Expression? Filter, IReadOnlyList<Statement> Body, IReadOnlyList<Statement> Else, int Line) : Statement(Line);

/// <summary><c>{% set name = value %}</c>, <c>{% set a, b = value %}</c> or, with <see cref="Attribute"/>, <c>{% set ns.attr = value %}</c>.</summary>
public sealed record SetStatement(IReadOnlyList<string> Targets, string? Attribute, Expression Value, int Line) : Statement(Line);

/// <summary><c>{% set name %}...{% endset %}</c>: the rendered body becomes the value.</summary>
public sealed record SetBlockStatement(string Target, IReadOnlyList<Statement> Body, int Line) : Statement(Line);

public sealed record MacroStatement(string Name, IReadOnlyList<(string Name, Expression? Default)> Parameters, IReadOnlyList<Statement> Body, int Line) : Statement(Line);

/// <summary><c>{% filter name(args) %}...{% endfilter %}</c>: the rendered body through a filter.</summary>
public sealed record FilterBlockStatement(FilterExpression Filter, IReadOnlyList<Statement> Body, int Line) : Statement(Line);

public sealed record BreakStatement(int Line) : Statement(Line);

public sealed record ContinueStatement(int Line) : Statement(Line);

public abstract record Expression;

public sealed record Literal(object? Value) : Expression;

public sealed record NameExpression(string Name) : Expression;

public sealed record ListExpression(IReadOnlyList<Expression> Items) : Expression;

public sealed record DictExpression(IReadOnlyList<(Expression Key, Expression Value)> Pairs) : Expression;

public sealed record AttributeExpression(Expression Target, string Name) : Expression;

public sealed record IndexExpression(Expression Target, Expression Index) : Expression;

public sealed record SliceExpression(Expression Target, Expression? Start, Expression? Stop, Expression? Step) : Expression;

public sealed record CallExpression(Expression Callee, IReadOnlyList<Expression> Arguments, IReadOnlyList<(string Name, Expression Value)> Keywords) : Expression;

/// <summary><c>value | name(args)</c>; <see cref="Value"/> is null inside a filter block, where the body is the value.</summary>
public sealed record FilterExpression(Expression? Value, string Name, IReadOnlyList<Expression> Arguments, IReadOnlyList<(string Name, Expression Value)> Keywords) : Expression;

public sealed record TestExpression(Expression Value, string Name, IReadOnlyList<Expression> Arguments, bool Negated) : Expression;

public sealed record UnaryExpression(string Operator, Expression Operand) : Expression;

public sealed record BinaryExpression(string Operator, Expression Left, Expression Right) : Expression;

public sealed record ConditionalExpression(Expression Condition, Expression Then, Expression? Else) : Expression;
