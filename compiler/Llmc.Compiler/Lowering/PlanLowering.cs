using Llmc.Ir;
using Llmc.Runtime.Plan;
using Llmc.Targets;

namespace Llmc.Compiler.Lowering;

/// <summary>The execution plan of a graph and the distinct kernels its steps launch.</summary>
public sealed record LoweredGraph(ExecutionPlan Plan, IReadOnlyList<KernelInstance> Kernels);

/// <summary>
/// Turns a verified graph into an execution plan: one buffer per value (activations share one arena by lifetime), one kernel launch per node,
/// nodes with equal kernel instances sharing one compiled kernel.
/// </summary>
public static class PlanLowering
{
    public static LoweredGraph Lower(Graph graph, ITarget target, int maxSeq, int context)
    {
        var buffers = new List<PlanBuffer>();
        var ids = new Dictionary<Value, int>();
        foreach (var v in graph.Values)
        {
            ids[v] = buffers.Count;
            buffers.Add(new PlanBuffer
            {
                Id = buffers.Count,
                Name = v.Name,
                Kind = v.Kind switch
                {
                    ValueKind.Input => BufferKind.Input,
                    ValueKind.Weight => BufferKind.Weight,
                    ValueKind.State => BufferKind.State,
                    _ => BufferKind.Activation,
                },
                DType = v.Type.DType.Name(),
                Shape = v.Type.Shape.Select(d => d.ToString()).ToList(),
                Tensor = v.Kind == ValueKind.Weight ? v.Name : null,
            });
        }

        var kernels = new Dictionary<KernelInstance, KernelInstance>();
        var steps = new List<PlanStep>();
        foreach (var node in graph.Nodes)
        {
            if (!target.Supports(node.Op.Name))
                throw new TargetException($"target {target.Name} has no kernel for op '{node.Op.Name}' (node %{node.Output.Name})");
            var instance = KernelInstance.FromNode(node);
            if (!kernels.TryAdd(instance, instance)) instance = kernels[instance];
            steps.Add(new PlanStep
            {
                Kernel = instance.Name,
                Args = node.Inputs.Append(node.Output).Select(v => ids[v]).ToList(),
                Node = node.Output.Name,
            });
        }

        var logits = ids[graph.Outputs.Single()];
        var (placed, arenaBytes) = ActivationLayout.Assign(buffers, steps, [logits], maxSeq);
        var plan = new ExecutionPlan
        {
            MaxSeq = maxSeq,
            Context = context,
            Buffers = placed,
            ActivationBytes = arenaBytes,
            Steps = steps,
            Inputs = PlanRoles.StepInputs.ToDictionary(role => role, role => ids[graph.Find(role)], StringComparer.Ordinal),
            Outputs = new Dictionary<string, int> { [PlanRoles.Logits] = logits },
        };
        return new LoweredGraph(plan, kernels.Keys.ToList());
    }
}
