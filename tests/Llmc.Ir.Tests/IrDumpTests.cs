namespace Llmc.Ir.Tests;

public sealed class IrDumpTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "llmc-ir-dump-" + Guid.NewGuid().ToString("N"));
    private readonly string? _previous = Environment.GetEnvironmentVariable(IrDump.EnvironmentVariable);

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(IrDump.EnvironmentVariable, _previous);
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void Writes_numbered_pass_file_when_enabled()
    {
        Environment.SetEnvironmentVariable(IrDump.EnvironmentVariable, _directory);
        var g = Fixtures.Load("mixed_dims.ir");
        IrDump.MaybeWrite(g, 3, "fuse");
        Assert.Equal(Printer.Print(g), File.ReadAllText(Path.Combine(_directory, "03-fuse.ir")));
    }

    [Fact]
    public void Does_nothing_when_disabled()
    {
        Environment.SetEnvironmentVariable(IrDump.EnvironmentVariable, null);
        IrDump.MaybeWrite(Fixtures.Load("mixed_dims.ir"), 1, "simplify");
        Assert.False(Directory.Exists(_directory));
    }
}
