namespace Llmc.Runtime.Devices;

/// <summary>An executor that can time each plan step on its device (GPU timestamps, CPU wall clock), for <c>llmc bench</c>.</summary>
public interface IStepProfiler
{
    /// <summary>Whether the device can time steps at all.</summary>
    bool CanProfileSteps { get; }

    /// <summary>Whether forward steps record per-step times (off by default: the timestamps cost a little).</summary>
    bool ProfileSteps { get; set; }

    /// <summary>Device milliseconds of each plan step in the last forward run with <see cref="ProfileSteps"/> on.</summary>
    ReadOnlySpan<double> StepMilliseconds { get; }
}
