// Mirrors nanoframework/CoreLibrary nanoFramework.CoreLibrary/System/Console.cs (CoreLibrary 1.17.11).
// Unlike Debug.WriteLine it is not [Conditional]: a Release build keeps it, and it writes to the
// same native output (the serial port on a board, standard output on the interpreter).

namespace System
{
    public static class Console
    {
        public static void Write(string value) { }

        public static void WriteLine() { }

        public static void WriteLine(string value) { }
    }
}
