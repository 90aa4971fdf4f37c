// Mirrors nanoframework/CoreLibrary nanoFramework.CoreLibrary/System/String.cs (CoreLibrary 1.17.11).
// Not there on 1.x, so deliberately absent: Join, Replace, Insert, Remove, IsNullOrWhiteSpace, Equals(..., StringComparison).

using System.Collections;
using System.Runtime.CompilerServices;

namespace System
{
    public sealed class String : IComparable, IEnumerable
    {
        public static readonly string Empty = "";

        public String(char[] value, int startIndex, int length) { }

        public String(char[] value) { }

        public String(char c, int count) { }

        [IndexerName("Chars")]
        public char this[int index] => throw null;

        public int Length => throw null;

        public IEnumerator GetEnumerator() { throw null; }

        public override bool Equals(object obj) { throw null; }

        public static bool Equals(string a, string b) { throw null; }

        public static bool operator ==(string a, string b) { throw null; }

        public static bool operator !=(string a, string b) { throw null; }

        public char[] ToCharArray() { throw null; }

        public char[] ToCharArray(int startIndex, int length) { throw null; }

        public string[] Split(params char[] separator) { throw null; }

        public string[] Split(char[] separator, int count) { throw null; }

        public string Substring(int startIndex) { throw null; }

        public string Substring(int startIndex, int length) { throw null; }

        public string Trim() { throw null; }

        public string Trim(params char[] trimChars) { throw null; }

        public string TrimStart(params char[] trimChars) { throw null; }

        public string TrimEnd(params char[] trimChars) { throw null; }

        public static int Compare(string strA, string strB) { throw null; }

        public int CompareTo(object value) { throw null; }

        public int CompareTo(string strB) { throw null; }

        public int IndexOf(char value) { throw null; }

        public int IndexOf(char value, int startIndex) { throw null; }

        public int IndexOf(char value, int startIndex, int count) { throw null; }

        public int IndexOf(string value) { throw null; }

        public int IndexOf(string value, int startIndex) { throw null; }

        public int IndexOf(string value, int startIndex, int count) { throw null; }

        public int IndexOfAny(char[] anyOf) { throw null; }

        public int IndexOfAny(char[] anyOf, int startIndex) { throw null; }

        public int IndexOfAny(char[] anyOf, int startIndex, int count) { throw null; }

        public int LastIndexOf(char value) { throw null; }

        public int LastIndexOf(char value, int startIndex) { throw null; }

        public int LastIndexOf(char value, int startIndex, int count) { throw null; }

        public int LastIndexOf(string value) { throw null; }

        public int LastIndexOf(string value, int startIndex) { throw null; }

        public int LastIndexOf(string value, int startIndex, int count) { throw null; }

        public int LastIndexOfAny(char[] anyOf) { throw null; }

        public int LastIndexOfAny(char[] anyOf, int startIndex) { throw null; }

        public int LastIndexOfAny(char[] anyOf, int startIndex, int count) { throw null; }

        public string ToLower() { throw null; }

        public string ToUpper() { throw null; }

        public override string ToString() { throw null; }

        public static string Concat(object arg0) { throw null; }

        public static string Concat(object arg0, object arg1) { throw null; }

        public static string Concat(object arg0, object arg1, object arg2) { throw null; }

        public static string Concat(params object[] args) { throw null; }

        public static string Concat(string str0, string str1) { throw null; }

        public static string Concat(string str0, string str1, string str2) { throw null; }

        public static string Concat(string str0, string str1, string str2, string str3) { throw null; }

        public static string Concat(params string[] values) { throw null; }

        public static string Intern(string str) { throw null; }

        public static string IsInterned(string str) { throw null; }

        public static string Format(string format, params object[] args) { throw null; }

        public string PadLeft(int totalWidth, char paddingChar = ' ') { throw null; }

        public string PadRight(int totalWidth, char paddingChar = ' ') { throw null; }

        public static bool IsNullOrEmpty(string value) { throw null; }

        public bool Contains(string value) { throw null; }

        public bool StartsWith(string value) { throw null; }

        public bool EndsWith(string value) { throw null; }
    }
}
