// Mirrors nanoframework/nanoFramework.Runtime.Native nanoFramework.Runtime.Native/Power.cs
// (NuGet nanoFramework.Runtime.Native 1.7, main branch). Same assembly as ../nanoFramework.Runtime.Native; kept in
// its own folder by the ESP32 application's owner so the two can be merged by that folder's owner. The loader
// compiles every non-mscorlib folder into one assembly, so the split changes nothing.

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
