// Mirrors nanoframework/CoreLibrary nanoFramework.CoreLibrary/System/SpanByte.cs (NuGet nanoFramework.CoreLibrary
// 1.17.11). Declared only because System.IO.Stream names it in an abstract member; the subset's code never uses it.

namespace System
{
    public struct SpanByte
    {
    }
}
