// Mirrors nanoframework/nanoFramework.Runtime.Native nanoFramework.Runtime.Native/{Power,RebootOption}.cs
// (NuGet nanoFramework.Runtime.Native 1.7.11). Same assembly as Native.cs. RebootDevice takes a RebootOption
// (NormalReboot by default).

namespace nanoFramework.Runtime.Native
{
    public delegate void RebootEventHandler();

    public class Power
    {
        public static event RebootEventHandler OnRebootEvent;

        public static void RebootDevice(RebootOption rebootOption = RebootOption.NormalReboot) { }

        public static void RebootDevice(int exeConstraintTimeout, RebootOption rebootOption = RebootOption.NormalReboot) { }
    }

    [System.Flags]
    public enum RebootOption
    {
        NormalReboot = 0,
        EnterNanoBooter = 1,
        ClrOnly = 2,
        EnterProprietaryBooter = 8,
    }
}
