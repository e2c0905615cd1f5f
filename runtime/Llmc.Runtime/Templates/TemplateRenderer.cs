using System.Text;

namespace Llmc.Runtime.Templates;

/// <summary>
/// Renders a parsed template: statements write text into a buffer, expressions evaluate with Python's semantics
/// (<see cref="PyValues"/>), attribute and item lookups follow Jinja (an attribute tries the value's methods, then its
/// items; a subscript the other way round), and anything missing is <see cref="Undefined"/>.
/// </summary>
public sealed class TemplateRenderer
{
    private enum Flow
    {
        Normal,
        Break,
        Continue,
    }

    private readonly TemplateScope _root;

    public TemplateRenderer(TemplateScope root) => _root = root;

    public string Render(IReadOnlyList<Statement> template)
    {
        var output = new StringBuilder();
        Execute(template, _root, output);
        return output.ToString();
    }

    private Flow Execute(IReadOnlyList<Statement> statements, TemplateScope scope, StringBuilder output)
    {
        foreach (var statement in statements)
        {
            try
            {
                var flow = Execute(statement, scope, output);
                if (flow != Flow.Normal) return flow;
            }
            catch (TemplateException e) when (!e.Raised && e.Line is null)
            {
                // The innermost statement names the line; the ones around it pass the error on as it is.
                throw TemplateException.At(statement.Line, e.Message);
            }
        }
        return Flow.Normal;
    }

    private Flow Execute(Statement statement, TemplateScope scope, StringBuilder output)
    {
        switch (statement)
        {
            case TextStatement text:
                output.Append(text.Text);
                return Flow.Normal;
            case PrintStatement print:
                output.Append(PyValues.Str(Evaluate(print.Value, scope)));
                return Flow.Normal;
            case IfStatement branches:
                foreach (var (condition, body) in branches.Branches)
                    if (PyValues.Truthy(Evaluate(condition, scope))) return Execute(body, scope, output);
                return Execute(branches.Else, scope, output);
            case ForStatement loop:
                return For(loop, scope, output);
            case SetStatement set:
                Assign(set, Evaluate(set.Value, scope), scope);
                return Flow.Normal;
            case SetBlockStatement block:
                scope.Set(block.Target, Capture(block.Body, scope));
                return Flow.Normal;
            case MacroStatement macro:
                scope.Set(macro.Name, Macro(macro, scope));
                return Flow.Normal;
            case FilterBlockStatement filter:
                output.Append(PyValues.Str(ApplyFilter(filter.Filter, Capture(filter.Body, scope), scope)));
                return Flow.Normal;
            case BreakStatement:
                return Flow.Break;
            case ContinueStatement:
                return Flow.Continue;
            default:
                throw TemplateException.At(statement.Line, $"cannot render {statement.GetType().Name}");
        }
    }

    private string Capture(IReadOnlyList<Statement> body, TemplateScope scope)
    {
        var captured = new StringBuilder();
        Execute(body, scope, captured);
        return captured.ToString();
    }

    private Flow For(ForStatement loop, TemplateScope scope, StringBuilder output)
    {
        var items = PyIteration.Items(Evaluate(loop.Items, scope));
        if (loop.Filter is not null)
        {
            items = [.. items.Where(item =>
            {
                var test = new TemplateScope(scope);
                Bind(loop.Targets, item, test);
                return PyValues.Truthy(Evaluate(loop.Filter, test));
            })];
        }
        if (items.Count == 0) return Execute(loop.Else, scope, output);
        var state = new LoopState(items);
        for (var i = 0; i < items.Count; i++)
        {
            state.Index0 = i;
            var iteration = new TemplateScope(scope);
            Bind(loop.Targets, items[i], iteration);
            iteration.Set("loop", state);
            if (Execute(loop.Body, iteration, output) == Flow.Break) break;
        }
        return Flow.Normal;
    }

    private static void Bind(IReadOnlyList<string> targets, object? value, TemplateScope scope)
    {
        if (targets.Count == 1)
        {
            scope.Set(targets[0], value);
            return;
        }
        var parts = PyIteration.Items(value);
        if (parts.Count != targets.Count)
            throw new TemplateException($"cannot unpack {parts.Count} values into {targets.Count} names ({string.Join(", ", targets)})");
        for (var i = 0; i < targets.Count; i++) scope.Set(targets[i], parts[i]);
    }

    private static void Assign(SetStatement set, object? value, TemplateScope scope)
    {
        if (set.Attribute is null)
        {
            Bind(set.Targets, value, scope);
            return;
        }
        if (!scope.TryGet(set.Targets[0], out var target) || target is not Namespace ns)
            throw new TemplateException($"cannot assign attribute '{set.Attribute}' on '{set.Targets[0]}', which is not a namespace");
        ns.Attributes[set.Attribute] = value;
    }

    private TemplateFunction Macro(MacroStatement macro, TemplateScope definedIn) => (arguments, keywords) =>
    {
        if (arguments.Count > macro.Parameters.Count)
            throw new TemplateException($"macro '{macro.Name}' takes not more than {macro.Parameters.Count} argument(s)");
        var scope = new TemplateScope(definedIn);
        for (var i = 0; i < macro.Parameters.Count; i++)
        {
            var (name, fallback) = macro.Parameters[i];
            var value = i < arguments.Count ? arguments[i]
                : keywords.TryGetValue(name, out var given) ? given
                : fallback is not null ? Evaluate(fallback, scope)
                : new Undefined($"parameter '{name}' of macro '{macro.Name}' was not provided");
            scope.Set(name, value);
        }
        foreach (var name in keywords.Keys)
            if (!macro.Parameters.Any(p => p.Name == name))
                throw new TemplateException($"macro '{macro.Name}' takes no keyword argument '{name}'");
        return Capture(macro.Body, scope);
    };

    public object? Evaluate(Expression expression, TemplateScope scope)
    {
        switch (expression)
        {
            case Literal literal:
                return literal.Value;
            case NameExpression name:
                return scope.TryGet(name.Name, out var value) ? value : new Undefined($"'{name.Name}' is undefined");
            case ListExpression list:
                return list.Items.Select(item => Evaluate(item, scope)).ToList();
            case DictExpression dict:
                return TemplateJson.Dict(dict.Pairs.Select(p => (Evaluate(p.Key, scope) as string
                    ?? throw new TemplateException("dict keys must be strings"), Evaluate(p.Value, scope))));
            case AttributeExpression attribute:
                return PyAccess.Attribute(Evaluate(attribute.Target, scope), attribute.Name);
            case IndexExpression index:
                return PyAccess.Item(Evaluate(index.Target, scope), Evaluate(index.Index, scope));
            case SliceExpression slice:
                return PyAccess.Slice(Evaluate(slice.Target, scope), Optional(slice.Start, scope), Optional(slice.Stop, scope), Optional(slice.Step, scope));
            case CallExpression call:
            {
                var callee = Evaluate(call.Callee, scope);
                if (callee is Undefined u) throw u.Error();
                if (callee is not TemplateFunction function) throw new TemplateException($"'{PyValues.TypeName(callee)}' object is not callable");
                return function([.. call.Arguments.Select(a => Evaluate(a, scope))], Keywords(call.Keywords, scope));
            }
            case FilterExpression filter:
                return ApplyFilter(filter, Evaluate(filter.Value!, scope), scope);
            case TestExpression test:
            {
                var result = TemplateTests.Apply(test.Name, Evaluate(test.Value, scope), [.. test.Arguments.Select(a => Evaluate(a, scope))]);
                return test.Negated ? !result : result;
            }
            case UnaryExpression unary:
                return PyOperators.Unary(unary.Operator, Evaluate(unary.Operand, scope));
            case BinaryExpression { Operator: "and" } and:
            {
                var left = Evaluate(and.Left, scope);
                return PyValues.Truthy(left) ? Evaluate(and.Right, scope) : left;
            }
            case BinaryExpression { Operator: "or" } or:
            {
                var left = Evaluate(or.Left, scope);
                return PyValues.Truthy(left) ? left : Evaluate(or.Right, scope);
            }
            case BinaryExpression binary:
                return PyOperators.Binary(binary.Operator, Evaluate(binary.Left, scope), Evaluate(binary.Right, scope));
            case ConditionalExpression conditional:
                return PyValues.Truthy(Evaluate(conditional.Condition, scope)) ? Evaluate(conditional.Then, scope)
                    : conditional.Else is null ? new Undefined("the condition was false and there is no else") : Evaluate(conditional.Else, scope);
            default:
                throw new TemplateException($"cannot evaluate {expression.GetType().Name}");
        }
    }

    private object? ApplyFilter(FilterExpression filter, object? value, TemplateScope scope) =>
        TemplateFilters.Apply(filter.Name, value, [.. filter.Arguments.Select(a => Evaluate(a, scope))], Keywords(filter.Keywords, scope));

    private object? Optional(Expression? expression, TemplateScope scope) => expression is null ? null : Evaluate(expression, scope);

    private Dictionary<string, object?> Keywords(IReadOnlyList<(string Name, Expression Value)> keywords, TemplateScope scope) =>
        keywords.ToDictionary(k => k.Name, k => Evaluate(k.Value, scope), StringComparer.Ordinal);
}
