using Llmc.Ir.Ops;

namespace Llmc.Targets.Cpu.Templates;

/// <summary>
/// <c>elementwiseN {expr}</c>: the chain's ops rendered in one loop from the expressions of their own templates
/// (<see cref="ElementwiseTemplate"/>), each intermediate held in a local so nothing is computed twice.
/// </summary>
public sealed class ElementwiseChainTemplate : ICpuKernelTemplate
{
    public void Render(KernelSource kernel)
    {
        var expression = ElementwiseChainOp.ExpressionOf(kernel.Instance.Attrs);
        var w = kernel.Writer;
        ElementwiseTemplate.RenderLoop(kernel, (isVector, operands) =>
        {
            var temporaries = 0;
            string Emit(ElementwiseExpression e)
            {
                if (e is ElementwiseExpression.Operand o) return operands[o.Index];
                var call = (ElementwiseExpression.Call)e;
                var arguments = call.Arguments.Select(Emit).ToList();
                var template = CpuTemplates.Default.TryGetValue(call.Op.Name, out var t) && t is ElementwiseTemplate found
                    ? found
                    : throw new TargetException($"{kernel.Name}: no CPU elementwise template for '{call.Op.Name}'");
                var (a, b) = (arguments[0], arguments[^1]);
                var name = $"t{temporaries++}";
                w.Line(isVector
                    ? $"{kernel.Dialect.Vector} {name} = {template.Vector(kernel.Dialect, a, b)};"
                    : $"float {name} = {template.Scalar(a, b)};");
                return name;
            }
            return Emit(expression);
        });
    }
}
