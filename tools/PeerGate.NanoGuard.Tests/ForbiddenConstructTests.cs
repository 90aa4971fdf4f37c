using PeerGate.NanoGuard.Rules;

namespace PeerGate.NanoGuard.Tests;

/// <summary>Each sample holds one construct stable nanoFramework 1.x lacks, on a known line.</summary>
[TestClass]
public sealed class ForbiddenConstructTests
{
    [TestMethod]
    public void GenericListIsReported()
    {
        const string code = """
            using System.Collections.Generic;
            class Sample
            {
                List<int> _items = new List<int>();
            }
            """;
        GuardAssert.Finds(code, "CS0234", 1);
        GuardAssert.Finds(code, RuleIds.GenericUse, 4);
    }

    [TestMethod]
    public void GenericDictionaryIsReported()
    {
        const string code = """
            class Sample
            {
                System.Collections.Generic.Dictionary<string, int> _map;
            }
            """;
        GuardAssert.Finds(code, "CS0234", 3);
        GuardAssert.Finds(code, RuleIds.GenericUse, 3);
    }

    [TestMethod]
    public void OwnGenericClassIsReported()
    {
        const string code = """
            class Box<T>
            {
                public T Value;
            }
            """;
        GuardAssert.Finds(code, RuleIds.GenericDeclaration, 1);
    }

    [TestMethod]
    public void OwnGenericMethodIsReported()
    {
        const string code = """
            class Sample
            {
                static T Same<T>(T value) { return value; }

                int Use() { return Same(3); }
            }
            """;
        GuardAssert.Finds(code, RuleIds.GenericDeclaration, 3);
        GuardAssert.Finds(code, RuleIds.GenericUse, 5);
    }

    [TestMethod]
    public void GenericActionIsReported()
    {
        const string code = """
            using System;
            class Sample
            {
                Action<string> _handler;
            }
            """;
        GuardAssert.Finds(code, RuleIds.GenericUse, 4);
    }

    [TestMethod]
    public void GenericFuncIsReported()
    {
        const string code = """
            class Sample
            {
                System.Func<int> _next;
            }
            """;
        GuardAssert.Finds(code, RuleIds.GenericUse, 3);
    }

    [TestMethod]
    public void LinqMethodSyntaxIsReported()
    {
        const string code = """
            using System.Linq;
            class Sample
            {
                int Count(int[] values)
                {
                    return values.Count();
                }
            }
            """;
        GuardAssert.Finds(code, "CS0234", 1);
        GuardAssert.Finds(code, "CS1061", 6);
    }

    [TestMethod]
    public void LinqQuerySyntaxIsReported()
    {
        const string code = """
            class Sample
            {
                object Evens(int[] values)
                {
                    return from v in values where v % 2 == 0 select v;
                }
            }
            """;
        GuardAssert.Finds(code, RuleIds.LinqQuery, 5);
        GuardAssert.Finds(code, "CS1935", 5);
    }

    [TestMethod]
    public void AsyncAwaitIsReported()
    {
        const string code = """
            class Sample
            {
                async void Run(object pending)
                {
                    await pending;
                }
            }
            """;
        GuardAssert.Finds(code, RuleIds.Async, 3);
        GuardAssert.Finds(code, RuleIds.Async, 5);
    }

    [TestMethod]
    public void TaskIsReported()
    {
        const string code = """
            using System.Threading.Tasks;
            class Sample
            {
                Task _work;
            }
            """;
        GuardAssert.Finds(code, "CS0234", 1);
        GuardAssert.Finds(code, "CS0246", 4);
    }

    [TestMethod]
    public void NullableValueTypeIsReported()
    {
        const string code = """
            class Sample
            {
                int? _port;
            }
            """;
        GuardAssert.Finds(code, RuleIds.NullableValueType, 3);
        GuardAssert.Finds(code, "CS0518", 3);
    }

    [TestMethod]
    public void TupleIsReported()
    {
        const string code = """
            class Sample
            {
                (int low, int high) Range() { return (1, 2); }
            }
            """;
        GuardAssert.Finds(code, RuleIds.Tuple, 3);
        GuardAssert.Finds(code, "CS8179", 3);
    }

    [TestMethod]
    public void RecordIsReported()
    {
        const string code = """
            namespace Device
            {
                public record Reading(int Value);
            }
            """;
        GuardAssert.Finds(code, RuleIds.Record, 3);
    }

    [TestMethod]
    public void YieldReturnIsReported()
    {
        const string code = """
            using System.Collections;
            class Sample
            {
                IEnumerable Numbers()
                {
                    yield return 1;
                }
            }
            """;
        GuardAssert.Finds(code, RuleIds.Iterator, 6);
    }

    [TestMethod]
    public void SpanIsReported()
    {
        const string code = """
            class Sample
            {
                void Fill(System.Span<byte> buffer) { }
            }
            """;
        GuardAssert.Finds(code, RuleIds.GenericUse, 3);
        GuardAssert.Finds(code, "CS0234", 3);
    }

    [TestMethod]
    public void StackallocIsReported()
    {
        const string code = """
            class Sample
            {
                unsafe void Fill()
                {
                    byte* buffer = stackalloc byte[16];
                }
            }
            """;
        GuardAssert.Finds(code, RuleIds.Stackalloc, 5);
    }

    [TestMethod]
    public void DecimalIsReported()
    {
        const string code = """
            class Sample
            {
                decimal _price;
            }
            """;
        GuardAssert.Finds(code, RuleIds.Decimal, 3);
        GuardAssert.Finds(code, "CS0518", 3);
    }

    [TestMethod]
    public void VolatileIsReported()
    {
        const string code = """
            class Sample
            {
                private volatile bool _stop;
            }
            """;
        GuardAssert.Finds(code, RuleIds.Volatile, 3);
    }

    [TestMethod]
    public void MultidimensionalArrayIsReported()
    {
        const string code = """
            class Sample
            {
                int[,] _grid = new int[2, 3];
            }
            """;
        GuardAssert.Finds(code, RuleIds.MultidimensionalArray, 3);
    }

    [TestMethod]
    public void StringJoinIsReported()
    {
        const string code = """
            class Sample
            {
                string Csv(string[] parts) { return string.Join(",", parts); }
            }
            """;
        GuardAssert.Finds(code, "CS0117", 3);
    }

    [TestMethod]
    public void StringReplaceIsReported()
    {
        const string code = """
            class Sample
            {
                string Clean(string text) { return text.Replace("a", "b"); }
            }
            """;
        GuardAssert.Finds(code, "CS1061", 3);
    }

    [TestMethod]
    public void StringIsNullOrWhiteSpaceIsReported()
    {
        const string code = """
            class Sample
            {
                bool Blank(string text) { return string.IsNullOrWhiteSpace(text); }
            }
            """;
        GuardAssert.Finds(code, "CS0117", 3);
    }

    [TestMethod]
    public void ArrayResizeIsReported()
    {
        const string code = """
            class Sample
            {
                void Grow(ref byte[] buffer) { System.Array.Resize(ref buffer, 64); }
            }
            """;
        GuardAssert.Finds(code, "CS0117", 3);
    }

    [TestMethod]
    public void EnumParseIsReported()
    {
        const string code = """
            enum Mode { Off, On }
            class Sample
            {
                object Read(string text) { return System.Enum.Parse(typeof(Mode), text); }
            }
            """;
        GuardAssert.Finds(code, RuleIds.EnumReflection, 4);
        GuardAssert.Finds(code, "CS0117", 4);
    }

    [TestMethod]
    public void EnumToStringIsReported()
    {
        const string code = """
            enum Mode { Off, On }
            class Sample
            {
                string Name(Mode mode) { return mode.ToString(); }
            }
            """;
        GuardAssert.Finds(code, RuleIds.EnumToString, 4);
    }

    [TestMethod]
    public void EnumConcatenatedIntoTextIsReported()
    {
        const string code = """
            enum Mode { Off, On }
            class Sample
            {
                string Describe(Mode mode) { return "mode " + mode; }
            }
            """;
        GuardAssert.Finds(code, RuleIds.EnumToString, 4);
    }

    [TestMethod]
    public void StopwatchIsReported()
    {
        const string code = """
            class Sample
            {
                System.Diagnostics.Stopwatch _watch;
            }
            """;
        GuardAssert.Finds(code, "CS0234", 3);
    }

    [TestMethod]
    public void EnvironmentTickCountIsReported()
    {
        const string code = """
            class Sample
            {
                int Now() { return System.Environment.TickCount; }
            }
            """;
        GuardAssert.Finds(code, "CS0117", 3);
    }

    [TestMethod]
    public void DefaultInterfaceMethodIsReported()
    {
        const string code = """
            interface IClock
            {
                long NowMillis();

                long NowSeconds() { return NowMillis() / 1000; }
            }
            """;
        GuardAssert.Finds(code, RuleIds.DefaultInterfaceMember, 5);
    }

    [TestMethod]
    public void DynamicIsReported()
    {
        const string code = """
            class Sample
            {
                void Poke(dynamic target) { target.Run(); }
            }
            """;
        GuardAssert.Finds(code, RuleIds.Dynamic, 3);
    }

    [TestMethod]
    public void RangeAndIndexOperatorsAreReported()
    {
        const string code = """
            class Sample
            {
                char Last(string text) { return text[^1]; }

                string Middle(string text) { return text[1..3]; }
            }
            """;
        GuardAssert.Finds(code, RuleIds.RangeOrIndex, 3);
        GuardAssert.Finds(code, RuleIds.RangeOrIndex, 5);
    }

    [TestMethod]
    public void DebugWriteLineIsReported()
    {
        const string code = """
            using System.Diagnostics;
            class Sample
            {
                void Log(string line)
                {
                    Debug.WriteLine("PG " + line);
                }
            }
            """;
        GuardAssert.Finds(code, RuleIds.ConditionalCall, 6);
        StringAssert.Contains(GuardAssert.CheckSample(code).ToString(), "vanishes in Release builds");
    }

    [TestMethod]
    public void DebugAssertIsReported()
    {
        const string code = """
            class Sample
            {
                void Check(int length) { System.Diagnostics.Debug.Assert(length > 0, "empty"); }
            }
            """;
        GuardAssert.Finds(code, RuleIds.ConditionalCall, 3);
    }

    [TestMethod]
    public void OwnConditionalMethodIsReported()
    {
        const string code = """
            using System.Diagnostics;
            class Sample
            {
                [Conditional("TRACE_WIRE")]
                static void Trace(string line) { }

                void Run() { Trace("frame"); }
            }
            """;
        GuardAssert.Finds(code, RuleIds.ConditionalCall, 7);
    }

    [TestMethod]
    public void StringArrayWithEmptySlotsIsReported()
    {
        // The offer book's announced sessions: on nanoCLR the empty slot passed "!= null" and the comparison ended it.
        const string code = """
            class Book
            {
                private readonly string[] _expected;

                public Book(int capacity) { _expected = new string[capacity]; }

                public bool Has(string id)
                {
                    for (int i = 0; i < _expected.Length; i++)
                    {
                        if (_expected[i] != null && _expected[i] == id) { return true; }
                    }

                    return false;
                }
            }
            """;
        GuardAssert.Finds(code, RuleIds.StringArraySlots, 5);
    }

    [TestMethod]
    public void StringArrayOfAConstantSizeIsReported()
    {
        const string code = """
            class Log
            {
                private readonly string[] _lines = new string[32];
                private readonly string[][] _pages = new string[4][];
            }
            """;
        GuardAssert.Finds(code, RuleIds.StringArraySlots, 3);
        Assert.IsFalse(GuardAssert.CheckSample(code).Findings.Any(f => f.Line == 4), "an array of arrays has null slots of its own type");
    }

    [TestMethod]
    public void ClearingAStringArrayIsReported()
    {
        const string code = """
            using System;
            class Names
            {
                void Forget(string[] names) { Array.Clear(names, 0, names.Length); }
            }
            """;
        GuardAssert.Finds(code, RuleIds.StringArraySlots, 4);
    }

    [TestMethod]
    public void FindingsCarryFileAndLine()
    {
        var report = NanoGuard.Check([("A.cs", "class A { }"), ("B.cs", "class B\n{\n    decimal _d;\n}")]);

        Assert.IsFalse(report.IsClean);
        Assert.IsTrue(report.Findings.All(f => f.Path == "B.cs" && f.Line == 3), report.ToString());
        StringAssert.StartsWith(report.Findings[0].ToString(), "B.cs(3): ");
    }
}
