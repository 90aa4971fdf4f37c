using System.Text.RegularExpressions;

namespace PeerGate.NanoRig.Tests;

/// <summary>
/// What nanoCLR does with null strings and with the slots of a new string[] (Programs/Strings): a real null compares
/// as on .NET, but a slot never assigned is not null and comparing it with any string ends the interpreter. This is
/// why StringArrays.Create assigns every slot and NanoGuard refuses new string[n] (NG1019). If a later interpreter
/// fixes the crash, <see cref="ComparingAnEmptySlotEndsTheInterpreter"/> says so.
/// </summary>
[TestClass]
public sealed partial class StringSlotTests
{
    private static readonly Lazy<StepResult> Observations = new(() =>
    {
        NanoRig rig = Rig.Require();
        string program = Path.Combine(rig.Board.RepoRoot, "firmware", "PeerGate.NanoRig", "Programs", "Strings", "StringSlotProgram.cs");
        string exe = rig.Compile("Strings/Strings.exe", [program, .. Helper(rig)], debug: false);
        return rig.Run(rig.MakePe(exe), timeoutSeconds: 30);
    });

    [TestMethod]
    [DataRow("fresh-slot-is-null", "false", DisplayName = "a slot of new string[n] is not null")]
    [DataRow("fresh-slot-is-null-or-empty", "true")]
    [DataRow("fresh-slot-instance-equals", "false")]
    [DataRow("assigned-slot-is-null", "true", DisplayName = "a slot assigned null is null")]
    [DataRow("assigned-slot-equals", "false")]
    [DataRow("created-slot-is-null", "true", DisplayName = "every slot of StringArrays.Create is null")]
    [DataRow("created-slot-equals", "false")]
    [DataRow("created-slot-static-equals", "false")]
    [DataRow("null-equals-text", "false", DisplayName = "a real null compares as on .NET")]
    [DataRow("text-equals-null", "false")]
    [DataRow("null-equals-null", "true")]
    [DataRow("static-equals-null-text", "false")]
    [DataRow("static-equals-null-null", "true")]
    [DataRow("equal-texts", "true")]
    [Timeout(120_000, CooperativeCancellation = true)]
    public void NullStringsAndSlotsReadAsObserved(string name, string expected)
    {
        Rig.Require();
        StepResult run = Observations.Value;
        Assert.IsTrue(run.Output.Contains("\nstrings: done", StringComparison.Ordinal) || run.Output.StartsWith("strings: done", StringComparison.Ordinal), "no closing line" + Environment.NewLine + run);

        Match line = Regex.Match(run.Output, "(?m)^" + Regex.Escape(name) + " (?<value>true|false)$");
        Assert.IsTrue(line.Success, name + Environment.NewLine + run.Output);
        Assert.AreEqual(expected, line.Groups["value"].Value, name + Environment.NewLine + run.Output);
    }

    [TestMethod]
    [DataRow("slot == text")]
    [DataRow("text == slot")]
    [DataRow("slot != text")]
    [DataRow("string.Equals(slot, text)")]
    [DataRow("IsSet(slot) && slot == text", DisplayName = "a slot passed to a method passes != null there")]
    [Timeout(120_000, CooperativeCancellation = true)]
    public void ComparingAnEmptySlotEndsTheInterpreter(string comparison)
    {
        NanoRig rig = Rig.Require();
        string name = "Crash" + (uint)comparison.GetHashCode(StringComparison.Ordinal);
        string source = rig.WriteSource($"Strings/{name}.cs", $$"""
            using System;
            namespace PeerGate.NanoRig.Strings
            {
                public static class Crash
                {
                    private static bool IsSet(string value) { return value != null; }

                    public static void Main()
                    {
                        string[] slots = new string[2];
                        string slot = slots[0];
                        string slot2 = slots[1];
                        string text = new string('S', 1) + "-x";
                        Console.WriteLine("compare: start");
                        bool result = {{comparison}};
                        Console.WriteLine("compare: end " + (result ? "true" : "false"));
                    }
                }
            }
            """);
        StepResult run = rig.Run(rig.MakePe(rig.Compile($"Strings/{name}.exe", [source], debug: false)), timeoutSeconds: 30);

        Assert.IsTrue(run.Output.Contains("compare: start", StringComparison.Ordinal), run.ToString());
        Assert.IsFalse(run.Output.Contains("compare: end", StringComparison.Ordinal), "the comparison no longer ends nanoCLR: " + run);
    }

    private static string[] Helper(NanoRig rig) =>
        [Path.Combine(rig.Board.RepoRoot, "shared-protocol", "PeerGate.Protocol", "StringArrays.cs")];
}
