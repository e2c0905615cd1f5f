namespace Llmc.Targets.Gpu;

/// <summary>
/// A rendered kernel: its instance, the name of its entry point (CUDA: the function; GLSL modules all enter at
/// <c>main</c>), source text (one whole module for GLSL, one function for CUDA) and launch.
/// </summary>
public sealed record GpuKernelText(KernelInstance Instance, string Entry, string Text, Runtime.Format.KernelLaunch Launch);
