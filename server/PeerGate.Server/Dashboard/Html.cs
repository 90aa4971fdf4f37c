using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;

namespace PeerGate.Server.Dashboard;

/// <summary>
/// Writes the dashboard's HTML. Markup is only ever the literal text of an interpolated string written
/// in this folder; every value put into one (<c>{value}</c>) is HTML-encoded, quotes included, so it is
/// safe in element text and in quoted attributes alike. Nothing else reaches the page unencoded except
/// <see cref="Markup"/>, which only another <see cref="Html"/> makes.
/// </summary>
public sealed class Html
{
    private readonly StringBuilder _builder = new();

    public Html Add([InterpolatedStringHandlerArgument("")] ref HtmlHandler handler) => this;

    /// <summary>Text, encoded.</summary>
    public Html Text(string? value)
    {
        _builder.Append(HtmlEncoder.Default.Encode(value ?? string.Empty));
        return this;
    }

    /// <summary>What was written, to put into another writer as it is.</summary>
    public Markup ToMarkup() => new(_builder.ToString());

    public override string ToString() => _builder.ToString();

    internal StringBuilder Builder => _builder;
}

/// <summary>HTML already written (and encoded) by an <see cref="Html"/>.</summary>
public readonly record struct Markup(string Value);

/// <summary>Literal parts go out as written; every hole is encoded (or is <see cref="Markup"/>).</summary>
[InterpolatedStringHandler]
public ref struct HtmlHandler
{
    private readonly StringBuilder _builder;

    public HtmlHandler(int literalLength, int formattedCount, Html html)
    {
        _ = formattedCount;
        _builder = html.Builder;
        _builder.EnsureCapacity(_builder.Length + literalLength);
    }

    public readonly void AppendLiteral(string value) => _builder.Append(value);

    public readonly void AppendFormatted(string? value) => _builder.Append(HtmlEncoder.Default.Encode(value ?? string.Empty));

    public readonly void AppendFormatted(Markup markup) => _builder.Append(markup.Value);

    public readonly void AppendFormatted<T>(T value)
    {
        var text = value is IFormattable formattable ? formattable.ToString(null, CultureInfo.InvariantCulture) : value?.ToString();
        _builder.Append(HtmlEncoder.Default.Encode(text ?? string.Empty));
    }
}
