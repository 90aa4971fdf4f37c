// Mirrors nanoframework/System.Math nanoFramework.System.Math/Math.cs (NuGet nanoFramework.System.Math, main branch).
// mscorlib 1.x itself has no public Math.

namespace System
{
    public static class Math
    {
        public const double E = 2.7182818284590451;
        public const double PI = 3.1415926535897931;

        public static int Abs(int val) { throw null; }

        public static long Abs(long val) { throw null; }

        public static double Abs(double val) { throw null; }

        public static int Max(int val1, int val2) { throw null; }

        public static long Max(long val1, long val2) { throw null; }

        public static double Max(double val1, double val2) { throw null; }

        public static int Min(int val1, int val2) { throw null; }

        public static long Min(long val1, long val2) { throw null; }

        public static double Min(double val1, double val2) { throw null; }

        public static double Ceiling(double d) { throw null; }

        public static double Floor(double d) { throw null; }

        public static double Round(double d) { throw null; }

        public static double Pow(double x, double y) { throw null; }

        public static double Sqrt(double d) { throw null; }
    }
}
