using Llmc.Targets.Conformance;
using Llmc.Targets.Vulkan;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Llmc.Targets.Tests.Vulkan;

/// <summary>
/// A theory over conformance case names on the Vulkan device: skipped as a whole without a device or glslc, and each case
/// whose template the vulkan target does not support is its own skipped row naming the template.
/// </summary>
[XunitTestCaseDiscoverer("Llmc.Targets.Tests.Vulkan.VulkanConformanceDiscoverer", "Llmc.Targets.Tests")]
public sealed class VulkanConformanceTheoryAttribute : TheoryAttribute
{
    /// <param name="subgroups">Whether the theory runs the subgroup variants (skipped where the device lacks subgroup arithmetic).</param>
    public VulkanConformanceTheoryAttribute(bool subgroups = false)
    {
        Skip = VulkanAvailability.Missing ?? VulkanAvailability.MissingGlslc ?? (subgroups ? VulkanAvailability.MissingSubgroupArithmetic : null);
    }
}

public sealed class VulkanConformanceDiscoverer(IMessageSink diagnosticMessageSink) : TheoryDiscoverer(diagnosticMessageSink)
{
    private static readonly VulkanTarget Target = new();

    protected override IEnumerable<IXunitTestCase> CreateTestCasesForDataRow(
        ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo theoryAttribute, object[] dataRow)
    {
        var template = ConformanceCases.Get((string)dataRow[0]).Kernel.Template;
        if (Target.Supports(template)) return base.CreateTestCasesForDataRow(discoveryOptions, testMethod, theoryAttribute, dataRow);
        return [new XunitSkippedDataRowTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(),
            discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod, $"the vulkan target has no '{template}' template yet", dataRow)];
    }
}
