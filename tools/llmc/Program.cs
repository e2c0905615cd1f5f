using System.CommandLine;
using Llmc.Cli.Commands;

var root = new RootCommand("llmc: an ahead-of-time LLM compiler and runtime")
{
    BuildCommand.Create(),
    RunCommand.Create(),
    TokenizeCommand.Create(),
    InspectCommand.Create(),
    EvalCommand.Create(),
    SynthCommand.Create(),
    BenchCommand.Create(),
    DevicesCommand.Create(),
    SelftestCommand.Create(),
    TemplateCommand.Create(),
    ChatCommand.Create(),
    ServeCommand.Create(),
    BenchServeCommand.Create(),
};
return root.Parse(args).Invoke();
