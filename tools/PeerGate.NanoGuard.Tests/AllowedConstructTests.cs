using PeerGate.NanoGuard.Checking;

namespace PeerGate.NanoGuard.Tests;

/// <summary>What the device code is told to use instead must pass, or the surface is too thin to trust.</summary>
[TestClass]
public sealed class AllowedConstructTests
{
    private const string AllowedSample = """
        using System;
        using System.Collections;
        using System.Diagnostics;
        using System.Text;
        using System.Threading;

        namespace Device
        {
            public delegate void PacketHandler(byte[] data, int length);

            public enum LinkState
            {
                Down,
                Up,
            }

            public interface IPinger
            {
                int Ping(string host);
            }

            public static class TextExtensions
            {
                public static bool IsBlank(this string text)
                {
                    return text == null || text.Trim().Length == 0;
                }
            }

            public sealed class Allowed : IDisposable
            {
                private readonly object _sync = new object();
                private readonly ArrayList _items = new ArrayList();
                private readonly Hashtable _byName = new Hashtable();
                private readonly AutoResetEvent _wake = new AutoResetEvent(false);
                private readonly ManualResetEvent _stopped = new ManualResetEvent(false);
                private readonly Timer _timer;
                private int _counter;

                public Allowed()
                {
                    _timer = new Timer(OnTick, null, 1000, Timeout.Infinite);
                    new Thread(Run).Start();
                }

                public event EventHandler Changed;

                public string Name { get; init; }

                public int Count => _items.Count;

                public void Add(string name, byte[] payload)
                {
                    lock (_sync)
                    {
                        _items.Add(name);
                        _byName[name] = payload;
                    }

                    Interlocked.Increment(ref _counter);
                    Changed?.Invoke(this, EventArgs.Empty);
                }

                public string Describe(LinkState state, long seconds)
                {
                    string text = state switch
                    {
                        LinkState.Up => "up",
                        _ => "down",
                    };

                    return string.Format("{0} for {1}s", text, seconds) + $" ({_items.Count} items, {seconds:D4})";
                }

                public int Kind(string command)
                {
                    switch (command)
                    {
                        case "ping":
                            return 1;
                        case "pong":
                            return 2;
                        case "hello":
                            return 3;
                        case "bye":
                            return 4;
                        case "status":
                            return 5;
                        case "reset":
                            return 6;
                        case "wake":
                            return 7;
                        default:
                            return 0;
                    }
                }

                public string Encode(byte[] data)
                {
                    byte[] copy = new byte[data.Length + 2];
                    Array.Copy(data, 0, copy, 2, data.Length);
                    Array.Clear(copy, 0, 2);
                    int at = Array.IndexOf(copy, (byte)7);
                    return Convert.ToBase64String(copy) + at.ToString() + BitConverter.ToInt32(copy, 0).ToString("X8");
                }

                public int Sum(int[] values)
                {
                    int total = 0;
                    foreach (int value in values)
                    {
                        total += value;
                    }

                    foreach (object item in _items)
                    {
                        total += ((string)item).Length;
                    }

                    return total;
                }

                public bool TryRead(string text, out int value)
                {
                    try
                    {
                        value = int.Parse(text);
                        return true;
                    }
                    catch (Exception e) when (e is FormatException || e is ArgumentException)
                    {
                        Debugger.Break();
                        value = 0;
                        return false;
                    }
                }

                public string Build(string[] parts)
                {
                    StringBuilder builder = new StringBuilder();
                    for (int i = 0; i < parts.Length; i++)
                    {
                        builder.Append(parts[i]).Append(',');
                    }

                    return builder.ToString() + Encoding.UTF8.GetBytes("x").Length.ToString() + DateTime.UtcNow.ToUnixTimeSeconds().ToString();
                }

                public bool Blank(string text)
                {
                    return text.IsBlank() || string.IsNullOrEmpty(text);
                }

                public long Uptime()
                {
                    return Environment.TickCount64 + (long)nanoFramework.Runtime.Native.GC.Run(false);
                }

                public bool Wait(CancellationToken token)
                {
                    PacketHandler handler = (data, length) => _counter += length;
                    handler(new byte[] { 1, 2, 3 }, 3);
                    int index = WaitHandle.WaitAny(new WaitHandle[] { _wake, _stopped }, 500, false);
                    return index != WaitHandle.WaitTimeout && !token.IsCancellationRequested;
                }

                public void Dispose()
                {
                    _timer.Dispose();
                    _stopped.Set();
                }

                private void OnTick(object state)
                {
                    _wake.Set();
                }

                private void Run()
                {
                    using (CancellationTokenSource timeout = new CancellationTokenSource(1000))
                    {
                        while (!_stopped.WaitOne(100, false) && !timeout.IsCancellationRequested)
                        {
                            Thread.Sleep(10);
                        }
                    }
                }
            }
        }
        """;

    [TestMethod]
    public void AllowedConstructsAreClean()
    {
        GuardReport report = GuardAssert.CheckSample(AllowedSample);

        Assert.IsTrue(report.IsClean, report.ToString());
        Assert.AreEqual(1, report.FileCount);
    }

    [TestMethod]
    public void NullableReferenceAnnotationIsNotMistakenForNullableValueType()
    {
        GuardReport report = GuardAssert.CheckSample("""
            #nullable enable
            class Sample
            {
                string? _name;
            }
            """);

        Assert.IsTrue(report.IsClean, report.ToString());
    }

    [TestMethod]
    public void StringArraysWhoseSlotsAreAllAssignedPass()
    {
        const string code = """
            using System;
            namespace PeerGate.Protocol
            {
                public static class StringArrays
                {
                    public static string[] Create(int length)
                    {
                        string[] slots = new string[length];
                        for (int i = 0; i < slots.Length; i++) { slots[i] = null; }
                        return slots;
                    }
                }

                class User
                {
                    string[] _none = new string[0];
                    string[] _two = new string[] { "a", "b" };
                    string[] _sized = new string[2] { "a", "b" };
                    string[] _implicit = { "a" };
                    string[] _slots = StringArrays.Create(4);
                    byte[] _bytes = new byte[16];
                    void Wipe() { Array.Clear(_bytes, 0, _bytes.Length); }
                }
            }
            """;

        GuardReport report = GuardAssert.CheckSample(code);

        Assert.IsTrue(report.IsClean, report.ToString());
    }

    [TestMethod]
    public void ExtraSurfaceFolderAddsAnAssembly()
    {
        string root = Path.Combine(Path.GetTempPath(), "nano-guard-" + Guid.NewGuid().ToString("N"));
        string folder = Path.Combine(root, "nanoFramework.Sample.Package");
        Directory.CreateDirectory(folder);
        try
        {
            File.WriteAllText(Path.Combine(folder, "Widget.cs"), "namespace Sample.Package { public class Widget { public int Spin() { throw null; } } }");
            const string code = "class User { int Go() { return new Sample.Package.Widget().Spin(); } }";

            // Declarations only: the real reference assemblies know no such package and refuse it (AbsentMemberTests).
            Assert.IsFalse(NanoGuard.Check([("User.cs", code)], options: GuardOptions.SurfaceOnly).IsClean);
            Assert.IsTrue(NanoGuard.Check([("User.cs", code)], [root], GuardOptions.SurfaceOnly).IsClean);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
