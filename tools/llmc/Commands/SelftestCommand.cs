using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Llmc.Compiler.Build;
using Llmc.Runtime;
using Llmc.Targets.Conformance;

namespace Llmc.Cli.Commands;

/// <summary>
/// <c>llmc selftest --target T</c>: the kernel conformance suite compiled for a target and run on this machine's device
/// against the reference interpreter, as llama.cpp's test-backend-ops checks a backend on new hardware.
/// </summary>
public static class SelftestCommand
{
    /// <summary>Exit code when every case passed.</summary>
    public const int Passed = 0;

    /// <summary>Exit code when a case failed.</summary>
    public const int Failed = 1;

    /// <summary>Exit code when this machine cannot run the target at all (no device, no driver, no shader compiler).</summary>
    public const int CannotRun = 2;

    public static Command Create()
    {
        var target = new Option<string>("--target", "-t")
        {
            Description = $"Target to check (default: the best CPU target here): {string.Join(", ", TargetRegistry.Names)}",
        };
        var device = new Option<int?>("--device") { Description = "GPU index (Vulkan: as `llmc devices` lists them; CUDA: the driver's ordinal)" };
        var filter = new Option<string?>("--filter") { Description = "Run only the cases whose name contains this text (case-insensitive)" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a table" };
        var command = new Command("selftest", "Run the kernel conformance suite on this machine's device against the reference") { target, device, filter, json };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var name = parse.GetValue(target) ?? Runtime.Devices.Cpu.CpuIsa.Best
                ?? throw new LlmcException("selftest: this processor runs no CPU target; name one with --target");
            var asJson = parse.GetValue(json);
            var clock = Stopwatch.StartNew();
            var compiler = TargetRegistry.Get(name);
            TargetConformance suite;
            try
            {
                suite = TargetConformance.Open(compiler, parse.GetValue(device), parse.GetValue(filter));
            }
            catch (LlmcException e)
            {
                Console.Error.WriteLine($"selftest {name}: cannot run here: {e.Message.ReplaceLineEndings(" | ")}");
                return CannotRun;
            }
            using (suite) return Report(name, suite, asJson, clock);
        }));
        return command;
    }

    private static int Report(string target, TargetConformance suite, bool asJson, Stopwatch clock)
    {
        var compile = clock.Elapsed;
        if (!asJson)
        {
            Console.WriteLine($"selftest {target} on {suite.Device}: {suite.Cases.Count} cases (compiled in {compile.TotalSeconds:F1} s)");
            Console.WriteLine($"{"result",-6} {"rel. L2 error",13} {"tolerance",9}  case");
        }
        var outcomes = new List<CaseOutcome>();
        foreach (var outcome in suite.Run())
        {
            outcomes.Add(outcome);
            if (!asJson) Console.WriteLine(Row(outcome));
        }
        var failed = outcomes.Count(o => !o.Passed);
        if (asJson)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                target,
                device = suite.Device,
                passed = outcomes.Count - failed,
                failed,
                skipped = suite.Skipped.Count,
                seconds = Math.Round(clock.Elapsed.TotalSeconds, 1),
                compile_seconds = Math.Round(compile.TotalSeconds, 1),
                cases = outcomes.Select(o => new { name = o.Case, passed = o.Passed, error = double.IsFinite(o.Error) ? o.Error : (double?)null, tolerance = o.Tolerance, message = o.Failure }),
                skipped_cases = suite.Skipped.Select(s => new { name = s.Case, reason = s.Reason }),
            }, CliJson.Options));
        }
        else
        {
            foreach (var (name, reason) in suite.Skipped) Console.WriteLine($"{"skip",-6} {"",13} {"",9}  {name}: {reason}");
            Console.WriteLine($"selftest {target}: {outcomes.Count - failed} passed, {failed} failed{(suite.Skipped.Count > 0 ? $", {suite.Skipped.Count} skipped" : "")} in {clock.Elapsed.TotalSeconds:F1} s");
        }
        return failed == 0 ? Passed : Failed;
    }

    private static string Row(CaseOutcome o)
    {
        var error = double.IsFinite(o.Error) ? o.Error.ToString("0.00e+00", CultureInfo.InvariantCulture) : "-";
        var row = $"{(o.Passed ? "pass" : "FAIL"),-6} {error,13} {o.Tolerance.ToString("0e+00", CultureInfo.InvariantCulture),9}  {o.Case}";
        return o.Passed ? row : $"{row}\n         {o.Failure}";
    }
}
