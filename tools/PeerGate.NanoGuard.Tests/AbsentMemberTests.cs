using PeerGate.NanoGuard.Checking;
using PeerGate.NanoGuard.Toolchain;

namespace PeerGate.NanoGuard.Tests;

/// <summary>
/// A call to what the real 1.x libraries lack is refused with file, line and the library it is missing from, on
/// the declarations alone (machines without the toolchain) and against the real reference assemblies.
/// </summary>
[TestClass]
public sealed class AbsentMemberTests
{
    private static GuardOptions DeclarationsOnly() => new() { Project = NfProject.Load(RealToolchain.RepoRoot()), NoToolchainReason = "declarations only" };

    private static GuardReport Check(string code, GuardOptions options) => NanoGuard.Check([(GuardAssert.SamplePath, code)], options: options);

    private static void AssertFinds(GuardReport report, string ruleId, int line, string? message = null)
    {
        bool found = report.Findings.Any(f => f.RuleId == ruleId && f.Line == line && f.Path == GuardAssert.SamplePath && (message is null || f.Message == message));
        Assert.IsTrue(found, $"expected {ruleId} on line {line}{(message is null ? "" : ": " + message)}; got:{Environment.NewLine}{report}");
    }

    private const string ContainsKeySample = """
        using System.Collections;

        public static class Lookup
        {
            public static bool Has(Hashtable table, string key)
            {
                return table.ContainsKey(key);
            }
        }
        """;

    [TestMethod]
    public void HashtableContainsKeyIsReportedWithTheLibraryItIsMissingFrom()
    {
        GuardReport report = Check(ContainsKeySample, DeclarationsOnly());

        GuardFinding finding = report.Findings.Single();
        Assert.AreEqual(
            "Sample.cs(7): CS1061 Hashtable.ContainsKey does not exist in nanoFramework 1.x (nanoFramework.System.Collections 1.5.75)",
            finding.ToString());
    }

    [TestMethod]
    public void HashtableContainsKeyIsReportedByTheRealReferenceAssemblies()
    {
        NanoToolchain toolchain = RealToolchain.Require();
        var options = new GuardOptions { Toolchain = toolchain, Project = NfProject.Load(RealToolchain.RepoRoot()) };

        GuardReport report = Check(ContainsKeySample, options);

        Assert.AreEqual(
            "Sample.cs(7): CS1061 Hashtable.ContainsKey does not exist in nanoFramework 1.x (nanoFramework.System.Collections 1.5.75)",
            report.Findings.Single().ToString());
        Assert.IsTrue(report.CheckedAgainst.Any(c => c.StartsWith("the real reference assemblies", StringComparison.Ordinal)), string.Join("; ", report.CheckedAgainst));
    }

    [TestMethod]
    [DataRow("System.IO.File.GetLastWriteTime(\"I:\\\\x\");", "CS0117", "File.GetLastWriteTime does not exist in nanoFramework 1.x (System.IO.FileSystem 1.1.93)")]
    [DataRow("System.IO.Directory.GetLastWriteTime(\"I:\\\\x\");", "CS0117", "Directory.GetLastWriteTime does not exist in nanoFramework 1.x (System.IO.FileSystem 1.1.93)")]
    [DataRow("bool same = System.Guid.Empty == System.Guid.Empty;", "CS0019", null)]
    [DataRow("long smaller = System.Math.Min(1L, 2L);", "CS0234", null)]
    [DataRow("int larger = Math.Max(1, 2);", "CS0103", null)]
    [DataRow("bool done = ((System.IAsyncResult)null).IsCompleted;", "CS1061", "IAsyncResult.IsCompleted does not exist in nanoFramework 1.x (mscorlib 1.17.11)")]
    [DataRow("System.Collections.IDictionaryEnumerator e = new System.Collections.Hashtable().GetEnumerator();", "CS0266", null)]
    [DataRow("throw new System.OperationCanceledException();", "CS0234", null)]
    [DataRow("throw new System.ObjectDisposedException(\"socket\", \"closed\");", "CS1503", null)]
    [DataRow("System.InvalidOperationException e = new System.ObjectDisposedException();", "CS0029", null)]
    [DataRow("System.IO.Directory.Delete(\"I:\\\\x\");", "CS7036", null)]
    [DataRow("System.DateTimeKind kind = System.DateTimeKind.Unspecified;", "CS0117", "DateTimeKind.Unspecified does not exist in nanoFramework 1.x (mscorlib 1.17.11)")]
    public void WhatTheRealLibrariesLackIsRefused(string statement, string ruleId, string? message)
    {
        string code = $$"""
            using System;

            public static class Uses
            {
                public static void Run()
                {
                    {{statement}}
                }
            }
            """;

        AssertFinds(Check(code, DeclarationsOnly()), ruleId, 7, message);
    }

    [TestMethod]
    public void RealApiCallsAreClean()
    {
        // The real spellings of the members above.
        const string code = """
            using System;
            using System.Collections;
            using System.IO;
            using System.Threading;
            using nanoFramework.Runtime.Native;

            public static class Uses
            {
                public static void Run(Hashtable table, Guid a, Guid b, string text)
                {
                    bool has = table.Contains("k");
                    IEnumerator entries = table.GetEnumerator();
                    bool same = a.Equals(b);
                    string trimmed = text.TrimStart(' ').TrimEnd(' ', '\r');
                    DirectoryInfo made = Directory.CreateDirectory("I:\\peergate");
                    Directory.Delete("I:\\peergate", true);
                    Exception canceled = new OperationCanceledException("stopped");
                    SystemException disposed = new ObjectDisposedException("closed");
                    Power.RebootDevice(500, RebootOption.NormalReboot);
                }
            }
            """;

        GuardReport report = Check(code, DeclarationsOnly());

        Assert.IsTrue(report.IsClean, report.ToString());
    }

    [TestMethod]
    public void MathIsRefusedAsALibraryTheProjectDoesNotReference()
    {
        NanoToolchain toolchain = RealToolchain.Require();
        const string code = """
            using System;

            public static class Uses
            {
                public static long Run(long a, long b)
                {
                    return Math.Max(a, b);
                }
            }
            """;

        GuardReport report = Check(code, new GuardOptions { Toolchain = toolchain, Project = NfProject.Load(RealToolchain.RepoRoot()) });

        Assert.AreEqual(
            "Sample.cs(7): CS0103 Math is not available on the board: System.Math is in the System.Math library, which firmware/PeerGate.Device.Esp32/PeerGate.Device.Esp32.nfproj does not reference",
            report.Findings.Single().ToString());
    }

    [TestMethod]
    public void RealReferenceAssembliesCatchWhatADriftedDeclarationWouldMiss()
    {
        // A declaration the real library lacks (the kind of drift the comparison test refuses) lets the call compile
        // against the surface; the real reference assemblies still refuse it.
        NanoToolchain toolchain = RealToolchain.Require();
        string extra = Path.Combine(Path.GetTempPath(), "nanoguard-drift-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(extra, "nanoFramework.System.Collections"));
        try
        {
            File.WriteAllText(
                Path.Combine(extra, "nanoFramework.System.Collections", "Invented.cs"),
                "namespace System.Collections { public static class Invented { public static int Count() { throw null; } } }");
            const string code = """
                public static class Uses
                {
                    public static int Run()
                    {
                        return System.Collections.Invented.Count();
                    }
                }
                """;

            GuardReport surfaceOnly = NanoGuard.Check([(GuardAssert.SamplePath, code)], [extra], DeclarationsOnly());
            Assert.IsTrue(surfaceOnly.IsClean, surfaceOnly.ToString());

            GuardReport withReal = NanoGuard.Check(
                [(GuardAssert.SamplePath, code)], [extra], new GuardOptions { Toolchain = toolchain, Project = NfProject.Load(RealToolchain.RepoRoot()) });
            AssertFinds(withReal, "CS0234", 5);
        }
        finally
        {
            Directory.Delete(extra, recursive: true);
        }
    }
}
