// Mirrors nanoframework/System.IO.FileSystem System.IO.FileSystem/{File,Directory,DirectoryInfo,FileSystemInfo}.cs
// (NuGet nanoFramework.System.IO.FileSystem 1.1.93). FileStream/StreamReader typed members are left out.

namespace System.IO
{
    public static class File
    {
        public static void Copy(string sourceFileName, string destFileName) { }

        public static void Copy(string sourceFileName, string destFileName, bool overwrite) { }

        public static void Delete(string path) { }

        public static bool Exists(string path) { throw null; }

        public static void Move(string sourceFileName, string destFileName) { }

        public static byte[] ReadAllBytes(string path) { throw null; }

        public static string ReadAllText(string path) { throw null; }

        public static void WriteAllBytes(string path, byte[] bytes) { }

        public static void WriteAllText(string path, string contents) { }
    }

    public abstract class FileSystemInfo : MarshalByRefObject
    {
        internal FileSystemInfo() { }

        public string FullName => throw null;
    }

    public sealed class DirectoryInfo : FileSystemInfo
    {
        public DirectoryInfo(string path) { }
    }

    public static class Directory
    {
        public static DirectoryInfo CreateDirectory(string path) { throw null; }

        public static void Delete(string path, bool recursive) { }

        public static bool Exists(string path) { throw null; }

        public static void Move(string sourcePath, string destinationPath) { }

        public static string[] GetFiles(string path) { throw null; }

        public static string[] GetDirectories(string path) { throw null; }
    }
}
