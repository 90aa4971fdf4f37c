namespace PeerGate.Protocol.Tests;

[TestClass]
public sealed class DeviceNamesTests
{
    /// <summary>Names that look like an allowed one but are not: each must be refused wherever a name enters.</summary>
    public static IEnumerable<object?[]> BadNames =>
    [
        [null, "null"],
        [string.Empty, "empty"],
        ["\u202eTERM1", "bidi override"],
        ["TERM1\u200b", "zero-width space"],
        ["\ufeffTERM1", "byte order mark"],
        ["TERM\u200d1", "zero-width joiner"],
        ["\u0422ERM1", "Cyrillic Te"],
        ["TERM\u0031\u0301", "combining accent"],
        ["ＴERM1", "full-width T"],
        ["TERM1\u0000", "NUL"],
        ["TERM\t1", "tab"],
        ["TERM1\n", "newline"],
        ["TERM\u007f1", "DEL"],
        ["TERM 1", "space"],
        ["TERM\u00a01", "no-break space"],
        [" TERM1", "leading space"],
        [new string('n', 65), "65 characters"],
        ["-TERM1", "starts like an option"],
        [".hidden", "starts with a dot"],
        ["@example.com", "starts with @"],
        ["a:b", "colon"],
        ["a/b", "slash"],
        ["caf\u00e9", "Latin-1 letter"],
    ];

    [TestMethod]
    [DataRow("TERM1")]
    [DataRow("t")]
    [DataRow("7")]
    [DataRow("maintenance@example.com")]
    [DataRow("first.last+tag@sub-domain.example")]
    [DataRow("under_score-dash.dot")]
    public void AcceptsAsciiNamesAndEmailAddresses(string name) => Assert.IsTrue(DeviceNames.IsValid(name), name);

    [TestMethod]
    public void AcceptsSixtyFourCharacters() => Assert.IsTrue(DeviceNames.IsValid(new string('n', 64)));

    [TestMethod]
    [DynamicData(nameof(BadNames))]
    public void RefusesControlFormatLookAlikeAndOutOfSetCharacters(string? name, string what) =>
        Assert.IsFalse(DeviceNames.IsValid(name!), what);

    [TestMethod]
    public void EveryCharacterOutsideTheSetIsRefused()
    {
        // Walks the whole BMP once: only the 66 ASCII characters of the set pass after a first letter.
        var accepted = 0;
        for (var c = 0; c <= 0xFFFF; c++)
        {
            if (DeviceNames.IsValid("a" + (char)c))
            {
                accepted++;
                Assert.IsTrue(c < 128, $"U+{c:X4} accepted");
            }
        }

        Assert.AreEqual(26 + 26 + 10 + 5, accepted);
    }

    [TestMethod]
    public void NamesCompareIgnoringAsciiCaseOnly()
    {
        Assert.AreEqual("term1@example.com", DeviceNames.Key("TERM1@Example.COM"));
        Assert.IsTrue(DeviceNames.Same("TERM1", "term1"));
        Assert.IsFalse(DeviceNames.Same("TERM1", "TERM2"));
        Assert.IsFalse(DeviceNames.Same("TERM1", "\u0422ERM1"));
        Assert.IsFalse(DeviceNames.Same("TERM1\u200b", "TERM1\u200b"));
    }
}
