namespace Llmc.Targets.Gpu;

/// <summary>A rendered kernel: its instance, source text (one whole module for GLSL, one function for CUDA) and launch.</summary>
public sealed record GpuKernelText(KernelInstance Instance, string Text, Runtime.Format.KernelLaunch Launch);
