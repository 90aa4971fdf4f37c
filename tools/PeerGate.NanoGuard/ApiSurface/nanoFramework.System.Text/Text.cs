// Mirrors nanoframework/System.Text nanoFramework.System.Text/Text/{Encoding,Decoder,UTF8Encoding,StringBuilder}.cs
// (NuGet nanoFramework.System.Text 1.3.42; Encoding follows the NETMF subset it was ported from).

namespace System.Text
{
    // Convert is left out, so our code cannot derive from it (the real one requires it).
    public abstract class Decoder
    {
        internal Decoder() { }
    }

    public abstract class Encoding
    {
        public virtual byte[] GetBytes(string s) { throw null; }

        public virtual int GetBytes(string s, int charIndex, int charCount, byte[] bytes, int byteIndex) { throw null; }

        public virtual char[] GetChars(byte[] bytes) { throw null; }

        public virtual char[] GetChars(byte[] bytes, int byteIndex, int byteCount) { throw null; }

        public abstract Decoder GetDecoder();

        public static Encoding UTF8 => throw null;
    }

    public class UTF8Encoding : Encoding
    {
        public UTF8Encoding() { }

        public override Decoder GetDecoder() { throw null; }
    }

    public sealed class StringBuilder
    {
        public StringBuilder() { }

        public StringBuilder(int capacity) { }

        public StringBuilder(string value) { }

        public int Length
        {
            get { throw null; }
            set { }
        }

        public int Capacity
        {
            get { throw null; }
            set { }
        }

        public StringBuilder Append(string value) { throw null; }

        public StringBuilder Append(char value) { throw null; }

        public StringBuilder Append(object value) { throw null; }

        public StringBuilder AppendLine() { throw null; }

        public StringBuilder AppendLine(string str) { throw null; }

        public StringBuilder Clear() { throw null; }

        public StringBuilder Replace(string oldValue, string newValue) { throw null; }

        public override string ToString() { throw null; }
    }
}
